import { type SourceRow } from '@wabulk/queue';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// A high message overtakes a normal campaign drained by two worker processes: BullMQ hands out the
// wait list (high) before the prioritized set on every worker, under the account's one rate limit.

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

const RATE = 300;

test('high overtakes a draining normal campaign with 2 worker processes', async () => {
  const s = (stack = await startStack());
  const env = workerEnv({ base: s.base, simUrl: s.sim.url }, { WABULK_RATE_PER_SECOND: String(RATE), WORKER_CONCURRENCY: '10' });
  const workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
  const campaign = numbers(1500);
  const rows: SourceRow[] = campaign.map((to) => ({ to }));
  await s.producer.enqueueCampaign({ campaignId: 'bulk', body: 'bulk', recipients: rows });

  await waitFor(() => s.sim.messages().length >= 150, { what: '150 campaign sends', timeoutMs: 30_000 });
  const sentBefore = s.sim.messages().length;
  await s.producer.enqueueText({ to: ['+14155550100', '+14155550101'], body: 'otp' });
  await waitFor(() => s.sim.messages().filter((m) => m.body === 'otp').length === 2, { what: 'the high messages at the simulator', timeoutMs: 30_000 });
  const seq = s.sim.messages().map((m) => m.body);
  const last = seq.lastIndexOf('otp');
  // Only what was in flight or already taken in the current limiter window went before them.
  expect(last - sentBefore).toBeLessThan(80);
  expect(campaign.length - last).toBeGreaterThan(800);
  await s.waitDone('bulk', 60_000);
  for (const w of workers) expect(w.running).toBe(true);
  expect(s.sim.messages()).toHaveLength(campaign.length + 2);
});
