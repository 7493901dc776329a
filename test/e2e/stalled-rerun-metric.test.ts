import type { Job } from 'bullmq';
import { getAccountState, resumeAccount, type SendJobData } from '@wabulk/queue';
import type { Metrics } from '@wabulk/telemetry';
import { duplicatesAtSim, ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// wabulk_possible_duplicates_total{reason="stalled-rerun"} counts the re-runs of jobs whose worker
// died mid-send, and nothing else. BullMQ bumps a job's attemptsStarted every time it becomes
// active, also after a 429 hold (Worker.RateLimitError) or an account pause (moveToWait), neither
// of which uses an attempt: those re-runs are not stalls and must not be counted.

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

async function count(metrics: Metrics, reason: string): Promise<number> {
  const { values } = await metrics.possibleDuplicates.get();
  return values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

/** Every job of the queue, once all `n` have completed (the ledger is written just before each completes). */
async function completedJobs(s: Stack, n: number): Promise<Job<SendJobData>[]> {
  return waitFor(async () => {
    const jobs = await s.ctx.queues.get('acme').getJobs(['completed']);
    return jobs.length === n ? jobs : undefined;
  }, { what: `${n} completed jobs` });
}

const STALL_ENV = { WABULK_LOCK_DURATION_MS: '1000', WABULK_STALLED_INTERVAL_MS: '500' };

test('a worker SIGKILLed mid-send: each of its jobs re-run by another worker counts once, a 429 on the re-run adds nothing', async () => {
  const CONCURRENCY = 3;
  // The simulator accepts each request at once and answers it only after a minute: the victim's
  // sends reach Kaleyra, their answers never reach the victim.
  const s = (stack = await startStack({ sim: { latencyMs: 60_000 } }));
  const victim = await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }, { WORKER_CONCURRENCY: String(CONCURRENCY), ...STALL_ENV }));
  const to = numbers(CONCURRENCY);
  await s.producer.enqueueText({ campaignId: 'stall', to, body: 'x' });
  await waitFor(() => s.sim.stats().inFlight === CONCURRENCY, { what: 'the victim to have every send in flight' });
  expect(s.sim.messages()).toHaveLength(CONCURRENCY);
  expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

  // The survivor sees the same Kaleyra answer at once, but only 1 request a second: two of its three
  // re-runs meet a 429, go back to the queue and run a third time. Still one stall each.
  s.sim.setFaults({ latencyMs: 0, rateLimitPerSecond: 1 });
  await s.startWorker({ concurrency: CONCURRENCY, lockDurationMs: 1000, stalledIntervalMs: 500 });
  const done = await s.waitDone('stall', 30_000);
  expect(done).toMatchObject({ total: CONCURRENCY, sent: CONCURRENCY, failed: 0 });

  // Ground truth: the victim's sends and the survivor's re-sends both reached the simulator.
  expect(duplicatesAtSim(s.sim)).toEqual(new Map(to.map((n) => [n, 2])));
  const jobs = await completedJobs(s, CONCURRENCY);
  expect(jobs.map((j) => j.stalledCounter)).toEqual([1, 1, 1]);
  expect(s.sim.stats().rejected.byCode['130429']).toBeGreaterThan(0);
  expect(jobs.some((j) => j.attemptsStarted >= 3)).toBe(true); // a stall, then a 429, then the send

  expect(await count(s.metrics, 'stalled-rerun')).toBe(CONCURRENCY);
  expect(await count(s.metrics, 'ambiguous-timeout')).toBe(0);
  for (const row of (await ledgerRows(s.ctx, 'stall')).values()) expect(row).toMatchObject({ status: 'sent', attempts: 1 });
}, 60_000);

test('429 holds: jobs go back to the queue and start again, and none counts as a stalled re-run', async () => {
  const s = (stack = await startStack({ sim: { rateLimitPerSecond: 5 } }));
  await s.startWorker({ concurrency: 10 });
  await s.producer.enqueueText({ campaignId: 'held', to: numbers(20), body: 'x' });
  expect(await s.waitDone('held', 30_000)).toMatchObject({ sent: 20, failed: 0 });

  expect(s.sim.stats().rejected.byCode['130429']).toBeGreaterThan(0);
  const jobs = await completedJobs(s, 20);
  // The restarts this test is about happened (attemptsStarted grew without attemptsMade)...
  expect(jobs.filter((j) => j.attemptsStarted > j.attemptsMade).length).toBeGreaterThan(0);
  expect(jobs.every((j) => j.stalledCounter === 0)).toBe(true);
  // ...and were not counted.
  expect(await count(s.metrics, 'stalled-rerun')).toBe(0);
});

test('E110 pause, top-up and resume: the jobs moved back to wait are not counted as stalled re-runs', async () => {
  const s = (stack = await startStack());
  s.sim.setFaults({ e110AfterAccepted: 5 });
  await s.startWorker({ concurrency: 5 });
  await s.producer.enqueueText({ campaignId: 'low', to: numbers(30), body: 'x' });
  await waitFor(async () => (await getAccountState(s.ctx, 'acme')).paused, { what: 'account paused' });
  s.sim.setBalance(Infinity);
  await resumeAccount(s.ctx, 'acme');
  expect(await s.waitDone('low')).toMatchObject({ sent: 30, failed: 0 });

  expect(s.sim.stats().rejected.byCode.E110).toBeGreaterThan(0);
  const jobs = await completedJobs(s, 30);
  expect(jobs.filter((j) => j.attemptsStarted > j.attemptsMade).length).toBeGreaterThan(0);
  expect(await count(s.metrics, 'stalled-rerun')).toBe(0);
});
