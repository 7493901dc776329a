import { getCampaignStatus, registerAccounts } from '@wabulk/queue';
import { json, metricValue, OTHER_TOKEN, startApi, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const post = (payload: unknown, headers: Record<string, string> = json()) => h.app.inject({ method: 'POST', url: '/v1/messages', headers, payload: payload as object });

test('202 with exactly what Producer.enqueueText returns; one job per recipient', async () => {
  const res = await post({ campaignId: 'c1', to: '+919876543210, 919876543210,bogus, +14155550100', body: 'hi', ref: 'r' });
  expect(res.statusCode).toBe(202);
  expect(res.json()).toEqual({ campaignId: 'c1', accepted: 2, duplicates: 1, rejected: [{ input: 'bogus', reason: 'not a phone number' }], rejectedByReason: { 'not a phone number': 1 }, suppressed: 0 });
  expect(await h.ctx.queues.get('acme').count()).toBe(2);
  expect(await getCampaignStatus(h.ctx, 'c1')).toMatchObject({ total: 2, pending: 2, priority: 'high' });
  expect(await h.ctx.queues.get('acme').getJobCounts('wait', 'prioritized')).toEqual({ wait: 2, prioritized: 0 });
  await registerAccounts(h.ctx, ['other'], 'operator'); // a second account, known to intake
  const array = await post({ to: ['+919876543211', '+919876543212'], body: 'hi', account: 'other' });
  expect(array.json()).toMatchObject({ campaignId: expect.stringMatching(/^msg-/), accepted: 2 });
  expect(await h.ctx.queues.get('other').count()).toBe(2);
  expect(await metricValue(h.registry, 'wabulk_recipients_enqueued_total', { account: 'acme' })).toBe(2);
});

test('400 names each bad field', async () => {
  const cases: Array<[unknown, string[]]> = [
    [{ body: 'hi' }, ['to']],
    [{ to: '+919876543210' }, ['body']],
    [{ to: '+919876543210', body: '' }, ['body']],
    [{ to: '+919876543210', body: 'x'.repeat(4097) }, ['body']],
    [{ to: 5, body: 'hi', previewUrl: 'yes' }, ['to', 'previewUrl']],
    [{ to: ['+919876543210', 7], body: 'hi' }, ['to']],
    [{ to: '+919876543210', body: 'hi', campaignId: 'a:b' }, ['campaignId']],
    [{ to: '+919876543210', body: 'hi', account: 'a b' }, ['account']],
    [{ to: '+919876543210', body: 'hi', priority: 'urgent' }, ['priority']],
    [[1, 2], ['(body)']],
  ];
  for (const [payload, fields] of cases) {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('invalid request');
    expect(body.issues.map((i: { field: string }) => i.field).sort()).toEqual([...fields].sort());
  }
  expect(await h.ctx.queues.get('acme').count()).toBe(0);
});

test('a campaign id reused for another message: 409', async () => {
  await post({ campaignId: 'c3', to: '+919876543210', body: 'one' });
  const res = await post({ campaignId: 'c3', to: '+919876543211', body: 'two' });
  expect(res.statusCode).toBe(409);
  expect(res.json()).toEqual({ error: 'campaign conflict', message: expect.stringContaining('different message') });
});

describe('Idempotency-Key', () => {
  const withKey = (key: string, token?: string) => ({ ...json(token), 'idempotency-key': key });

  test('a retried request gets the first answer and enqueues nothing more', async () => {
    const first = await post({ to: '+919876543210,+919876543211', body: 'otp' }, withKey('k-1'));
    expect(first.statusCode).toBe(202);
    const again = await post({ to: '+919876543210,+919876543211', body: 'otp' }, withKey('k-1'));
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json()); // same (generated) campaign id too
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await h.ctx.queues.get('acme').count()).toBe(2);
  });

  test('the same key with another body: 422; keys are per token', async () => {
    await post({ to: '+919876543210', body: 'a' }, withKey('k-2'));
    const other = await post({ to: '+919876543210', body: 'b' }, withKey('k-2'));
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ error: 'idempotency key reused' });
    const otherCaller = await post({ to: '+919876543210', body: 'b' }, withKey('k-2', OTHER_TOKEN));
    expect(otherCaller.statusCode).toBe(202);
    expect(otherCaller.headers['idempotent-replayed']).toBeUndefined();
  });

  test('concurrent duplicates: one enqueues, every one gets the same answer', async () => {
    const payload = { to: Array.from({ length: 50 }, (_, i) => `+9198765${String(i).padStart(5, '0')}`), body: 'burst' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(payload, withKey('k-burst'))));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(202));
    const bodies = answers.map((a) => a.json());
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    expect(bodies[0].accepted).toBe(50);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(await h.ctx.queues.get('acme').count()).toBe(50);
  });

  test('an input error is an answer too; a bad key is 400 naming the header', async () => {
    const first = await post({ campaignId: 'c9', to: '+919876543210', body: 'one' }, withKey('k-3'));
    await post({ campaignId: 'c9', to: '+919876543211', body: 'two' }, withKey('k-4'));
    const conflict = await post({ campaignId: 'c9', to: '+919876543211', body: 'two' }, withKey('k-4'));
    expect(first.statusCode).toBe(202);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['idempotent-replayed']).toBe('true');
    const bad = await post({ to: '+919876543210', body: 'x' }, withKey('has space'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([{ field: 'idempotency-key', message: 'must be printable ASCII without spaces' }]);
  });
});
