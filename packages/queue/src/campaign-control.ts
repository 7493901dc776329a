import { removeSortedJobs, sweepWaitList, type Removed } from './campaign-jobs.js';
import { getCampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { assertCampaignId, campaignKeys, indexKeys, jobIdFor } from './keys.js';
import { forEachPendingBatch } from './pending-batches.js';
import { queueRecipients, WINDOW_COUNTER } from './queue-recipients.js';
import { addToSchedule, removeFromSchedule } from './schedule.js';
import { readCampaignControlState } from './status-read.js';

export { SWEEP_IDLE_SHARE } from './pending-batches.js';

/**
 * An operator's control of one campaign, kept in Redis beside its meta (`…:{<id>}:state`, a hash
 * `{state, at}`), so it outlives every process. No hash = running.
 *   scheduled ──(its start time: schedule.ts)──► running
 *   running | scheduled ──pause──► paused ──resume──► running (or scheduled, while its start time is ahead)
 *   any but cancelled ──cancel──► cancelled (final; cancel again = the same sweep, idempotent)
 * The worker reads the state of every job's campaign just before sending (one HGET): paused (or
 * scheduled) → the job completes without sending and the recipient stays pending; cancelled → it
 * is recorded cancelled. Pause and cancel also remove the campaign's queued jobs in batches, so a
 * stopped campaign does not use its account's rate limit (BullMQ's limiter counts every job it hands out).
 * The intake gives no jobs to a scheduled or paused campaign's new recipients (they are pending in
 * the ledger: the start or the resume queues them).
 */
export type CampaignControlState = 'running' | 'paused' | 'cancelled' | 'scheduled';

/** Read with one HGET (status-read.ts: the light read entry shares it). */
export const getCampaignControlState = readCampaignControlState;

/**
 * A cancelled campaign stays cancelled; only a paused one can be resumed (to running or scheduled);
 * a running or scheduled one can be paused. Returns the state after and 1 when this call changed it.
 */
const SET_STATE = `
local cur = redis.call('HGET', KEYS[1], 'state') or 'running'
local to = ARGV[1]
if cur == 'cancelled' or cur == to then return {cur, 0} end
if (to == 'running' or to == 'scheduled') and cur ~= 'paused' then return {cur, 0} end
redis.call('HSET', KEYS[1], 'state', to, 'at', ARGV[2])
return {to, 1}
`;

async function setState(ctx: QueueContext, campaignId: string, state: CampaignControlState): Promise<{ state: CampaignControlState; changed: boolean }> {
  const [after, changed] = (await ctx.redis.eval(SET_STATE, 1, campaignKeys(ctx.base, campaignId).state, state, String(Date.now()))) as [CampaignControlState, number];
  return { state: after, changed: changed === 1 };
}

export interface ControlResult {
  campaignId: string;
  state: CampaignControlState;
  /** Queued jobs removed (pause, cancel) or added again (resume). */
  jobs: number;
  /** cancel: pending recipients recorded cancelled by this call. */
  cancelled?: number;
}

/** Jobs that waited for their sending window and were removed: the campaign's counter drops with them. */
async function uncount(ctx: QueueContext, campaignId: string, removed: Removed): Promise<number> {
  if (removed.waiting > 0) await ctx.redis.hincrby(campaignKeys(ctx.base, campaignId).counts, WINDOW_COUNTER, -removed.waiting);
  return removed.jobs;
}

/**
 * Stops a campaign: no new send starts once this returns (requests already in flight finish and
 * are recorded). Its queued jobs are removed; its recipients stay pending, for `resumeCampaign`. A
 * scheduled campaign leaves the schedule. Undefined when there is no such campaign. Pausing a
 * cancelled campaign changes nothing.
 */
export async function pauseCampaign(ctx: QueueContext, campaignId: string): Promise<ControlResult | undefined> {
  const meta = await getCampaignMeta(ctx, assertCampaignId(campaignId));
  if (!meta) return undefined;
  // Paused again: the sweep runs again (harmless, and it catches jobs added since).
  const { state } = await setState(ctx, campaignId, 'paused');
  if (state !== 'paused') return { campaignId, state, jobs: 0 };
  await removeFromSchedule(ctx, campaignId);
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  let jobs = await uncount(ctx, campaignId, await sweepWaitList(ctx.redis, queue, campaignId));
  await forEachPendingBatch(ctx, campaignId, async (recipients) => {
    jobs += await uncount(ctx, campaignId, await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, recipients, top)));
  });
  return { campaignId, state, jobs };
}

