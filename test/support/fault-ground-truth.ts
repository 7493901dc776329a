import type { Simulator } from '@wabulk/kaleyra-sim';
import type { QueueContext } from '@wabulk/queue';
import { ledgerRows, simIdsByRecipient } from './proc-ground-truth.js';

// The fault suite's one judge: every recipient of a campaign, classified by comparing the
// simulator's record of every request it accepted (the ground truth: what really went out) with
// the ledger (what wabulk says happened).

const SENT_STATES = new Set(['sent', 'delivered', 'read', 'failed-after-send']);

export interface Classification {
  recipients: number;
  /** Accepted once, and the ledger holds that message_id. */
  sentOnce: number;
  /** Accepted more than once (recipient → times); the ledger holds one of those message_ids. */
  duplicated: Map<string, number>;
  /** Never accepted, and the ledger does not say failed with a code and a reason: nobody would know. */
  lost: string[];
  /** Never accepted, and the ledger says failed with a code and a reason (code → recipients). */
  failed: Map<string, string[]>;
  /** Never accepted, and the ledger says cancelled (the campaign was cancelled while it was pending). */
  cancelled: string[];
  /**
   * The ledger says cancelled but the simulator accepted it: a worker died with the request in
   * flight (its message_id never recorded) and the campaign was cancelled before a re-run. The
   * cancel-time form of the stalled-rerun window: at most the dead worker's concurrency.
   */
  cancelledButAccepted: string[];
  /** The ledger disagrees with the simulator (e.g. failed or pending though accepted, an id never issued). */
  misrecorded: Array<{ to: string; what: string }>;
  /** Messages the simulator accepted for numbers that are not recipients of the campaign. */
  strays: string[];
  /** Ledger attempts per recipient (for bounds on retries). */
  attempts: Map<string, number>;
}

/** Classifies every recipient of `campaignId` (`recipients` in E.164, each once). */
export async function classify(ctx: QueueContext, sim: Simulator, campaignId: string, recipients: readonly string[]): Promise<Classification> {
  const rows = await ledgerRows(ctx, campaignId);
  const simIds = simIdsByRecipient(sim);
  const expected = new Set(recipients);
  const c: Classification = { recipients: expected.size, sentOnce: 0, duplicated: new Map(), lost: [], failed: new Map(), cancelled: [], cancelledButAccepted: [], misrecorded: [], strays: [], attempts: new Map() };
  for (const to of simIds.keys()) if (!expected.has(to)) c.strays.push(to);
  for (const to of expected) {
    const row = rows.get(to);
    const ids = simIds.get(to) ?? [];
    if (row?.attempts !== undefined) c.attempts.set(to, row.attempts);
    if (row && SENT_STATES.has(row.status)) {
      if (row.messageId !== undefined && ids.includes(row.messageId)) {
        if (ids.length === 1) c.sentOnce++;
        else c.duplicated.set(to, ids.length);
      } else if (ids.length === 0) c.lost.push(to);
      else c.misrecorded.push({ to, what: `ledger ${row.status} with ${row.messageId ?? 'no id'}, simulator issued ${ids.join(',')}` });
    } else if (ids.length > 0 && row?.status === 'cancelled') {
      c.cancelledButAccepted.push(to);
    } else if (ids.length > 0) {
      c.misrecorded.push({ to, what: `accepted ${ids.length}× but the ledger says ${row?.status ?? 'nothing'}` });
    } else if (row?.status === 'cancelled') {
      c.cancelled.push(to);
    } else if (row?.status === 'failed' && row.code && row.reason) {
      c.failed.set(row.code, [...(c.failed.get(row.code) ?? []), to]);
    } else {
      c.lost.push(to);
    }
  }
  return c;
}

export const failedTotal = (c: Classification) => [...c.failed.values()].reduce((n, l) => n + l.length, 0);

