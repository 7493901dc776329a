import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import {
  createQueueContext,
  createRedis,
  exportCampaign,
  getCampaignStatus,
  Producer,
  readCsvRecipients,
  SourceError,
  ValidationError,
  waitForReady,
  type QueueContext,
  type SourceRow,
} from '@wabulk/queue';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

let redis: Redis;
let ctx: QueueContext;
let producer: Producer;
let base: string;

beforeEach(async () => {
  base = uniqueBase('prod');
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
  producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });
});

afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

async function* rows(list: SourceRow[]) {
  yield* list;
}

describe('enqueueText', () => {
  test('splits, normalises, dedupes and reports every bad number; one job per recipient', async () => {
    const r = await producer.enqueueText({ campaignId: 'c1', to: '+919876543210, 919876543210,bogus, +14155550100', body: 'hi' });
    expect(r).toEqual({ campaignId: 'c1', accepted: 2, duplicates: 1, rejected: [{ input: 'bogus', reason: 'not a phone number' }], rejectedByReason: { 'not a phone number': 1 }, suppressed: 0 });
    const queue = ctx.queues.get('acme');
    const jobs = await queue.getJobs(['waiting', 'prioritized']);
    expect(jobs.map((j) => String(j.id)).sort()).toEqual(['c1-14155550100', 'c1-919876543210']);
    expect(jobs.map((j) => String(j.data.to)).sort()).toEqual(['+14155550100', '+919876543210']);
    const status = await getCampaignStatus(ctx, 'c1');
    expect(status).toMatchObject({ total: 2, pending: 2, sent: 0, failed: 0, paused: false, pauseReason: null, account: 'acme', done: false });
  });

  test('an array `to`, and the same request again adds nothing', async () => {
    const input = { campaignId: 'c2', to: ['+919876543210', '+919876543211'], body: 'hi' };
    expect((await producer.enqueueText(input)).accepted).toBe(2);
    expect(await producer.enqueueText(input)).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await ctx.queues.get('acme').count()).toBe(2);
  });

  test('no campaign id: a campaign of its own, so the message has a ledger', async () => {
    const r = await producer.enqueueText({ to: '+919876543210', body: 'hi' });
    expect(r.campaignId).toMatch(/^msg-/);
    expect((await getCampaignStatus(ctx, r.campaignId))?.total).toBe(1);
  });

  test('bad fields name the field and the rule; nothing is enqueued', async () => {
    await expect(producer.enqueueText({ to: '+919876543210', body: '' })).rejects.toThrow(/body: must not be empty/);
    await expect(producer.enqueueText({ to: '+919876543210', body: 'x'.repeat(4097) })).rejects.toThrow(/body: must be at most 4096 characters/);
    await expect(producer.enqueueText({ to: 5 as unknown as string, body: 'x' })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.enqueueText({ to: '+919876543210', body: 'x', campaignId: 'a:b' })).rejects.toThrow(/campaignId: must be/);
    expect(await ctx.queues.get('acme').count()).toBe(0);
  });

  test('reusing a campaign id for another message is refused', async () => {
    await producer.enqueueText({ campaignId: 'c3', to: '+919876543210', body: 'one' });
    await expect(producer.enqueueText({ campaignId: 'c3', to: '+919876543211', body: 'two' })).rejects.toThrow(/different message/);
  });

  test('all numbers bad: nothing queued, all reported', async () => {
    const r = await producer.enqueueText({ campaignId: 'c4', to: 'x,y', body: 'hi' });
    expect(r.accepted).toBe(0);
    expect(r.rejected.map((x) => x.input)).toEqual(['x', 'y']);
  });
});

