import { assertAccountedFor, classify, failedTotal } from '../support/fault-ground-truth.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import { ledgerRows } from '../support/proc-ground-truth.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { SIZES, timeout } from './fault-sizes.js';

// Fault scenario 4: Kaleyra answers 500 WA500 to everything for a while, then to 20% of requests at
// random. Retries live in one layer (BullMQ, on WABULK_RETRY_DELAYS_MS): every request the
// simulator saw is one attempt of one job, no job gets more than 1 + retries attempts, a job that
// used them all is failed with WA500 and the reason, and the storm never pushes the request rate
// above the configured limit.

const WORKERS = 3;
const RETRY_DELAYS_MS = [100, 200, 300];
const MAX_ATTEMPTS = 1 + RETRY_DELAYS_MS.length;
const { recipients: N, ratePerSecond } = SIZES.storm;

let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

test(`4. WA500 storm (100%, then 20%): at most ${MAX_ATTEMPTS} attempts per job, requests = attempts, failures carry WA500 and why, rate limit held`, async () => {
  const startedAt = Date.now();
  const s = (stack = await startFaultStack({ sim: { latencyMs: 10 } }));
  s.sim.setFaults({ latencyJitterMs: 10, failRate: 1 });
  const workers = await s.spawnWorkers(WORKERS, { WABULK_RATE_PER_SECOND: String(ratePerSecond), WABULK_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(',') });
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'storm', to, body: 'fault 4: WA500' });

  // The storm: nothing gets through for 2.5 requests per recipient. Retries queue behind the
  // first attempts, so then about half the jobs have used 3 of their 4 attempts and half 2.
  await waitFor(() => s.sim.stats().requests >= N * 2.5, { intervalMs: 5, timeoutMs: timeout(30_000), what: 'the storm to last 2.5 requests per recipient' });
  const storm = s.sim.stats();
  expect(storm.accepted).toBe(0);
  s.sim.setFaults({ failRate: 0.2 });
  await s.waitDone('storm', timeout(60_000));

  const c = await classify(s.ctx, s.sim, 'storm', to);
  assertAccountedFor(c);
  expect(c.duplicated.size).toBe(0);
  expect([...c.failed.keys()]).toEqual(['WA500']);
  expect(failedTotal(c)).toBeGreaterThanOrEqual(1);

  // Bounded attempts, and the failed ones used all of them and say so.
  const rows = await ledgerRows(s.ctx, 'storm');
  for (const row of rows.values()) {
    expect(row.attempts).toBeGreaterThanOrEqual(1);
    expect(row.attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
    if (row.status === 'failed') expect(row).toMatchObject({ code: 'WA500', attempts: MAX_ATTEMPTS, reason: expect.stringContaining(`after ${MAX_ATTEMPTS} attempts`) });
  }
  const jobs = await s.ctx.queues.get('acme').getJobs(['completed', 'failed']);
  expect(jobs).toHaveLength(N);
  expect(Math.max(...jobs.map((j) => j.attemptsMade))).toBeLessThanOrEqual(MAX_ATTEMPTS);
  expect(jobs.filter((j) => j.stalledCounter > 0)).toEqual([]);

  // Every request was one attempt of one job (no retry outside BullMQ, nothing sent twice): the
  // simulator's request count is the ledger's attempts, summed.
  const stats = s.sim.stats();
  const attempts = [...rows.values()].reduce((n, r) => n + (r.attempts ?? 0), 0);
  expect(stats.requests).toBe(attempts);
  expect(stats.requests).toBeLessThanOrEqual(MAX_ATTEMPTS * N);
  expect(stats.accepted).toBe(c.sentOnce);
  expect(stats.rejected).toEqual({ total: stats.requests - stats.accepted, byCode: { WA500: stats.requests - stats.accepted } });
  // The storm's retries went through the limiter too: every send takes a slot, one every
  // (1000 + 20) / rate ms across the processes (admission.ts); requests that reach the simulator late
  // (a busy CPU) can bunch: the bound is the rate plus 100 ms of slots, never a second's burst.
  expect(stats.maxPerSecond).toBeLessThanOrEqual(ratePerSecond + Math.floor(ratePerSecond / 10));

  const sentByAttempts: Record<number, number> = {};
  for (const row of rows.values()) if (row.status === 'sent') sentByAttempts[row.attempts!] = (sentByAttempts[row.attempts!] ?? 0) + 1;
  report(figures('4 WA500 storm', c, s.sim, startedAt, { stormRequests: storm.requests, attempts, maxAttempts: MAX_ATTEMPTS, sentByAttempts, ratePerSecond }));
  const exits = await Promise.all(workers.map((w) => w.kill('SIGTERM', timeout(15_000))));
  expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
}, timeout(120_000));
