// Kaleyra unreachable (issue 16): a send that never reached Kaleyra (connection refused, a name that
// does not resolve, a connect timeout) uses no attempt and fails nobody: the account's queue is held
// (1 s, doubling) and the job goes back, counted in wabulk_kaleyra_unreachable_total. Here the
// account's base URL is a port nothing listens on; then Kaleyra "comes back" on that port (a TCP
// proxy to the simulator starts listening there), and every recipient is sent once.
import { Registry } from 'prom-client';
import { createMetrics } from '@wabulk/telemetry';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
let proxy: TcpProxy | undefined;

afterEach(async () => {
  await stack.close();
  await proxy?.close();
  proxy = undefined;
});

const counter = async (registry: Registry, name: string) => {
  const text = await registry.getSingleMetricAsString(name);
  return [...text.matchAll(/^\w+\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
};

test('connection refused: nothing failed, no attempt used, the queue held and counted; sent once each when Kaleyra is back', async () => {
  const port = await freePort();
  stack = await startStack({ account: { baseUrl: `http://127.0.0.1:${port}` } });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  // Retries in ms: were refused sends retried on the schedule, they would all be failed within a second.
  await stack.startWorker({ metrics, retryDelaysMs: [5, 10, 15] });
  const to = numbers(50, 9100);
  await stack.producer.enqueueText({ campaignId: 'refused', to, body: 'hello' });
  await waitFor(async () => (await counter(registry, 'wabulk_kaleyra_unreachable_total')) >= 2, { timeoutMs: 15_000, what: 'two holds' });
  // Past the first two holds (1 s, then 2 s): the queue was held, not hammered.
  await new Promise((r) => setTimeout(r, 1500));
  const tries = await counter(registry, 'wabulk_kaleyra_unreachable_total');
  expect(tries).toBeLessThanOrEqual(3 * 10);
  expect(await stack.status('refused')).toMatchObject({ total: 50, pending: 50, failed: 0, sent: 0 });
  const jobs = await stack.ctx.queues.get('acme').getJobs(['wait', 'prioritized', 'active', 'delayed']);
  expect(jobs.filter((j) => j.attemptsMade > 0).map((j) => j.id)).toEqual([]);

  proxy = await startTcpProxy({ port: stack.sim.port }, { listenPort: port });
  const done = await stack.waitDone('refused', 60_000);
  expect(done).toMatchObject({ total: 50, sent: 50, failed: 0, pending: 0 });
  const accepted = new Map<string, number>();
  for (const m of stack.sim.messages()) accepted.set(m.to, (accepted.get(m.to) ?? 0) + 1);
  expect([...accepted.values()].every((n) => n === 1)).toBe(true);
  expect(accepted.size).toBe(50);
  console.log(`unreachable figures ${JSON.stringify({ heldTries: tries, sent: done.sent })}`);
});
