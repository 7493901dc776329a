import type { AccountCode } from '@wabulk/kaleyra';
import type { QueueContext } from './context.js';
import { accountKeys } from './keys.js';
import { PRIORITY_RANGES, type Priority } from './priority.js';

/**
 * Why an account stopped: Kaleyra's account-level codes (ACCOUNT_CODES), `HTTP_401`/`HTTP_403` (a
 * 401/403 without an account code), `BREAKER:<code>` (the worker's breaker, breaker.ts), or an operator.
 */
export type PauseReason = AccountCode | 'manual' | (string & {});

export interface AccountState {
  account: string;
  paused: boolean;
  pauseReason: PauseReason | null;
  pauseMessage: string | null;
  pausedAt: number | null;
  resumedAt: number | null;
  counts: Record<string, number>;
}

/**
 * Records the pause unless an operator resumed the account after the request that reports it was
 * started (an in-flight request that began before a top-up must not stop the account again).
 * KEYS[1] = state hash; ARGV = reason, message, now, requestStartedAt. Returns 1 when it paused.
 */
const PAUSE = `
local resumedAt = tonumber(redis.call('HGET', KEYS[1], 'resumedAt') or '0')
if tonumber(ARGV[4]) < resumedAt then return 0 end
if redis.call('HGET', KEYS[1], 'paused') ~= '1' then
  redis.call('HSET', KEYS[1], 'paused', '1', 'reason', ARGV[1], 'message', ARGV[2], 'pausedAt', ARGV[3])
end
return 1
`;

/**
 * Stops every worker on every host from taking the account's jobs (BullMQ's pause is global) and
 * says why. Returns false when a resume that came after `requestStartedAt` makes the pause stale.
 */
export async function pauseAccount(
  ctx: QueueContext,
  account: string,
  reason: PauseReason,
  options: { message?: string; requestStartedAt?: number; now?: number } = {},
): Promise<boolean> {
  const { redis, base, queues } = ctx;
  const now = options.now ?? Date.now();
  const paused = await redis.eval(PAUSE, 1, accountKeys(base, account).state, reason, options.message ?? '', String(now), String(options.requestStartedAt ?? now));
  if (paused !== 1) return false;
  const queue = queues.get(account);
  await queue.pause();
  // A resume may have landed between the decision above and queue.pause(): it cleared the state
  // first, so a cleared state means our pause is stale and must not stick.
  if ((await redis.hget(accountKeys(base, account).state, 'paused')) !== '1') {
    await queue.resume();
    return false;
  }
  return true;
}

/** Clears the pause (and the breaker's run of failures: after a resume it counts afresh), then resumes the queue. */
export async function resumeAccount(ctx: QueueContext, account: string, now = Date.now()): Promise<void> {
  const { redis, base, queues } = ctx;
  const keys = accountKeys(base, account);
  await redis.del(keys.breaker);
  await redis.hset(keys.state, { paused: '0', reason: '', message: '', resumedAt: String(now) });
  await queues.get(account).resume();
}

export async function getAccountState(ctx: QueueContext, account: string): Promise<AccountState> {
  const queue = ctx.queues.get(account);
  const [state, paused, counts] = await Promise.all([
    ctx.redis.hgetall(accountKeys(ctx.base, account).state),
    queue.isPaused(),
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'completed'),
  ]);
  const num = (v: string | undefined) => (v ? Number(v) : null);
  return {
    account,
    paused,
    pauseReason: paused ? (state.reason || 'manual') : null,
    pauseMessage: paused ? (state.message || null) : null,
    pausedAt: paused ? num(state.pausedAt) : null,
    resumedAt: num(state.resumedAt),
    counts,
  };
}

/** Whether the account is paused and why, without its job counts (status-read.ts: plain commands, no BullMQ Queue). */
export { readAccountPause as getAccountPause, type AccountPause } from './status-read.js';

/** Jobs waiting to be sent, by the campaign priority they were queued at. */
export type DepthByPriority = Record<Priority, number>;

const SCORE_UNIT = 2 ** 32;

/**
 * Jobs of the account's queue waiting to be taken, by priority class (priority.ts): `high` is
 * BullMQ's wait list (no priority), `normal` and `low` the ranges of the prioritized sorted set
 * (score = priority · 2^32 + counter). BullMQ's `getCountsPerPriority` counts one exact priority per
 * argument (an LLEN for 0, a ZCOUNT per other priority): a class spans 2^20 priorities, so each
 * class is one ZCOUNT over its score range here. Delayed jobs (scheduled, waiting for a window or a
 * retry) and active ones are not waiting to be sent yet and are not counted.
 */
export async function getDepthByPriority(ctx: QueueContext, account: string): Promise<DepthByPriority> {
  const queue = ctx.queues.get(account);
  const prioritized = queue.toKey('prioritized');
  const range = (p: Exclude<Priority, 'high'>) => [PRIORITY_RANGES[p].lo * SCORE_UNIT, (PRIORITY_RANGES[p].hi + 1) * SCORE_UNIT] as const;
  const [normalLo, normalHi] = range('normal');
  const [lowLo, lowHi] = range('low');
  const [high, normal, low] = await Promise.all([
    ctx.redis.llen(queue.toKey('wait')),
    ctx.redis.zcount(prioritized, normalLo, `(${normalHi}`),
    ctx.redis.zcount(prioritized, lowLo, `(${lowHi}`),
  ]);
  return { high, normal, low };
}
