import { campaignKeys, createQueueContext, createRedis, Ledger, waitForReady, type QueueContext } from '@wabulk/queue';
import type { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// The ledger's RECORD keeps, beside the counters, the reason of each code's first failure and the
// time of the campaign's first result (startedAt), on a real Redis.

let redis: Redis;
let base: string;
let ctx: QueueContext;
let ledger: Ledger;
beforeEach(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  base = uniqueBase('reasons');
  ctx = createQueueContext({ redis, base });
  ledger = ctx.ledger;
});
afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

const to = (i: number) => `+9198${String(i).padStart(8, '0')}`;

test('startedAt: null until the first sent or failed result, then that result\'s time for good', async () => {
  await ledger.register('s1', [{ to: to(1) }, { to: to(2) }, { to: to(3) }], 1000);
  expect((await ledger.counts('s1')).startedAt).toBeNull();
  // A pending record (a retry scheduled) is not a start.
  await ledger.record('s1', to(1), { status: 'pending', code: 'WA500', attempts: 1, updatedAt: 1500 });
  expect((await ledger.counts('s1')).startedAt).toBeNull();
  await ledger.record('s1', to(1), { status: 'failed', code: 'WA500', reason: 'Internal error', attempts: 2, updatedAt: 2000 });
  await ledger.record('s1', to(2), { status: 'sent', messageId: 'M2', attempts: 1, updatedAt: 3000 });
  expect((await ledger.counts('s1')).startedAt).toBe(2000);
  // The failed counter going back to 0 and up again does not move it.
  await ledger.resetFailed('s1', [to(1)]);
  await ledger.record('s1', to(1), { status: 'failed', code: 'WA500', reason: 'again', attempts: 3, updatedAt: 4000 });
  expect((await ledger.counts('s1')).startedAt).toBe(2000);
});

test('failureReasons: the first reason per code, capped at 300 characters (never half a character), only for codes still failing; sent results write none', async () => {
  const rows = Array.from({ length: 6 }, (_, i) => ({ to: to(10 + i) }));
  await ledger.register('r1', rows, 1000);
  const long = `${'é'.repeat(150)}${'😀'.repeat(200)}`;
  await ledger.record('r1', to(10), { status: 'failed', code: 'WA400', reason: long, attempts: 1, updatedAt: 2000 });
  await ledger.record('r1', to(11), { status: 'failed', code: 'WA400', reason: 'a later text', attempts: 1, updatedAt: 2001 });
  await ledger.record('r1', to(12), { status: 'failed', code: 'WA422', reason: 'Invalid parameter', attempts: 1, updatedAt: 2002 });
  await ledger.record('r1', to(13), { status: 'failed', code: 'NOTEXT', attempts: 1, updatedAt: 2003 });
  await ledger.record('r1', to(14), { status: 'sent', messageId: 'M', code: 'WA202', reason: 'accepted', attempts: 1, updatedAt: 2004 });
  const c = await ledger.counts('r1');
  expect(c.byCode).toEqual({ WA400: 2, WA422: 1, NOTEXT: 1 });
  // The entry keeps 500 UTF-16 units of the text (pack: 150 é + 175 emoji); the counters' copy is its first 300 characters (2- and 4-byte UTF-8).
  expect(c.failureReasons.WA400).toBe(`${'é'.repeat(150)}${'😀'.repeat(150)}`);
  expect(c.failureReasons).toEqual({ WA400: c.failureReasons.WA400, WA422: 'Invalid parameter' });
  expect(await redis.hexists(campaignKeys(base, 'r1').counts, 'reason:WA202')).toBe(0);
  // A retry of every WA422 failure: its reason is no longer answered (WA400's stays).
  await ledger.resetFailed('r1', [to(12)]);
  expect(Object.keys((await ledger.counts('r1')).failureReasons)).toEqual(['WA400']);
  // Gone from Redis too: the code's next failure writes its own text, not the first run's.
  expect(await redis.hexists(campaignKeys(base, 'r1').counts, 'reason:WA422')).toBe(0);
  await ledger.record('r1', to(12), { status: 'failed', code: 'WA422', reason: 'Invalid parameter: name', attempts: 2, updatedAt: 3000 });
  expect((await ledger.counts('r1')).failureReasons.WA422).toBe('Invalid parameter: name');
  // A failed recipient that is sent after all (a late success) leaves its code: the last one takes the reason with it.
  await ledger.record('r1', to(13), { status: 'sent', messageId: 'M13', attempts: 2, updatedAt: 3001 });
  expect(await redis.hexists(campaignKeys(base, 'r1').counts, 'code:NOTEXT')).toBe(1);
  expect((await ledger.counts('r1')).byCode.NOTEXT).toBeUndefined();
});

test('startedAt: a campaign whose first result is a send is stamped with that send\'s time, and delivery callbacks do not move it', async () => {
  await ledger.register('s2', [{ to: to(20) }, { to: to(21) }], 1000);
  await ledger.record('s2', to(20), { status: 'sent', messageId: 'M20', attempts: 1, updatedAt: 5000 });
  await ledger.record('s2', to(20), { status: 'delivered', messageId: 'M20', attempts: 1, updatedAt: 6000 });
  await ledger.record('s2', to(21), { status: 'sent', messageId: 'M21', attempts: 1, updatedAt: 7000 });
  expect((await ledger.counts('s2')).startedAt).toBe(5000);
});
