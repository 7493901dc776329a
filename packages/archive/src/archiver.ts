import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import { campaignFigures, campaignKeys, indexKeys, messageKeys, withScripts, type CampaignMeta, type LedgerRow, type QueueContext } from '@wabulk/queue';
import { leaveArchiveQueue } from './archive-queue.js';
import { RELEASE_CLAIM, RENEW_CLAIM } from './claim.js';
import { storedMeta } from './stored-meta.js';
import { drainDeferred } from './deferred.js';
import type { PgArchive } from './pg-archive.js';
import { ROW_BATCH } from './pg-archive.js';

/**
 * Moving a finished campaign from Redis to PostgreSQL, safely on every worker at once:
 *  1. claim (one Lua script): the campaign must be done or cancelled with nothing pending, finished
 *     at least `afterMs` ago; the claim is a lease in its control state (`archiving`, `archivingUntil`),
 *     which also freezes it: an intake to it is refused, a retry-failed waits, a delivery callback
 *     waits in `…:deferred`;
 *  2. copy: HSCAN batches → COPY into wabulk_archive_staging, each batch committed with the cursor it
 *     reached (wabulk_archive_runs), so a re-run after a crash continues where it stopped;
 *  3. one transaction moves the staged rows into wabulk_recipients (DISTINCT ON + ON CONFLICT: no
 *     duplicate, whatever ran before), writes the campaign row, checks the row count against the
 *     ledger's, and clears the staging;
 *  4. one Lua script, only if the lease is still ours and the ledger did not change since the claim
 *     (its write counter `w`): deletes the meta, ledger, counters and state, and writes the marker
 *     `…:archived` — so at every instant the campaign is whole in Redis, in the archive, or both;
 *  5. the deferred callbacks are applied (to the archive), the campaign leaves the archive's queue
 *     (and its retries, archive-queue.ts).
 */

export type ArchiveOutcome =
  | { result: 'archived'; rows: number; ms: number; resumedAt?: number }
  /** Not finished for long enough yet (dueAt: when it will be). */
  | { result: 'early'; dueAt: number }
  /** Still pending, scheduled, or changed while it was being copied: it stays in Redis. */
  | { result: 'live' }
  | { result: 'changed' }
  /** Another process holds the claim (or held it and died: it lapses at `until`, ms since the epoch). */
  | { result: 'busy'; until: number }
  /** Already archived (its leftovers were finished), no such campaign, or a single message (those expire by themselves). */
  | { result: 'already' }
  | { result: 'missing' }
  | { result: 'single' };

export interface ArchiveOptions {
  /** How long after it finished a campaign is archived (WABULK_ARCHIVE_AFTER), ms. */
  afterMs: number;
  /** Archive now, whatever `afterMs` says (`wabulk archive --campaign ID`). */
  force?: boolean;
  /** Who holds the claim (default: this process). */
  owner?: string;
  /** The claim's lease, renewed every batch (default 60 s). */
  leaseMs?: number;
  /** Entries per HSCAN/COPY batch (default 5000). */
  batch?: number;
  /** How long after its last intake (or its creation) a campaign counts as finished at the earliest (default 60 s; tests shorten it). */
  quietMs?: number;
  /** After each committed batch: entries staged so far, of `total`. */
  onProgress?: (copied: number, total: number) => void;
  /**
   * As each step of a claimed run begins (for timing: the benchmark splits a run with it):
   * 'copy' after the claim, 'move' at the final transaction, 'release' at the Redis side (step 4-5).
   */
  onPhase?: (phase: 'copy' | 'move' | 'release') => void;
  now?: () => number;
}

