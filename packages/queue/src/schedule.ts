import { getCampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { campaignKeys, indexKeys } from './keys.js';
import { forEachPendingBatch } from './pending-batches.js';
import { queueRecipients } from './queue-recipients.js';
import { withScripts } from './scripts.js';

/**
 * Scheduled starts. A campaign imported with a start time ahead (`--at`, the API's `at`) is created
 * in the control state `scheduled` (with its meta, in one script) and put in the schedule, a sorted
 * set campaign → start time. Its recipients are registered in the ledger as pending but get no
 * jobs: nothing of it is in the queue, so nothing can be sent early, and a worker or Redis restart
 * (with AOF) keeps the schedule as it keeps everything else.
 *
 * Every worker process runs `startScheduler`: once a second it claims due campaigns (a claim moves
 * the entry LEASE_MS ahead, so one worker starts each; a worker that dies mid-start leaves it to be
 * claimed again), flips the state to running and queues every pending recipient (as resume does,
 * with job ids of generation 0: a re-run of an interrupted start re-adds nothing that exists, and a
 * recipient already sent is no longer pending), then removes the entry. Its priorities are
 * allocated at the start, so it joins the fair-share rounds being served then.
 * Pause removes a scheduled campaign from the schedule; resume puts it back while the start time is
 * ahead; cancel removes it.
 */

/** How far a claim moves a due entry ahead: the time another worker waits before it re-runs a start that did not finish. */
const LEASE_MS = 60_000;
/** The farthest ahead a start may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 90 * 24 * 3600 * 1000;

const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id) end
return due
`;

/** KEYS[1] = control state. scheduled → running; returns the state before. */
const START = `
local cur = redis.call('HGET', KEYS[1], 'state') or 'running'
if cur == 'scheduled' then redis.call('HSET', KEYS[1], 'state', 'running', 'at', ARGV[1]) end
return cur
`;

interface ScheduleCommands {
  wabulkClaimDue(key: string, now: string, leaseUntil: string, limit: string): Promise<string[]>;
  wabulkStartScheduled(stateKey: string, now: string): Promise<string>;
}
const scripted = (ctx: QueueContext) =>
  withScripts<ScheduleCommands>(ctx.redis, { wabulkClaimDue: { numberOfKeys: 1, lua: CLAIM }, wabulkStartScheduled: { numberOfKeys: 1, lua: START } });

export async function addToSchedule(ctx: QueueContext, campaignId: string, startsAt: number): Promise<void> {
  await ctx.redis.zadd(indexKeys(ctx.base).schedule, 'NX', startsAt, campaignId);
}

export async function removeFromSchedule(ctx: QueueContext, campaignId: string): Promise<void> {
  await ctx.redis.zrem(indexKeys(ctx.base).schedule, campaignId);
}

/**
 * Starts the campaigns whose time has come (at most `limit` per call): returns their ids and how
 * many jobs each got. A campaign that is paused or cancelled meanwhile is only taken off the schedule.
 */
export async function startDueCampaigns(ctx: QueueContext, options: { now?: number; limit?: number } = {}): Promise<Array<{ campaignId: string; jobs: number }>> {
  const now = options.now ?? Date.now();
  const r = scripted(ctx);
  const due = await r.wabulkClaimDue(indexKeys(ctx.base).schedule, String(now), String(now + LEASE_MS), String(options.limit ?? 10));
  const started: Array<{ campaignId: string; jobs: number }> = [];
  for (const campaignId of due) {
    const before = await r.wabulkStartScheduled(campaignKeys(ctx.base, campaignId).state, String(now));
    let jobs = 0;
    // running: a start that was interrupted (or raced by an intake): queue what is still pending, again.
    if (before === 'scheduled' || before === 'running') {
      const meta = await getCampaignMeta(ctx, campaignId);
      if (meta) {
        await forEachPendingBatch(ctx, campaignId, async (recipients) => {
          jobs += (await queueRecipients(ctx, campaignId, meta, recipients, { keepCursor: meta.ttl === undefined })).jobs;
          // A long start keeps its claim (no other worker re-runs it meanwhile).
          await ctx.redis.zadd(indexKeys(ctx.base).schedule, 'XX', Date.now() + LEASE_MS, campaignId);
        });
      }
    }
    await removeFromSchedule(ctx, campaignId);
    started.push({ campaignId, jobs });
  }
  return started;
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Runs startDueCampaigns every `intervalMs` (default 1 s) until stopped; errors are reported, never thrown. */
export function startScheduler(ctx: QueueContext, options: { intervalMs?: number; now?: () => number; onStart?: (campaignId: string, jobs: number) => void; onError?: (err: Error) => void } = {}): Scheduler {
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    if (busy) return; // one start at a time per process: a long one is not run twice
    busy = true;
    running = (async () => {
      try {
        for (const s of await startDueCampaigns(ctx, { now: options.now?.() })) options.onStart?.(s.campaignId, s.jobs);
      } catch (err) {
        options.onError?.(err as Error);
      } finally {
        busy = false;
      }
    })();
  };
  const timer = setInterval(() => {
    if (!stopped) tick();
  }, options.intervalMs ?? 1000);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