describe('enqueueCampaign', () => {
  const list = (n: number, start = 0): SourceRow[] =>
    Array.from({ length: n }, (_, i) => ({ line: i + 2, to: `+9198${String(start + i).padStart(8, '0')}` }));

  test('chunks, progress, rejected rows keep their line numbers', async () => {
    const progress: number[] = [];
    const source = [...list(2500), { line: 9999, to: 'nope' }, { line: 10000, error: 'empty "to"', input: ',x' }];
    const r = await producer.enqueueCampaign({ campaignId: 'big', body: 'hello', recipients: rows(source), chunkSize: 500, onProgress: (p) => progress.push(p.accepted) });
    expect(r).toMatchObject({ read: 2502, accepted: 2500, duplicates: 0, rejectedTotal: 2 });
    expect(r.rejected).toEqual([
      { input: 'nope', reason: 'not a phone number', line: 9999 },
      { input: ',x', reason: 'empty "to"', line: 10000 },
    ]);
    expect(progress.at(-1)).toBe(2500);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(await ctx.queues.get('acme').count()).toBe(2500);
  });

  test('re-running the same import after a crash adds nothing twice', async () => {
    // A first run that stopped part-way: the first 300 recipients are in.
    await producer.enqueueCampaign({ campaignId: 'rerun', body: 'hello', recipients: rows(list(300)), chunkSize: 100 });
    const again = await producer.enqueueCampaign({ campaignId: 'rerun', body: 'hello', recipients: rows(list(1000)), chunkSize: 100 });
    expect(again).toMatchObject({ accepted: 700, duplicates: 300 });
    expect(await ctx.queues.get('acme').count()).toBe(1000);
    const status = await getCampaignStatus(ctx, 'rerun');
    expect(status).toMatchObject({ total: 1000, pending: 1000 });
  });

  test('a recipient already sent is not queued again by a re-import', async () => {
    await producer.enqueueCampaign({ campaignId: 'done', body: 'hello', recipients: rows(list(3)) });
    const queue = ctx.queues.get('acme');
    await queue.obliterate({ force: true });
    await ctx.ledger.record('done', '+919800000000', { status: 'sent', messageId: 'A1', code: 'WA202', attempts: 1, updatedAt: Date.now() });
    const r = await producer.enqueueCampaign({ campaignId: 'done', body: 'hello', recipients: rows(list(3)) });
    expect(r).toMatchObject({ accepted: 0, duplicates: 3 });
    // The two still pending are re-added (their jobs were lost); the sent one is not.
    expect((await queue.getJobs(['waiting', 'prioritized'])).map((j) => String(j.data.to)).sort()).toEqual(['+919800000001', '+919800000002']);
  });

  test('CSV source end to end, with export', async () => {
    const csv = 'name,to,ref\nA,+919876543210,cust-1\nB,not-a-number,\nC,+919876543211,\n';
    const r = await producer.enqueueCampaign({ campaignId: 'csv', body: 'hello', recipients: readCsvRecipients(Readable.from([csv])) });
    expect(r).toMatchObject({ accepted: 2, rejectedTotal: 1 });
    expect(r.rejected[0]).toMatchObject({ line: 3, input: 'not-a-number' });
    const jobs = await ctx.queues.get('acme').getJobs(['waiting', 'prioritized']);
    expect(jobs.find((j) => j.data.to === '+919876543210')?.data.r).toBe('cust-1');
    const lines: string[] = [];
    for await (const l of exportCampaign(ctx, 'csv', 'csv')) lines.push(l);
    expect(lines[0]).toBe('to,status,messageId,code,attempts,reason,updatedAt\n');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(',')).sort()).toEqual(['+919876543210,pending', '+919876543211,pending']);
  });

  test('an unusable CSV stops the import with the line number', async () => {
    await expect(producer.enqueueCampaign({ campaignId: 'bad', body: 'x', recipients: readCsvRecipients(Readable.from(['contact,name\n1,2\n']), { column: 'to' }) })).rejects.toThrow(
      new SourceError('no "to" column in the header (contact, name); name the column with --column', 1),
    );
    await expect(
      producer.enqueueCampaign({ campaignId: 'bad2', body: 'x', recipients: readCsvRecipients(Readable.from(['to\n+919876543210\n"unterminated\n'])) }),
    ).rejects.toThrow(/line \d+: not valid CSV/);
  });
});

describe('retryFailed', () => {
  test('re-enqueues failed recipients (optionally by code) with fresh job ids', async () => {
    await producer.enqueueText({ campaignId: 'rf', to: '+919876543210,+919876543211,+919876543212', body: 'x' });
    await ctx.queues.get('acme').obliterate({ force: true });
    const now = Date.now();
    await ctx.ledger.record('rf', '+919876543210', { status: 'failed', code: 'WA500', reason: 'Please try again later', attempts: 4, updatedAt: now });
    await ctx.ledger.record('rf', '+919876543211', { status: 'failed', code: 'WA400', reason: 'bad', attempts: 1, updatedAt: now });
    await ctx.ledger.record('rf', '+919876543212', { status: 'sent', messageId: 'A1', code: 'WA202', attempts: 1, updatedAt: now });
    expect(await getCampaignStatus(ctx, 'rf')).toMatchObject({ failed: 2, sent: 1, pending: 0, byCode: { WA500: 1, WA400: 1 }, done: true });

    expect(await producer.retryFailed('rf', { codes: ['WA500'] })).toEqual({ requeued: 1 });
    expect(await getCampaignStatus(ctx, 'rf')).toMatchObject({ failed: 1, pending: 1, byCode: { WA400: 1 } });
    const jobs = await ctx.queues.get('acme').getJobs(['waiting', 'prioritized']);
    expect(jobs.map((j) => j.id)).toEqual(['rf-919876543210-r1']);
    expect(await producer.retryFailed('rf')).toEqual({ requeued: 1 });
    expect(await getCampaignStatus(ctx, 'rf')).toMatchObject({ failed: 0, pending: 2, sent: 1 });
  });
});