const CLAIM = `
if redis.call('EXISTS', KEYS[4]) == 1 then return {'archived'} end
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing'} end
local ok, meta = pcall(cjson.decode, raw)
if ok and type(meta) == 'table' and meta.ttl then return {'single'} end
local state = redis.call('HGET', KEYS[3], 'state') or 'running'
if state == 'scheduled' then return {'live'} end
if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') > 0 then return {'live'} end
local now = tonumber(ARGV[1])
local finished = tonumber(redis.call('HGET', KEYS[2], 'finishedAt') or '0')
if finished == 0 then finished = tonumber(redis.call('HGET', KEYS[3], 'at') or '0') end
if finished == 0 then
  finished = now
  redis.call('HSET', KEYS[2], 'finishedAt', tostring(now))
end
if ARGV[5] ~= '1' and finished + tonumber(ARGV[2]) > now then return {'early', tostring(finished), tostring(finished + tonumber(ARGV[2]))} end
-- Recipients added (or the campaign created) less than a quiet minute ago: an import may be between
-- two chunks with nothing pending. Not finished yet, even for archive --campaign.
local quiet = math.max(tonumber(redis.call('HGET', KEYS[2], 'intakeAt') or '0'), (ok and type(meta) == 'table' and tonumber(meta.createdAt)) or 0)
if quiet + tonumber(ARGV[6]) > now then return {'early', tostring(finished), tostring(quiet + tonumber(ARGV[6]))} end
local holder = redis.call('HGET', KEYS[3], 'archiving')
local heldUntil = tonumber(redis.call('HGET', KEYS[3], 'archivingUntil') or '0')
if holder and holder ~= ARGV[3] and heldUntil > now then return {'busy', tostring(heldUntil)} end
redis.call('HSET', KEYS[3], 'archiving', ARGV[3], 'archivingUntil', tostring(now + tonumber(ARGV[4])))
return {'claimed', tostring(finished), redis.call('HGET', KEYS[2], 'w') or '0', tostring(redis.call('HLEN', KEYS[5])), state}
`;


/** KEYS: meta, recipients, counts, state, archived. ARGV: owner, writes at the claim, marker JSON. */
const FINISH = `
if redis.call('HGET', KEYS[4], 'archiving') ~= ARGV[1] then return 'lost' end
if (redis.call('HGET', KEYS[3], 'w') or '0') ~= ARGV[2] then
  redis.call('HDEL', KEYS[4], 'archiving', 'archivingUntil')
  return 'changed'
end
-- UNLINK: a ledger of a million entries takes Redis ~1 s to free; DEL would stop every client that long.
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[5], ARGV[3])
return 'ok'
`;

interface ArchiverCommands {
  wabulkArchiveClaim(meta: string, counts: string, state: string, archived: string, recipients: string, now: string, after: string, owner: string, lease: string, force: string, quiet: string): Promise<string[]>;
  wabulkArchiveRenew(state: string, owner: string, until: string): Promise<number>;
  wabulkArchiveFinish(meta: string, recipients: string, counts: string, state: string, archived: string, owner: string, writes: string, marker: string): Promise<string>;
  wabulkArchiveRelease(state: string, owner: string): Promise<number>;
}

const SCRIPTS = {
  wabulkArchiveClaim: { numberOfKeys: 5, lua: CLAIM },
  wabulkArchiveRenew: { numberOfKeys: 1, lua: RENEW_CLAIM },
  wabulkArchiveFinish: { numberOfKeys: 5, lua: FINISH },
  wabulkArchiveRelease: { numberOfKeys: 1, lua: RELEASE_CLAIM },
};

/**
 * A campaign with nothing pending may be an import between two chunks (the producer registers and
 * queues 1,000 at a time; a fast worker can drain one before the next arrives): it counts as finished
 * only this long after its last intake, even for `archive --campaign`.
 */
export const INTAKE_QUIET_MS = 60_000;

/** Entries per HSCAN call (a COPY batch takes several): short commands, so senders do not queue behind them. */
const SCAN_COUNT = 1000;
/** Message-id index keys per UNLINK, and UNLINKs in flight, when an archived campaign's index leaves Redis. */
const UNLINK_KEYS = 100;
const UNLINKS_IN_FLIGHT = 8;

