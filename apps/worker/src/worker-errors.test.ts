import { RateLimitError, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { ConfigError } from '@wabulk/config';
import { KaleyraError } from '@wabulk/kaleyra';
import { createLogger, createMetrics } from '@wabulk/telemetry';
import { sendBackoff } from './send-processor.js';
import { startWorker } from './start-worker.js';
import { DEFAULT_WORKER_ERROR_POLICY, describeError, isWorkerError, workerErrorDelay } from './worker-errors.js';

test('worker errors: anything thrown but a Kaleyra answer or BullMQ control flow', () => {
  expect(isWorkerError(new Error('READONLY You can\'t write against a read only replica.'))).toBe(true);
  expect(isWorkerError(new SyntaxError('Unexpected token'))).toBe(true);
  expect(isWorkerError('a string')).toBe(true);
  expect(isWorkerError(new KaleyraError('WA500', 500, 'Please try again later'))).toBe(false);
  for (const control of [new UnrecoverableError('x'), new WaitingError(), new RateLimitError(), Worker.RateLimitError()]) {
    expect(isWorkerError(control)).toBe(false);
  }
});

test('default policy: 5 attempts, 1 s doubling (1, 2, 4, 8 s), never above 30 s', () => {
  expect(DEFAULT_WORKER_ERROR_POLICY).toEqual({ attempts: 5, firstDelayMs: 1000 });
  expect([1, 2, 3, 4].map((n) => workerErrorDelay(DEFAULT_WORKER_ERROR_POLICY, n))).toEqual([1000, 2000, 4000, 8000]);
  expect(workerErrorDelay(DEFAULT_WORKER_ERROR_POLICY, 20)).toBe(30_000);
  expect(workerErrorDelay({ attempts: 3, firstDelayMs: 0 }, 2)).toBe(0);
});

test('describeError masks phone numbers and URL credentials, and is bounded', () => {
  const text = describeError(new TypeError('cannot send to +919876543210 via redis://user:s3cret@10.0.0.1:6379 ' + 'x'.repeat(500)));
  expect(text).toMatch(/^TypeError: cannot send to \+\*{8}3210 via redis:\/\/\*\*\*@10\.0\.0\.1:6379 x+$/);
  expect(text).not.toContain('s3cret');
  expect(text).toHaveLength(200);
  expect(describeError(new Error('plain'))).toBe('plain');
});

test('sendBackoff: worker errors wait the short delay; Kaleyra retries keep their schedule, not counting worker errors', () => {
  const backoff = sendBackoff([300_000, 600_000, 900_000], DEFAULT_WORKER_ERROR_POLICY);
  const wa500 = new KaleyraError('WA500', 500, 'Please try again later');
  // No worker errors: the schedule as before.
  expect([1, 2, 3].map((n) => backoff(n, 'wabulk', wa500, { data: {} }))).toEqual([300_000, 600_000, 900_000]);
  // The third attempt fails with a worker error (the job's count is already 1): a 1 s wait...
  expect(backoff(3, 'wabulk', new Error('boom'), { data: { we: 1 } })).toBe(1000);
  expect(backoff(4, 'wabulk', new Error('boom'), { data: { we: 2 } })).toBe(2000);
  // ...and a WA500 after two worker errors is still Kaleyra's second retry.
  expect(backoff(4, 'wabulk', wa500, { data: { we: 2 } })).toBe(600_000);
});

test('the two budgets together must fit under BullMQ\'s per-job ceiling of attempts: refused before connecting', async () => {
  const options = {
    redisUrl: 'redis://127.0.0.1:1', accounts: [], concurrency: 1, ratePerSecond: 1,
    logger: createLogger({ level: 'silent', destination: process.stderr }), metrics: createMetrics(new Registry(), { defaultMetrics: false }),
  };
  await expect(startWorker({ ...options, retryDelaysMs: Array.from({ length: 46 }, () => 1000), workerErrors: { attempts: 5, firstDelayMs: 1000 } })).rejects.toThrow(ConfigError);
  await expect(startWorker({ ...options, retryDelaysMs: Array.from({ length: 46 }, () => 1000) })).rejects.toThrow(/WABULK_RETRY_DELAYS_MS entries \+ WABULK_WORKER_ERROR_ATTEMPTS must be at most 50/);
});
