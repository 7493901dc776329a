import { createRedis } from '@wabulk/queue';
import { Registry } from 'prom-client';
import { buildApi } from '@wabulk/api';
import { createLogger } from '@wabulk/telemetry';
import { bearer, json, OTHER_TOKEN, startApi, TOKEN, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const PROTECTED: Array<[string, string]> = [
  ['POST', '/v1/messages'],
  ['POST', '/v1/campaigns?campaignId=c'],
  ['GET', '/v1/campaigns/c'],
  ['GET', '/v1/campaigns/c/recipients'],
  ['GET', '/v1/accounts/acme'],
  ['POST', '/v1/accounts/acme/pause'],
  ['POST', '/v1/accounts/acme/resume'],
  ['GET', '/metrics'],
  ['GET', '/v1/nowhere'],
];

test.each(PROTECTED)('%s %s: 401 JSON without a valid bearer token', async (method, url) => {
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }, { authorization: 'Bearer' }]) {
    const res = await h.app.inject({ method: method as 'GET', url, headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
  }
});

test('either configured token works; health and the OpenAPI document need none', async () => {
  for (const token of [TOKEN, OTHER_TOKEN]) {
    expect((await h.app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) })).statusCode).toBe(200);
  }
  expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  expect((await h.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/v1/messages', '/v1/campaigns', '/v1/campaigns/{id}', '/v1/campaigns/{id}/recipients', '/v1/accounts/{id}', '/v1/accounts/{id}/pause', '/v1/accounts/{id}/resume', '/v1/callbacks/kaleyra', '/healthz', '/readyz', '/metrics']),
  );
  expect(doc.paths['/v1/messages'].post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['to', 'body']));
  // Campaign authoring is documented: the message fields, the upload's query, the status fields.
  expect(Object.keys(doc.paths['/v1/messages'].post.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['variables', 'dryRun', 'at', 'window', 'tz', 'priority']));
  expect(doc.paths['/v1/campaigns'].post.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['dryRun', 'at', 'window', 'tz', 'delimiter']));
  expect(Object.keys(doc.paths['/v1/messages'].post.responses)).toEqual(expect.arrayContaining(['200', '202']));
  expect(Object.keys(doc.paths['/v1/campaigns/{id}'].get.responses['200'].content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['state', 'startsAt', 'window', 'tz', 'waitingForWindow']));
});

test('unknown routes: 404 JSON', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/v1/nowhere?x=1', headers: bearer() });
  expect(res.statusCode).toBe(404);
  expect(res.json()).toEqual({ error: 'not found', message: 'no route GET /v1/nowhere' });
});

test('bad JSON is 400, a wrong content type 415, a body over the limit 413: all JSON, no stack', async () => {
  const bad = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: '{"to":' });
  expect(bad.statusCode).toBe(400);
  expect(bad.json()).toMatchObject({ error: 'invalid request' });
  const text = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...bearer(), 'content-type': 'text/csv' }, payload: 'to\n+919876543210\n' });
  expect(text.statusCode).toBe(415);
  expect(text.json()).toEqual({ error: 'unsupported media type', message: expect.stringContaining('application/json') });
  const small = await startApi({ bodyLimit: 1024 });
  try {
    const big = await small.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: JSON.stringify({ to: '+919876543210', body: 'x'.repeat(2000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'payload too large' });
  } finally {
    await small.close();
  }
  for (const res of [bad, text]) expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
});

test('Redis unreachable: /readyz 503, calls 503 JSON without a stack trace', async () => {
  const redis = createRedis('redis://127.0.0.1:1', 'producer', { retryStrategy: () => null });
  const app = await buildApi({ redis, base: 'wbt-down', tokens: [TOKEN], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry() });
  try {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { to: '+919876543210', body: 'hi' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'service unavailable', message: expect.stringContaining('Redis') });
    expect(res.body).not.toMatch(/\.ts:\d+|\.js:\d+/);
  } finally {
    await app.close();
    redis.disconnect();
  }
});
