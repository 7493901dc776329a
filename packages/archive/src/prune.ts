import { campaignKeys, indexKeys, locateCampaign, MESSAGE_INDEX_TTL_SECONDS, withScripts, type CampaignMeta, type QueueContext } from '@wabulk/queue';
import { leaveArchiveQueue } from './archive-queue.js';
import { dropMessageIndex } from './archiver.js';
import type { PgArchive } from './pg-archive.js';
import { ROW_BATCH } from './pg-archive.js';

/**
 * Retention of the archive (`wabulk archive prune`): archived campaigns that finished before a
 * cutoff leave PostgreSQL and Redis for good. A raw DELETE in PostgreSQL is not enough: an archived
 * campaign keeps its marker `…:archived` in Redis and its entry in the campaign list, and reads take
 * "marker, but no row" for an archive restored from an older backup (503, deliberately).
 *
 * Per batch of campaigns (oldest first):
 *  1. Redis, per campaign, one script in the campaign's slot: a campaign whose meta is there is live
 *     (restored, or its id in use again) and is left alone; one an archive run or a restore holds
 *     (an unexpired claim) is left for the next run; otherwise its marker, control-state leftovers,
 *     deferred callbacks and a dead restore's partial ledger go. Then its entries in the campaign
 *     list, the archive's queue, the schedule and the restore registry, and message-id index entries
 *     that may still name it (they expire after 30 days).
 *  2. PostgreSQL: its recipients in chunks (short transactions), then the campaign rows.
 * Then it looks for markers without a row among the campaigns created before the cutoff (rows deleted
 * by hand): named, and removed with `orphanedMarkers` (they then read as not found).
 * A crash between the two leaves rows without a marker: reads answer "no such campaign" (404, exit 3),
 * never 503, and a re-run deletes them. Running it again is safe: what is gone is not selected again.
 * Only rows in state done or cancelled are selected: `restored` ones are live in Redis again.
 */

/** The prune will not do what it was asked, and says why (the CLI: exit 1 with the message). */
export class PruneRefusedError extends Error {
  override readonly name = 'PruneRefusedError';
}

export interface PruneOptions {
  /** Campaigns that finished before this time (ms since the epoch) are pruned. */
  cutoff: number;
  /** Campaigns per batch (default 100). */
  batch?: number;
  /** Count and list only: nothing is deleted. */
  dryRun?: boolean;
  /** Also remove the markers without a row (PruneResult.orphanedMarkers); never in a dry run. */
  orphanedMarkers?: boolean;
  /** Ids kept in the result (default 1000). */
  keepIds?: number;
  /** After each batch: campaigns and recipients pruned (or found, in a dry run) so far. */
  onProgress?: (campaigns: number, recipients: number) => void;
  now?: () => number;
}

export type PruneSkip = { campaignId: string; reason: 'live' | 'busy' };

export interface PruneResult {
  /** Campaigns pruned (a dry run: that would be). */
  campaigns: number;
  /** Recipient rows deleted (a dry run: that would be). */
  recipients: number;
  /** The first `keepIds` of them, oldest first. */
  ids: string[];
  /**
   * Markers in Redis of campaigns created before the cutoff whose row the archive does not have (rows
   * deleted by hand; or a PostgreSQL restored from an older backup): every read of them answers 503.
   * Removed (with their list entries) only with `orphanedMarkers`; `ids`: the first `keepIds`.
   */
  orphanedMarkers: { found: number; removed: number; ids: string[] };
  /** How many were left alone (`skipped` lists the first `keepIds`). */
  skippedTotal: number;
  /** Left alone: live in Redis (its meta is there), or held by an archive run or a restore right now (the next run takes it). */
  skipped: PruneSkip[];
}

/**
 * KEYS: meta, state, archived, deferred, deferred lock, recipients, counts. ARGV: now (ms).
 * Without a meta and a live claim, a ledger and counters are what a restore that died left (UNLINK: it may be large).
 */
