import { exportLinkKey } from '@wabulk/queue';
import { bearer, json, startApi, TOKEN, type ApiHarness } from './api-harness.js';

// POST /v1/campaigns/:id/export-link: a link that downloads the export once, within a minute,
// without the token (what the console's "Download CSV" uses, so the browser streams the file to disk).

let h: ApiHarness;
const LIMITED = { name: 'other-reader', token: 'other-reader-token-0123456789', accounts: ['other'], scopes: ['read' as const] };
const SENDER = { name: 'sender', token: 'sender-token-0123456789abcdef', accounts: '*' as const, scopes: ['send' as const] };
beforeAll(async () => {
  h = await startApi({ tokens: [TOKEN, LIMITED, SENDER], configuredAccounts: ['acme', 'other'] });
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'exp', to: ['+919800000101', '+919800000102', '+919800000103'], body: 'hi', account: 'acme' } });
  expect(res.statusCode).toBe(202);
});
afterAll(async () => h.close());

const link = async (payload?: object, token = TOKEN) =>
  h.app.inject({ method: 'POST', url: '/v1/campaigns/exp/export-link', headers: payload ? json(token) : bearer(token), payload: payload ? JSON.stringify(payload) : undefined });

test('the link downloads the same file as GET …/recipients?format=csv, as an attachment, once; a second use is a 404 that says why', async () => {
  const direct = await h.app.inject({ method: 'GET', url: '/v1/campaigns/exp/recipients?format=csv', headers: bearer() });
  const made = await link();
  expect(made.statusCode).toBe(200);
  const { url, expiresAt } = made.json<{ url: string; expiresAt: number }>();
  expect(url).toMatch(/^\/v1\/exports\/[A-Za-z0-9_-]{32}$/);
  expect(expiresAt).toBeGreaterThan(Date.now() + 50_000);
  expect(url).not.toContain(TOKEN);
  // No Authorization header: the link is the permission.
  const file = await h.app.inject({ method: 'GET', url });
  expect(file.statusCode).toBe(200);
  expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(file.headers['content-disposition']).toBe('attachment; filename="exp.csv"');
  expect(file.headers['cache-control']).toBe('no-store');
  expect(file.body).toBe(direct.body);
  expect(file.body.trim().split('\n')).toHaveLength(4);
  const again = await h.app.inject({ method: 'GET', url });
  expect(again.statusCode).toBe(404);
  expect(again.json().message).toMatch(/used already or has expired/);
});

test('ndjson and a status filter are the link\'s; an expired link is a 404; a malformed ticket is a 400 naming it', async () => {
  const made = (await link({ format: 'ndjson', status: 'pending' })).json<{ url: string }>();
  const file = await h.app.inject({ method: 'GET', url: made.url });
  expect(file.headers['content-type']).toBe('application/x-ndjson');
  const rows = file.body.trim().split('\n').map((l) => JSON.parse(l) as { status: string });
  expect(rows).toHaveLength(3);
  expect(rows.every((r) => r.status === 'pending')).toBe(true);

  const expiring = (await link()).json<{ url: string }>();
  const ticket = expiring.url.split('/').pop()!;
  expect(await h.redis.ttl(exportLinkKey(h.base, ticket))).toBeGreaterThan(50);
  await h.redis.pexpire(exportLinkKey(h.base, ticket), 1);
  await new Promise((r) => setTimeout(r, 20));
  expect((await h.app.inject({ method: 'GET', url: expiring.url })).statusCode).toBe(404);

  const bad = await h.app.inject({ method: 'GET', url: '/v1/exports/not-a-ticket' });
  expect(bad.statusCode).toBe(400);
  expect(JSON.stringify(bad.json())).toContain('ticket');
  const badFormat = await link({ format: 'xlsx' });
  expect(badFormat.statusCode).toBe(400);
  expect(JSON.stringify(badFormat.json())).toContain('format');
});

test('a token outside the campaign\'s account gets a 404 as for an unknown campaign; a token without read a 403; nothing is stored for either', async () => {
  const before = await h.redis.keys(`${h.base}:export-link:*`);
  expect((await link(undefined, LIMITED.token)).statusCode).toBe(404);
  expect((await link(undefined, SENDER.token)).statusCode).toBe(403);
  expect((await h.app.inject({ method: 'POST', url: '/v1/campaigns/nope/export-link', headers: bearer() })).statusCode).toBe(404);
  expect(await h.redis.keys(`${h.base}:export-link:*`)).toEqual(before);
});