/** One line for logs and assertion messages. */
export function describeClassification(c: Classification): string {
  const failed = [...c.failed].map(([code, l]) => `${code}×${l.length}`).join(' ');
  const head = (l: unknown[]) => JSON.stringify(l.slice(0, 5));
  return (
    `recipients ${c.recipients}, sent once ${c.sentOnce}, duplicated ${c.duplicated.size}, lost ${c.lost.length}` +
    `, failed ${failedTotal(c)}${failed ? ` (${failed})` : ''}, cancelled ${c.cancelled.length}` +
    `${c.cancelledButAccepted.length ? ` (+${c.cancelledButAccepted.length} accepted before a crash)` : ''}, misrecorded ${c.misrecorded.length}, strays ${c.strays.length}` +
    (c.lost.length ? `\n  lost: ${head(c.lost)}` : '') +
    (c.misrecorded.length ? `\n  misrecorded: ${head(c.misrecorded)}` : '') +
    (c.strays.length ? `\n  strays: ${head(c.strays)}` : '')
  );
}

/**
 * What the suite requires of every scenario: nothing lost, nothing misrecorded, every recipient
 * final (sent, failed or cancelled). `cancelledButAccepted` counts as final; callers bound it.
 */
export function assertAccountedFor(c: Classification): void {
  const final = c.sentOnce + c.duplicated.size + failedTotal(c) + c.cancelled.length + c.cancelledButAccepted.length;
  if (c.lost.length > 0 || c.misrecorded.length > 0 || c.strays.length > 0 || final !== c.recipients) {
    throw new Error(`not every recipient is accounted for: ${describeClassification(c)}`);
  }
}

/**
 * A fault, as the ground truth needs it: which recipients had their message_id recorded when it
 * began (none of them may be sent again), and when it ended (a request in flight at the fault was
 * accepted by then at the latest).
 */
export interface FaultMark {
  label: string;
  startedAt: number;
  /** Recipient → when its message_id was recorded (the ledger's updatedAt). */
  recorded: Map<string, number>;
  endedAt: number;
}

/** Call right before causing the fault. */
export async function beginFault(ctx: QueueContext, campaignId: string, label: string): Promise<FaultMark> {
  const recorded = new Map<string, number>();
  for (const [to, row] of await ledgerRows(ctx, campaignId)) if (row.messageId) recorded.set(to, row.updatedAt);
  return { label, startedAt: Date.now(), recorded, endedAt: Number.POSITIVE_INFINITY };
}

/** Call once the fault has happened (the process is dead, Redis is down). */
export function endFault(mark: FaultMark): FaultMark {
  mark.endedAt = Date.now();
  return mark;
}

/**
 * Checks every duplicate against the faults. A duplicate is caused by the first fault that ended
 * after the recipient's first acceptance (its request was in flight, at the latest, when that fault
 * struck): there must be one (`notInFlight` otherwise), and the recipient's message_id must not have
 * been recorded when it began (`recordedBeforeFault` otherwise). A later fault may find the re-sent
 * message recorded; that is not held against it. `graceMs` covers the simulator reading a dead
 * process's last request a moment after its exit was seen. Returns the offenders by kind.
 */
export function checkDuplicates(c: Classification, sim: Simulator, marks: readonly FaultMark[], graceMs = 1000) {
  const firstAt = new Map<string, number>();
  for (const m of sim.messages()) {
    const to = m.to.startsWith('+') ? m.to : `+${m.to}`;
    if (!firstAt.has(to)) firstAt.set(to, Date.parse(m.received_at));
  }
  const inOrder = [...marks].sort((a, b) => a.startedAt - b.startedAt);
  const recordedBeforeFault: string[] = [];
  const notInFlight: string[] = [];
  for (const to of c.duplicated.keys()) {
    const first = firstAt.get(to) ?? Number.POSITIVE_INFINITY;
    const cause = inOrder.find((m) => first <= m.endedAt + graceMs);
    if (!cause) notInFlight.push(to);
    else if (cause.recorded.has(to)) recordedBeforeFault.push(to);
  }
  return { recordedBeforeFault, notInFlight };
}
