// The network-fault harness itself (test/support/tcp-proxy.ts), against the real Redis: what goes
// through it arrives, a hold keeps the connection open and delivers the held bytes on release, a
// reset is seen as one by the client, latency delays without reordering.
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { REDIS_URL } from '../support/redis.js';

const target = new URL(REDIS_URL);
let proxy: TcpProxy;
let redis: Redis;

beforeEach(async () => {
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  redis = new Redis(proxy.url('redis'), { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  redis.on('error', () => {});
  await redis.ping();
});

afterEach(async () => {
  redis.disconnect();
  await proxy.close();
});

/** Settles `p` or says it is still pending after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ value: T } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value })), pending]);
  } finally {
    clearTimeout(timer);
  }
}

test('commands go through, and the proxy counts the bytes each way', async () => {
  await redis.set('wabulk-proxy-test', 'x', 'PX', 10_000);
  expect(await redis.get('wabulk-proxy-test')).toBe('x');
  const s = proxy.stats();
  expect(s.open).toBe(1);
  expect(s.bytesUp).toBeGreaterThan(0);
  expect(s.bytesDown).toBeGreaterThan(0);
});

test('a hold keeps the connection open and answers nothing; release delivers the held command', async () => {
  proxy.hold();
  const echoed = redis.echo('held');
  expect(await within(echoed, 500)).toBe('pending');
  expect(redis.status).toBe('ready');
  expect(proxy.stats().open).toBe(1);
  proxy.release();
  expect(await echoed).toBe('held');
  expect(proxy.stats().accepted).toBe(1);
});

test('latency delays every answer but keeps their order', async () => {
  proxy.latency(300);
  const answers = Promise.all([redis.echo('1'), redis.echo('2'), redis.echo('3')]);
  expect(await within(answers, 100)).toBe('pending');
  expect(await answers).toEqual(['1', '2', '3']);
});

test('a reset closes the connection under the client, which connects again', async () => {
  const closed = new Promise<void>((resolve) => redis.once('close', () => resolve()));
  proxy.reset();
  await closed;
  expect(await redis.ping()).toBe('PONG');
  expect(proxy.stats().accepted).toBe(2);
});
