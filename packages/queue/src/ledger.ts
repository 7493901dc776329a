import { CampaignConflictError } from './campaigns.js';
import { campaignKeys, indexKeys } from './keys.js';
import { parseCounts, type CampaignCounts } from './ledger-counts.js';
import { CANCEL_PENDING, DELIVER, RECORD, RECORD_SENT, REGISTER, RESET_FAILED } from './ledger-scripts.js';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.js';
import { withScripts } from './scripts.js';
import { tickBatch, type PipelineOf } from './tick-batch.js';

export type { CampaignCounts } from './ledger-counts.js';

/**
 * pending → sent (Kaleyra accepted it: message_id) → delivered → read, from delivery callbacks; or
 * sent → failed-after-send (Kaleyra's callback said failed / not-sent). `failed` = never accepted.
 * `cancelled` = still pending when an operator cancelled the campaign (never sent, never retried).
 */
export type RecipientStatus = 'pending' | 'sent' | 'failed' | 'cancelled' | 'delivered' | 'read' | 'failed-after-send';
export const RECIPIENT_STATUSES = ['pending', 'sent', 'failed', 'cancelled', 'delivered', 'read', 'failed-after-send'] as const satisfies readonly RecipientStatus[];

/** What a delivery callback can move a sent recipient to. */
export type DeliveryStatus = 'delivered' | 'read' | 'failed-after-send';

export interface DeliveryUpdate {
  status: DeliveryStatus;
  /** For failed-after-send: Kaleyra's / Meta's error code and text. */
  code?: string;
  reason?: string;
  at: number;
}

/** One recipient of a campaign, as the ledger records it. */
export interface LedgerEntry {
  status: RecipientStatus;
  messageId?: string;
  code?: string;
  reason?: string;
  attempts?: number;
  updatedAt: number;
}

/** A recipient's own refs (from its CSV/NDJSON row), echoed by Kaleyra in delivery callbacks. */
export interface RecipientRefs {
  ref?: string;
  ref1?: string;
  ref2?: string;
}

export interface LedgerRow extends LedgerEntry {
  to: string;
  /** The recipient's own refs, when it was imported with any (a campaign's default refs are in its meta). */
  refs?: RecipientRefs;
  /** Its values for the campaign's placeholders (meta `vars` order), when the text has any. */
  vars?: string[];
  /** failed-after-send only: the send's own code and reason (`code`/`reason` hold the delivery failure). */
  sendCode?: string;
  sendReason?: string;
}

/** A recipient to register: its number and, when its row had any, its own refs and placeholder values. */
export interface RegisterRow {
  to: string;
  refs?: RecipientRefs;
  vars?: readonly string[];
}

/** The entry's `x`: only the refs and values present; undefined when there are none (no bytes for campaigns without). */
interface PackedRefs { r?: string; r1?: string; r2?: string; v?: string[] }

/**
 * Lone UTF-16 surrogates become U+FFFD: JSON.stringify writes them as `\udXXX` escapes, which Redis's
 * Lua cjson refuses ("invalid unicode escape code"), and they are no text Kaleyra could echo anyway.
 */
export const wellFormed = (s: string): string => {
  const w = s as unknown as WellFormedString;
  return w.isWellFormed() ? s : w.toWellFormed();
};
/** ES2024's String methods (Node ≥ 20), not in the ES2023 lib this project compiles against. */
interface WellFormedString { isWellFormed(): boolean; toWellFormed(): string }

export function packRefs(refs: RecipientRefs | undefined, vars?: readonly string[]): PackedRefs | undefined {
  const x: PackedRefs = {};
  if (refs?.ref !== undefined) x.r = wellFormed(refs.ref);
  if (refs?.ref1 !== undefined) x.r1 = wellFormed(refs.ref1);
  if (refs?.ref2 !== undefined) x.r2 = wellFormed(refs.ref2);
  // Never an empty array: Lua's cjson would write it back as {}.
  if (vars !== undefined && vars.length > 0) x.v = vars.map(wellFormed);
  return Object.keys(x).length > 0 ? x : undefined;
}

/** The placeholder values kept in an entry's x (Lua's cjson writes an empty table as {}: only arrays count). */
export function unpackVars(x: unknown): string[] | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const v = (x as Record<string, unknown>)['v'];
  return Array.isArray(v) && v.length > 0 ? v.map((s) => (typeof s === 'string' ? s : '')) : undefined;
}

