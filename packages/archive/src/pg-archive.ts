import type pg from 'pg';
import {
  ArchiveUnavailableError,
  byKey,
  CampaignConflictError,
  campaignKeys,
  indexKeys,
  packRow,
  withScripts,
  type ArchivedCampaign,
  type CampaignArchive,
  type CampaignMeta,
  type DeliveryUpdate,
  type LedgerRow,
  type QueueContext,
  type RecipientStatus,
} from '@wabulk/queue';
import { splitStoredMeta, storable } from './stored-meta.js';
import { drainDeferred } from './deferred.js';
import { createArchivePool, describeArchiveUrl, isUnavailable, unavailable, type ArchiveConnectionOptions } from './pg.js';
import { assertSchema, SchemaMismatchError } from './schema.js';

/** Rows read from or written to PostgreSQL per statement (the archiver's COPY batch, a restore's HSET batch, an export page). */
export const ROW_BATCH = 5000;

/** The columns of wabulk_recipients a read needs, in the order `toRow` takes them. */
const ROW_COLUMNS = 'number, status, message_id, code, reason, attempts, variables, refs, send_code, send_reason, updated_at';

interface RecipientRecord {
  number: string;
  status: RecipientStatus;
  message_id: string | null;
  code: string | null;
  reason: string | null;
  attempts: number;
  variables: string[] | null;
  refs: LedgerRow['refs'] | null;
  send_code: string | null;
  send_reason: string | null;
  updated_at: Date;
}

/** A row of wabulk_recipients as the ledger's row: what the export and the API show, the same as from Redis. */
function toRow(r: RecipientRecord): LedgerRow {
  const row: LedgerRow = { to: r.number, status: r.status, messageId: r.message_id ?? undefined, code: r.code ?? undefined, reason: r.reason ?? undefined, attempts: r.attempts, updatedAt: r.updated_at.getTime() };
  if (r.refs) row.refs = r.refs;
  if (r.variables && r.variables.length > 0) row.vars = r.variables;
  if (r.send_code !== null) row.sendCode = r.send_code;
  if (r.send_reason !== null) row.sendReason = r.send_reason;
  return row;
}

const RANK: Record<string, number> = { pending: 0, failed: 1, cancelled: 1, sent: 2, 'failed-after-send': 3, delivered: 3, read: 4 };
const isDelivered = (s: string) => (s === 'delivered' || s === 'read' ? 1 : 0);

interface CampaignRecord {
  meta: CampaignMeta;
  state: ArchivedCampaign['state'];
  total: string;
  sent: string;
  failed: string;
  cancelled: string;
  delivered: string;
  read: string;
  failed_after_send: string;
  by_code: Record<string, number>;
  failed_after_send_by_code: Record<string, number>;
  started_at: Date | null;
  finished_at: Date;
  archived_at: Date;
}

const positive = (o: Record<string, number>) => byKey(Object.fromEntries(Object.entries(o).filter(([, n]) => Number(n) > 0).map(([k, n]) => [k, Number(n)])));

/** KEYS: meta, state, archived. ARGV: owner, until (ms), now. Locks an archived campaign for a restore. */
const CLAIM_RESTORE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'live' end
if redis.call('EXISTS', KEYS[3]) == 0 then return 'missing' end
local holder = redis.call('HGET', KEYS[2], 'archiving')
if holder and holder ~= ARGV[1] and tonumber(redis.call('HGET', KEYS[2], 'archivingUntil') or '0') > tonumber(ARGV[3]) then return 'busy' end
redis.call('HSET', KEYS[2], 'archiving', ARGV[1], 'archivingUntil', ARGV[2])
return 'claimed'
`;

/** KEYS: meta, state, archived. ARGV: owner, meta JSON. The restored campaign becomes live: its meta back, its marker and lock gone. */
const FINISH_RESTORE = `
if redis.call('HGET', KEYS[2], 'archiving') ~= ARGV[1] then return 'lost' end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3])
return 'ok'
`;

/**
 * KEYS: meta, state, recipients, counts. ARGV: now (ms). A restore registered in index:{restoring}
 * whose lease ran out (its process died): the partial ledger goes and the claim is released, so the
 * campaign is plainly archived again ('undone'). 'live': the restore finished; 'busy': a restore
 * holds a lease still running (answers its end); 'none': nothing was left.
 */
const UNDO_STALE_RESTORE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {'live'} end
local holder = redis.call('HGET', KEYS[2], 'archiving')
local untilMs = tonumber(redis.call('HGET', KEYS[2], 'archivingUntil') or '0')
if holder and untilMs > tonumber(ARGV[1]) then return {'busy', tostring(untilMs)} end
local left = redis.call('EXISTS', KEYS[3]) + redis.call('EXISTS', KEYS[4])
if not holder and left == 0 then return {'none'} end
redis.call('UNLINK', KEYS[3], KEYS[4])
redis.call('HDEL', KEYS[2], 'archiving', 'archivingUntil')
return {'undone'}
`;

