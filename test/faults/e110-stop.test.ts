import { getAccountState } from '@wabulk/queue';
import { assertAccountedFor, classify, failedTotal } from '../support/fault-ground-truth.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import { watchSim } from '../support/fault-watch.js';
import { cliEnv, killAllClis, runCli } from '../support/proc-cli.js';
import { activeJobs, expectUnchanged } from '../support/proc-ground-truth.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { SIZES, timeout } from './fault-sizes.js';

// Fault scenario 5: the account runs out of balance (400 E110) at ~40% of a campaign sent by three
// worker processes. Within a second of Kaleyra's first E110 no worker sends any more; only requests
// already in flight can meet E110 too; nobody uses an attempt on it and nothing fails. After a top-up
// and an operator's `wabulk resume`, every recipient is sent exactly once. (test/e2e checks the pause
// itself; this measures the stop and judges every recipient against the simulator.)

const WORKERS = 3;
const CONCURRENCY = 10;
const { recipients: N } = SIZES.e110;
const ACCEPTED_BEFORE_E110 = Math.round(N * 0.4);

let stack: FaultStack | undefined;
afterEach(async () => {
  await killAllClis();
  await stack?.close();
  stack = undefined;
});

test('5. E110 at ~40%: every worker stops within a second, extra E110s only from requests in flight, no attempt used, nothing failed; top-up + resume sends each once', async () => {
  const startedAt = Date.now();
  const s = (stack = await startFaultStack({ sim: { latencyMs: 30 } }));
  s.sim.setFaults({ latencyJitterMs: 20, e110AfterAccepted: ACCEPTED_BEFORE_E110 });
  const workers = await s.spawnWorkers(WORKERS, { WORKER_CONCURRENCY: String(CONCURRENCY) });
  const watch = watchSim(s.sim);
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'balance', to, body: 'fault 5: E110' });

  const paused = await waitFor(async () => {
    const st = await getAccountState(s.ctx, 'acme');
    return st.paused ? st : undefined;
  }, { timeoutMs: timeout(30_000), what: 'account paused' });
  expect(paused.pauseReason).toBe('E110');
  await waitFor(async () => s.sim.stats().inFlight === 0 && (await activeJobs(s.ctx)) === 0, { timeoutMs: timeout(10_000), what: 'in-flight sends to settle' });
  // Quiet: a paused queue hands out nothing, on any worker.
  const requestsWhilePaused = await expectUnchanged(() => s.sim.stats().requests, 1500, 'simulator request count while paused');
  watch.stop();
  const firstE110At = watch.firstRejectedAt('E110')!;
  const stopMs = watch.lastRequestAt() - firstE110At;
  expect(stopMs).toBeLessThanOrEqual(1000);
  for (const w of workers) expect(w.running).toBe(true);

  const stats = s.sim.stats();
  const e110 = stats.rejected.byCode.E110 ?? 0;
  expect(stats.messages).toBe(ACCEPTED_BEFORE_E110);
  expect(e110).toBeGreaterThanOrEqual(1);
  expect(e110).toBeLessThanOrEqual(WORKERS * CONCURRENCY);
  expect(stats.rejected.total).toBe(e110);
  expect(requestsWhilePaused).toBe(ACCEPTED_BEFORE_E110 + e110);
  // Nothing failed, nothing used an attempt: the E110 jobs went back to wait as they were.
  const queue = s.ctx.queues.get('acme');
  expect(await queue.getJobCounts('active', 'delayed', 'failed')).toEqual({ active: 0, delayed: 0, failed: 0 });
  const waiting = await queue.getJobs(['wait']);
  expect(waiting).toHaveLength(N - ACCEPTED_BEFORE_E110);
  expect(waiting.filter((j) => j.attemptsMade !== 0).map((j) => j.id)).toEqual([]);
  expect(await s.ctx.ledger.counts('balance')).toMatchObject({ sent: ACCEPTED_BEFORE_E110, failed: 0, pending: N - ACCEPTED_BEFORE_E110 });

  // The operator tops the balance up and resumes the account (every worker on every host).
  s.sim.setBalance(Infinity);
  const resume = await runCli(['resume', '--account', 'acme'], { env: cliEnv(s.base, { REDIS_URL: s.redisUrl, REDIS_CLUSTER_NODES: undefined }) });
  expect({ code: resume.code, stderr: resume.stderr }).toEqual({ code: 0, stderr: '' });
  await s.waitDone('balance', timeout(30_000), 'the workers did not pick up again after `wabulk resume`');

  const c = await classify(s.ctx, s.sim, 'balance', to);
  assertAccountedFor(c);
  expect({ sentOnce: c.sentOnce, duplicated: c.duplicated.size, failed: failedTotal(c) }).toEqual({ sentOnce: N, duplicated: 0, failed: 0 });
  // attempts 1 everywhere: an E110 answer used no attempt.
  expect([...c.attempts.values()].filter((a) => a !== 1)).toEqual([]);

  report(figures('5 E110 at 40%', c, s.sim, startedAt, { stopMs, e110Answers: e110, acceptedBeforeE110: ACCEPTED_BEFORE_E110 }));
  const exits = await Promise.all(workers.map((w) => w.kill('SIGTERM', timeout(15_000))));
  expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
}, timeout(90_000));