/**
 * Restarts a paused campaign (a running, scheduled or cancelled one is left as it is). While it is
 * still paused, any of its jobs still queued are removed; then, when its start time is still ahead,
 * it goes back to the schedule; otherwise it becomes running and each pending recipient gets one
 * job, under a new generation of job ids (the ids of jobs a worker completed unsent while the
 * campaign was paused stay taken for an hour).
 */
export async function resumeCampaign(ctx: QueueContext, campaignId: string, now = Date.now()): Promise<ControlResult | undefined> {
  const meta = await getCampaignMeta(ctx, assertCampaignId(campaignId));
  if (!meta) return undefined;
  const current = await getCampaignControlState(ctx, campaignId);
  if (current !== 'paused') return { campaignId, state: current, jobs: 0 };
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  await uncount(ctx, campaignId, await sweepWaitList(ctx.redis, queue, campaignId));
  await forEachPendingBatch(ctx, campaignId, async (recipients) => {
    await uncount(ctx, campaignId, await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, recipients, top)));
  });
  if (meta.startsAt !== undefined && meta.startsAt > now) {
    const { state, changed } = await setState(ctx, campaignId, 'scheduled');
    if (changed) await addToSchedule(ctx, campaignId, meta.startsAt);
    return { campaignId, state, jobs: 0 };
  }
  const { state, changed } = await setState(ctx, campaignId, 'running');
  if (!changed) return { campaignId, state, jobs: 0 };
  const generation = await ctx.ledger.nextGeneration(campaignId);
  let jobs = 0;
  await forEachPendingBatch(ctx, campaignId, async (recipients) => {
    // The campaign's own priority class, continuing its fair-share rounds (from the class's head at
    // the latest), each recipient's own refs and values from its ledger entry (the paused jobs that carried them are gone).
    jobs += (await queueRecipients(ctx, campaignId, meta, recipients, { generation })).jobs;
  });
  return { campaignId, state, jobs };
}

/**
 * Cancels a campaign for good: the state first (a worker that picks one of its jobs from then on
 * records it cancelled instead of sending), then, a batch of pending recipients at a time, the
 * ledger (pending → cancelled, atomically with the counters; never a sent entry) and their queued
 * jobs. Calling it again repeats the sweep (a cancel interrupted half-way is finished by the next).
 */
export async function cancelCampaign(ctx: QueueContext, campaignId: string): Promise<ControlResult | undefined> {
  const meta = await getCampaignMeta(ctx, assertCampaignId(campaignId));
  if (!meta) return undefined;
  await setState(ctx, campaignId, 'cancelled');
  await removeFromSchedule(ctx, campaignId);
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  let jobs = 0;
  let cancelled = 0;
  await forEachPendingBatch(ctx, campaignId, async (recipients) => {
    cancelled += await ctx.ledger.cancelPending(campaignId, recipients.map((r) => r.to));
    jobs += await uncount(ctx, campaignId, await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, recipients, top)));
  });
  jobs += await uncount(ctx, campaignId, await sweepWaitList(ctx.redis, queue, campaignId));
  // Into the archive's queue (it archives a cancelled campaign once nothing of it is pending).
  await ctx.redis.zadd(indexKeys(ctx.base).finished, 'NX', Date.now(), campaignId);
  return { campaignId, state: 'cancelled', jobs, cancelled };
}

/** The generations of job ids the campaign has used: 0 (the import) and one per retry-failed / resume. */
async function topGeneration(ctx: QueueContext, campaignId: string): Promise<number> {
  return Number((await ctx.redis.hget(campaignKeys(ctx.base, campaignId).counts, 'generation')) ?? 0);
}

const idsOf = (campaignId: string, recipients: ReadonlyArray<{ to: string }>, top: number) => recipients.flatMap(({ to }) => Array.from({ length: top + 1 }, (_, g) => jobIdFor(campaignId, to, g)));