/**
 * KEYS: state, a hash of the campaign (its ledger or its counters). ARGV: owner, until (ms), then
 * field/value pairs. Writes them and renews the lease only while the restore's claim is this owner's.
 */
const RESTORE_WRITE = `
if redis.call('HGET', KEYS[1], 'archiving') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'archivingUntil', ARGV[2])
for i = 3, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 1
`;

interface RestoreCommands {
  wabulkRestoreWrite(state: string, hash: string, owner: string, until: string, ...pairs: string[]): Promise<number>;
  wabulkUndoStaleRestore(meta: string, state: string, recipients: string, counts: string, now: string): Promise<string[]>;
  wabulkDropRestoreEntry(restoring: string, campaignId: string, now: string): Promise<number>;
  wabulkAbandonRestore(state: string, recipients: string, counts: string, owner: string): Promise<number>;
  wabulkClaimRestore(meta: string, state: string, archived: string, owner: string, until: string, now: string): Promise<string>;
  wabulkFinishRestore(meta: string, state: string, archived: string, owner: string, metaJson: string): Promise<string>;
}

/**
 * The archive in PostgreSQL: what the queue package reads an archived campaign from (CampaignArchive),
 * and the pool the archiver writes with. Every method turns a connection failure into
 * ArchiveUnavailableError (503), and checks the schema once before its first query.
 */
export class PgArchive implements CampaignArchive {
  readonly pool: pg.Pool;
  /** The server, without the password: for logs and errors. */
  readonly where: string;
  #schema: Promise<number> | undefined;

  constructor(options: ArchiveConnectionOptions | { pool: pg.Pool; url?: string }) {
    this.pool = 'pool' in options ? options.pool : createArchivePool(options);
    this.where = options.url ? describeArchiveUrl(options.url) : 'the configured server';
  }

