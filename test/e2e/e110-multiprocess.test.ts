import { getAccountState, resumeAccount } from '@wabulk/queue';
import { activeJobs, duplicatesAtSim, expectUnchanged, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Low balance (400 E110) met by one of several worker processes must stop all of them: BullMQ's
// queue pause is global. Requests already in flight may meet E110 too; their jobs go back without
// using an attempt. After a top-up and a resume, every recipient is sent exactly once.

const WORKERS = 3;
const CONCURRENCY = 10;
const RECIPIENTS = 500;
const ACCEPTED_BEFORE_E110 = 200; // 40%

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

test('E110 with 3 worker processes: all stop, account paused E110, nothing failed; top-up + resume sends each once', async () => {
  const s = (stack = await startStack({ sim: { latencyMs: 30 } }));
  s.sim.setFaults({ latencyJitterMs: 20, e110AfterAccepted: ACCEPTED_BEFORE_E110 });
  const env = workerEnv({ base: s.base, simUrl: s.sim.url }, { WORKER_CONCURRENCY: String(CONCURRENCY) });
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(env)));

  const to = numbers(RECIPIENTS);
  await s.producer.enqueueText({ campaignId: 'low', to, body: 'balance' });

  const state = await waitFor(async () => {
    const st = await getAccountState(s.ctx, 'acme');
    return st.paused ? st : undefined;
  }, { what: 'account paused' });
  expect(state).toMatchObject({ paused: true, pauseReason: 'E110' });

  // Every worker stops: in-flight requests are answered, no job stays active, and then the
  // simulator sees no further request (watched for a while: a paused queue hands out nothing).
  await waitFor(async () => s.sim.stats().inFlight === 0 && (await activeJobs(s.ctx)) === 0, { what: 'in-flight sends to settle' });
  const requestsWhilePaused = await expectUnchanged(() => s.sim.stats().requests, 1500, 'simulator request count while paused');
  for (const w of workers) expect(w.running).toBe(true);

  const stats = s.sim.stats();
  expect(stats.messages).toBe(ACCEPTED_BEFORE_E110);
  const e110 = stats.rejected.byCode.E110 ?? 0;
  expect(e110).toBeGreaterThanOrEqual(1);
  // Only requests already in flight when the account paused can have met E110.
  expect(e110).toBeLessThanOrEqual(WORKERS * CONCURRENCY);
  expect(requestsWhilePaused).toBe(ACCEPTED_BEFORE_E110 + e110);
  expect(stats.rejected.total).toBe(e110);

  const during = await s.status('low');
  expect(during).toMatchObject({ sent: ACCEPTED_BEFORE_E110, failed: 0, pending: RECIPIENTS - ACCEPTED_BEFORE_E110, paused: true, pauseReason: 'E110' });
  // The E110 jobs went back to wait (BullMQ 6 keeps a paused queue's jobs there), none delayed or failed.
  const counts = await s.ctx.queues.get('acme').getJobCounts('wait', 'active', 'delayed', 'failed');
  expect(counts).toEqual({ wait: RECIPIENTS - ACCEPTED_BEFORE_E110, active: 0, delayed: 0, failed: 0 });

  // Top up, resume: every worker picks up again.
  s.sim.setBalance(Infinity);
  await resumeAccount(s.ctx, 'acme');
  const done = await s.waitDone('low', 30_000);
  expect(done).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0, paused: false, pauseReason: null });

  expect(duplicatesAtSim(s.sim).size).toBe(0);
  const simIds = simIdsByRecipient(s.sim);
  expect(simIds.size).toBe(RECIPIENTS);
  const rows = await ledgerRows(s.ctx, 'low');
  expect(rows.size).toBe(RECIPIENTS);
  for (const [recipient, row] of rows) {
    // attempts 1: an E110 answer used no attempt.
    expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    expect(simIds.get(recipient)).toEqual([row.messageId]);
  }

  // All stop cleanly; the pause was logged by whichever worker(s) met E110.
  const exits = await Promise.all(workers.map((w) => w.kill('SIGTERM', 10_000)));
  expect(exits).toEqual(Array.from({ length: WORKERS }, () => ({ code: 0, signal: null })));
  expect(workers.some((w) => w.logs().some((l) => l.msg === 'account paused: E110'))).toBe(true);
}, 60_000);
