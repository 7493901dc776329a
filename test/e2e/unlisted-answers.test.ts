import { getAccountState, resumeAccount } from '@wabulk/queue';
import { activeJobs, duplicatesAtSim, ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv, type WorkerProcess } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Issue 12, "answers the page does not list", through real worker processes and the simulator:
// - any 401/403 (an HTML 403 from a gateway, a 401 without a code) and a 429 carrying WAV2101 pause
//   the account with nothing failed and no attempt used;
// - a run of WABULK_BREAKER_THRESHOLD sends ending with the same unlisted answer (a 400 with a code
//   the page does not list, a 404 from a wrong base URL) trips the breaker: the account pauses,
//   reason BREAKER:<code>, exactly the threshold's sends stay failed with their code.
// After the cause is gone and the account resumed, the campaign completes (and retry-failed sends
// the breaker's failures).

const RECIPIENTS = 60;
const THRESHOLD = 5;
const NO_FAULT = { failRate: 0, failNext: 0, failCode: null, failStatus: null, failBody: null };

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

async function start(faults: Record<string, unknown>, workers: number, threshold = THRESHOLD): Promise<{ s: Stack; procs: WorkerProcess[] }> {
  const s = (stack = await startStack({ sim: { latencyMs: 5 } }));
  s.sim.setFaults(faults);
  const env = workerEnv({ base: s.base, simUrl: s.sim.url }, { WORKER_CONCURRENCY: '10', WABULK_BREAKER_THRESHOLD: String(threshold) });
  const procs = await Promise.all(Array.from({ length: workers }, () => spawnWorker(env)));
  return { s, procs };
}

async function pausedAndSettled(s: Stack) {
  const state = await waitFor(async () => {
    const st = await getAccountState(s.ctx, 'acme');
    return st.paused ? st : undefined;
  }, { what: 'account paused' });
  await waitFor(async () => s.sim.stats().inFlight === 0 && (await activeJobs(s.ctx)) === 0, { what: 'in-flight sends to settle' });
  return state;
}

test.each([
  ['a gateway\'s HTML 403', 'HTTP_403', { failStatus: 403, failBody: '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>' }, 2],
  ['a 401 without a code', 'HTTP_401', { failStatus: 401, failBody: '' }, 1],
  ['a 429 carrying WAV2101 (daily limit)', 'WAV2101', { failStatus: 429, failCode: 'WAV2101' }, 1],
] as const)('%s pauses the account (%s), nothing failed, no attempt used; resume completes the campaign', async (_title, reason, fault, workers) => {
  const { s, procs } = await start({ failRate: 1, ...fault }, workers);
  await s.producer.enqueueText({ campaignId: 'acct', to: numbers(RECIPIENTS), body: 'hello' });

  const state = await pausedAndSettled(s);
  expect(state).toMatchObject({ paused: true, pauseReason: reason });
  const during = await s.status('acct');
  expect(during).toMatchObject({ sent: 0, failed: 0, pending: RECIPIENTS, paused: true, pauseReason: reason });
  const counts = await s.ctx.queues.get('acme').getJobCounts('wait', 'active', 'delayed', 'failed');
  expect(counts).toEqual({ wait: RECIPIENTS, active: 0, delayed: 0, failed: 0 });
  // Only requests already in flight when the account paused met the answer.
  expect(s.sim.stats().requests).toBeLessThanOrEqual(workers * 10);

  s.sim.setFaults(NO_FAULT);
  await resumeAccount(s.ctx, 'acme');
  const done = await s.waitDone('acct', 30_000);
  expect(done).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0, paused: false });
  for (const row of (await ledgerRows(s.ctx, 'acct')).values()) expect(row).toMatchObject({ status: 'sent', attempts: 1 });
  expect(duplicatesAtSim(s.sim).size).toBe(0);
  expect(procs.some((w) => w.logs().some((l) => l.msg === `account paused: ${reason}`))).toBe(true);
}, 90_000);

test.each([
  ['a 400 with a code the page does not list', 'WA999', { failStatus: 400, failCode: 'WA999' }, 2],
  ['a 404 (a wrong base URL)', 'HTTP_404', { failStatus: 404, failBody: '<html><body>Not Found</body></html>' }, 1],
] as const)('%s, repeated: the breaker pauses the account (BREAKER:%s) after exactly the threshold\'s failures', async (_title, code, fault, workers) => {
  const { s, procs } = await start({ failRate: 1, ...fault }, workers);
  await s.producer.enqueueText({ campaignId: 'brk', to: numbers(RECIPIENTS), body: 'hello' });

  const state = await pausedAndSettled(s);
  expect(state).toMatchObject({ paused: true, pauseReason: `BREAKER:${code}` });
  expect(state.pauseMessage).toContain(`the last ${THRESHOLD} sends that ended failed with ${code}`);
  expect(state.pauseMessage).toContain('base URL');
  expect(state.pauseMessage).toContain('wabulk resume --account acme');
  const during = await s.status('brk');
  // The sends answered after the trip went back to the queue: only the run itself failed.
  expect(during).toMatchObject({ sent: 0, failed: THRESHOLD, pending: RECIPIENTS - THRESHOLD, paused: true, pauseReason: `BREAKER:${code}`, byCode: { [code]: THRESHOLD } });
  const failedRows = [...(await ledgerRows(s.ctx, 'brk')).values()].filter((r) => r.status === 'failed');
  expect(failedRows).toHaveLength(THRESHOLD);
  for (const row of failedRows) expect(row).toMatchObject({ code, attempts: 1 });
  expect(procs.filter((w) => w.logs().some((l) => l.msg === `account paused: BREAKER:${code}` && l.level === 40))).toHaveLength(1);

  // The cause is fixed: resume, the rest is sent; retry-failed --codes sends the breaker's failures.
  s.sim.setFaults(NO_FAULT);
  await resumeAccount(s.ctx, 'acme');
  const done = await s.waitDone('brk', 30_000);
  expect(done).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS - THRESHOLD, failed: THRESHOLD, pending: 0, paused: false });
  expect(await s.producer.retryFailed('brk', { codes: [code] })).toEqual({ requeued: THRESHOLD });
  const again = await s.waitDone('brk', 30_000);
  expect(again).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0 });
  expect(duplicatesAtSim(s.sim).size).toBe(0);
}, 90_000);

test('a success resets the breaker: unlisted failures that are not all in a row never pause', async () => {
  // A fifth of the requests fail with an unlisted code, threshold 8: a run of 8 among 60 sends has
  // odds of about 1 in 10,000, so the successes in between must reset every run.
  const { s } = await start({}, 1, 8);
  s.sim.setFaults({ failRate: 0.2, failStatus: 400, failCode: 'WA999' });
  await s.producer.enqueueText({ campaignId: 'mix', to: numbers(RECIPIENTS), body: 'hello' });
  const done = await s.waitDone('mix', 30_000);
  expect(done.paused).toBe(false);
  expect(done.sent + done.failed).toBe(RECIPIENTS);
  expect(done.failed).toBeGreaterThan(0);
}, 90_000);
