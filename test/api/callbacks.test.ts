import { exportCampaign, getCampaignStatus, recordMessageId } from '@wabulk/queue';
import { CALLBACK_BASIC, CALLBACK_SECRET, json, metricValue, startApi, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const URL_ = '/v1/callbacks/kaleyra';
const basic = (cred = CALLBACK_BASIC) => ({ authorization: `Basic ${Buffer.from(cred).toString('base64')}` });
const TO = ['+919876543210', '+919876543211', '+919876543212'];

const callback = (payload: unknown, headers: Record<string, string> = basic()) => h.app.inject({ method: 'POST', url: URL_, headers: { 'content-type': 'application/json', ...headers }, payload: payload as object });

/** A campaign whose recipients Kaleyra accepted, recorded as the worker does: ledger sent, then the message-id index. */
async function sentCampaign(id: string, ids: string[]) {
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: id, to: TO.slice(0, ids.length), body: 'hi' } });
  for (let i = 0; i < ids.length; i++) {
    await h.ctx.ledger.record(id, TO[i]!, { status: 'sent', messageId: ids[i], code: 'WA202', attempts: 1, updatedAt: Date.now() });
    await recordMessageId(h.ctx, ids[i]!, { campaignId: id, to: TO[i]! });
  }
}

async function rows(campaignId: string) {
  const out: Array<Record<string, unknown>> = [];
  for await (const line of exportCampaign(h.ctx, campaignId, 'ndjson')) out.push(JSON.parse(line));
  return out.sort((a, b) => String(a.to).localeCompare(String(b.to)));
}

describe('auth', () => {
  test('basic auth, the secret header or the secret query parameter; anything else 401', async () => {
    await sentCampaign('a', ['A1']);
    const ok = [
      basic(),
      { 'x-wabulk-callback-secret': CALLBACK_SECRET },
    ];
    for (const headers of ok) expect((await callback({ id: 'A1', status: 'delivered' }, headers)).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `${URL_}?id=A1&status=read&secret=${CALLBACK_SECRET}` })).statusCode).toBe(200);
    const bad: Array<Record<string, string>> = [{}, basic('kaleyra:wrong-password'), { 'x-wabulk-callback-secret': 'nope' }, { authorization: 'Bearer test-token-0123456789abcdef' }];
    for (const headers of bad) {
      const res = await callback({ id: 'A1', status: 'read' }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect((await h.app.inject({ method: 'GET', url: `${URL_}?id=A1&status=read&secret=wrong` })).statusCode).toBe(401);
  });

  test('no callback credentials configured: 503, never open', async () => {
    const open = await startApi({ callbackAuth: {} });
    try {
      const res = await open.app.inject({ method: 'POST', url: URL_, headers: { 'content-type': 'application/json' }, payload: { id: 'A1', status: 'read' } });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'callbacks not configured' });
    } finally {
      await open.close();
    }
  });
});

