import type { RecipientStatus } from './ledger.js';

// No runtime import: the light read entry (read.ts) loads this without the ledger's scripts.

/**
 * The counters kept beside a campaign's entries, by the field each is read from in the counts hash
 * (the ledger's Lua scripts move them with the entries: one per status, and the total).
 */
const COUNTER_FIELDS = {
  total: 'total',
  pending: 'pending',
  sent: 'sent',
  failed: 'failed',
  cancelled: 'cancelled',
  delivered: 'delivered',
  read: 'read',
  failedAfterSend: 'failed-after-send',
  window: 'window',
} as const satisfies Record<string, 'total' | 'window' | RecipientStatus>;

export type CampaignCounts = { [K in keyof typeof COUNTER_FIELDS]: number } & {
  /** Failed recipients by Kaleyra code. */
  byCode: Record<string, number>;
  /** Recipients that failed after Kaleyra accepted them, by the callback's error code. */
  failedAfterSendByCode: Record<string, number>;
  /** Per code of byCode: Kaleyra's reason text of the code's first recorded failure (codes recorded without a reason are absent). */
  failureReasons: Record<string, string>;
  /** When the campaign's first result (sent or failed) was recorded (ms since the epoch); null before. */
  startedAt: number | null;
};

/** A campaign's counters from its counts hash (HGETALL): Ledger.counts, and the light read entry (read.ts). */
export function parseCounts(raw: Record<string, string>): CampaignCounts {
  const n = (f: string) => (f === 'window' ? Number(raw[f] ?? 0) : Math.max(0, Number(raw[f] ?? 0)));
  const byCode: Record<string, number> = {};
  const failedAfterSendByCode: Record<string, number> = {};
  for (const [field, value] of Object.entries(raw)) {
    if (field.startsWith('code:') && Number(value) > 0) byCode[field.slice(5)] = Number(value);
    else if (field.startsWith('fas:') && Number(value) > 0) failedAfterSendByCode[field.slice(4)] = Number(value);
  }
  // A reason stays in the hash after a retry moved its code's last failure away: only codes still failing are answered.
  const failureReasons: Record<string, string> = {};
  for (const code of Object.keys(byCode).sort()) {
    const reason = raw[`reason:${code}`];
    if (reason) failureReasons[code] = reason;
  }
  const started = Number(raw['startedAt']);
  const counters = Object.fromEntries(Object.entries(COUNTER_FIELDS).map(([name, field]) => [name, n(field)])) as Record<keyof typeof COUNTER_FIELDS, number>;
  return { ...counters, byCode: byKey(byCode), failedAfterSendByCode: byKey(failedAfterSendByCode), failureReasons, startedAt: started > 0 ? started : null };
}

/**
 * The object with its keys in code order: the per-code maps read the same whatever order the store
 * keeps them in (a Redis hash's order changes as it grows; PostgreSQL's jsonb orders keys by length),
 * so `status --json` prints the same text for a campaign before and after it is archived.
 */
export function byKey<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