const STAGING_COLUMNS = 'campaign_id, number, status, message_id, code, reason, attempts, variables, refs, send_code, send_reason, updated_at';

/** CSV for COPY: every value quoted (an unquoted empty field is NULL); NUL is the one character PostgreSQL text cannot hold. */
const q = (v: string) => `"${v.replace(/\0/g, '\uFFFD').replace(/"/g, '""')}"`;
const opt = (v: string | undefined) => (v === undefined ? '' : q(v));
const jsonCell = (v: unknown) => (v === undefined ? '' : q(JSON.stringify(v)));

function csvLine(campaignId: string, r: LedgerRow): string {
  return `${[q(campaignId), q(r.to), q(r.status), opt(r.messageId), opt(r.code), opt(r.reason), String(r.attempts ?? 0), jsonCell(r.vars), jsonCell(r.refs), opt(r.sendCode), opt(r.sendReason), q(new Date(r.updatedAt).toISOString())].join(',')}\n`;
}

/** Lines are sent in pieces of about this many characters: one CopyData message (and socket write) per line cost more than PostgreSQL's COPY itself. */
const COPY_CHUNK = 64 * 1024;

async function copyBatch(client: pg.PoolClient, campaignId: string, rows: readonly LedgerRow[]): Promise<void> {
  const sink = client.query(copyFrom(`COPY wabulk_archive_staging (${STAGING_COLUMNS}) FROM STDIN WITH (FORMAT csv)`)) as unknown as Writable;
  await pipeline(
    (function* () {
      let chunk = '';
      for (const r of rows) {
        chunk += csvLine(campaignId, r);
        if (chunk.length >= COPY_CHUNK) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk !== '') yield chunk;
    })(),
    sink,
  );
}

/** The staged rows do not add up to the ledger's entries: nothing leaves Redis, and the run starts over. */
export class ArchiveCountMismatchError extends Error {
  override readonly name = 'ArchiveCountMismatchError';
}

/** The lease was taken over (this process stalled past it): the run stops; its staged batches stay for the next. */
export class ArchiveClaimLostError extends Error {
  override readonly name = 'ArchiveClaimLostError';
}

