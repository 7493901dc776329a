// The producer under a silent Redis (issue 16): every command of a producer connection has a deadline
// (createRedis(url, 'producer'): 2 s by default, WABULK_REDIS_COMMAND_TIMEOUT_MS in the apps), and a
// call whose command passed it rejects with a typed RedisDeadlineError, which the API and the CLI read
// as "Redis unavailable" (503, exit 1). Redis is reached through a TCP proxy holding every byte.
import { classifyRedisError, createQueueContext, createRedis, describeRedisFailure, Producer, RedisDeadlineError, waitForReady } from '@wabulk/queue';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

test('a call whose Redis goes silent rejects at the deadline with a RedisDeadlineError', async () => {
  const target = new URL(REDIS_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const redis = createRedis(proxy.url('redis'), 'producer', { commandTimeout: 300 });
  const base = uniqueBase('deadline');
  const ctx = createQueueContext({ redis, base });
  const producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });
  try {
    await waitForReady(redis);
    proxy.hold();
    const started = Date.now();
    const err = await producer.enqueueText({ to: '+919876543210', body: 'hi' }).then(() => undefined, (e: unknown) => e);
    const tookMs = Date.now() - started;
    expect(err).toBeInstanceOf(RedisDeadlineError);
    expect(err).toMatchObject({ name: 'RedisDeadlineError', code: 'REDIS_DEADLINE' });
    expect(classifyRedisError(err)).toBe('unavailable');
    expect(describeRedisFailure(err)).toMatch(/did not answer in time/);
    // Hang detection only: one command's deadline, not a wait for the heal.
    expect(tookMs).toBeLessThan(10_000);
    const campaignErr = await producer.enqueueCampaign({ campaignId: 'c1', body: 'hi', recipients: [{ to: '+919876543211' }] }).then(() => undefined, (e: unknown) => e);
    expect(campaignErr).toBeInstanceOf(RedisDeadlineError);
  } finally {
    proxy.release();
    await ctx.queues.close();
    const direct = createRedis(REDIS_URL, 'producer');
    await waitForReady(direct);
    await deleteKeys(direct, base);
    direct.disconnect();
    redis.disconnect();
    await proxy.close();
  }
});

test('a process whose event loop was held past the deadline still gets the answers Redis gave in time', async () => {
  // ioredis's own commandTimeout would fail these: its timers run before the socket is read.
  const redis = createRedis(REDIS_URL, 'producer', { commandTimeout: 200 });
  try {
    await waitForReady(redis);
    const answers = Promise.all([redis.ping(), redis.echo('kept')]);
    const until = Date.now() + 600;
    while (Date.now() < until) {
      // A long synchronous task (a big parse, a module loading, a starved CPU).
    }
    expect(await answers).toEqual(['PONG', 'kept']);
  } finally {
    redis.disconnect();
  }
});
