import { createHash } from 'node:crypto';
import type { ApiTokenConfig } from '@wabulk/config';
import { registerAccounts } from '@wabulk/queue';
import { bearer, json, startApi, TOKEN, type ApiHarness } from './api-harness.js';

// GET /v1/me (who the token is) and GET /v1/accounts (the accounts it may use, with their rate and
// the depth of their queue per priority), on a real Redis.

const SCOPED: ApiTokenConfig = { name: 'billing', token: 'billing-token-0123456789', accounts: ['zeta', 'acme'], scopes: ['read', 'send'] };
const OTHER: ApiTokenConfig = { name: 'other-ops', token: 'other-ops-token-0123456789', accounts: ['other'], scopes: ['control'] };
const EVERYWHERE: ApiTokenConfig = { name: 'reader', token: 'reader-token-0123456789ab', accounts: '*', scopes: ['read'] };

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({ tokens: [TOKEN, SCOPED, OTHER, EVERYWHERE], configuredAccounts: ['acme', 'other'] });
});
afterEach(async () => h.close());

const get = (url: string, token = TOKEN) => h.app.inject({ method: 'GET', url, headers: bearer(token) });
const numbers = (n: number, start: number) => Array.from({ length: n }, (_, i) => `+9198${String(start + i).padStart(8, '0')}`);

test('GET /v1/me: the name, scopes and accounts of a full token and of scoped ones; never the token; 401 without one', async () => {
  const full = await get('/v1/me');
  expect(full.statusCode).toBe(200);
  const id = `tok_${createHash('sha256').update(TOKEN).digest('hex').slice(0, 12)}`;
  expect(full.json()).toEqual({ name: id, scopes: ['send', 'read', 'control', 'metrics'], accounts: ['*'] });
  expect((await get('/v1/me', SCOPED.token)).json()).toEqual({ name: 'billing', scopes: ['send', 'read'], accounts: ['acme', 'zeta'] });
  // A token with none of the scopes a route needs may still ask who it is.
  expect((await get('/v1/me', OTHER.token)).json()).toEqual({ name: 'other-ops', scopes: ['control'], accounts: ['other'] });
  expect((await get('/v1/me', EVERYWHERE.token)).json()).toEqual({ name: 'reader', scopes: ['read'], accounts: ['*'] });
  for (const t of [TOKEN, SCOPED.token, OTHER.token]) expect((await get('/v1/me', t)).body).not.toContain(t);

  const none = await h.app.inject({ method: 'GET', url: '/v1/me' });
  expect(none.statusCode).toBe(401);
  expect(none.json()).toMatchObject({ error: 'unauthorized' });
  expect((await get('/v1/me', 'not-a-token-0123456789')).statusCode).toBe(401);

  // The OpenAPI document says any valid token may call it, and no 403.
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  expect(doc.paths['/v1/me'].get.description).toMatch(/^Any valid token may call this/);
  expect(Object.keys(doc.paths['/v1/me'].get.responses)).not.toContain('403');
});

test('GET /v1/accounts: the known accounts the token may use, sorted, each as GET /v1/accounts/:id, with its rate and depth by priority', async () => {
  // acme and other are configured; a worker serving acme reported 40/s; an operator registered zeta (no rate).
  await registerAccounts(h.ctx, ['acme'], 'worker', Date.now(), { acme: 40 });
  await registerAccounts(h.ctx, ['zeta'], 'operator');
  const send = (campaignId: string, priority: string, n: number, start: number, account = 'acme') =>
    h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId, to: numbers(n, start), body: 'hi', priority, account } });
  for (const r of [await send('c-high', 'high', 3, 0), await send('c-normal', 'normal', 2, 100), await send('c-low', 'low', 4, 200), await send('c-low-2', 'low', 1, 300), await send('z-normal', 'normal', 2, 400, 'zeta')]) {
    expect(r.statusCode).toBe(202);
  }

  const all = await get('/v1/accounts');
  expect(all.statusCode).toBe(200);
  const { accounts } = all.json<{ accounts: Array<Record<string, unknown>> }>();
  expect(accounts.map((a) => a.account)).toEqual(['acme', 'other', 'zeta']);
  expect(accounts[0]).toMatchObject({ account: 'acme', paused: false, queueDepth: 10, depthByPriority: { high: 3, normal: 2, low: 5 }, ratePerSecond: 40 });
  expect(accounts[1]).toMatchObject({ account: 'other', queueDepth: 0, depthByPriority: { high: 0, normal: 0, low: 0 }, ratePerSecond: null });
  expect(accounts[2]).toMatchObject({ account: 'zeta', depthByPriority: { high: 0, normal: 2, low: 0 }, ratePerSecond: null });
  // Each is the object GET /v1/accounts/:id answers.
  for (const a of accounts) expect((await get(`/v1/accounts/${String(a.account)}`)).json()).toEqual(a);

  // A scoped token: only its accounts (zeta and acme); 'other' is not there for it.
  expect((await get('/v1/accounts', SCOPED.token)).json<{ accounts: Array<{ account: string }> }>().accounts.map((a) => a.account)).toEqual(['acme', 'zeta']);
  expect((await get('/v1/accounts', EVERYWHERE.token)).json<{ accounts: unknown[] }>().accounts).toHaveLength(3);
  // The read scope is needed.
  const forbidden = await get('/v1/accounts', OTHER.token);
  expect(forbidden.statusCode).toBe(403);
  expect(forbidden.json().message).toMatch(/"read" scope/);

  // Pause and resume answer the same object, rate and depth included.
  const paused = await h.app.inject({ method: 'POST', url: '/v1/accounts/acme/pause', headers: json(), payload: {} });
  expect(paused.json()).toMatchObject({ paused: true, depthByPriority: { high: 3, normal: 2, low: 5 }, ratePerSecond: 40 });
  const resumed = await h.app.inject({ method: 'POST', url: '/v1/accounts/acme/resume', headers: bearer() });
  expect(resumed.json()).toMatchObject({ paused: false, depthByPriority: { high: 3, normal: 2, low: 5 }, ratePerSecond: 40 });
});