test('sent → delivered → read, then failed after send, by POST JSON, GET query, form and arrays; status and export show them', async () => {
  await sentCampaign('c', ['A1', 'A2', 'A3']);
  expect((await callback({ id: 'A1', status: 'sent' })).json()).toEqual({ received: 1, applied: 0, unchanged: 1, unknown: 0, ignored: 0 });
  expect((await callback({ id: 'A1', status: 'delivered', timestamp: '1764400000', mobile: '919876543210' })).json()).toMatchObject({ applied: 1 });
  const get = await h.app.inject({ method: 'GET', url: `${URL_}?id=A2&status=delivered&secret=${CALLBACK_SECRET}` });
  expect(get.json()).toMatchObject({ applied: 1 });
  const form = await h.app.inject({ method: 'POST', url: URL_, headers: { ...basic(), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=A2&status=read' });
  expect(form.json()).toMatchObject({ applied: 1 });
  const batch = await callback([{ id: 'A3', status: 'failed', error: 'Re-engagement message', error_code: 131047 }, { id: 'A1', status: 'deleted' }]);
  expect(batch.json()).toEqual({ received: 2, applied: 1, unchanged: 0, unknown: 0, ignored: 1 });

  expect(await getCampaignStatus(h.ctx, 'c')).toMatchObject({
    total: 3, pending: 0, sent: 3, failed: 0, delivered: 2, read: 1, failedAfterSend: 1, failedAfterSendByCode: { '131047': 1 }, byCode: {}, done: true,
  });
  expect(await rows('c')).toEqual([
    expect.objectContaining({ to: TO[0], status: 'delivered', messageId: 'A1', code: 'WA202', updatedAt: new Date(1_764_400_000_000).toISOString() }),
    expect.objectContaining({ to: TO[1], status: 'read', messageId: 'A2', code: 'WA202' }),
    expect.objectContaining({ to: TO[2], status: 'failed-after-send', messageId: 'A3', code: '131047', reason: 'Re-engagement message' }),
  ]);
  const csv = await h.app.inject({ method: 'GET', url: '/v1/campaigns/c/recipients?format=csv&status=failed-after-send', headers: json() });
  expect(csv.body.trim().split('\n')[1]).toMatch(/^\+919876543212,failed-after-send,A3,131047,1,Re-engagement message,/);
  expect(await metricValue(h.registry, 'wabulk_callbacks_total', { status: 'failed', outcome: 'applied' })).toBe(1);
  expect(await metricValue(h.registry, 'wabulk_callbacks_total', { status: 'other', outcome: 'ignored' })).toBe(1);
});

test('out of order: never backwards; read beats failed; the first of delivered and failed wins', async () => {
  await sentCampaign('o', ['B1', 'B2', 'B3']);
  // read before delivered (and a late sent): stays read.
  expect((await callback({ id: 'B1', status: 'read' })).json()).toMatchObject({ applied: 1 });
  expect((await callback({ id: 'B1', status: 'delivered' })).json()).toMatchObject({ unchanged: 1 });
  expect((await callback({ id: 'B1', status: 'sent' })).json()).toMatchObject({ unchanged: 1 });
  // failed, then delivered (contradictory, first wins), then read (proof of delivery).
  expect((await callback({ id: 'B2', status: 'failed', error_code: '131026', error: 'Receiver incapable' })).json()).toMatchObject({ applied: 1 });
  expect((await callback({ id: 'B2', status: 'delivered' })).json()).toMatchObject({ unchanged: 1 });
  expect((await callback({ id: 'B2', status: 'read' })).json()).toMatchObject({ applied: 1 });
  // delivered, then failed: stays delivered.
  await callback({ id: 'B3', status: 'delivered' });
  expect((await callback({ id: 'B3', status: 'failed', error_code: '131047' })).json()).toMatchObject({ unchanged: 1 });
  // A late worker record of 'sent' does not move anything back either.
  await h.ctx.ledger.record('o', TO[0]!, { status: 'sent', messageId: 'B1', code: 'WA202', attempts: 2, updatedAt: Date.now() });

  const s = await getCampaignStatus(h.ctx, 'o');
  expect(s).toMatchObject({ sent: 3, delivered: 3, read: 2, failedAfterSend: 0, failedAfterSendByCode: {} });
  expect((await rows('o')).map((r) => [r.status, r.code])).toEqual([['read', 'WA202'], ['read', 'WA202'], ['delivered', 'WA202']]);
});

test('unknown ids are counted and kept, then applied when the send is recorded; <uuid>:0 ids join their message', async () => {
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'late', to: TO, body: 'hi' } });
  // Callbacks arrive before the worker recorded the sends (out of order: read first).
  const early = await callback([
    { id: 'U1', status: 'read' },
    { id: 'U1', status: 'delivered' },
    { id: '6f1c1e1a-0b7e-4a5e-9d0f-3c2b1a0e9d8c:0', status: 'failed', error_code: '131047', error: 'Re-engagement message' },
  ]);
  expect(early.json()).toEqual({ received: 3, applied: 0, unchanged: 0, unknown: 3, ignored: 0 });
  expect(await metricValue(h.registry, 'wabulk_callbacks_total', { status: 'read', outcome: 'unknown' })).toBe(1);
  expect(await getCampaignStatus(h.ctx, 'late')).toMatchObject({ pending: 3, delivered: 0 });

  // The worker's step: ledger sent, then the index, which applies what was waiting.
  await h.ctx.ledger.record('late', TO[0]!, { status: 'sent', messageId: 'U1', code: 'WA202', attempts: 1, updatedAt: Date.now() });
  expect(await recordMessageId(h.ctx, 'U1', { campaignId: 'late', to: TO[0]! })).toBe(1);
  await h.ctx.ledger.record('late', TO[1]!, { status: 'sent', messageId: '6f1c1e1a-0b7e-4a5e-9d0f-3c2b1a0e9d8c', code: 'WA202', attempts: 1, updatedAt: Date.now() });
  expect(await recordMessageId(h.ctx, '6f1c1e1a-0b7e-4a5e-9d0f-3c2b1a0e9d8c', { campaignId: 'late', to: TO[1]! })).toBe(1);
  // Writing the index again (a re-run job) applies nothing twice.
  expect(await recordMessageId(h.ctx, 'U1', { campaignId: 'late', to: TO[0]! })).toBe(0);
  // Later callbacks for the same message find the index directly, with or without the :n suffix.
  await h.ctx.ledger.record('late', TO[2]!, { status: 'sent', messageId: 'U3', code: 'WA202', attempts: 1, updatedAt: Date.now() });
  await recordMessageId(h.ctx, 'U3', { campaignId: 'late', to: TO[2]! });
  expect((await callback({ id: 'U3:0', status: 'delivered' })).json()).toMatchObject({ applied: 1 });

  expect(await getCampaignStatus(h.ctx, 'late')).toMatchObject({ pending: 0, sent: 3, delivered: 2, read: 1, failedAfterSend: 1 });
  expect((await rows('late')).map((r) => r.status)).toEqual(['read', 'failed-after-send', 'delivered']);
});

