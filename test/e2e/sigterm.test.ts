import { activeJobs, duplicatesAtSim, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// The operator's way to stop a worker (a deploy, a scale-down): SIGTERM. The worker stops taking
// jobs, lets its in-flight sends finish and be recorded, and exits 0 — leaving nothing active for a
// stalled check to re-run, so the next worker sends every remaining recipient exactly once.

const RECIPIENTS = 300;

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

test('SIGTERM mid-campaign: exit 0, nothing left active or stalled; the next worker sends the rest, 0 duplicates', async () => {
  const s = (stack = await startStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const env = workerEnv({ base: s.base, simUrl: s.sim.url });
  const first = await spawnWorker(env);

  const to = numbers(RECIPIENTS);
  await s.producer.enqueueText({ campaignId: 'term', to, body: 'graceful' });
  await waitFor(async () => (await s.ctx.ledger.counts('term')).sent >= RECIPIENTS * 0.2, { intervalMs: 5, what: '20% sent' });
  // It is busy when the signal arrives: sends are in flight at the simulator.
  const inFlightAtSignal = s.sim.stats().inFlight;

  expect(await first.kill('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
  const messages = first.logs().map((l) => l.msg);
  expect(messages).toEqual(expect.arrayContaining(['shutting down: finishing in-flight sends', 'stopped']));
  expect(first.stderr()).toBe('');

  // Nothing active (so nothing for a stalled check to find), and what the worker finished is recorded.
  const queue = s.ctx.queues.get('acme');
  expect(await activeJobs(s.ctx)).toBe(0);
  const counts = await queue.getJobCounts('active', 'wait', 'completed', 'failed', 'delayed');
  const ledger = await s.ctx.ledger.counts('term');
  expect(ledger.pending).toBeGreaterThan(0); // really stopped mid-campaign
  expect(ledger.failed).toBe(0);
  expect(counts).toMatchObject({ active: 0, failed: 0, delayed: 0, completed: ledger.sent, wait: ledger.pending });
  // Every request the simulator accepted has its message_id in the ledger: no send was abandoned.
  expect(s.sim.messages()).toHaveLength(ledger.sent);
  expect(s.sim.stats().inFlight).toBe(0);

  const second = await spawnWorker(env);
  const done = await s.waitDone('term', 30_000);
  expect(done).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0 });

  // Each recipient exactly once at the simulator, with the ledger holding that message_id.
  expect(duplicatesAtSim(s.sim).size).toBe(0);
  const simIds = simIdsByRecipient(s.sim);
  expect(simIds.size).toBe(RECIPIENTS);
  const rows = await ledgerRows(s.ctx, 'term');
  expect(rows.size).toBe(RECIPIENTS);
  for (const [recipient, row] of rows) {
    expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    expect(simIds.get(recipient)).toEqual([row.messageId]);
  }
  // No job was ever re-run as stalled.
  const completed = await queue.getJobs(['completed']);
  expect(completed).toHaveLength(RECIPIENTS);
  expect(completed.filter((j) => j.stalledCounter > 0)).toEqual([]);

  expect(await second.kill('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
  // Shutdown needed in-flight sends to wait for (otherwise this test shows nothing).
  expect(inFlightAtSignal).toBeGreaterThan(0);
}, 60_000);
