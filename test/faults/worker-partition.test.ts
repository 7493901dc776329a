// A worker cut off from Redis by a quiet network (issue 16): a TCP proxy between the worker and
// Redis holds every byte with the connection open (a partition as TCP sees it), or resets the
// connection. The worker must say it is not ready within seconds (/readyz's readiness, the
// wabulk_worker_redis_up gauge, the reason), start no send while it cannot record one, and resume by
// itself after the heal (held bytes delivered) or the reset (reconnect): each recipient sent once.
import { Registry } from 'prom-client';
import { createMetrics } from '@wabulk/telemetry';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { REDIS_URL } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
let proxy: TcpProxy;
let registry: Registry;

beforeEach(async () => {
  stack = await startStack();
  const target = new URL(REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  registry = new Registry();
});

afterEach(async () => {
  proxy.release();
  await stack.close();
  await proxy.close();
});

const redisUp = async () => (await registry.getSingleMetricAsString('wabulk_worker_redis_up')).match(/^wabulk_worker_redis_up (\d)/m)?.[1];

async function startCutOffWorker() {
  const metrics = createMetrics(registry, { defaultMetrics: false });
  // A short lock: a job whose fetch (BullMQ's moveToActive) ran in Redis but whose reply a reset lost
  // stays active, unknown to the worker, until its lock expires; then the stalled check re-runs it.
  return stack.startWorker({ redisUrl: proxy.url('redis'), redisDeadlineMs: 500, ratePerSecond: 200, metrics, lockDurationMs: 3000, stalledIntervalMs: 1000 });
}

/** Each number's accepted requests at the simulator. */
function acceptedPerNumber(): Map<string, number> {
  const counts = new Map<string, number>();
  // The simulator keeps numbers as Kaleyra receives them, without the '+'.
  for (const m of stack.sim.messages()) counts.set(`+${m.to.replace(/^\+/, '')}`, (counts.get(`+${m.to.replace(/^\+/, '')}`) ?? 0) + 1);
  return counts;
}

test('a partition mid-campaign: not ready within seconds, no send while cut off, resumes after the heal, each sent once', async () => {
  const worker = await startCutOffWorker();
  const to = numbers(400, 7000);
  await stack.producer.enqueueText({ campaignId: 'cut', to, body: 'hello' });
  await waitFor(() => stack.sim.stats().accepted >= 100, { what: '100 sent before the cut' });
  expect(worker.readiness()).toEqual({ ready: true });

  const cutAt = Date.now();
  proxy.hold();
  const notReady = await waitFor(() => (worker.readiness().ready ? undefined : worker.readiness()), { timeoutMs: 10_000, what: 'not ready' });
  const notReadyAfterMs = Date.now() - cutAt;
  expect(notReady.reason).toMatch(/Redis has not answered a PING/);
  expect(await redisUp()).toBe('0');
  // Sends already past their pre-send reads may end; after that, nothing new starts while cut off.
  await new Promise((r) => setTimeout(r, 500));
  const atNotReady = stack.sim.stats().requests;
  await new Promise((r) => setTimeout(r, 1500));
  expect(stack.sim.stats().requests).toBe(atNotReady);

  const healedAt = Date.now();
  proxy.release();
  await waitFor(() => worker.readiness().ready, { timeoutMs: 10_000, what: 'ready again' });
  const readyAfterHealMs = Date.now() - healedAt;
  expect(await redisUp()).toBe('1');
  const done = await stack.waitDone('cut', 30_000);
  expect(done).toMatchObject({ sent: 400, failed: 0, pending: 0 });
  const counts = acceptedPerNumber();
  expect(to.filter((n) => counts.get(n) !== 1)).toEqual([]);
  console.log(`partition figures ${JSON.stringify({ notReadyAfterMs, readyAfterHealMs, requestsDuringCut: atNotReady, sent: done.sent })}`);
});

test('a reset of every connection mid-campaign: the worker reconnects by itself and finishes, each sent once', async () => {
  const worker = await startCutOffWorker();
  const to = numbers(300, 8000);
  await stack.producer.enqueueText({ campaignId: 'reset', to, body: 'hello' });
  await waitFor(() => stack.sim.stats().accepted >= 100, { what: '100 sent before the reset' });
  proxy.reset();
  const done = await stack.waitDone('reset', 30_000);
  expect(done).toMatchObject({ sent: 300, failed: 0, pending: 0 });
  await waitFor(() => worker.readiness().ready, { timeoutMs: 10_000, what: 'ready after the reset' });
  const counts = acceptedPerNumber();
  // A reset may cut a send's RECORD in flight: ioredis resends it after reconnecting (worker role), so
  // nothing is sent twice on one worker.
  expect(to.filter((n) => counts.get(n) !== 1)).toEqual([]);
  expect(proxy.stats().accepted).toBeGreaterThan(2);
});
