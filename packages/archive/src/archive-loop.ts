import { campaignKeys, classifyRedisError, indexKeys, type QueueContext } from '@wabulk/queue';
import { ARCHIVE_RETRY_FIRST_MS, ARCHIVE_RETRY_MAX_MS, archiveRetries, backOffArchive, dueArchiveRetries, joinArchiveQueue } from './archive-queue.js';
import { archiveCampaign, ArchiveClaimLostError, type ArchiveOutcome } from './archiver.js';
import { recoverStaleRestores, type PgArchive } from './pg-archive.js';
import { isUnavailable } from './pg.js';

/** What the loop reports to (the worker's Prometheus metrics: wabulk_archive_*). Structural: no dependency on telemetry here. */
export interface ArchiveLoopMetrics {
  up: { set(value: number): void };
  campaigns: { inc(labels: { outcome: 'archived' | 'failed' }, value?: number): void };
  rows: { inc(value?: number): void };
  backlog: { set(value: number): void };
  overdue: { set(value: number): void };
  /** Campaigns whose archive failed, waiting for their retry (optional: a caller without the gauge). */
  retrying?: { set(value: number): void };
}

export interface ArchiveLoopLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ArchiveLoopOptions {
  afterMs: number;
  /** ArchiveOptions.quietMs (WABULK_ARCHIVE_QUIET_MS). */
  quietMs?: number;
  /** Between passes (default 15 s; a pass that archived something is followed at once by the next). */
  intervalMs?: number;
  /** How often every listed campaign is checked for one that finished without joining the queue (default 1 h; and at start). */
  sweepEveryMs?: number;
  /** Campaigns per pass at most (default 5), and as many whose retry is due. */
  perPass?: number;
  /** After a campaign's first failure to archive, it is tried again this much later (default 10 min), doubling per failure in a row… */
  retryFirstMs?: number;
  /** …up to this (default 6 h). */
  retryMaxMs?: number;
  metrics?: ArchiveLoopMetrics;
  logger?: ArchiveLoopLogger;
  owner?: string;
}

/**
 * Every worker runs this when WABULK_ARCHIVE_URL is set: takes the campaigns of the archive's queue
 * (`<base>:index:{finished}`) that finished at least WABULK_ARCHIVE_AFTER ago and archives them (one
 * process per campaign: the claim). PostgreSQL down: the pass waits and tries again, counted in
 * wabulk_archive_up and wabulk_archive_campaigns_total{outcome="failed"}; sending never waits for it.
 */
