import type { Redis } from 'ioredis';
import {
  campaignKeys,
  cancelCampaign,
  createQueueContext,
  createRedis,
  ensureCampaign,
  getCampaignStatus,
  InvalidCursorError,
  messageKeys,
  listCampaignStatuses,
  Producer,
  waitForReady,
  type QueueContext,
} from '@wabulk/queue';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { numbers, startStack } from '../support/stack.js';

// Section 4 of issue 10: the campaign list (newest first, filters, cursor), and single messages
// kept out of it and expiring once finished.

let redis: Redis;
let ctx: QueueContext;
let base: string;
let producer: Producer;

beforeEach(async () => {
  base = uniqueBase('list');
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
  producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme', 'beta'], singleMessageTtlSeconds: 3600 });
});

afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

async function all(query: Parameters<typeof listCampaignStatuses>[1]) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listCampaignStatuses(ctx, { ...query, cursor });
    ids.push(...page.campaigns.map((c) => c.campaignId));
    cursor = page.cursor ?? undefined;
    pages++;
  } while (cursor !== undefined);
  return { ids, pages };
}

test('newest first, the objects of status --json, filtered by account and state; single messages are not listed', async () => {
  // createdAt set explicitly: the order is by creation time, whatever the clock did.
  for (const [i, id, account] of [[1, 'c-old', 'acme'], [2, 'c-mid', 'beta'], [3, 'c-new', 'acme']] as const) {
    await ensureCampaign(ctx, id, { account, body: `hi ${id}`, createdAt: 1_000 * i });
    await ctx.ledger.register(id, numbers(2).map((to) => ({ to })));
  }
  const single = await producer.enqueueText({ to: numbers(1), body: 'an OTP' });
  expect(single.campaignId).toMatch(/^msg-/);
  await ctx.ledger.record('c-mid', numbers(2)[0]!, { status: 'sent', messageId: 'm1', attempts: 1, updatedAt: 1 });
  await ctx.ledger.record('c-mid', numbers(2)[1]!, { status: 'failed', code: 'WA400', attempts: 1, updatedAt: 1 });

  const page = await listCampaignStatuses(ctx);
  expect(page.campaigns.map((c) => c.campaignId)).toEqual(['c-new', 'c-mid', 'c-old']);
  expect(page.cursor).toBeNull();
  expect(page.campaigns[0]).toEqual(await getCampaignStatus(ctx, 'c-new'));
  expect(page.campaigns.map((c) => c.state)).toEqual(['running', 'done', 'running']);

  expect((await listCampaignStatuses(ctx, { account: 'acme' })).campaigns.map((c) => c.campaignId)).toEqual(['c-new', 'c-old']);
  expect((await listCampaignStatuses(ctx, { state: 'done' })).campaigns.map((c) => c.campaignId)).toEqual(['c-mid']);
  expect((await listCampaignStatuses(ctx, { state: 'running', account: 'beta' })).campaigns).toEqual([]);
  // The single message has its status, but no row in the list nor in its index.
  expect(await getCampaignStatus(ctx, single.campaignId)).toMatchObject({ total: 1, pending: 1, state: 'running' });
  expect(await redis.zscore(`${base}:index:{campaigns}`, single.campaignId)).toBeNull();
});

test('the cursor pages through every campaign once, ties at the same millisecond included, with filters too', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    const id = `c${String(i).padStart(2, '0')}`;
    ids.push(id);
    // Groups of 5 share a creation time: order within a group is by id.
    await ensureCampaign(ctx, id, { account: i % 2 === 0 ? 'acme' : 'beta', body: 'x', createdAt: 10_000 + Math.floor(i / 5) });
  }
  const expected = [...ids].sort((a, b) => {
    const ta = Math.floor(Number(a.slice(1)) / 5);
    const tb = Math.floor(Number(b.slice(1)) / 5);
    return tb - ta || (a < b ? 1 : -1);
  });
  for (const limit of [1, 3, 5, 7, 25, 100]) {
    const { ids: got } = await all({ limit });
    expect(got).toEqual(expected);
  }
  const acme = await all({ limit: 2, account: 'acme' });
  expect(acme.ids).toEqual(expected.filter((id) => Number(id.slice(1)) % 2 === 0));
  // A filter that skips many campaigns answers short pages with a cursor instead of reading without end.
  const none = await listCampaignStatuses(ctx, { account: 'nobody', limit: 5, maxScan: 10 });
  expect(none.campaigns).toEqual([]);
  expect(none.cursor).not.toBeNull();
  expect((await all({ account: 'nobody', limit: 5, maxScan: 10 })).pages).toBe(3);
  await expect(listCampaignStatuses(ctx, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
});