  /** Checks (once, again after a failure) that the database has this build's schema. */
  async ready(): Promise<void> {
    this.#schema ??= assertSchema(this.pool).catch((err: unknown) => {
      this.#schema = undefined;
      throw err;
    });
    try {
      await this.#schema;
    } catch (err) {
      // Not migrated, or newer than this build: the archive cannot answer here (503), and says why.
      if (err instanceof SchemaMismatchError) throw new ArchiveUnavailableError(`the campaign archive (PostgreSQL at ${this.where}) cannot be used: ${err.message}`);
      unavailable(err, this.where);
    }
  }

  /**
   * The server answers now (the schema check is done once; this is not cached): a round trip, so
   * a PostgreSQL that went away after the first check is seen before anything is claimed.
   */
  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** A query after the schema check; connection failures become ArchiveUnavailableError. */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    await this.ready();
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      unavailable(err, this.where);
    }
  }

  /** A transaction on one connection (BEGIN … COMMIT, ROLLBACK on error). */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      unavailable(err, this.where);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      unavailable(err, this.where);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async campaign(campaignId: string): Promise<ArchivedCampaign | undefined> {
    const r = await this.query<CampaignRecord>('SELECT meta, state, total, sent, failed, cancelled, delivered, read, failed_after_send, by_code, failed_after_send_by_code, started_at, finished_at, archived_at FROM wabulk_campaigns WHERE id = $1', [campaignId]);
    const c = r.rows[0];
    if (!c) return undefined;
    const n = (v: string) => Number(v);
    const { meta, failureReasons } = splitStoredMeta(c.meta);
    const byCode = positive(c.by_code);
    return {
      meta,
      state: c.state,
      figures: {
        total: n(c.total),
        sent: n(c.sent),
        failed: n(c.failed),
        cancelled: n(c.cancelled),
        delivered: n(c.delivered),
        read: n(c.read),
        failedAfterSend: n(c.failed_after_send),
        byCode,
        failedAfterSendByCode: positive(c.failed_after_send_by_code),
        // A late send can move a code's last failure away (recordLateSend): only codes still failing keep their reason.
        failureReasons: byKey(Object.fromEntries(Object.entries(failureReasons).filter(([code]) => byCode[code] !== undefined))),
        startedAt: c.started_at === null ? null : c.started_at.getTime(),
      },
      finishedAt: c.finished_at.getTime(),
      archivedAt: c.archived_at.getTime(),
    };
  }

  /** Keyset pages by number: flat memory, whatever the campaign's size. */
  async *rows(campaignId: string, options: { status?: RecipientStatus } = {}): AsyncGenerator<LedgerRow> {
    for await (const batch of this.#batches(campaignId, options.status)) yield* batch;
  }

  async page(campaignId: string, options: { cursor?: string; limit: number; status?: RecipientStatus }): Promise<{ cursor: string; rows: LedgerRow[] }> {
    const after = options.cursor === undefined || options.cursor === '0' ? '' : `+${options.cursor}`;
    const page = await this.#after(campaignId, after, options.limit, options.status);
    const last = page.at(-1)?.number;
    return { cursor: page.length === options.limit && last !== undefined ? last.replace(/^\+/, '') : '0', rows: page.map(toRow) };
  }

  async #after(campaignId: string, after: string, limit: number, status?: RecipientStatus): Promise<RecipientRecord[]> {
    const r =
      status === undefined
        ? await this.query<RecipientRecord>(`SELECT ${ROW_COLUMNS} FROM wabulk_recipients WHERE campaign_id = $1 AND number > $2 ORDER BY number LIMIT $3`, [campaignId, after, limit])
        : await this.query<RecipientRecord>(`SELECT ${ROW_COLUMNS} FROM wabulk_recipients WHERE campaign_id = $1 AND number > $2 AND status = $4 ORDER BY number LIMIT $3`, [campaignId, after, limit, status]);
    return r.rows;
  }

  async lookupMessageId(messageId: string): Promise<{ campaignId: string; to: string } | undefined> {
    const r = await this.query<{ campaign_id: string; number: string }>('SELECT campaign_id, number FROM wabulk_recipients WHERE message_id = $1 LIMIT 1', [messageId]);
    const row = r.rows[0];
    return row ? { campaignId: row.campaign_id, to: row.number } : undefined;
  }

  /**
   * The ledger's DELIVER on an archived row, with the campaign's counters in the same transaction:
   * only forward (sent < delivered = failed-after-send < read), never a row without a message_id.
   */
  async deliver(campaignId: string, to: string, update: DeliveryUpdate): Promise<{ status: RecipientStatus | 'missing'; changed: boolean }> {
    return this.transaction(async (client) => {
      const found = await client.query<{ status: RecipientStatus; message_id: string | null; code: string | null }>('SELECT status, message_id, code FROM wabulk_recipients WHERE campaign_id = $1 AND number = $2 FOR UPDATE', [campaignId, to]);
      const old = found.rows[0];
      if (!old) return { status: 'missing' as const, changed: false };
      const next = update.status;
      if (old.message_id === null || RANK[next]! <= (RANK[old.status] ?? 0)) return { status: old.status, changed: false };
      const at = new Date(update.at);
      // Kaleyra's text, not intake's: made storable (a NUL or a lone surrogate would fail the statement every time).
      const dc = update.code ? storable(update.code) : 'FAILED';
      const dr = update.reason ? storable(update.reason.slice(0, 500)) : null;
      if (next === 'failed-after-send') {
        // The send's own code and reason move aside; the row shows the delivery failure (reason: the send's when the callback has none).
        await client.query('UPDATE wabulk_recipients SET status = $3, send_code = code, send_reason = reason, code = $4, reason = coalesce($5, reason), updated_at = $6 WHERE campaign_id = $1 AND number = $2', [campaignId, to, next, dc, dr, at]);
      } else {
        const back = old.status === 'failed-after-send';
        await client.query(
          `UPDATE wabulk_recipients SET status = $3, updated_at = $4,
             delivered_at = coalesce(delivered_at, $4), read_at = CASE WHEN $3 = 'read' THEN $4 ELSE read_at END
             ${back ? ', code = send_code, reason = send_reason, send_code = NULL, send_reason = NULL' : ''}
           WHERE campaign_id = $1 AND number = $2`,
          [campaignId, to, next, at],
        );
      }
      const fas = (next === 'failed-after-send' ? 1 : 0) - (old.status === 'failed-after-send' ? 1 : 0);
      const fasCode = next === 'failed-after-send' ? dc : old.status === 'failed-after-send' ? (old.code ?? 'FAILED') : null;
      await client.query(
        `UPDATE wabulk_campaigns SET delivered = delivered + $2, read = read + $3, failed_after_send = failed_after_send + $4,
           failed_after_send_by_code = CASE WHEN $5::text IS NULL THEN failed_after_send_by_code
             ELSE jsonb_set(failed_after_send_by_code, ARRAY[$5::text], to_jsonb(coalesce((failed_after_send_by_code ->> $5::text)::bigint, 0) + $4)) END
         WHERE id = $1`,
        [campaignId, isDelivered(next) - isDelivered(old.status), (next === 'read' ? 1 : 0) - (old.status === 'read' ? 1 : 0), fas, fasCode],
      );
      return { status: next, changed: true };
    });
  }

  async recordLateSend(campaignId: string, to: string, sent: { messageId: string; code?: string; attempts?: number; at: number }): Promise<RecipientStatus | 'missing'> {
    return this.transaction(async (client) => {
      const found = await client.query<{ status: RecipientStatus; code: string | null }>('SELECT status, code FROM wabulk_recipients WHERE campaign_id = $1 AND number = $2 FOR UPDATE', [campaignId, to]);
      const old = found.rows[0];
      if (!old) return 'missing' as const;
      // RECORD's rule: only a failed or cancelled recipient becomes sent (a sent one keeps its first message_id).
      if (old.status !== 'failed' && old.status !== 'cancelled') return old.status;
      await client.query('UPDATE wabulk_recipients SET status = $3, message_id = $4, code = $5, reason = NULL, attempts = $6, updated_at = $7 WHERE campaign_id = $1 AND number = $2', [
        campaignId,
        to,
        'sent',
        sent.messageId,
        sent.code ?? null,
        sent.attempts ?? 0,
        new Date(sent.at),
      ]);
      const failedCode = old.status === 'failed' ? (old.code ?? null) : null;
      await client.query(
        `UPDATE wabulk_campaigns SET sent = sent + 1, failed = failed - $2, cancelled = cancelled - $3,
           by_code = CASE WHEN $4::text IS NULL THEN by_code ELSE jsonb_set(by_code, ARRAY[$4::text], to_jsonb(coalesce((by_code ->> $4::text)::bigint, 0) - 1)) END
         WHERE id = $1`,
        [campaignId, old.status === 'failed' ? 1 : 0, old.status === 'cancelled' ? 1 : 0, failedCode],
      );
      return 'sent' as const;
    });
  }

  /**
   * Brings an archived campaign back into Redis for a retry: every recipient (a retry is a new run
   * of the whole campaign; the ledger is its record again until it is archived again), its counters
   * and its meta last (the meta's presence is what makes it live). Locked like an archive run; a
   * crash before the meta leaves the marker, so reads stay on the archive and a re-run starts over.
   */
  async restore(ctx: QueueContext, campaignId: string, options: { owner?: string; leaseMs?: number } = {}): Promise<boolean> {
    const k = campaignKeys(ctx.base, campaignId);
    const redis = restoreScripts(ctx);
    const owner = options.owner ?? `restore-${process.pid}-${Date.now()}`;
    const leaseMs = options.leaseMs ?? RESTORE_LEASE_MS;
    const restoring = indexKeys(ctx.base).restoring;
    // Registered before the claim (a restore that dies at any point after it is found there:
    // recoverStaleRestores); an entry whose campaign holds no claim is dropped by that sweep.
    await ctx.redis.zadd(restoring, 'GT', Date.now() + leaseMs, campaignId);
    const claimed = await redis.wabulkClaimRestore(k.meta, k.state, k.archived, owner, String(Date.now() + leaseMs), String(Date.now()));
    if (claimed === 'live') return true;
    if (claimed === 'missing') return false;
    if (claimed === 'busy') throw new CampaignConflictError(`campaign ${campaignId} is being archived or restored by another process; try again in a minute`);
    try {
      // The row is read under the lock, like everything up to the swap (a failure releases it).
      const c = await this.query<{ meta: CampaignMeta; generation: number; started_at: Date | null; finished_at: Date }>('SELECT meta, generation, started_at, finished_at FROM wabulk_campaigns WHERE id = $1', [campaignId]);
      const row = c.rows[0];
      if (!row) throw new ArchiveUnavailableError(`campaign ${campaignId} is marked archived in Redis but the archive has no record of it (was PostgreSQL restored from an older backup?)`);
      // Leftovers of a restore that crashed: start over.
      await ctx.redis.del(k.recipients, k.counts);
      // Every write checks the claim in the same script and renews its lease (a 1M campaign takes
      // longer than one lease): a restore that stalled past it (undone meanwhile, maybe restored by
      // another process since) writes nothing more.
      const write = async (key: string, pairs: string[]) => {
        const until = Date.now() + leaseMs;
        if ((await redis.wabulkRestoreWrite(k.state, key, owner, String(until), ...pairs)) !== 1) throw new Error(`campaignId: campaign ${campaignId}: the restore lost its lock (another process took over after ${leaseMs} ms)`);
        await ctx.redis.zadd(restoring, 'GT', until, campaignId);
      };
      for await (const batch of this.#batches(campaignId)) {
        const args: string[] = [];
        for (const r of batch) args.push(r.to, packRow(r));
        await write(k.recipients, args);
      }
      const { meta, failureReasons } = splitStoredMeta(row.meta);
      const counts: Record<string, string | number> = { total: 0, pending: 0, generation: row.generation, finishedAt: row.finished_at.getTime() };
      if (row.started_at !== null) counts['startedAt'] = row.started_at.getTime();
      for (const [code, reason] of Object.entries(failureReasons)) counts[`reason:${code}`] = reason;
      const groups = await this.query<{ status: string; code: string | null; n: string }>('SELECT status, code, count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1 GROUP BY status, code', [campaignId]);
      for (const g of groups.rows) {
        const n = Number(g.n);
        counts['total'] = Number(counts['total']) + n;
        counts[g.status] = Number(counts[g.status] ?? 0) + n;
        if (g.status === 'failed' && g.code !== null) counts[`code:${g.code}`] = n;
        if (g.status === 'failed-after-send') counts[`fas:${g.code ?? 'FAILED'}`] = n;
      }
      await write(k.counts, Object.entries(counts).flatMap(([f, v]) => [f, String(v)]));
      const done = await redis.wabulkFinishRestore(k.meta, k.state, k.archived, owner, JSON.stringify(meta));
      if (done !== 'ok') throw new Error(`campaignId: campaign ${campaignId}: the restore lost its lock (another process took over after ${leaseMs} ms)`);
    } catch (err) {
      // Nothing half-restored stays: the partial ledger goes, the lock is released, and the
      // callbacks that waited meanwhile go where the campaign still is (the archive).
      // Only while the claim is still ours: a restore that lost it (its lease ran out and another took
      // over) must not wipe the ledger the other one is writing.
      await redis.wabulkAbandonRestore(k.state, k.recipients, k.counts, owner).catch(() => {});
      await drainDeferred(ctx, campaignId).catch(() => {});
      await ctx.redis.zrem(restoring, campaignId).catch(() => {});
      throw err;
    }
    await ctx.redis.zrem(restoring, campaignId);
    // Live again. Callbacks that came while the restore held the campaign waited beside it: the ledger takes them now.
    await drainDeferred(ctx, campaignId);
    // The archive's copy is no longer the record (Redis is, until the campaign is archived again).
    await this.query("UPDATE wabulk_campaigns SET state = 'restored' WHERE id = $1", [campaignId]);
    return true;
  }

  /** The campaign's rows (of one status, when given), a keyset page of ROW_BATCH at a time, ordered by number. */
  async *#batches(campaignId: string, status?: RecipientStatus): AsyncGenerator<LedgerRow[]> {
    let after = '';
    for (;;) {
      const page = await this.#after(campaignId, after, ROW_BATCH, status);
      if (page.length > 0) yield page.map(toRow);
      if (page.length < ROW_BATCH) return;
      after = page.at(-1)!.number;
    }
  }

}

