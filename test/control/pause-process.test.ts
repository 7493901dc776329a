import { pauseCampaign, resumeCampaign } from '@wabulk/queue';
import { expectUnchanged, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Pausing one campaign while another runs on the same account, with a worker process sending to
// the simulator (the ground truth: what really went out). The paused campaign's sends stop (but
// for requests in flight), the other campaign gets the account to itself, the pause outlives a
// worker restart, and resume finishes the campaign with every recipient sent once.

const CONCURRENCY = 10;

let s: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await s?.close();
  s = undefined;
});

const plus = (to: string) => (to.startsWith('+') ? to : `+${to}`);

test('pause a campaign while another on its account runs; the pause survives a worker restart; resume completes it, each recipient sent once', async () => {
  const st = (s = await startStack({ sim: { latencyMs: 20 } }));
  const env = workerEnv({ base: st.base, simUrl: st.sim.url }, { WORKER_CONCURRENCY: String(CONCURRENCY) });
  let worker = await spawnWorker(env);
  const a = numbers(1500, 0);
  const b = numbers(1500, 100_000);
  const inA = new Set(a);
  const sentA = () => st.sim.messages().filter((m) => inA.has(plus(m.to))).length;
  // A first: in one FIFO queue, B's jobs are all behind A's.
  await st.producer.enqueueText({ campaignId: 'a', to: a, body: 'campaign A' });
  await st.producer.enqueueText({ campaignId: 'b', to: b, body: 'campaign B' });

  await waitFor(() => sentA() >= 100, { intervalMs: 5, what: 'A sending' });
  const paused = await pauseCampaign(st.ctx, 'a');
  expect(paused?.state).toBe('paused');
  const atPause = sentA();

  // B runs to the end while A is paused: A's queued jobs are out of its way.
  const bDone = await st.waitDone('b');
  expect(bDone).toMatchObject({ total: 1500, sent: 1500, pending: 0, state: 'done' });
  // After pause returned, at most the requests already in flight went out.
  expect(sentA() - atPause).toBeLessThanOrEqual(CONCURRENCY);
  await expectUnchanged(sentA, 500, 'sends of paused campaign A');
  const aPaused = await st.status('a');
  expect(aPaused).toMatchObject({ state: 'paused', done: false, cancelled: 0 });
  expect(aPaused.pending).toBeGreaterThan(0);
  expect(aPaused.total).toBe(aPaused.pending + aPaused.sent + aPaused.failed + aPaused.cancelled);

  // A worker restart, and A's import run again (its pending recipients get jobs again): the new
  // worker reads the pause from Redis and sends nothing of A.
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  worker = await spawnWorker(env);
  const rerun = await st.producer.enqueueText({ campaignId: 'a', to: a, body: 'campaign A' });
  expect(rerun.accepted).toBe(0);
  await waitFor(async () => ((await st.ctx.queues.get('acme').getJobCounts('waiting')).waiting ?? 0) === 0, { what: 'the re-added jobs of A taken' });
  await expectUnchanged(sentA, 500, 'sends of paused campaign A after a restart');
  expect((await st.status('a')).state).toBe('paused');

  const resumed = await resumeCampaign(st.ctx, 'a');
  expect(resumed).toMatchObject({ state: 'running', jobs: aPaused.pending });
  const aDone = await st.waitDone('a');
  expect(aDone).toMatchObject({ total: 1500, sent: 1500, failed: 0, cancelled: 0, pending: 0, state: 'done' });

  // Ground truth: every recipient of A accepted exactly once, with the message_id the ledger holds.
  const ids = simIdsByRecipient(st.sim);
  const rows = await ledgerRows(st.ctx, 'a');
  for (const to of a) {
    expect(ids.get(to)).toHaveLength(1);
    expect(rows.get(to)?.messageId).toBe(ids.get(to)![0]);
  }
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
}, 90_000);
