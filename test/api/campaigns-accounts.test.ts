import { getCampaignStatus, pauseAccount } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer() });
const numbers = (n: number) => Array.from({ length: n }, (_, i) => `+9198${String(i).padStart(8, '0')}`);

async function campaign(id: string, n: number) {
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: id, to: numbers(n), body: 'hi' } });
  const now = Date.now();
  // Some outcomes, as the worker would record them.
  await h.ctx.ledger.record(id, numbers(n)[0]!, { status: 'sent', messageId: 'A1', code: 'WA202', attempts: 1, updatedAt: now });
  await h.ctx.ledger.record(id, numbers(n)[1]!, { status: 'failed', code: 'WA400', reason: 'bad', attempts: 1, updatedAt: now });
}

test('GET /v1/campaigns/:id answers the fields of `status --json`; 404 and 400 otherwise', async () => {
  await campaign('c1', 5);
  const res = await get('/v1/campaigns/c1');
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual(await getCampaignStatus(h.ctx, 'c1'));
  expect(res.json()).toMatchObject({ total: 5, pending: 3, sent: 1, failed: 1, byCode: { WA400: 1 }, paused: false, pauseReason: null, delivered: 0, read: 0, failedAfterSend: 0 });
  expect((await get('/v1/campaigns/nope')).statusCode).toBe(404);
  const bad = await get('/v1/campaigns/a:b');
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues[0].field).toBe('id');
});

test('recipients: pages with a cursor cover every recipient once; filter by status', async () => {
  await campaign('big', 1200); // above the listpack size, so HSCAN really pages
  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`/v1/campaigns/big/recipients?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    for (const r of body.recipients) seen.add(r.to);
    cursor = body.nextCursor;
    pages++;
  } while (cursor !== null && pages < 100);
  expect(seen.size).toBe(1200);
  expect(pages).toBeGreaterThan(3);
  const sent = (await get('/v1/campaigns/big/recipients?status=sent&limit=1000')).json();
  expect(sent.recipients).toEqual([{ to: numbers(1)[0], status: 'sent', messageId: 'A1', code: 'WA202', attempts: 1, reason: null, updatedAt: expect.any(String) }]);
  const bad = await get('/v1/campaigns/big/recipients?status=lost&limit=0&cursor=x');
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues.map((i: { field: string }) => i.field).sort()).toEqual(['cursor', 'limit', 'status']);
  expect((await get('/v1/campaigns/none/recipients')).statusCode).toBe(404);
});

test('recipients as CSV or NDJSON: every row, streamed, optionally one status', async () => {
  await campaign('c2', 4);
  const csv = await get('/v1/campaigns/c2/recipients?format=csv');
  expect(csv.statusCode).toBe(200);
  expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  const lines = csv.body.trim().split('\n');
  expect(lines[0]).toBe('to,status,messageId,code,attempts,reason,updatedAt');
  expect(lines).toHaveLength(5);
  const nd = await get('/v1/campaigns/c2/recipients?format=ndjson&status=failed');
  expect(nd.headers['content-type']).toBe('application/x-ndjson');
  expect(nd.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ status: 'failed', code: 'WA400', reason: 'bad' })]);
});

test('accounts: pause, state (reason, since, queue depth), resume; unknown 404; bad id 400', async () => {
  expect((await get('/v1/accounts/nobody')).statusCode).toBe(404); // acme is configured for this API, nobody is not
  await campaign('c3', 3);
  const paused = await h.app.inject({ method: 'POST', url: '/v1/accounts/acme/pause', headers: json(), payload: { message: 'maintenance' } });
  expect(paused.statusCode).toBe(200);
  expect(paused.json()).toMatchObject({ account: 'acme', paused: true, pauseReason: 'manual', pauseMessage: 'maintenance', pausedAt: expect.any(Number), queueDepth: 3 });
  expect((await get('/v1/campaigns/c3')).json()).toMatchObject({ paused: true, pauseReason: 'manual' });
  const state = (await get('/v1/accounts/acme')).json();
  expect(state).toMatchObject({ paused: true, queueDepth: 3, counts: expect.objectContaining({ waiting: 3 }) });
  const resumed = await h.app.inject({ method: 'POST', url: '/v1/accounts/acme/resume', headers: bearer() });
  expect(resumed.json()).toMatchObject({ paused: false, pauseReason: null, resumedAt: expect.any(Number) });
  // A pause by Kaleyra's code reads the same way.
  await pauseAccount(h.ctx, 'acme', 'E110', { message: 'Insufficient balance' });
  expect((await get('/v1/accounts/acme')).json()).toMatchObject({ paused: true, pauseReason: 'E110', pauseMessage: 'Insufficient balance' });
  const bad = await h.app.inject({ method: 'POST', url: '/v1/accounts/a%20b/pause', headers: bearer() });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues[0].field).toBe('id');
});