test('a single message expires once finished (meta, ledger, counters), never while pending; a retry keeps it until it ends again', async () => {
  const { campaignId } = await producer.enqueueText({ to: numbers(2), body: 'order update' });
  const keys = campaignKeys(base, campaignId);
  const ttls = async () => Promise.all([redis.ttl(keys.meta), redis.ttl(keys.recipients), redis.ttl(keys.counts)]);
  expect(await ttls()).toEqual([-1, -1, -1]);
  await ctx.ledger.record(campaignId, numbers(2)[0]!, { status: 'sent', messageId: 'm1', attempts: 1, updatedAt: 1 });
  expect(await ttls()).toEqual([-1, -1, -1]); // one recipient still pending
  await ctx.ledger.record(campaignId, numbers(2)[1]!, { status: 'failed', code: 'WA500', attempts: 4, updatedAt: 2 });
  for (const t of await ttls()) expect(t).toBeGreaterThan(3500);
  expect(await getCampaignStatus(ctx, campaignId)).toMatchObject({ total: 2, sent: 1, failed: 1, state: 'done' });

  // retry-failed: pending again, so it is kept until that recipient ends.
  expect(await producer.retryFailed(campaignId)).toEqual({ requeued: 1 });
  expect(await ttls()).toEqual([-1, -1, -1]);
  await ctx.ledger.record(campaignId, numbers(2)[1]!, { status: 'sent', messageId: 'm2', attempts: 5, updatedAt: 3 });
  for (const t of await ttls()) expect(t).toBeGreaterThan(3500);
  // A delivery callback in the retention window keeps the TTL.
  await ctx.ledger.deliver(campaignId, numbers(2)[0]!, { status: 'delivered', at: 4 });
  for (const t of await ttls()) expect(t).toBeGreaterThan(3500);

  // Cancelled: a single message cancelled while pending ends there, and expires like the others.
  const cancelled = await producer.enqueueText({ to: numbers(2, 500), body: 'order update' });
  const cKeys = campaignKeys(base, cancelled.campaignId);
  await ctx.ledger.record(cancelled.campaignId, numbers(2, 500)[0]!, { status: 'sent', messageId: 'm9', attempts: 1, updatedAt: 1 });
  expect(await redis.ttl(cKeys.counts)).toBe(-1);
  await cancelCampaign(ctx, cancelled.campaignId);
  expect(await getCampaignStatus(ctx, cancelled.campaignId)).toMatchObject({ sent: 1, cancelled: 1, pending: 0, state: 'cancelled' });
  for (const t of await Promise.all([redis.ttl(cKeys.meta), redis.ttl(cKeys.recipients), redis.ttl(cKeys.counts)])) expect(t).toBeGreaterThan(3500);

  // A campaign with an id of its own is listed and never expires.
  await producer.enqueueText({ campaignId: 'named', to: numbers(1), body: 'x' });
  await ctx.ledger.record('named', numbers(1)[0]!, { status: 'sent', messageId: 'm3', attempts: 1, updatedAt: 1 });
  expect(await redis.ttl(campaignKeys(base, 'named').counts)).toBe(-1);
  expect((await listCampaignStatuses(ctx)).campaigns.map((c) => c.campaignId)).toEqual(['named']);
});

test("through a real worker: a single message's message_id index expires with it, a campaign's keeps 30 days", async () => {
  const s = await startStack();
  try {
    const single = new Producer(s.ctx, { defaultAccount: 'acme', knownAccounts: ['acme'], singleMessageTtlSeconds: 3600 });
    const { campaignId } = await single.enqueueText({ to: numbers(1), body: 'otp' });
    await s.producer.enqueueText({ campaignId: 'named', to: numbers(1), body: 'news' });
    await s.startWorker();
    await s.waitDone(campaignId);
    await s.waitDone('named');
    const id = (await s.ctx.ledger.get(campaignId, numbers(1)[0]!))!.messageId!;
    const named = (await s.ctx.ledger.get('named', numbers(1)[0]!))!.messageId!;
    const ttl = await s.redis.ttl(messageKeys(s.base, id).index);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await s.redis.ttl(campaignKeys(s.base, campaignId).recipients)).toBeGreaterThan(3500);
    expect(await s.redis.ttl(messageKeys(s.base, named).index)).toBeGreaterThan(29 * 86_400);
    expect(await s.redis.ttl(campaignKeys(s.base, 'named').recipients)).toBe(-1);
  } finally {
    await s.close();
  }
});