/** Archives one campaign (see the steps above). Resumes a run a crash interrupted. */
export async function archiveCampaign(ctx: QueueContext, archive: PgArchive, campaignId: string, options: ArchiveOptions): Promise<ArchiveOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const redis = withScripts<ArchiverCommands>(ctx.redis, SCRIPTS);
  const k = campaignKeys(ctx.base, campaignId);
  const finishedKey = indexKeys(ctx.base).finished;
  const owner = options.owner ?? `${process.pid}-${started}`;
  const leaseMs = options.leaseMs ?? 60_000;
  const batch = options.batch ?? ROW_BATCH;
  // The archive must answer before anything is claimed (a PostgreSQL that is down claims nothing):
  // a round trip, not ready() alone, whose schema check passes once and is not repeated.
  await archive.ping();
  const claim = await redis.wabulkArchiveClaim(k.meta, k.counts, k.state, k.archived, k.recipients, String(started), String(options.afterMs), owner, String(leaseMs), options.force ? '1' : '0', String(options.quietMs ?? INTAKE_QUIET_MS));
  const [result] = claim;
  if (result === 'archived') {
    // A run that stopped after the swap: finish its last steps.
    await drainDeferred(ctx, campaignId);
    await dropMessageIndex(ctx, archive, campaignId);
    await leaveArchiveQueue(ctx, campaignId);
    return { result: 'already' };
  }
  if (result === 'missing' || result === 'single' || result === 'live') {
    await leaveArchiveQueue(ctx, campaignId);
    return { result };
  }
  if (result === 'early') {
    const dueAt = Number(claim[2]);
    await ctx.redis.zadd(finishedKey, Number(claim[1]), campaignId);
    return { result: 'early', dueAt };
  }
  if (result === 'busy') return { result: 'busy', until: Number(claim[1]) };
  const finishedAt = Number(claim[1]);
  const writes = claim[2]!;
  const entries = Number(claim[3]);
  const control = claim[4]!;
  try {
    options.onPhase?.('copy');
    const metaRaw = await ctx.redis.get(k.meta);
    if (metaRaw === null) return { result: 'missing' };
    const meta = JSON.parse(metaRaw) as CampaignMeta;
    const figures = campaignFigures(await ctx.ledger.counts(campaignId));
    // The first result's time; a campaign recorded before the ledger kept it, that sent or failed anything: its start (as rows were written before).
    const startedAt = figures.startedAt ?? (figures.sent + figures.failed > 0 ? (meta.startsAt ?? meta.createdAt) : null);
    const generation = Number((await ctx.redis.hget(k.counts, 'generation')) ?? 0);

    // 2. Copy, continuing a run of this same state of the campaign.
    const run = await archive.query<{ cursor: string; copied: string; writes: string; entries: string }>('SELECT cursor, copied, writes, entries FROM wabulk_archive_runs WHERE campaign_id = $1', [campaignId]);
    let cursor = '0';
    let copied = 0;
    let resumedAt: number | undefined;
    const prior = run.rows[0];
    if (prior && prior.writes === writes && Number(prior.entries) === entries) {
      cursor = prior.cursor;
      copied = Number(prior.copied);
      resumedAt = copied;
      // The run is ours now: a stalled earlier owner can no longer commit a batch to it.
      await archive.query('UPDATE wabulk_archive_runs SET owner = $2, updated_at = now() WHERE campaign_id = $1', [campaignId, owner]);
    } else {
      await archive.transaction(async (client) => {
        await client.query('DELETE FROM wabulk_archive_staging WHERE campaign_id = $1', [campaignId]);
        await client.query(
          'INSERT INTO wabulk_archive_runs (campaign_id, cursor, writes, entries, owner) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (campaign_id) DO UPDATE SET cursor = $2, writes = $3, entries = $4, owner = $5, copied = 0, started_at = now(), updated_at = now()',
          [campaignId, '0', writes, entries, owner],
        );
      });
    }
    options.onProgress?.(copied, entries);
    while (cursor !== 'end') {
      // A batch is several short HSCANs (SCAN_COUNT entries each): one HSCAN of 5,000 entries held
      // Redis for 7–10 ms, and every sender's command queued behind it.
      const step: LedgerRow[] = [];
      let next = cursor;
      do {
        const part = await ctx.ledger.scan(campaignId, next, Math.min(SCAN_COUNT, batch));
        step.push(...part.rows);
        next = part.cursor === '0' ? 'end' : part.cursor;
      } while (next !== 'end' && step.length < batch);
      await archive.transaction(async (client) => {
        // The run's row first, fenced by owner (and locked): a batch of a process that lost its claim is rolled back.
        const moved = await client.query('UPDATE wabulk_archive_runs SET cursor = $2, copied = copied + $3, updated_at = now() WHERE campaign_id = $1 AND owner = $4', [campaignId, next, step.length, owner]);
        if (moved.rowCount !== 1) throw new ArchiveClaimLostError(`campaign ${campaignId}: another process took the archive run over`);
        if (step.length > 0) await copyBatch(client, campaignId, step);
      });
      cursor = next;
      copied += step.length;
      if ((await redis.wabulkArchiveRenew(k.state, owner, String(now() + leaseMs))) !== 1) throw new ArchiveClaimLostError(`campaign ${campaignId}: the archive claim was taken over after ${leaseMs} ms`);
      options.onProgress?.(copied, entries);
    }

    // 3. One transaction: the campaign row, every staged row (once), the count check.
    options.onPhase?.('move');
    const state = control === 'cancelled' ? 'cancelled' : 'done';
    // The lease is renewed while the transaction runs (at 1M recipients it takes longer than a batch).
    const renewal = setInterval(() => void redis.wabulkArchiveRenew(k.state, owner, String(now() + leaseMs)).catch(() => {}), Math.max(1000, leaseMs / 3));
    const rows = await archive.transaction(async (client) => {
      const ours = await client.query('SELECT 1 FROM wabulk_archive_runs WHERE campaign_id = $1 AND owner = $2 FOR UPDATE', [campaignId, owner]);
      if (ours.rowCount !== 1) throw new ArchiveClaimLostError(`campaign ${campaignId}: another process took the archive run over`);
      // No statement timeout for the bulk move (reads keep the pool's).
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query(
        `INSERT INTO wabulk_campaigns (id, account, template, priority, state, total, sent, failed, cancelled, delivered, read, failed_after_send, by_code, failed_after_send_by_code, meta, generation, created_at, started_at, finished_at, archived_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, now())
         ON CONFLICT (id) DO UPDATE SET account = $2, template = $3, priority = $4, state = $5, total = $6, sent = $7, failed = $8, cancelled = $9, delivered = $10, read = $11,
           failed_after_send = $12, by_code = $13, failed_after_send_by_code = $14, meta = $15, generation = $16, created_at = $17, started_at = $18, finished_at = $19, archived_at = now()`,
        [
          campaignId,
          meta.account,
          meta.body,
          meta.priority ?? 'high',
          state,
          figures.total,
          figures.sent,
          figures.failed,
          figures.cancelled,
          figures.delivered,
          figures.read,
          figures.failedAfterSend,
          JSON.stringify(figures.byCode),
          JSON.stringify(figures.failedAfterSendByCode),
          storedMeta(meta, figures.failureReasons),
          generation,
          new Date(meta.createdAt),
          startedAt === null ? null : new Date(startedAt),
          new Date(finishedAt),
        ],
      );
      // delivered_at / read_at: the ledger keeps one time per entry (its last change), so a row archived
      // delivered or read gets that time; callbacks after archiving set them exactly.
      await client.query(
        `INSERT INTO wabulk_recipients (campaign_id, number, status, message_id, code, reason, attempts, variables, refs, send_code, send_reason, updated_at, delivered_at, read_at)
         SELECT DISTINCT ON (number) campaign_id, number, status, message_id, code, reason, attempts, variables, refs, send_code, send_reason, updated_at,
           CASE WHEN status IN ('delivered', 'read') THEN updated_at END, CASE WHEN status = 'read' THEN updated_at END
         FROM wabulk_archive_staging WHERE campaign_id = $1 ORDER BY number, updated_at DESC
         ON CONFLICT (campaign_id, number) DO UPDATE SET status = EXCLUDED.status, message_id = EXCLUDED.message_id, code = EXCLUDED.code, reason = EXCLUDED.reason,
           attempts = EXCLUDED.attempts, variables = EXCLUDED.variables, refs = EXCLUDED.refs, send_code = EXCLUDED.send_code, send_reason = EXCLUDED.send_reason,
           updated_at = EXCLUDED.updated_at, delivered_at = coalesce(wabulk_recipients.delivered_at, EXCLUDED.delivered_at), read_at = coalesce(wabulk_recipients.read_at, EXCLUDED.read_at)`,
        [campaignId],
      );
      const n = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1', [campaignId])).rows[0]!.n);
      if (n !== entries) throw new ArchiveCountMismatchError(`campaign ${campaignId}: the archive would hold ${n} recipients, the ledger ${entries}; nothing was removed from Redis, the run starts over next time`);
      await client.query('DELETE FROM wabulk_archive_staging WHERE campaign_id = $1', [campaignId]);
      await client.query('DELETE FROM wabulk_archive_runs WHERE campaign_id = $1', [campaignId]);
      return n;
    })
      .catch(async (err: unknown) => {
        // A staging that does not add up (it cannot, unless something wrote to it outside a claim) is dropped: the next run starts over.
        if (err instanceof ArchiveCountMismatchError) {
          await archive.transaction(async (client) => {
            await client.query('DELETE FROM wabulk_archive_staging WHERE campaign_id = $1', [campaignId]);
            await client.query('DELETE FROM wabulk_archive_runs WHERE campaign_id = $1', [campaignId]);
          });
        }
        throw err;
      })
      .finally(() => clearInterval(renewal));

    // 4. Redis lets the campaign go, only if nothing changed since the claim.
    options.onPhase?.('release');
    const marker = JSON.stringify({ account: meta.account, archivedAt: now() });
    const done = await redis.wabulkArchiveFinish(k.meta, k.recipients, k.counts, k.state, k.archived, owner, writes, marker);
    if (done === 'lost') throw new ArchiveClaimLostError(`campaign ${campaignId}: the archive claim was taken over before the campaign left Redis`);
    if (done === 'changed') {
      // Redis is the record again (it will be archived again when it finishes): the copy is marked so.
      await archive.query("UPDATE wabulk_campaigns SET state = 'restored' WHERE id = $1", [campaignId]);
      await drainDeferred(ctx, campaignId);
      return { result: 'changed' };
    }
    // 5. The callbacks that waited, the message-id index (PostgreSQL's answers now), then out of the queue.
    await drainDeferred(ctx, campaignId);
    await dropMessageIndex(ctx, archive, campaignId);
    await leaveArchiveQueue(ctx, campaignId);
    return resumedAt === undefined ? { result: 'archived', rows, ms: now() - started } : { result: 'archived', rows, ms: now() - started, resumedAt };
  } catch (err) {
    await redis.wabulkArchiveRelease(k.state, owner).catch(() => {});
    await drainDeferred(ctx, campaignId).catch(() => {});
    throw err;
  }
}

