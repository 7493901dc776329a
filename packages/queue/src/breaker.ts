import type { QueueContext } from './context.js';
import { accountKeys } from './keys.js';

/**
 * The breaker's window, one per account, kept in Redis so that every worker process on every host
 * shares it: a hash `{<base>-<account>}:breaker` {code, count} holding the current run of sends
 * that ended failed with the same unlisted code (an answer Kaleyra's page does not list: a 400 with
 * a new code, a 404 from a wrong base URL). In the account's slot, beside its state.
 *
 * One script call per recorded outcome, atomic, so runs are counted in the order Redis sees them:
 *   success (or any other ended send)  → the run is deleted, returns 0
 *   failure with code C, same as the run → count + 1, returns it
 *   failure with another code (or none) → a new run of 1, returns 1
 * The run expires after BREAKER_RUN_TTL_MS without a failure (hygiene: a run left by a campaign that
 * ended does not sit in Redis for ever). A resume deletes it (resumeAccount).
 */
const RECORD = `
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1])
  return 0
end
local n = 1
if redis.call('HGET', KEYS[1], 'code') == ARGV[1] then
  n = redis.call('HINCRBY', KEYS[1], 'count', 1)
else
  redis.call('HSET', KEYS[1], 'code', ARGV[1], 'count', 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n
`;

/** A run with no new failure for this long (7 days) is forgotten. */
export const BREAKER_RUN_TTL_MS = 7 * 24 * 3600 * 1000;

/** Default WABULK_BREAKER_THRESHOLD: this many sends in a row ending with the same unlisted code pause the account. */
export const DEFAULT_BREAKER_THRESHOLD = 20;

export type BreakerOutcome = 'success' | { failedWith: string };

/**
 * Records one ended send in the account's breaker window; returns the length of the current run
 * of same-code failures (0 after a success). Empty codes are refused (they would read as success).
 */
export async function recordBreakerOutcome(ctx: QueueContext, account: string, outcome: BreakerOutcome): Promise<number> {
  const code = outcome === 'success' ? '' : outcome.failedWith;
  if (outcome !== 'success' && code === '') throw new RangeError('recordBreakerOutcome: a failure needs a code');
  const n = await ctx.redis.eval(RECORD, 1, accountKeys(ctx.base, account).breaker, code, String(BREAKER_RUN_TTL_MS));
  return Number(n);
}

/** The current run (for status and tests): null when there is none. */
export async function getBreakerRun(ctx: QueueContext, account: string): Promise<{ code: string; count: number } | null> {
  const run = await ctx.redis.hgetall(accountKeys(ctx.base, account).breaker);
  return run.code === undefined ? null : { code: run.code, count: Number(run.count ?? 0) };
}
