import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { buildApi } from '@wabulk/api';
import { classifyRedisError, createRedis, waitForReady } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { cliEnv, describeRun, killAllClis, runCli } from '../support/proc-cli.js';
import { freePort, OwnRedis, uniqueBase } from '../support/redis.js';

// Redis errors as Redis and ioredis raise them (servers of this file's own: one is made full, one a
// replica), and how they reach callers: classifyRedisError, the API's 503, the CLI's exit 1.

let primary: OwnRedis;
let replica: OwnRedis;
let redis: Redis;
const opened: Redis[] = [];

const connect = async (url: string) => {
  const r = createRedis(url, 'producer');
  opened.push(r);
  await waitForReady(r);
  return r;
};
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the command succeeded');
    },
    (err: unknown) => err,
  );

beforeAll(async () => {
  [primary, replica] = await Promise.all([OwnRedis.start(['--maxmemory-policy', 'noeviction']), OwnRedis.start()]);
  redis = await connect(primary.url);
});

afterAll(async () => {
  await killAllClis();
  // Only the live ones: disconnect() on an ended connection leaves a timer behind (ioredis ends a stream that is gone).
  for (const r of opened) if (r.status !== 'end') r.disconnect();
  await Promise.all([primary?.stop(), replica?.stop()]);
});

/** Runs `fn` while the primary is over its maxmemory (every write answers OOM). */
async function whileFull(fn: () => Promise<void>): Promise<void> {
  await redis.config('SET', 'maxmemory', '1');
  try {
    await fn();
  } finally {
    await redis.config('SET', 'maxmemory', '0');
  }
}

test('a closed connection, a server that is not there, retries used up: unavailable', async () => {
  const closed = await connect(primary.url);
  closed.disconnect();
  expect(classifyRedisError(await failureOf(closed.ping()))).toBe('unavailable');

  const nowhere = `redis://127.0.0.1:${await freePort()}`;
  const producer = createRedis(nowhere, 'producer', { retryStrategy: () => null });
  // disconnectTimeout: the same timer of 2 s for a connection that is between two attempts.
  const worker = createRedis(nowhere, 'worker', { maxRetriesPerRequest: 0, retryStrategy: () => 50, disconnectTimeout: 50 });
  opened.push(producer, worker);
  expect(classifyRedisError(await failureOf(producer.ping()))).toBe('unavailable');
  expect(classifyRedisError(await failureOf(worker.ping()))).toBe('unavailable');
});

test('Redis refusing for now (OOM, READONLY): refused; a command\'s own error: other', async () => {
  await whileFull(async () => {
    expect(classifyRedisError(await failureOf(redis.set('k', 'v')))).toBe('refused');
    // Inside a script (ioredis's EVALSHA → EVAL) Redis 7 keeps the reply's code.
    expect(classifyRedisError(await failureOf(redis.eval("return redis.call('SET', KEYS[1], 'v')", 1, 'k')))).toBe('refused');
  });

  const onReplica = await connect(replica.url);
  await onReplica.replicaof('127.0.0.1', String(primary.port));
  try {
    expect(classifyRedisError(await failureOf(onReplica.set('k', 'v')))).toBe('refused');
  } finally {
    await onReplica.replicaof('NO', 'ONE');
  }

  await redis.lpush('a-list', 'x');
  expect(classifyRedisError(await failureOf(redis.get('a-list')))).toBe('other');
  expect(classifyRedisError(await failureOf(redis.eval("return redis.error_reply('boom')", 0)))).toBe('other');
  expect(classifyRedisError(new Error('anything'))).toBe('other');
  expect(classifyRedisError('not an error')).toBe('other');
});

test('a full Redis: the API answers 503, the CLI exits 1 and says Redis refused', async () => {
  const base = uniqueBase('full');
  const app = await buildApi({ redis, base, tokens: ['t0123456789abcdef'], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry(), configuredAccounts: ['acme'] });
  try {
    await whileFull(async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Bearer t0123456789abcdef' }, payload: { account: 'acme', to: '+919876543210', body: 'hi' } });
      expect([res.statusCode, res.json().error, res.headers['retry-after']]).toEqual([503, 'service unavailable', '5']);

      const r = await runCli(['send', '--to', '+919876543210', '--body', 'hi'], { env: cliEnv(base, { REDIS_URL: primary.url }), timeoutMs: 30_000 });
      expect({ code: r.code, stderr: r.stderr, run: describeRun(r) }).toEqual({ code: 1, stderr: expect.stringMatching(/refused the command: it is out of memory \(maxmemory reached, noeviction\)/), run: expect.any(String) });
    });
  } finally {
    await app.close();
  }
});