test('400 names the missing field; unknown statuses and extra fields are accepted', async () => {
  const res = await callback({ status: 'read' });
  expect(res.statusCode).toBe(400);
  expect(res.json().issues).toEqual([{ field: 'id', message: 'is required' }]);
  const get = await h.app.inject({ method: 'GET', url: `${URL_}?id=A1&secret=${CALLBACK_SECRET}` });
  expect(get.statusCode).toBe(400);
  expect(get.json().issues[0].field).toBe('status');
  const extra = await callback({ id: 'Z9', status: 'enqueued', price: 0.12, custom_response: 'x', phone_number: '919000000000' });
  expect(extra.json()).toMatchObject({ ignored: 1 });
});

test('long fields: error, error_code, mobile and refs are cut to 256 characters (the callback is applied); an id over 200 or a status over 40 is a 400 naming it', async () => {
  await sentCampaign('long', ['L1']);
  const res = await callback({ id: 'L1', status: 'failed', error: 'e'.repeat(100_000), error_code: 'C'.repeat(1000), mobile: '9'.repeat(5000), ref: 'r'.repeat(300) });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ applied: 1 });
  const [row] = await rows('long');
  expect(row).toMatchObject({ status: 'failed-after-send', code: 'C'.repeat(256), reason: 'e'.repeat(256) });
  for (const [field, payload] of [
    ['id', { id: 'x'.repeat(201), status: 'read' }],
    ['status', { id: 'L1', status: 's'.repeat(41) }],
  ] as const) {
    const bad = await callback(payload);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].field).toBe(field);
  }
});