export function unpackRefs(x: unknown): RecipientRefs | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const p = x as Record<string, unknown>;
  const refs: RecipientRefs = {};
  if (typeof p['r'] === 'string') refs.ref = p['r'];
  if (typeof p['r1'] === 'string') refs.ref1 = p['r1'];
  if (typeof p['r2'] === 'string') refs.ref2 = p['r2'];
  return Object.keys(refs).length > 0 ? refs : undefined;
}

/**
 * dc/dr: the delivery failure of a failed-after-send entry (c/r keep the send's own code). x: the
 * recipient's own refs (r is taken: the reason), written by REGISTER and carried over by every script.
 */
interface Packed { s: RecipientStatus; m?: string; c?: string; r?: string; a?: number; t: number; dc?: string; dr?: string; x?: PackedRefs }

const pack = (e: LedgerEntry): string =>
  JSON.stringify({ s: e.status, m: e.messageId, c: e.code, r: e.reason?.slice(0, 500), a: e.attempts, t: e.updatedAt } satisfies Packed);

function unpack(to: string, raw: string): LedgerRow {
  const p = JSON.parse(raw) as Packed;
  const failedLater = p.s === 'failed-after-send';
  const row: LedgerRow = { to, status: p.s, messageId: p.m, code: failedLater ? (p.dc ?? p.c) : p.c, reason: failedLater ? (p.dr ?? p.r) : p.r, attempts: p.a, updatedAt: p.t };
  if (failedLater && p.c !== undefined) row.sendCode = p.c;
  if (failedLater && p.r !== undefined) row.sendReason = p.r;
  const refs = unpackRefs(p.x);
  if (refs) row.refs = refs;
  const vars = unpackVars(p.x);
  if (vars) row.vars = vars;
  return row;
}

/** A whole row as the ledger stores it (the archive's restore writes rows back with it): the inverse of unpack. */
export function packRow(row: LedgerRow): string {
  const later = row.status === 'failed-after-send';
  const p: Packed = { s: row.status, m: row.messageId, c: later ? row.sendCode : row.code, r: later ? row.sendReason : row.reason, a: row.attempts, t: row.updatedAt };
  if (later) Object.assign(p, { dc: row.code, dr: row.reason });
  const x = packRefs(row.refs, row.vars);
  if (x) p.x = x;
  return JSON.stringify(p);
}

interface LedgerCommands {
  wabulkRegister(k1: string, k2: string, k3: string, ...argv: string[]): Promise<Array<string | number>>;
  wabulkRecord(k1: string, k2: string, k3: string, k4: string, to: string, entry: string): Promise<[string, string, string]>;
  wabulkRecordSent(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, to: string, entry: string, index: string, ttl: string): Promise<[string, string, string, string[]?]>;
  wabulkResetFailed(k1: string, k2: string, k3: string, k4: string, ...argv: string[]): Promise<string[]>;
  wabulkDeliver(k1: string, k2: string, k3: string, k4: string, to: string, status: string, code: string, reason: string, at: string, json: string): Promise<[string, number]>;
  wabulkCancelPending(k1: string, k2: string, k3: string, ...argv: string[]): Promise<number>;
}

const LEDGER_SCRIPTS = {
  wabulkRegister: { numberOfKeys: 3, lua: REGISTER },
  wabulkRecord: { numberOfKeys: 4, lua: RECORD },
  wabulkRecordSent: { numberOfKeys: 6, lua: RECORD_SENT },
  wabulkResetFailed: { numberOfKeys: 4, lua: RESET_FAILED },
  wabulkDeliver: { numberOfKeys: 4, lua: DELIVER },
  wabulkCancelPending: { numberOfKeys: 3, lua: CANCEL_PENDING },
};

/**
 * The record of every recipient of every campaign: pending → sent (with message_id) | failed (with
 * code and reason). The ledger, not BullMQ, is the record: completed jobs are removed, entries stay.
 */
export class Ledger {
  readonly #redis: RedisClient & LedgerCommands;
  readonly #base: string;

  constructor(redis: RedisClient, base: string) {
    this.#redis = withScripts<LedgerCommands>(redis, LEDGER_SCRIPTS);
    this.#base = base;
  }