/** How long a restore's claim lasts without a renewal (renewed every batch of rows). */
export const RESTORE_LEASE_MS = 10 * 60_000;

const restoreScripts = (ctx: QueueContext) =>
  withScripts<RestoreCommands>(ctx.redis, {
    wabulkClaimRestore: { numberOfKeys: 3, lua: CLAIM_RESTORE },
    wabulkFinishRestore: { numberOfKeys: 3, lua: FINISH_RESTORE },
    wabulkAbandonRestore: {
      numberOfKeys: 3,
      lua: "if redis.call('HGET', KEYS[1], 'archiving') ~= ARGV[1] then return 0 end redis.call('UNLINK', KEYS[2], KEYS[3]) redis.call('HDEL', KEYS[1], 'archiving', 'archivingUntil') return 1",
    },
    wabulkRestoreWrite: { numberOfKeys: 2, lua: RESTORE_WRITE },
    wabulkUndoStaleRestore: { numberOfKeys: 4, lua: UNDO_STALE_RESTORE },
    wabulkDropRestoreEntry: { numberOfKeys: 1, lua: "if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '1e300') <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0" },
  });

/**
 * Undoes the restores whose process died (retry-failed of an archived campaign killed mid-way):
 * without this the campaign kept its claim, its partial ledger stayed in Redis, and its delivery
 * callbacks waited beside it for good. Each restore registered in index:{restoring} whose lease
 * ran out: the partial ledger goes, the claim is released and the callbacks that waited are
 * applied to the archive (where the campaign still is). Run by every archive pass; returns the
 * campaigns undone.
 */
