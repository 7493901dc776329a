import { listRegisteredAccounts } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

// Section 5 of issue 10 through the API: 422 naming the field `account`, nothing queued; an
// operator's POST /v1/accounts/:id makes the account known.

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi(); // configured for 'acme' only
});
afterEach(async () => h.close());

const keys = async () => [...(await h.redis.keys(`${h.base}:*`)), ...(await h.redis.keys(`{${h.base}-*`))].sort();

test('POST /v1/messages and POST /v1/campaigns answer 422 for an unknown account; nothing is queued', async () => {
  const before = await keys();
  const msg = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { to: '+919876543210', body: 'hi', account: 'nosuch' } });
  expect(msg.statusCode).toBe(422);
  const body = msg.json();
  expect(body).toMatchObject({ error: 'unknown account', issues: [{ field: 'account' }] });
  expect(body.message).toContain('nosuch');
  expect(body.issues[0].message).toContain('acme');

  const keyed = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(), 'idempotency-key': 'k-unknown' }, payload: { to: '+919876543210', body: 'hi', account: 'nosuch' } });
  expect(keyed.statusCode).toBe(422);

  const upload = await h.app.inject({ method: 'POST', url: '/v1/campaigns?campaignId=up1&body=hi&account=nosuch', headers: { ...bearer(), 'content-type': 'text/csv' }, payload: 'to\n+919876543210\n' });
  expect(upload.statusCode).toBe(422);
  expect(upload.json()).toMatchObject({ error: 'unknown account', issues: [{ field: 'account' }] });

  expect(await keys()).toEqual(before);
  expect(await h.ctx.queues.get('nosuch').count()).toBe(0);
  expect((await h.app.inject({ method: 'GET', url: '/v1/campaigns/up1', headers: bearer() })).statusCode).toBe(404);
});

test('POST /v1/accounts/:id registers an account ahead of its workers; messages for it are then accepted', async () => {
  expect((await h.app.inject({ method: 'GET', url: '/v1/accounts/later', headers: bearer() })).statusCode).toBe(404);
  const reg = await h.app.inject({ method: 'POST', url: '/v1/accounts/later', headers: bearer() });
  expect(reg.statusCode).toBe(200);
  expect(reg.json()).toMatchObject({ account: 'later', paused: false, queueDepth: 0 });
  expect(await listRegisteredAccounts(h.ctx)).toEqual([{ account: 'later', source: 'operator', at: expect.any(Number) }]);
  const msg = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { to: '+919876543210', body: 'hi', account: 'later' } });
  expect(msg.statusCode).toBe(202);
  expect((await h.app.inject({ method: 'GET', url: '/v1/accounts/later', headers: bearer() })).json()).toMatchObject({ queueDepth: 1 });
  // A refusal is not kept as the Idempotency-Key's answer: the same request succeeds once the account is known.
  const keyed = { method: 'POST' as const, url: '/v1/messages', headers: { ...json(), 'idempotency-key': 'k-later' }, payload: { to: '+919876543211', body: 'hi', account: 'later2' } };
  expect((await h.app.inject(keyed)).statusCode).toBe(422);
  await h.app.inject({ method: 'POST', url: '/v1/accounts/later2', headers: bearer() });
  expect((await h.app.inject(keyed)).statusCode).toBe(202);
  const bad = await h.app.inject({ method: 'POST', url: '/v1/accounts/a%20b', headers: bearer() });
  expect(bad.statusCode).toBe(400);
});
