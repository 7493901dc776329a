import type { Redis } from 'ioredis';
import { applyDeliveryCallback, campaignKeys, createQueueContext, createRedis, messageKeys, recordSentMessage, sendChecks, tickBatch, waitForReady, type QueueContext } from '@wabulk/queue';
import { OwnRedis, uniqueBase } from '../support/redis.js';

// The worker's per-message Redis work after issue 15: the 'sent' record and the message-id index in
// one script, the calls of one tick in one pipeline (group commit), each caller with its own answer.
// A Redis of this file's own: the test flushes its scripts.

let own: OwnRedis;
let redis: Redis;
let ctx: QueueContext;

beforeAll(async () => {
  own = await OwnRedis.start();
  redis = createRedis(own.url, 'worker');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base: uniqueBase('rsent') });
});

afterAll(async () => {
  redis?.disconnect();
  await own?.stop();
});

const sent = (messageId: string) => ({ status: 'sent' as const, messageId, code: 'WA202', attempts: 1, updatedAt: Date.now() });

test('tickBatch: calls of one tick share a pipeline, each gets its own reply or error', async () => {
  const batch = tickBatch(redis);
  await redis.set(`${ctx.base}:s`, 'text');
  const [a, b, c] = await Promise.allSettled([
    batch<string>((p) => p.get(`${ctx.base}:s`)),
    batch<string>((p) => p.hget(`${ctx.base}:s`, 'f')),
    batch<number>((p) => p.incr(`${ctx.base}:n`)),
  ]);
  expect(a).toEqual({ status: 'fulfilled', value: 'text' });
  expect(b.status).toBe('rejected');
  expect(String((b as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
  expect(c).toEqual({ status: 'fulfilled', value: 1 });
});

test('tickBatch: a command aborted by a connection loss mid-pipeline is sent again on its own, once', async () => {
  const batch = tickBatch(redis);
  await redis.set(`${ctx.base}:k0`, 'v0');
  // GET is answered at once; BLPOP then holds the pipeline's rest on the server, so the disconnect
  // finds it partly answered: ioredis aborts the rest (a whole unanswered pipeline it would resend).
  const get = batch<string>((p) => p.get(`${ctx.base}:k0`));
  const blocked = batch<null>((p) => p.blpop(`${ctx.base}:never`, 1));
  const mine = batch<number>((p) => p.incr(`${ctx.base}:once`));
  // (Each caller is answered once the whole pipeline is: wait, not for GET.)
  await new Promise((r) => setTimeout(r, 300));
  redis.disconnect(true);
  await expect(mine).resolves.toBe(1);
  await expect(get).resolves.toBe('v0');
  await expect(blocked).resolves.toBeNull();
  expect(await redis.get(`${ctx.base}:once`)).toBe('1');
});

test('recordSentMessage: the ledger entry and the index in one call; early callbacks applied; works after SCRIPT FLUSH', async () => {
  const campaignId = 'c1';
  await ctx.ledger.register(campaignId, [{ to: '+14155550100' }, { to: '+14155550101' }, { to: '+14155550102' }]);
  // A callback that comes before its send is recorded waits, then is applied by the record.
  expect((await applyDeliveryCallback(ctx, 'm-0', { status: 'delivered', at: Date.now() })).outcome).toBe('unknown');
  await redis.script('FLUSH');
  const results = await Promise.all(['0', '1', '2'].map((n) => recordSentMessage(ctx, { campaignId, to: `+1415555010${n}` }, sent(`m-${n}`), { ttlSeconds: 600 })));
  expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  expect(results.map((r) => r.early)).toEqual([1, 0, 0]);
  expect((await ctx.ledger.get(campaignId, '+14155550100'))).toMatchObject({ status: 'delivered', messageId: 'm-0' });
  expect(await redis.get(messageKeys(ctx.base, 'm-1').index)).toBe(`${campaignId}\n+14155550101`);
  expect(await redis.ttl(messageKeys(ctx.base, 'm-1').index)).toBeGreaterThan(500);
  expect(await redis.exists(messageKeys(ctx.base, 'm-0').pending)).toBe(0);
  const counts = await ctx.ledger.counts(campaignId);
  expect(counts).toMatchObject({ total: 3, pending: 0, sent: 2, delivered: 1 });
  // The campaign's last recipient ended: it joined the archive's queue, as with Ledger.record.
  expect(await redis.zscore(`${ctx.base}:index:{finished}`, campaignId)).not.toBeNull();
  // A second 'sent' keeps the first message_id.
  const again = await recordSentMessage(ctx, { campaignId, to: '+14155550101' }, sent('m-other'));
  expect(again).toMatchObject({ status: 'sent', messageId: 'm-1' });
});

test('recordSentMessage: an archived campaign takes no write and no index', async () => {
  const campaignId = 'c2';
  await ctx.ledger.register(campaignId, [{ to: '+14155550100' }]);
  await redis.set(campaignKeys(ctx.base, campaignId).archived, JSON.stringify({ account: 'a', archivedAt: Date.now() }));
  expect(await recordSentMessage(ctx, { campaignId, to: '+14155550100' }, sent('m-9'))).toEqual({ status: 'archived', early: 0 });
  expect(await redis.exists(messageKeys(ctx.base, 'm-9').index)).toBe(0);
  expect((await ctx.ledger.get(campaignId, '+14155550100'))?.status).toBe('pending');
});

test('sendChecks in one tick: each job its own state and suppression answer', async () => {
  await redis.hset(`${ctx.base}:suppress:{global}`, '+14155550199', String(Date.now()));
  await redis.hset(campaignKeys(ctx.base, 'c3').state, 'state', 'paused');
  const [a, b, c] = await Promise.all([
    sendChecks(ctx, 'c1', 'acct', '+14155550100'),
    sendChecks(ctx, 'c1', 'acct', '+14155550199'),
    sendChecks(ctx, 'c3', 'acct', '+14155550100'),
  ]);
  expect(a).toEqual({ state: 'running', suppressed: false });
  expect(b).toEqual({ state: 'running', suppressed: true });
  expect(c).toEqual({ state: 'paused', suppressed: false });
});
