import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { buildApi, type Api } from '@wabulk/api';
import { connectRedis, createRedis, waitForReady, type RedisClient } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { OwnRedis, uniqueBase } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

// Redis refusing or gone answers 503 with Retry-After on every route. The routes come from the app
// itself (/openapi.json): a write route added later without a request here fails the first test.
// A redis-server of this file's own is filled (maxmemory 1, noeviction) or killed.

const TOKEN = 't-0123456789abcdef0123';
const SECRET = 'callback-secret-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Req {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string | object;
}

/** A valid request for each write route: one that gets as far as writing to Redis. */
const WRITES: Record<string, Req> = {
  'POST /v1/messages': { method: 'POST', url: '/v1/messages', payload: { account: 'acme', campaignId: 'c2', to: ['+919800000011'], body: 'hi' } },
  'POST /v1/campaigns/{id}/pause': { method: 'POST', url: '/v1/campaigns/c1/pause' },
  // c4 is paused beforehand: resuming it has something to write.
  'POST /v1/campaigns/{id}/resume': { method: 'POST', url: '/v1/campaigns/c4/resume' },
  'POST /v1/campaigns/{id}/cancel': { method: 'POST', url: '/v1/campaigns/c1/cancel' },
  // Even without a failed recipient, a retry takes a new generation number (a write).
  'POST /v1/campaigns/{id}/retry-failed': { method: 'POST', url: '/v1/campaigns/c1/retry-failed', payload: { codes: ['WA500'] } },
  'POST /v1/campaigns/{id}/export-link': { method: 'POST', url: '/v1/campaigns/c1/export-link' },
  'POST /v1/campaigns': { method: 'POST', url: '/v1/campaigns?campaignId=c3&body=hi&account=acme', headers: { 'content-type': 'text/csv' }, payload: 'to\n+919800000021\n+919800000022\n' },
  'POST /v1/accounts/{id}': { method: 'POST', url: '/v1/accounts/newacct' },
  'POST /v1/accounts/{id}/pause': { method: 'POST', url: '/v1/accounts/acme/pause', payload: { message: 'x' } },
  'POST /v1/accounts/{id}/resume': { method: 'POST', url: '/v1/accounts/acme/resume' },
  'POST /v1/suppressions': { method: 'POST', url: '/v1/suppressions', payload: { numbers: ['+919800000031'], account: 'acme' } },
  'POST /v1/suppressions/remove': { method: 'POST', url: '/v1/suppressions/remove', payload: { numbers: ['+919800000003'], global: true } },
  'POST /v1/suppressions/import': { method: 'POST', url: '/v1/suppressions/import?global=true', headers: { 'content-type': 'text/plain' }, payload: '+919800000041\n+919800000042\n' },
  'POST /v1/callbacks/kaleyra': { method: 'POST', url: '/v1/callbacks/kaleyra', headers: { 'x-wabulk-callback-secret': SECRET }, payload: { id: 'unknown-id-1', status: 'delivered' } },
  'GET /v1/callbacks/kaleyra': { method: 'GET', url: '/v1/callbacks/kaleyra?id=unknown-id-2&status=read', headers: { 'x-wabulk-callback-secret': SECRET } },
};

/**
 * Write routes Redis lets through when full, by design: removing members frees memory (SREM, HDEL
 * are not "deny-oom" commands). They answer 200 when full and 503 when Redis is gone.
 */
const FREEING = new Set(['POST /v1/suppressions/remove']);

/** Reads: 503 once Redis is gone. */
const READS: Record<string, Req> = {
  'GET /v1/campaigns/{id}': { method: 'GET', url: '/v1/campaigns/c1' },
  'GET /v1/campaigns/{id}/recipients': { method: 'GET', url: '/v1/campaigns/c1/recipients' },
  'GET /v1/campaigns': { method: 'GET', url: '/v1/campaigns' },
  'GET /v1/exports/{ticket}': { method: 'GET', url: `/v1/exports/${'t'.repeat(32)}` },
  'GET /v1/accounts/{id}': { method: 'GET', url: '/v1/accounts/acme' },
  'GET /v1/accounts': { method: 'GET', url: '/v1/accounts' },
  'GET /v1/suppressions': { method: 'GET', url: '/v1/suppressions?global=true' },
  'GET /v1/suppressions/check': { method: 'GET', url: '/v1/suppressions/check?number=%2B919800000003' },
};
/** Routes that do not need Redis (alive, the spec, the process's own metrics, who the token is) or report on it (/readyz: 503 without Retry-After). */
const NO_REDIS = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /v1/me']);

let server: OwnRedis;
let redis: Redis;
let admin: Redis;
let app: Api;
let routes: string[];

/** The API on `redis` as the tests here use it. */
const appOn = (redis: Redis | RedisClient, base: string) =>
  buildApi({
    redis,
    base,
    tokens: [TOKEN],
    logger: createLogger({ level: 'silent', destination: process.stderr }),
    registry: new Registry(),
    defaultAccount: 'acme',
    configuredAccounts: ['acme'],
    callbackAuth: { secret: SECRET },
  });

const send = (r: Req) =>
  app.inject({ method: r.method, url: r.url, headers: { ...auth, ...(typeof r.payload === 'object' ? { 'content-type': 'application/json' } : {}), ...r.headers }, payload: r.payload as never });

