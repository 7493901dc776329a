import { activeJobs, duplicatesAtSim, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { sample, scrapeMetrics } from '../support/metrics-text.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// A worker process dies without warning (SIGKILL: no shutdown, no lock release) in the middle of a
// campaign. The other worker must finish it: nothing lost, and the only recipients sent twice are
// the ones whose request was already at Kaleyra when the worker died (its message_id never reached
// the ledger). Everything else is stopped by the ledger check at the start of a stalled re-run.

const CONCURRENCY = 10;
const RECIPIENTS = 600;

// BullMQ re-runs a dead worker's active jobs once their lock has expired (lockDuration) and a
// stalled check (run every stalledInterval) has found them: with the defaults (30 s each) that is
// up to a minute, longer than this test waits. The worker reads both from its environment
// (WABULK_LOCK_DURATION_MS, WABULK_STALLED_INTERVAL_MS in packages/config/src/env.ts, passed to
// BullMQ's Worker by apps/worker/src/start-worker.ts); this test sets them to 2 s and 1 s so the
// victim's jobs are re-run within a few seconds, well inside RECOVERY_DEADLINE_MS.
const STALL_ENV = { WABULK_LOCK_DURATION_MS: '2000', WABULK_STALLED_INTERVAL_MS: '1000' };
const RECOVERY_DEADLINE_MS = 15_000;

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

test('SIGKILL of one of two workers at ~30%: every recipient sent, duplicates only from its in-flight requests', async () => {
  const s = (stack = await startStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const env = (port: number) => workerEnv({ base: s.base, simUrl: s.sim.url }, { WORKER_CONCURRENCY: String(CONCURRENCY), METRICS_PORT: String(port), ...STALL_ENV });
  const [victimPort, survivorPort] = [await freePort(), await freePort()];
  const [victim, survivor] = await Promise.all([spawnWorker(env(victimPort)), spawnWorker(env(survivorPort))]);

  const to = numbers(RECIPIENTS);
  await s.producer.enqueueText({ campaignId: 'kill', to, body: 'crash test' });

  await waitFor(async () => (await s.ctx.ledger.counts('kill')).sent >= RECIPIENTS * 0.3, { intervalMs: 5, what: '30% sent' });
  const exit = await victim.kill('SIGKILL');
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  const atKill = await s.ctx.ledger.counts('kill');
  // The kill really happened mid-campaign, not after the end.
  expect(atKill.pending).toBeGreaterThan(0);

  const done = await s.waitDone('kill', RECOVERY_DEADLINE_MS).catch(async (err: Error) => {
    const active = await activeJobs(s.ctx);
    throw new Error(
      `${err.message}\n${active} job(s) still active: the SIGKILLed worker's jobs were not re-run within ${RECOVERY_DEADLINE_MS} ms. ` +
        'BullMQ re-runs them only after lockDuration + stalledInterval (30 s each by default); check that the worker still ' +
        `passes ${Object.keys(STALL_ENV).join(', ')} from its environment to BullMQ (apps/worker/src/start-worker.ts).`,
    );
  });
  expect(survivor.running).toBe(true);

  // Ledger: every recipient sent, none failed or lost.
  expect(done).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0 });
  const rows = await ledgerRows(s.ctx, 'kill');
  expect([...rows.keys()].sort()).toEqual([...to].sort());

  // Simulator: every recipient accepted at least once; twice only for requests in flight at the kill.
  const simIds = simIdsByRecipient(s.sim);
  expect(simIds.size).toBe(RECIPIENTS);
  const duplicates = duplicatesAtSim(s.sim);
  expect(duplicates.size).toBeLessThanOrEqual(CONCURRENCY);
  expect([...duplicates.values()].every((n) => n === 2)).toBe(true);

  // The ledger's message_id is one the simulator issued for that very recipient.
  for (const [recipient, row] of rows) {
    expect(row.status).toBe('sent');
    expect(simIds.get(recipient)).toContain(row.messageId);
  }

  // The stalled path was exercised: the victim's active jobs were re-run (at most its concurrency).
  // The ledger is written just before each job completes: wait for BullMQ to catch up.
  const completed = await waitFor(async () => {
    const jobs = await s.ctx.queues.get('acme').getJobs(['completed']);
    return jobs.length >= RECIPIENTS ? jobs : undefined;
  }, { what: 'every job completed' });
  expect(completed).toHaveLength(RECIPIENTS);
  const rerun = completed.filter((j) => j.stalledCounter > 0);
  expect(rerun.length).toBeGreaterThanOrEqual(1);
  expect(rerun.length).toBeLessThanOrEqual(CONCURRENCY);
  // A recipient sent twice is necessarily one of the re-run jobs.
  const rerunRecipients = new Set(rerun.map((j) => j.data.to));
  for (const recipient of duplicates.keys()) expect(rerunRecipients).toContain(recipient);

  // The survivor's /metrics: each stall of a job whose re-run found no message_id is one possible
  // duplicate (and every real duplicate is among them); re-runs that found one are skips.
  const metrics = await scrapeMetrics(survivorPort);
  const skipped = rerun.filter((j) => j.returnvalue?.skipped === 'already-sent');
  const resent = rerun.filter((j) => j.returnvalue?.skipped === undefined);
  const stalledReruns = sample(metrics, 'wabulk_possible_duplicates_total{account="acme",reason="stalled-rerun"}');
  expect(stalledReruns).toBe(resent.reduce((n, j) => n + j.stalledCounter, 0));
  expect(stalledReruns).toBeGreaterThanOrEqual(duplicates.size);
  expect(sample(metrics, 'wabulk_messages_skipped_already_sent_total{account="acme"}')).toBe(skipped.length);

  expect(await survivor.kill('SIGTERM')).toEqual({ code: 0, signal: null });
}, 60_000);