/**
 * Removes the Redis message-id index entries of an archived campaign (about 190 bytes per sent
 * recipient, otherwise kept 30 days): a callback for one of its messages finds the recipient through
 * PostgreSQL's message_id index instead (applyDeliveryCallback asks the archive when Redis does not
 * know the id). Only after the swap: until then the entries lead callbacks to the ledger. A crash
 * half-way leaves entries that expire as before. Returns how many were removed.
 */
export async function dropMessageIndex(ctx: QueueContext, archive: PgArchive, campaignId: string, batch = ROW_BATCH): Promise<number> {
  let after = '';
  let removed = 0;
  for (;;) {
    const page = await archive.query<{ number: string; message_id: string }>(
      'SELECT number, message_id FROM wabulk_recipients WHERE campaign_id = $1 AND number > $2 AND message_id IS NOT NULL ORDER BY number LIMIT $3',
      [campaignId, after, batch],
    );
    const keys = page.rows.map((r) => messageKeys(ctx.base, r.message_id).index);
    // Each id has its own slot on a cluster: one UNLINK per key there. Otherwise UNLINKs of 100 keys
    // (about 1.6 ms of Redis each; 500 held it for 8 ms), a few in flight at once.
    const parts: string[][] = [];
    for (let i = 0; i < keys.length; i += UNLINK_KEYS) parts.push(keys.slice(i, i + UNLINK_KEYS));
    for (let i = 0; i < parts.length; i += UNLINKS_IN_FLIGHT) {
      const counts = await Promise.all(
        parts.slice(i, i + UNLINKS_IN_FLIGHT).map(async (part) => (ctx.redis.isCluster ? (await Promise.all(part.map((key) => ctx.redis.unlink(key)))).reduce((a, b) => a + b, 0) : ctx.redis.unlink(...part))),
      );
      removed += counts.reduce((a, b) => a + b, 0);
    }
    if (page.rows.length < batch) return removed;
    after = page.rows.at(-1)!.number;
  }
}