beforeAll(async () => {
  server = await OwnRedis.start(['--maxmemory-policy', 'noeviction']);
  redis = createRedis(server.url, 'producer');
  admin = createRedis(server.url, 'producer');
  await Promise.all([waitForReady(redis), waitForReady(admin)]);
  app = await appOn(redis, uniqueBase('r503'));
  await app.ready();
  // What the routes act on: a campaign, a listed number.
  expect((await send({ method: 'POST', url: '/v1/messages', payload: { campaignId: 'c1', to: ['+919800000001', '+919800000002'], body: 'hi' } })).statusCode).toBe(202);
  expect((await send({ method: 'POST', url: '/v1/messages', payload: { campaignId: 'c4', to: ['+919800000005'], body: 'hi' } })).statusCode).toBe(202);
  expect((await send({ method: 'POST', url: '/v1/campaigns/c4/pause' })).statusCode).toBe(200);
  expect((await send({ method: 'POST', url: '/v1/suppressions', payload: { numbers: ['+919800000003', '+919800000004'], global: true } })).statusCode).toBe(200);
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  routes = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
});

afterAll(async () => {
  await app?.close();
  for (const r of [redis, admin]) if (r && r.status !== 'end') r.disconnect();
  await server?.stop();
});

test('every route of the app has a request here (a new route must say how it fails)', () => {
  const known = new Set([...Object.keys(WRITES), ...Object.keys(READS), ...NO_REDIS]);
  expect(routes.filter((r) => !known.has(r))).toEqual([]);
  expect(Object.keys(WRITES).length).toBeGreaterThanOrEqual(13);
});

test('Redis out of memory (maxmemory 1, noeviction): every write route answers 503 with Retry-After', async () => {
  await admin.config('SET', 'maxmemory', '1');
  try {
    const answers: Record<string, unknown> = {};
    for (const [route, req] of Object.entries(WRITES)) {
      const res = await send(req);
      answers[route] = FREEING.has(route) ? res.statusCode : { status: res.statusCode, retryAfter: res.headers['retry-after'], error: res.json().error, message: res.json().message };
    }
    const expected = Object.fromEntries(
      Object.keys(WRITES).map((route) => [
        route,
        FREEING.has(route) ? 200 : { status: 503, retryAfter: '5', error: 'service unavailable', message: expect.stringMatching(/Redis\) is out of memory .*retry in 5 s/) },
      ]),
    );
    expect(answers).toEqual(expected);
  } finally {
    await admin.config('SET', 'maxmemory', '0');
  }
  // Room again: the same request goes through.
  expect((await send(WRITES['POST /v1/accounts/{id}']!)).statusCode).toBe(200);
});

test('Redis silent (a partition: the connection stays open, nothing answers): every route that needs it answers 503 with Retry-After within its deadline', async () => {
  // The API as `wabulk api` opens it with WABULK_REDIS_COMMAND_TIMEOUT_MS=300, through a TCP proxy
  // that holds every byte both ways (issue 16): without the deadline these requests wait for ever.
  const proxy = await startTcpProxy({ port: Number(new URL(server.url).port) });
  const held = connectRedis({ url: proxy.url('redis'), commandTimeoutMs: 300 }, 'producer');
  const heldApp = await appOn(held, uniqueBase('r503h'));
  try {
    await waitForReady(held);
    await heldApp.ready();
    proxy.hold();
    const answers: Record<string, unknown> = {};
    const tookMs: Record<string, number> = {};
    for (const [route, req] of Object.entries({ ...WRITES, ...READS })) {
      const started = Date.now();
      const res = await heldApp.inject({ method: req.method, url: req.url, headers: { ...auth, ...(typeof req.payload === 'object' ? { 'content-type': 'application/json' } : {}), ...req.headers }, payload: req.payload as never });
      tookMs[route] = Date.now() - started;
      answers[route] = { status: res.statusCode, retryAfter: res.headers['retry-after'], error: res.json().error, message: res.json().message };
    }
    const expected = { status: 503, retryAfter: '5', error: 'service unavailable', message: expect.stringMatching(/Redis\) did not answer in time \(WABULK_REDIS_COMMAND_TIMEOUT_MS/) };
    expect(answers).toEqual(Object.fromEntries(Object.keys({ ...WRITES, ...READS }).map((r) => [r, expected])));
    expect((await heldApp.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    console.log(`partition figures ${JSON.stringify({ deadlineMs: 300, slowestMs: Math.max(...Object.values(tookMs)), tookMs })}`);
  } finally {
    proxy.release();
    await heldApp.close();
    held.disconnect();
    await proxy.close();
  }
});

test('Redis gone (server killed): every route that needs it answers 503 with Retry-After, never a 500', async () => {
  await server.kill();
  const answers: Record<string, unknown> = {};
  for (const [route, req] of Object.entries({ ...WRITES, ...READS })) {
    const res = await send(req);
    answers[route] = { status: res.statusCode, retryAfter: res.headers['retry-after'], error: res.json().error };
  }
  expect(answers).toEqual(Object.fromEntries(Object.keys({ ...WRITES, ...READS }).map((r) => [r, { status: 503, retryAfter: '5', error: 'service unavailable' }])));
  expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  // Back (on the same port): the app closes cleanly.
  await server.start();
});