export async function recoverStaleRestores(ctx: QueueContext, now = Date.now()): Promise<{ undone: string[]; failed: Array<{ campaignId: string; error: Error }> }> {
  const restoring = indexKeys(ctx.base).restoring;
  const due = await ctx.redis.zrangebyscore(restoring, '-inf', String(now), 'LIMIT', 0, 100);
  const undone: string[] = [];
  const failed: Array<{ campaignId: string; error: Error }> = [];
  for (const id of due) {
    // One campaign's failure (a waiting callback PostgreSQL refuses) is its own: the others go on.
    try {
      if (await undoStaleRestore(ctx, id, now)) undone.push(id);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      failed.push({ campaignId: id, error: err as Error });
    }
  }
  return { undone, failed };
}

/** recoverStaleRestores for one campaign of index:{restoring}: true when it undid a dead restore. */
async function undoStaleRestore(ctx: QueueContext, id: string, now: number): Promise<boolean> {
  const restoring = indexKeys(ctx.base).restoring;
  const redis = restoreScripts(ctx);
  const k = campaignKeys(ctx.base, id);
  const [outcome, until] = await redis.wabulkUndoStaleRestore(k.meta, k.state, k.recipients, k.counts, String(now));
  if (outcome === 'busy') {
    await ctx.redis.zadd(restoring, 'GT', Number(until), id);
    return false;
  }
  // 'undone' or 'none': callbacks that waited beside the claim go to the archive (a drain that
  // failed keeps the entry: the next pass drains again).
  if (outcome !== 'live') await drainDeferred(ctx, id);
  // This entry only, and only as seen: a restore that registered again meanwhile pushed its score past now.
  await redis.wabulkDropRestoreEntry(restoring, id, String(now));
  return outcome === 'undone';
}
