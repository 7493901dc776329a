import { getCampaignStatus } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

// GET /v1/campaigns: newest first, state/account filters, a cursor; single messages are not listed
// but keep their status, recipients and export.

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer() });
const post = (payload: object) => h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload });

test('GET /v1/campaigns lists campaigns (not single messages) newest first with a cursor; filters; 400 on a bad query', async () => {
  for (const id of ['a1', 'a2', 'a3']) {
    expect((await post({ campaignId: id, to: ['+919876543210'], body: `hi ${id}` })).statusCode).toBe(202);
    // The order is by creation time: wait for the clock to move so each campaign has its own millisecond.
    const t = Date.now();
    while (Date.now() === t) await new Promise((r) => setImmediate(r));
  }
  const single = await post({ to: '+919876543211', body: 'otp 1234' });
  const singleId = single.json().campaignId as string;

  const first = await get('/v1/campaigns?limit=2');
  expect(first.statusCode).toBe(200);
  expect(first.json().campaigns.map((c: { campaignId: string }) => c.campaignId)).toEqual(['a3', 'a2']);
  expect(first.json().campaigns[0]).toEqual(await getCampaignStatus(h.ctx, 'a3'));
  const next = await get(`/v1/campaigns?limit=2&cursor=${first.json().cursor}`);
  expect(next.json()).toEqual({ campaigns: [expect.objectContaining({ campaignId: 'a1', state: 'running' })], cursor: null });

  expect((await get('/v1/campaigns?account=acme&state=running')).json().campaigns).toHaveLength(3);
  expect((await get('/v1/campaigns?state=done')).json()).toEqual({ campaigns: [], cursor: null });
  expect((await get('/v1/campaigns?account=other')).json().campaigns).toEqual([]);

  // The single message is out of the list, and its own routes still answer.
  expect((await get(`/v1/campaigns/${singleId}`)).json()).toMatchObject({ total: 1, pending: 1 });
  expect((await get(`/v1/campaigns/${singleId}/recipients`)).json().recipients).toHaveLength(1);

  for (const [query, field] of [['state=nope', 'state'], ['limit=0', 'limit'], ['account=a%20b', 'account']] as const) {
    const bad = await get(`/v1/campaigns?${query}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].field).toBe(field);
  }
  const badCursor = await get('/v1/campaigns?cursor=xyz');
  expect(badCursor.statusCode).toBe(400);
  expect(badCursor.json().issues[0].field).toBe('cursor');
});
