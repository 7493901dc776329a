import { setTimeout as delay } from 'node:timers/promises';
import { removeSortedJobs, sweepWaitList } from './campaign-jobs.js';
import { getCampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { sendJobData } from './job.js';
import { unpackRefs, type RecipientRefs } from './ledger.js';
import { allocatePriorities, jobOptions, priorityOf } from './priority.js';
import { assertCampaignId, campaignKeys, jobIdFor } from './keys.js';

/**
 * An operator's control of one campaign, kept in Redis beside its meta (`…:{<id>}:state`, a hash
 * `{state, at}`), so it outlives every process. No hash = running.
 *   running ──pause──► paused ──resume──► running
 *   running | paused ──cancel──► cancelled (final; cancel again = the same sweep, idempotent)
 * The worker reads the state of every job's campaign just before sending (one HGET): paused → the
 * job completes without sending and the recipient stays pending; cancelled → it is recorded
 * cancelled. Pause and cancel also remove the campaign's queued jobs in batches, so a stopped
 * campaign does not use its account's rate limit (BullMQ's limiter counts every job it hands out).
 */
export type CampaignControlState = 'running' | 'paused' | 'cancelled';

/** Recipients per HSCAN page, ledger script and batch of job removals. */
const BATCH = 1000;
/** Idle time after each batch, as a share of the time the batch took (see forEachPendingBatch). */
const SWEEP_IDLE_SHARE = 1;

export async function getCampaignControlState(ctx: QueueContext, campaignId: string): Promise<CampaignControlState> {
  const state = await ctx.redis.hget(campaignKeys(ctx.base, campaignId).state, 'state');
  return state === 'paused' || state === 'cancelled' ? state : 'running';
}

/**
 * A cancelled campaign stays cancelled, and only a paused one can be resumed. Returns the state
 * after and 1 when this call changed it.
 */
const SET_STATE = `
local cur = redis.call('HGET', KEYS[1], 'state') or 'running'
if cur == 'cancelled' or cur == ARGV[1] or (ARGV[1] == 'running' and cur ~= 'paused') then return {cur, 0} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'at', ARGV[2])
return {ARGV[1], 1}
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

/**
 * Stops a campaign: no new send starts once this returns (requests already in flight finish and
 * are recorded). Its queued jobs are removed; its recipients stay pending, for `resumeCampaign`.
 * Undefined when there is no such campaign. Pausing a cancelled campaign changes nothing.
 */
export async function pauseCampaign(ctx: QueueContext, campaignId: string): Promise<ControlResult | undefined> {
  const meta = await getCampaignMeta(ctx, assertCampaignId(campaignId));
  if (!meta) return undefined;
  // Paused again: the sweep runs again (harmless, and it catches jobs added since).
  const { state } = await setState(ctx, campaignId, 'paused');
  if (state !== 'paused') return { campaignId, state, jobs: 0 };
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  let jobs = await sweepWaitList(ctx.redis, queue, campaignId);
  await forEachPendingBatch(ctx, campaignId, async (numbers) => {
    jobs += await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, numbers, top));
  });
  return { campaignId, state, jobs };
}

/**
 * Restarts a paused campaign (a running or cancelled one is left as it is). While it is still
 * paused, any of its jobs still queued (added by a re-run import, say) are removed; then the state
 * becomes running and each pending recipient gets one job, under a new generation of job ids (the
 * ids of jobs a worker completed unsent while the campaign was paused stay taken for an hour).
 */
export async function resumeCampaign(ctx: QueueContext, campaignId: string): Promise<ControlResult | undefined> {
  const meta = await getCampaignMeta(ctx, assertCampaignId(campaignId));
  if (!meta) return undefined;
  const current = await getCampaignControlState(ctx, campaignId);
  if (current !== 'paused') return { campaignId, state: current, jobs: 0 };
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  await sweepWaitList(ctx.redis, queue, campaignId);
  await forEachPendingBatch(ctx, campaignId, async (numbers) => {
    await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, numbers, top));
  });
  const { state, changed } = await setState(ctx, campaignId, 'running');
  if (!changed) return { campaignId, state, jobs: 0 };
  const generation = await ctx.ledger.nextGeneration(campaignId);
  let jobs = 0;
  await forEachPendingBatch(ctx, campaignId, async (numbers, refs) => {
    // The campaign's own priority class, continuing its fair-share rounds (from the class's head at the latest).
    const priorities = await allocatePriorities(ctx.redis, queue, ctx.base, meta.account, campaignId, priorityOf(meta), numbers.length);
    // Each recipient's own refs, from its ledger entry (the paused jobs that carried them are gone).
    await queue.addBulk(numbers.map((to, i) => ({ name: 'send', data: sendJobData(campaignId, to, refs[i]), opts: jobOptions(jobIdFor(campaignId, to, generation), priorities?.[i]) })));
    jobs += numbers.length;
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
  const queue = ctx.queues.get(meta.account);
  const top = await topGeneration(ctx, campaignId);
  let jobs = 0;
  let cancelled = 0;
  await forEachPendingBatch(ctx, campaignId, async (numbers) => {
    cancelled += await ctx.ledger.cancelPending(campaignId, numbers);
    jobs += await removeSortedJobs(ctx.redis, queue, idsOf(campaignId, numbers, top));
  });
  jobs += await sweepWaitList(ctx.redis, queue, campaignId);
  return { campaignId, state: 'cancelled', jobs, cancelled };
}

/**
 * HSCAN over the ledger, `fn` on the pending recipients of each page (one page in flight), with
 * each one's own refs (`refs[i]` for `numbers[i]`; undefined when it has none).
 */
async function forEachPendingBatch(ctx: QueueContext, campaignId: string, fn: (numbers: string[], refs: Array<RecipientRefs | undefined>) => Promise<void>): Promise<void> {
  const key = campaignKeys(ctx.base, campaignId).recipients;
  let cursor = '0';
  do {
    const started = performance.now();
    const [next, flat] = await ctx.redis.hscan(key, cursor, 'COUNT', BATCH);
    cursor = next;
    const pending: string[] = [];
    const refs: Array<RecipientRefs | undefined> = [];
    // A substring test avoids parsing each entry: inside a JSON string value the quotes are escaped,
    // so `"s":"pending"` can only be the status field (whatever the key order Lua's cjson wrote; the
    // refs object x has no key s). Only an entry with refs (`"x":`) is parsed, for them.
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const raw = flat[i + 1]!;
      if (!raw.includes('"s":"pending"')) continue;
      pending.push(flat[i]!);
      refs.push(raw.includes('"x":') ? unpackRefs((JSON.parse(raw) as { x?: unknown }).x) : undefined);
    }
    if (pending.length > 0) await fn(pending, refs);
    // Paced: as long idle as busy, so a sweep of millions leaves Redis (and this host's CPU) to the
    // account's other campaigns half the time. The state is written before the sweep starts, so
    // pacing delays only the bookkeeping, never the stop.
    await delay((performance.now() - started) * SWEEP_IDLE_SHARE);
  } while (cursor !== '0');
}

/** The generations of job ids the campaign has used: 0 (the import) and one per retry-failed / resume. */
async function topGeneration(ctx: QueueContext, campaignId: string): Promise<number> {
  return Number((await ctx.redis.hget(campaignKeys(ctx.base, campaignId).counts, 'generation')) ?? 0);
}

const idsOf = (campaignId: string, numbers: readonly string[], top: number) => numbers.flatMap((to) => Array.from({ length: top + 1 }, (_, g) => jobIdFor(campaignId, to, g)));