export function startArchiveLoop(ctx: QueueContext, archive: PgArchive, options: ArchiveLoopOptions): { stop(): Promise<void>; pass(): Promise<ArchiveOutcome[]> } {
  const intervalMs = options.intervalMs ?? 15_000;
  const sweepEveryMs = options.sweepEveryMs ?? 3_600_000;
  const perPass = options.perPass ?? 5;
  const key = indexKeys(ctx.base).finished;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let lastSweep = 0;
  let wake: (() => void) | undefined;
  // Every series exists from the start (at 0), so rate() and increase() see the first change.
  options.metrics?.campaigns.inc({ outcome: 'archived' }, 0);
  options.metrics?.campaigns.inc({ outcome: 'failed' }, 0);
  options.metrics?.rows.inc(0);

  // The overdue gauge reads the queue alone: a campaign waiting for its retry is no sign that archiving
  // falls behind (it is counted in `retrying`, in the backlog, and its failures in campaigns{outcome="failed"}).
  const gauges = async () => {
    const due = Date.now() - options.afterMs;
    const [count, oldest, retrying] = await Promise.all([ctx.redis.zcount(key, '-inf', String(due)), ctx.redis.zrange(key, '0', '0', 'WITHSCORES'), archiveRetries(ctx)]);
    options.metrics?.backlog.set(count + retrying);
    options.metrics?.overdue.set(oldest.length === 2 && Number(oldest[1]) < due ? (due - Number(oldest[1])) / 1000 : 0);
    options.metrics?.retrying?.set(retrying);
  };

  /**
   * A failure of the campaign's own (PostgreSQL refused its data, the staging did not add up): it
   * leaves the queue until its retry is due, so the campaigns behind it are archived meanwhile.
   */
  const backOff = async (id: string, err: Error) => {
    const retry = await backOffArchive(ctx, id, { firstMs: options.retryFirstMs ?? ARCHIVE_RETRY_FIRST_MS, maxMs: options.retryMaxMs ?? ARCHIVE_RETRY_MAX_MS }).catch((e: unknown) => {
      options.logger?.warn({ campaignId: id, err: (e as Error).message }, 'archive: could not put the failed campaign back for a later retry; the next pass takes it again');
      return undefined;
    });
    const code = (err as { code?: unknown }).code;
    options.logger?.error(
      { campaignId: id, err: err.message, ...(typeof code === 'string' ? { code } : {}), ...(retry ? { failures: retry.failures, retryAt: new Date(retry.retryAt).toISOString() } : {}) },
      'archiving the campaign failed; it stays in Redis (readable as before) and is tried again at retryAt; the other campaigns are archived meanwhile',
    );
  };

  async function pass(): Promise<ArchiveOutcome[]> {
    const outcomes: ArchiveOutcome[] = [];
    try {
      // A round trip every pass: ready() checks the schema once, so alone it would report a
      // PostgreSQL that went away later as up until a campaign is due (and then flap 1/0 each pass).
      await archive.ping();
      options.metrics?.up.set(1);
      // A retry-failed that died while it brought a campaign back from the archive is undone here.
      const restores = await recoverStaleRestores(ctx);
      if (restores.undone.length > 0) options.logger?.warn({ campaignIds: restores.undone }, 'archive: restores whose process died were undone (partial ledgers removed, claims released, waiting callbacks applied to the archive)');
      for (const f of restores.failed) options.logger?.error({ campaignId: f.campaignId, err: f.error.message }, 'archive: undoing a dead restore failed; the next pass tries again');
      if (Date.now() - lastSweep >= sweepEveryMs) {
        const added = await sweepFinished(ctx);
        lastSweep = Date.now();
        if (added > 0) options.logger?.info({ added }, 'archive: finished campaigns found outside the queue were added to it');
      }
      // The queue's due campaigns, and those whose retry is due (at most perPass of each: neither waits for the other).
      const now = Date.now();
      const [queued, retries] = await Promise.all([ctx.redis.zrangebyscore(key, '-inf', String(now - options.afterMs), 'LIMIT', 0, perPass), dueArchiveRetries(ctx, now, perPass)]);
      const due = [...new Set([...queued, ...retries])];
      for (const id of due) {
        if (stopped) break;
        try {
          const out = await archiveCampaign(ctx, archive, id, { afterMs: options.afterMs, quietMs: options.quietMs, owner: options.owner });
          outcomes.push(out);
          if (out.result === 'archived') {
            options.metrics?.campaigns.inc({ outcome: 'archived' });
            options.metrics?.rows.inc(out.rows);
            options.logger?.info({ campaignId: id, rows: out.rows, ms: out.ms, resumedAt: out.resumedAt }, 'campaign archived to PostgreSQL; its ledger left Redis');
          }
        } catch (err) {
          options.metrics?.campaigns.inc({ outcome: 'failed' });
          // PostgreSQL down: the whole pass waits (no campaign is at fault).
          if (isUnavailable(err)) throw err;
          // Another process took the run over: it is that one's to finish.
          if (err instanceof ArchiveClaimLostError) options.logger?.warn({ campaignId: id, err: err.message }, 'archive: another process took the campaign over');
          // Redis away or refusing (a timeout, a failover): no fault of the campaign's; the next pass tries it again.
          else if (classifyRedisError(err) !== 'other') options.logger?.warn({ campaignId: id, err: (err as Error).message }, 'archive: Redis failed during the campaign\'s archive; the next pass tries it again');
          else await backOff(id, err as Error);
        }
      }
    } catch (err) {
      const down = isUnavailable(err);
      if (down) options.metrics?.up.set(0);
      options.logger?.warn(
        { err: (err as Error).message },
        down ? 'archive: PostgreSQL is unavailable; finished campaigns stay in Redis and archiving tries again (sending is unaffected)' : 'archive pass failed; finished campaigns stay in Redis and the next pass tries again',
      );
    }
    await gauges().catch(() => {});
    return outcomes;
  }

  const loop = async () => {
    while (!stopped) {
      const outcomes = await pass();
      const busy = outcomes.some((o) => o.result === 'archived');
      if (busy || stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    }
  };
  running = loop();

  return {
    pass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await running;
    },
  };
}

/**
 * The backstop for the archive's queue: listed campaigns still in Redis with nothing pending (a
 * worker that died between recording the last recipient and queueing the campaign, or campaigns
 * that finished before this version) join it, at the time they finished (else now). Returns how many joined.
 */
export async function sweepFinished(ctx: QueueContext, batch = 500): Promise<number> {
  const idx = indexKeys(ctx.base);
  let added = 0;
  for (let start = 0; ; start += batch) {
    const ids = await ctx.redis.zrange(idx.campaigns, String(start), String(start + batch - 1));
    if (ids.length === 0) return added;
    // One command per key (a cluster spreads the campaigns over slots: no pipeline across them).
    const facts = await Promise.all(
      ids.map(async (id) => {
        const k = campaignKeys(ctx.base, id);
        const [exists, counts, state] = await Promise.all([ctx.redis.exists(k.meta), ctx.redis.hmget(k.counts, 'pending', 'finishedAt', 'ttl'), ctx.redis.hget(k.state, 'state')]);
        return { id, exists, pending: counts[0], finishedAt: counts[1], ttl: counts[2], state };
      }),
    );
    for (const { id, exists, pending, finishedAt, ttl, state } of facts) {
      if (exists !== 1 || ttl !== null || state === 'scheduled' || Number(pending ?? 0) > 0) continue;
      added += await joinArchiveQueue(ctx, id, Number(finishedAt ?? Date.now()));
    }
  }
}