const RELEASE_ARCHIVED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'live' end
local holder = redis.call('HGET', KEYS[2], 'archiving')
if holder and tonumber(redis.call('HGET', KEYS[2], 'archivingUntil') or '0') > tonumber(ARGV[1]) then return 'busy' end
local marked = redis.call('EXISTS', KEYS[3])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('UNLINK', KEYS[6], KEYS[7])
if marked == 1 then return 'marker' end
return 'absent'
`;

interface PruneCommands {
  wabulkPruneRelease(meta: string, state: string, archived: string, deferred: string, lock: string, recipients: string, counts: string, now: string): Promise<'live' | 'busy' | 'marker' | 'absent'>;
}

interface Candidate {
  id: string;
  /** finished_at as PostgreSQL prints it (microseconds and offset): the keyset cursor, exact. */
  at: string;
  finished: Date;
}

/** Recipient rows deleted per statement (each its own short transaction). */
const DELETE_CHUNK = ROW_BATCH;

export async function pruneArchive(ctx: QueueContext, archive: PgArchive, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? Date.now;
  const batch = options.batch ?? 100;
  const keepIds = options.keepIds ?? 1000;
  const cutoff = new Date(options.cutoff);
  const redis = withScripts<PruneCommands>(ctx.redis, { wabulkPruneRelease: { numberOfKeys: 7, lua: RELEASE_ARCHIVED } });
  const index = indexKeys(ctx.base);
  const release = (k: ReturnType<typeof campaignKeys>) => redis.wabulkPruneRelease(k.meta, k.state, k.archived, k.deferred, `${k.deferred}:lock`, k.recipients, k.counts, String(now()));
  // The indexes that may still name a campaign whose marker is gone (the restore registry too: a restore that died; nothing can claim it again now).
  const unindex = async (ids: string[]) => {
    // Not the schedule: its entry of a campaign that is gone is dropped when it comes due, and an id
    // taken again between the release and this line may have a schedule entry of its own.
    for (const key of [index.campaigns, index.restoring]) await ctx.redis.zrem(key, ...ids);
    await leaveArchiveQueue(ctx, ...ids);
  };
  const out: PruneResult = { campaigns: 0, recipients: 0, ids: [], orphanedMarkers: { found: 0, removed: 0, ids: [] }, skipped: [], skippedTotal: 0 };
  const skip = (s: PruneSkip) => {
    out.skippedTotal++;
    if (out.skipped.length < keepIds) out.skipped.push(s);
  };
  // The archive answers (and has this build's schema) before anything in Redis is touched.
  await archive.ping();
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const page = await archive.query<Candidate>(
      `SELECT id, finished_at::text AS at, finished_at AS finished FROM wabulk_campaigns
       WHERE state IN ('done', 'cancelled') AND finished_at < $1 AND (finished_at, id) > ($2::timestamptz, $3)
       ORDER BY finished_at, id LIMIT $4`,
      [cutoff, after?.at ?? '-infinity', after?.id ?? '', batch],
    );
    if (page.rows.length === 0) break;
    after = { at: page.rows.at(-1)!.at, id: page.rows.at(-1)!.id };

    const chosen: Candidate[] = [];
    if (options.dryRun) {
      for (const c of page.rows) {
        const k = campaignKeys(ctx.base, c.id);
        const meta = await ctx.redis.exists(k.meta);
        const [holder, until] = await ctx.redis.hmget(k.state, 'archiving', 'archivingUntil');
        // As the release script decides: live (its meta is back), busy (a claim whose lease runs), else pruned.
        if (meta === 1) skip({ campaignId: c.id, reason: 'live' });
        else if (holder && Number(until ?? 0) > now()) skip({ campaignId: c.id, reason: 'busy' });
        else chosen.push(c);
      }
      if (chosen.length > 0) {
        const n = await archive.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_recipients WHERE campaign_id = ANY($1)', [chosen.map((c) => c.id)]);
        out.recipients += Number(n.rows[0]!.n);
      }
    } else {
      // 1. Redis first: at every instant a campaign has its row, or no marker (never a marker without a row).
      for (const c of page.rows) {
        const k = campaignKeys(ctx.base, c.id);
        const r = await release(k);
        if (r === 'live' || r === 'busy') skip({ campaignId: c.id, reason: r });
        else chosen.push(c);
      }
      if (chosen.length > 0) {
        const ids = chosen.map((c) => c.id);
        await unindex(ids);
        // An id is free once its marker is gone: one taken again in that instant gets its list entry back.
        for (const c of chosen) {
          const meta = await ctx.redis.get(campaignKeys(ctx.base, c.id).meta);
          if (meta !== null) await ctx.redis.zadd(index.campaigns, 'NX', (JSON.parse(meta) as CampaignMeta).createdAt, c.id);
        }
        // Message-id index entries (dropped when it was archived; a crash then leaves some, kept 30 days): read from its rows, so before they go.
        for (const c of chosen) if (c.finished.getTime() > now() - MESSAGE_INDEX_TTL_SECONDS * 1000) await dropMessageIndex(ctx, archive, c.id);

        // 2. PostgreSQL: recipients in chunks, then the campaign rows (their last recipients cascade).
        for (const c of chosen) {
          for (;;) {
            const d = await archive.query(
              'DELETE FROM wabulk_recipients WHERE campaign_id = $1 AND number IN (SELECT number FROM wabulk_recipients WHERE campaign_id = $1 ORDER BY number LIMIT $2)',
              [c.id, DELETE_CHUNK],
            );
            out.recipients += d.rowCount ?? 0;
            if ((d.rowCount ?? 0) < DELETE_CHUNK) break;
          }
        }
        const gone = await archive.query<{ id: string }>("DELETE FROM wabulk_campaigns WHERE id = ANY($1) AND state IN ('done', 'cancelled') AND finished_at < $2 RETURNING id", [ids, cutoff]);
        const deleted = new Set(gone.rows.map((r) => r.id));
        chosen.splice(0, chosen.length, ...chosen.filter((c) => deleted.has(c.id)));
      }
    }
    out.campaigns += chosen.length;
    for (const c of chosen) if (out.ids.length < keepIds) out.ids.push(c.id);
    options.onProgress?.(out.campaigns, out.recipients);
  }

  // Markers whose row is gone (rows deleted by hand, the retention this command replaces): every read
  // of them answers 503. Found among the list's entries created before the cutoff (archived campaigns
  // stay listed); removed only when asked (`orphanedMarkers`): a marker without its row is also what a
  // PostgreSQL restored from an older backup shows, and that 503 is deliberate.
  let offset = 0;
  const removeOrphans = options.orphanedMarkers === true && !options.dryRun;
  // A database that holds no campaign at all is more likely the wrong database (a fresh one, a
  // staging copy) than one whose every row was deleted: removing "orphaned" markers against it would
  // turn every archived campaign into "not found" and free its id. Refused before any is removed.
  if (removeOrphans && !(await archive.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM wabulk_campaigns) AS any')).rows[0]!.any) {
    throw new PruneRefusedError(`--orphaned-markers: the archive database (${archive.where}) holds no campaign at all; is WABULK_ARCHIVE_URL the right database? No marker was removed`);
  }
  for (;;) {
    const listed = await ctx.redis.zrangebyscore(index.campaigns, '-inf', `(${options.cutoff}`, 'LIMIT', offset, batch);
    if (listed.length === 0) return out;
    const marked: string[] = [];
    for (const id of listed) if ((await locateCampaign(ctx, id))?.where === 'archive') marked.push(id);
    const rows = marked.length === 0 ? new Set<string>() : new Set((await archive.query<{ id: string }>('SELECT id FROM wabulk_campaigns WHERE id = ANY($1)', [marked])).rows.map((r) => r.id));
    const orphans: string[] = [];
    for (const id of marked) {
      if (rows.has(id)) continue;
      if (!removeOrphans) orphans.push(id);
      else {
        const k = campaignKeys(ctx.base, id);
        const r = await release(k);
        if (r === 'live' || r === 'busy') skip({ campaignId: id, reason: r });
        else orphans.push(id);
      }
    }
    if (removeOrphans && orphans.length > 0) {
      await unindex(orphans);
    }
    out.orphanedMarkers.found += orphans.length;
    if (removeOrphans) out.orphanedMarkers.removed += orphans.length;
    for (const id of orphans) if (out.orphanedMarkers.ids.length < keepIds) out.orphanedMarkers.ids.push(id);
    // The entries removed were on this page: the next page starts that many earlier.
    offset += listed.length - (removeOrphans ? orphans.length : 0);
  }
}
