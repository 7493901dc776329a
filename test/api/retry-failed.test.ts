import type { ApiTokenConfig } from '@wabulk/config';
import { campaignKeys } from '@wabulk/queue';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { bearer, json, startApi, TOKEN, type ApiHarness } from './api-harness.js';

// POST /v1/campaigns/:id/retry-failed and the status's failureReasons and startedAt, live: the
// simulator answers failures with Kaleyra's codes, an in-process worker records them, the API (on
// the stack's keys) retries some codes and the worker sends them again.

const READ_ACME: ApiTokenConfig = { name: 'reader', token: 'reader-token-0123456789ab', accounts: ['acme'], scopes: ['read'] };
const CONTROL_OTHER: ApiTokenConfig = { name: 'other-ops', token: 'other-ops-token-0123456789', accounts: ['other'], scopes: ['control'] };

let s: Stack;
let h: ApiHarness;
beforeAll(async () => {
  s = await startStack();
  h = await startApi({ base: s.base, tokens: [TOKEN, READ_ACME, CONTROL_OTHER], configuredAccounts: ['acme', 'other'] });
});
afterAll(async () => {
  await h?.close();
  await s?.close();
});

const status = async (id: string) => (await h.app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: bearer() })).json<Record<string, unknown>>();
const retry = (id: string, payload?: object, token = TOKEN) =>
  h.app.inject({ method: 'POST', url: `/v1/campaigns/${id}/retry-failed`, headers: payload === undefined ? bearer(token) : json(token), payload: payload === undefined ? undefined : JSON.stringify(payload) });
const send = (to: string[]) => h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'rf', to, body: 'hi' } });
/** Until nothing is pending and no job of the account is active (the ledger records a send before its job completes). */
async function settled(id: string): Promise<Record<string, unknown>> {
  await s.waitDone(id);
  await waitFor(async () => (await s.ctx.queues.get('acme').getActiveCount()) === 0, { what: 'no active job' });
  return status(id);
}

test('failures with two codes: failureReasons live, startedAt null before the first send; retry-failed requeues only the codes given', async () => {
  const all = numbers(8, 700);
  expect((await send(all.slice(0, 5))).statusCode).toBe(202);
  expect(await status('rf')).toMatchObject({ total: 5, pending: 5, startedAt: null, failureReasons: {}, byCode: {} });

  s.sim.setFaults({ failNext: 3, failCode: 'WA400', failStatus: null });
  await s.startWorker();
  expect(await settled('rf')).toMatchObject({ sent: 2, failed: 3 });
  s.sim.setFaults({ failNext: 2, failCode: 'WA422', failStatus: 422 });
  expect((await send(all.slice(5))).statusCode).toBe(202);
  const failed = await settled('rf');
  s.sim.setFaults({ failNext: 0, failCode: null, failStatus: null });

  expect(failed).toMatchObject({ total: 8, sent: 3, failed: 5, byCode: { WA400: 3, WA422: 2 }, failureReasons: { WA400: expect.any(String), WA422: expect.any(String) }, startedAt: expect.any(Number) });
  expect(failed.startedAt).toBeGreaterThanOrEqual(failed.createdAt as number);
  expect(failed.startedAt).toBeLessThanOrEqual(Date.now());
  // Each reason is Kaleyra's text of a failure with that code, as the recipient rows hold it.
  const rows = (await h.app.inject({ method: 'GET', url: '/v1/campaigns/rf/recipients?status=failed&limit=100', headers: bearer() })).json<{ recipients: Array<{ code: string; reason: string }> }>().recipients;
  for (const [code, reason] of Object.entries(failed.failureReasons as Record<string, string>)) {
    expect(reason.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.code === code).map((r) => r.reason.slice(0, 300))).toContain(reason);
  }
  // GET /v1/campaigns lists the same object.
  const listed = (await h.app.inject({ method: 'GET', url: '/v1/campaigns', headers: bearer() })).json<{ campaigns: unknown[] }>().campaigns;
  expect(listed).toContainEqual(failed);

  const only422 = await retry('rf', { codes: ['WA422'] });
  expect(only422.statusCode).toBe(200);
  expect(only422.json()).toEqual({ campaignId: 'rf', requeued: 2 });
  const after = await settled('rf');
  expect(after).toMatchObject({ total: 8, sent: 5, failed: 3, byCode: { WA400: 3 }, startedAt: failed.startedAt });
  // A code no recipient fails with any more has no reason either.
  expect(after.failureReasons).toEqual({ WA400: (failed.failureReasons as Record<string, string>).WA400 });

  // Nothing left with that code: nothing queued. No body (or no codes): every failed recipient.
  expect((await retry('rf', { codes: ['WA422'] })).json()).toEqual({ campaignId: 'rf', requeued: 0 });
  expect((await retry('rf')).json()).toEqual({ campaignId: 'rf', requeued: 3 });
  expect(await settled('rf')).toMatchObject({ sent: 8, failed: 0, byCode: {}, failureReasons: {} });
});

test('400 names the field and the rule; 403 without the control scope; 404 for an unknown campaign and for one outside the token\'s accounts', async () => {
  const bad = await retry('rf', { codes: ['WA500', 'bad code'] });
  expect(bad.statusCode).toBe(400);
  expect(bad.json()).toEqual({ error: 'invalid request', issues: [{ field: 'codes.1', message: expect.stringMatching(/Kaleyra code: 1-32 letters, digits, _ or -/) }] });
  const notArray = await retry('rf', { codes: 'WA500' });
  expect(notArray.statusCode).toBe(400);
  expect(notArray.json().issues[0].field).toBe('codes');

  const forbidden = await retry('rf', {}, READ_ACME.token);
  expect(forbidden.statusCode).toBe(403);
  expect(forbidden.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('"control" scope') });

  const foreign = await retry('rf', {}, CONTROL_OTHER.token);
  const unknown = await retry('no-such', {}, CONTROL_OTHER.token);
  expect(foreign.statusCode).toBe(404);
  expect(foreign.body).toBe(unknown.body.replace('no-such', 'rf'));
  expect((await retry('no-such')).statusCode).toBe(404);
});

test('what the producer refuses: 409 while the campaign is being archived, 503 for an archived campaign the archive cannot answer for', async () => {
  const k = campaignKeys(s.base, 'rf');
  await s.redis.hset(k.state, 'archiving', 'test-owner');
  // A failed recipient to retry (a new one: a sent recipient never turns failed), so the ledger's reset is reached.
  await s.ctx.ledger.record('rf', numbers(1, 900)[0]!, { status: 'failed', code: 'WA500', reason: 'x', attempts: 1, updatedAt: Date.now() });
  try {
    const busy = await retry('rf');
    expect(busy.statusCode).toBe(409);
    expect(busy.json()).toEqual({ error: 'campaign conflict', message: 'campaign rf is being archived; retry in a minute' });
  } finally {
    await s.redis.hdel(k.state, 'archiving');
  }

  // Only its marker in Redis, and this API has no WABULK_ARCHIVE_URL.
  await s.redis.set(campaignKeys(s.base, 'gone').archived, JSON.stringify({ account: 'acme', archivedAt: Date.now() }));
  const down = await retry('gone');
  expect(down.statusCode).toBe(503);
  expect(down.headers['retry-after']).toBe('30');
  expect(down.json()).toMatchObject({ error: 'archive unavailable' });
});