  /**
   * Creates pending entries for new numbers (with their own refs and values, when given); returns,
   * per row, 'new' or the status it already had, and the campaign's control state read in the same
   * script (a scheduled campaign's recipients get their jobs when it starts, not now). An entry
   * that exists keeps its refs and values (the first import's).
   */
  async register(campaignId: string, rows: readonly RegisterRow[], now = Date.now()): Promise<{ statuses: Array<'new' | RecipientStatus>; state: string }> {
    const k = campaignKeys(this.#base, campaignId);
    const argv: string[] = [];
    for (const row of rows) {
      const x = packRefs(row.refs, row.vars);
      argv.push(row.to, x ? JSON.stringify(x) : '');
    }
    const [answer, ...existing] = await this.#redis.wabulkRegister(k.recipients, k.counts, k.state, String(now), ...argv);
    const state = answer as string | undefined;
    // The campaign is finished and the archiver is copying it: an intake to it is refused like a conflicting id.
    if (state === 'archiving') throw new CampaignConflictError(`campaign ${campaignId} is finished and being archived; use a new campaign id`);
    // The script names only the rows that had an entry (position, status); every other one is new.
    const statuses = Array.from<unknown, 'new' | RecipientStatus>({ length: rows.length }, () => 'new');
    for (let j = 0; j < existing.length; j += 2) statuses[Number(existing[j]) - 1] = existing[j + 1] as RecipientStatus;
    return { statuses, state: state ?? 'running' };
  }

  /**
   * Records an outcome. Never moves a sent recipient back; a second 'sent' keeps the first
   * message_id. Returns the status and message id the entry holds afterwards, or 'archived' (nothing
   * written) when the campaign is already in the archive: a late 'sent' then goes to the archive
   * (CampaignArchive.recordLateSend).
   */
  async record(campaignId: string, to: string, entry: LedgerEntry): Promise<{ status: RecipientStatus | 'archived'; messageId?: string }> {
    const k = campaignKeys(this.#base, campaignId);
    const [status, messageId, finished] = await this.#redis.wabulkRecord(k.recipients, k.counts, k.meta, k.archived, to, pack(entry));
    return this.#recorded(campaignId, entry, status, messageId, finished);
  }

  /**
   * record() of a 'sent' entry and the message-id index (`index`: its two keys, value and TTL,
   * message-index.ts) in one script: one round trip instead of two. A single Redis only (the index
   * lives in the message's slot): recordSentMessage picks this or the two calls. Sent in the
   * pipeline of its tick with the other sends' records (group commit); it resolves with its own reply. `waiting` = the
   * delivery callbacks that arrived before the send was recorded (none when archived).
   */
  async recordSent(campaignId: string, to: string, entry: LedgerEntry & { status: 'sent' }, index: { keys: { index: string; pending: string }; value: string; ttlSeconds: number }): Promise<{ status: RecipientStatus | 'archived'; messageId?: string; waiting: string[] }> {
    const k = campaignKeys(this.#base, campaignId);
    // Group commit: the records of the sends answered together leave in one write (tick-batch.ts).
    const [status, messageId, finished, waiting] = await tickBatch(this.#redis as Redis)<[string, string, string, string[]?]>((pipeline) =>
      (pipeline as PipelineOf<LedgerCommands>).wabulkRecordSent(k.recipients, k.counts, k.meta, k.archived, index.keys.index, index.keys.pending, to, pack(entry), index.value, String(index.ttlSeconds)));
    return { ...(await this.#recorded(campaignId, entry, status, messageId, finished)), waiting: waiting ?? [] };
  }

  async #recorded(campaignId: string, entry: LedgerEntry, status: string, messageId: string, finished: string): Promise<{ status: RecipientStatus | 'archived'; messageId?: string }> {
    // The campaign moved to the archive before this outcome came (a request in flight at cancel time,
    // archived at once): nothing is written here (no ledger would be left half-made in Redis).
    if (status === 'archived') return { status: 'archived' };
    // The campaign's last pending recipient ended: it joins the archive's queue (NX: the first finish
    // counts; the archiver reads the campaign's own finishedAt before it archives).
    if (finished === '1') await this.#redis.zadd(indexKeys(this.#base).finished, 'NX', entry.updatedAt, campaignId);
    return { status: status as RecipientStatus, messageId: messageId || undefined };
  }

  /**
   * Applies a delivery callback to a sent recipient: only forward (sent < delivered = failed-after-send
   * < read), never to a recipient without a message_id. `status` is the entry's status afterwards
   * ('missing' when the campaign has no such recipient; 'deferred' while the archiver copies the
   * campaign: the callback waits beside it and is applied to the archive once it is there).
   */
  async deliver(campaignId: string, to: string, update: DeliveryUpdate): Promise<{ status: RecipientStatus | 'missing' | 'deferred'; changed: boolean }> {
    const k = campaignKeys(this.#base, campaignId);
    const reason = update.reason?.slice(0, 500);
    const [status, changed] = await this.#redis.wabulkDeliver(k.recipients, k.counts, k.state, k.deferred, to, update.status, update.code ?? '', reason ?? '', String(update.at), JSON.stringify({ to, update: { ...update, reason } }));
    return { status: status as RecipientStatus | 'missing' | 'deferred', changed: changed === 1 };
  }

  async get(campaignId: string, to: string): Promise<LedgerRow | undefined> {
    const raw = await this.#redis.hget(campaignKeys(this.#base, campaignId).recipients, to);
    return raw === null ? undefined : unpack(to, raw);
  }

  /**
   * Failed → pending for the numbers given (only those whose code is in `codes`, when given).
   * A CampaignConflictError while the archiver copies the campaign.
   */
  async resetFailed(campaignId: string, numbers: readonly string[], codes: readonly string[] = [], now = Date.now()): Promise<string[]> {
    if (numbers.length === 0) return [];
    const k = campaignKeys(this.#base, campaignId);
    try {
      return await this.#redis.wabulkResetFailed(k.recipients, k.counts, k.meta, k.state, String(now), codes.join(','), ...numbers);
    } catch (err) {
      // The script's refusal while the archiver copies the campaign: a conflict the caller can retry (API 409), not a Redis failure.
      if (/\bARCHIVING\b/.test((err as Error).message)) throw new CampaignConflictError(`campaign ${campaignId} is being archived; retry in a minute`);
      throw err;
    }
  }

  /**
   * Pending → cancelled for the numbers given (any other status is left alone: a sent recipient is
   * never cancelled). Returns how many moved; their counters move in the same script.
   */
  async cancelPending(campaignId: string, numbers: readonly string[], now = Date.now()): Promise<number> {
    if (numbers.length === 0) return 0;
    const k = campaignKeys(this.#base, campaignId);
    return this.#redis.wabulkCancelPending(k.recipients, k.counts, k.meta, String(now), ...numbers);
  }

  /** Counters kept beside the entries: reading them never scans the campaign. */
  async counts(campaignId: string): Promise<CampaignCounts> {
    return parseCounts(await this.#redis.hgetall(campaignKeys(this.#base, campaignId).counts));
  }

  /**
   * Makes the campaign expire `ttlSeconds` after its last pending recipient ends (RECORD sets the
   * TTL on its meta, ledger and counters; a retry clears it). Single messages use it.
   */
  async expireWhenDone(campaignId: string, ttlSeconds: number): Promise<void> {
    await this.#redis.hset(campaignKeys(this.#base, campaignId).counts, 'ttl', String(Math.max(1, Math.round(ttlSeconds))));
  }

  /** A new generation number for the campaign's retried jobs (their ids must differ from the first run's). */
  async nextGeneration(campaignId: string): Promise<number> {
    return this.#redis.hincrby(campaignKeys(this.#base, campaignId).counts, 'generation', 1);
  }

  /**
   * One page of entries for an API: HSCAN from `cursor` ('0' = start) until about `limit` rows
   * match `status` (or `maxScans` HSCAN calls were made, so a rare status cannot make one page scan
   * the whole campaign). `cursor` '0' in the answer = no more pages. A page may hold a few more
   * than `limit` rows (HSCAN returns whole batches), and during a rehash an entry may appear twice.
   */
  async page(campaignId: string, options: { cursor?: string; limit?: number; status?: RecipientStatus; maxScans?: number } = {}): Promise<{ cursor: string; rows: LedgerRow[] }> {
    const limit = options.limit ?? 100;
    const rows: LedgerRow[] = [];
    let cursor = options.cursor ?? '0';
    let scans = 0;
    do {
      const step = await this.scan(campaignId, cursor, limit);
      cursor = step.cursor;
      scans++;
      for (const row of step.rows) if (options.status === undefined || row.status === options.status) rows.push(row);
    } while (cursor !== '0' && rows.length < limit && scans < (options.maxScans ?? 20));
    return { cursor, rows };
  }

  /** One HSCAN step from `cursor` ('0' = start; '0' in the answer = the end): the archiver resumes a copy from the cursor it saved. */
  async scan(campaignId: string, cursor: string, count = 1000): Promise<{ cursor: string; rows: LedgerRow[] }> {
    const [next, flat] = await this.#redis.hscan(campaignKeys(this.#base, campaignId).recipients, cursor, 'COUNT', count);
    const rows: LedgerRow[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) rows.push(unpack(flat[i]!, flat[i + 1]!));
    return { cursor: next, rows };
  }

  /** Every entry of a campaign, streamed with HSCAN (order is Redis's, each entry once or more rarely twice during rehash: callers that need exactness dedupe). */
  async *rows(campaignId: string, batch = 1000): AsyncGenerator<LedgerRow> {
    let cursor = '0';
    do {
      const step = await this.scan(campaignId, cursor, batch);
      cursor = step.cursor;
      yield* step.rows;
    } while (cursor !== '0');
  }

}
