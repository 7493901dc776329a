import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

// Cursors and ids are checked before they reach Redis: a 30-digit cursor is a 400 naming `cursor`,
// never Redis's "invalid cursor" travelling as a 500.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'c1', to: ['+919800000001', '+919800000002'], body: 'hi' } });
  await h.app.inject({ method: 'POST', url: '/v1/suppressions', headers: json(), payload: { numbers: ['+919800000003'], global: true } });
});
afterAll(async () => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer() });
const THIRTY = '1'.repeat(30);
// One past Redis's largest cursor (2^64 - 1): 20 digits, still refused before Redis.
const PAST_U64 = '18446744073709551616';
// A campaign-list cursor that decodes to a 30-digit score.
const LIST_30 = Buffer.from(`${THIRTY}:c1`).toString('base64url');

test.each([
  ['campaign recipients', `/v1/campaigns/c1/recipients?cursor=${THIRTY}`],
  ['campaign recipients past 2^64', `/v1/campaigns/c1/recipients?cursor=${PAST_U64}`],
  ['campaign list', `/v1/campaigns?cursor=${THIRTY}`],
  ['campaign list (decoded 30-digit score)', `/v1/campaigns?cursor=${LIST_30}`],
  ['campaign list (not base64url)', '/v1/campaigns?cursor=a%2Fb%3D'],
  ['suppression list', `/v1/suppressions?global=true&cursor=${THIRTY}`],
  ['suppression list past 2^64', `/v1/suppressions?global=true&cursor=${PAST_U64}`],
])('%s: 400 naming cursor', async (_name, url) => {
  const res = await get(url);
  expect(res.statusCode).toBe(400);
  expect(res.json()).toMatchObject({ error: 'invalid request', issues: [expect.objectContaining({ field: 'cursor' })] });
});

test('the largest cursor Redis takes (2^64 - 1) is read, not refused', async () => {
  expect((await get('/v1/campaigns/c1/recipients?cursor=18446744073709551615')).statusCode).toBe(200);
  expect((await get('/v1/suppressions?global=true&cursor=18446744073709551615')).statusCode).toBe(200);
});

test.each([
  ['campaign id', '/v1/campaigns/' + 'x'.repeat(99), 'id'],
  ['campaign id with a colon', '/v1/campaigns/a:b/recipients', 'id'],
  ['account id', '/v1/accounts/' + '%00'.repeat(3), 'id'],
  ['account filter', `/v1/campaigns?account=${'a'.repeat(300)}`, 'account'],
])('%s: 400 naming the field', async (_name, url, field) => {
  const res = await get(url);
  expect(res.statusCode).toBe(400);
  expect(res.json().issues[0].field).toBe(field);
});
