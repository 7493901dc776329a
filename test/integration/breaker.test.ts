import { createQueueContext, createRedis, getBreakerRun, pauseAccount, recordBreakerOutcome, resumeAccount, waitForReady, accountKeys, BREAKER_RUN_TTL_MS, type QueueContext } from '@wabulk/queue';
import type { Redis } from 'ioredis';
import { createLogger } from '@wabulk/telemetry';
import { BREAKER_RECHECK_MS, createBreaker } from '@wabulk/worker';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// The breaker's window script (packages/queue/src/breaker.ts) against a real Redis: one call per
// ended send; a success deletes the run, a failure extends the run of its code or starts a new one.
let redis: Redis;
let ctx: QueueContext;
let base: string;

beforeEach(async () => {
  base = uniqueBase('breaker');
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});
afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

const fail = (code: string) => ({ failedWith: code });

test('a run of the same code counts up; another code starts a new run of 1; a success resets', async () => {
  expect(await recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'))).toBe(1);
  expect(await recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'))).toBe(2);
  expect(await recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'))).toBe(3);
  expect(await getBreakerRun(ctx, 'acme')).toEqual({ code: 'HTTP_404', count: 3 });
  expect(await recordBreakerOutcome(ctx, 'acme', fail('WA999'))).toBe(1);
  expect(await recordBreakerOutcome(ctx, 'acme', fail('WA999'))).toBe(2);
  expect(await recordBreakerOutcome(ctx, 'acme', 'success')).toBe(0);
  expect(await getBreakerRun(ctx, 'acme')).toBeNull();
  expect(await recordBreakerOutcome(ctx, 'acme', fail('WA999'))).toBe(1);
  // A success with no run is harmless.
  expect(await recordBreakerOutcome(ctx, 'acme', 'success')).toBe(0);
  expect(await recordBreakerOutcome(ctx, 'acme', 'success')).toBe(0);
});

test('accounts have separate runs, in their own hash slot, with a TTL', async () => {
  await recordBreakerOutcome(ctx, 'acme', fail('X'));
  await recordBreakerOutcome(ctx, 'acme', fail('X'));
  expect(await recordBreakerOutcome(ctx, 'beta', fail('X'))).toBe(1);
  const key = accountKeys(base, 'acme').breaker;
  expect(key.startsWith(`{${base}-acme}:`)).toBe(true);
  const ttl = await redis.pttl(key);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(BREAKER_RUN_TTL_MS);
});

test('concurrent calls (several workers) are counted exactly once each, in Redis order', async () => {
  const results = await Promise.all(Array.from({ length: 50 }, () => recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'))));
  expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
});

test('a resume clears the run: it counts afresh', async () => {
  for (let i = 0; i < 5; i++) await recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'));
  await pauseAccount(ctx, 'acme', 'BREAKER:HTTP_404', { message: 'x' });
  await resumeAccount(ctx, 'acme');
  expect(await getBreakerRun(ctx, 'acme')).toBeNull();
  expect(await recordBreakerOutcome(ctx, 'acme', fail('HTTP_404'))).toBe(1);
});

test('a failure needs a code', async () => {
  await expect(recordBreakerOutcome(ctx, 'acme', fail(''))).rejects.toThrow(RangeError);
});

// The worker's side (apps/worker/src/send-processor.ts createBreaker): successes cost no Redis call
// while this process believes no failure run exists; the belief is re-checked once a second.
describe('createBreaker: the hot path', () => {
  const log = () => createLogger({ level: 'silent', destination: process.stderr });

  test('successes call Redis only when a run may exist, or once per BREAKER_RECHECK_MS', async () => {
    let clock = 1_000_000;
    const evals = jest.spyOn(redis, 'eval'); // counts the calls; Redis still runs every one
    const breaker = createBreaker({ account: 'acme', ctx, breakerThreshold: 3 }, () => clock);
    await breaker.ended(log); // the first success of a process checks: a run may have been left
    expect(evals).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i++) await breaker.ended(log);
    expect(evals).toHaveBeenCalledTimes(1);
    expect(await breaker.failed('HTTP_404', log)).toBe(1);
    expect(await breaker.failed('HTTP_404', log)).toBe(2);
    expect(evals).toHaveBeenCalledTimes(3);
    await breaker.ended(log); // the first success after failures resets the run
    expect(evals).toHaveBeenCalledTimes(4);
    expect(await getBreakerRun(ctx, 'acme')).toBeNull();
    await breaker.ended(log);
    expect(evals).toHaveBeenCalledTimes(4);
    // Another process's run is not visible here until the belief is re-checked.
    await recordBreakerOutcome(ctx, 'acme', fail('WA999'));
    expect(evals).toHaveBeenCalledTimes(5);
    clock += BREAKER_RECHECK_MS;
    await breaker.ended(log);
    expect(evals).toHaveBeenCalledTimes(6);
    expect(await getBreakerRun(ctx, 'acme')).toBeNull();
    evals.mockRestore();
  });

  test('threshold 0 turns the breaker off: no Redis call at all', async () => {
    const evals = jest.spyOn(redis, 'eval');
    const breaker = createBreaker({ account: 'acme', ctx, breakerThreshold: 0 });
    await breaker.ended(log);
    expect(await breaker.failed('HTTP_404', log)).toBe(0);
    expect(evals).not.toHaveBeenCalled();
    evals.mockRestore();
  });
});
