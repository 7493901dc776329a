import { startAofRedis } from '../support/fault-redis.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import type { OwnRedis } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// A scheduled campaign survives a Redis restart (AOF on, as docs/architecture.md asks of
// production Redis): the schedule, the campaign's state and its pending recipients are all in
// Redis, so a worker that starts after the restart sends everything at the start time, once.

let own: OwnRedis | undefined;
let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.close();
  await own?.stop();
  stack = undefined;
  own = undefined;
});

test('schedule kept across a Redis kill and restart with AOF: nothing before `at`, everything once after', async () => {
  own = await startAofRedis();
  const s = (stack = await startFaultStack({ redisUrl: own.url }));
  const at = Date.now() + 7000;
  const list = numbers(20, 700);
  const r = await s.producer.enqueueText({ campaignId: 'aof', to: list, body: 'after the restart', at: new Date(at).toISOString() });
  expect(r.accepted).toBe(20);
  expect(await s.status('aof')).toMatchObject({ state: 'scheduled', startsAt: at, pending: 20 });

  // SIGKILL: only what the AOF holds comes back (fsync every second: wait past one).
  await new Promise((r) => setTimeout(r, 1500));
  await own.kill();
  await own.start();
  await waitFor(async () => (await s.redis.ping().catch(() => '')) === 'PONG', { what: 'the producer connection back' });
  expect(await s.status('aof')).toMatchObject({ state: 'scheduled', startsAt: at, pending: 20 });

  await s.spawnWorkers(1);
  const done = await s.waitDone('aof', 30_000);
  expect(done).toMatchObject({ state: 'done', sent: 20, failed: 0 });
  const received = s.sim.messages();
  expect(received).toHaveLength(20);
  expect(new Set(received.map((m) => m.to.replace(/^\+?/, '+')))).toEqual(new Set(list));
  for (const m of received) expect(Date.parse(m.received_at)).toBeGreaterThanOrEqual(at);
}, 60_000);
