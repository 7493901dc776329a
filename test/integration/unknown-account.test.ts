import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, listRegisteredAccounts, Producer, registerAccounts, UnknownAccountError, waitForReady, type QueueContext } from '@wabulk/queue';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { numbers, startStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Section 5 of issue 10: a message for an account nothing serves is refused at intake, and nothing
// is queued. Known = a worker serving it started, an operator registered it, or the intake is configured for it.

let redis: Redis;
let ctx: QueueContext;
let base: string;

beforeEach(async () => {
  base = uniqueBase('acct');
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});

afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

/** Every key of the test's prefix: nothing written means nothing queued, no meta, no ledger, no index entry. */
async function keysOf(prefix: string): Promise<string[]> {
  const [a, b] = await Promise.all([redis.keys(`${prefix}:*`), redis.keys(`{${prefix}-*`)]);
  return [...a, ...b].sort();
}

async function refusal(p: Promise<unknown>): Promise<UnknownAccountError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnknownAccountError);
  return err as UnknownAccountError;
}

test('enqueueText and enqueueCampaign refuse an unknown account with a typed error naming it and the known ones; nothing is written', async () => {
  await registerAccounts(ctx, ['ops1'], 'operator');
  const before = await keysOf(base);
  const producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });

  const text = await refusal(producer.enqueueText({ to: '+919876543210', body: 'hi', account: 'nosuch' }));
  expect(text).toMatchObject({ name: 'UnknownAccountError', field: 'account', account: 'nosuch', known: ['acme', 'ops1'] });
  expect(text.message).toContain('nosuch');

  const named = await refusal(producer.enqueueText({ campaignId: 'c-text', to: '+919876543210', body: 'hi', account: 'nosuch' }));
  expect(named.account).toBe('nosuch');

  const rows = (async function* () {
    yield { line: 1, to: '+919876543210' };
  })();
  const campaign = await refusal(producer.enqueueCampaign({ campaignId: 'c-file', body: 'hi', account: 'nosuch', recipients: rows }));
  expect(campaign).toMatchObject({ field: 'account', account: 'nosuch', known: ['acme', 'ops1'] });

  // The default account is no exception: without configuration it is unknown too.
  const bare = new Producer(ctx, { defaultAccount: 'default' });
  expect(await refusal(bare.enqueueText({ to: '+919876543210', body: 'hi' }))).toMatchObject({ account: 'default', known: ['ops1'] });

  expect(await keysOf(base)).toEqual(before);
  expect(await ctx.queues.get('nosuch').count()).toBe(0);
});

test('configured: enqueueing works before any worker started, and sending does not register the account', async () => {
  const producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });
  expect((await producer.enqueueText({ to: numbers(2), body: 'hi' })).accepted).toBe(2);
  expect(await ctx.queues.get('acme').count()).toBe(2);
  // Only workers and operators write the registry: a configured intake sending to it is no proof anything serves it.
  expect(await listRegisteredAccounts(ctx)).toEqual([]);
  await refusal(new Producer(ctx).enqueueText({ to: numbers(1), body: 'hi', account: 'acme' }));
});

test('an operator registration (accounts add) makes an account known to every producer; it never replaces a worker entry', async () => {
  const producer = new Producer(ctx, { defaultAccount: 'acme' });
  await refusal(producer.enqueueText({ to: numbers(1), body: 'hi', account: 'later' }));
  await registerAccounts(ctx, ['later'], 'operator', 1000);
  // The refusal above was not cached: the next message is accepted at once.
  expect((await producer.enqueueText({ to: numbers(1), body: 'hi', account: 'later' })).accepted).toBe(1);
  await registerAccounts(ctx, ['later'], 'worker', 2000);
  await registerAccounts(ctx, ['later'], 'operator', 3000);
  expect(await listRegisteredAccounts(ctx)).toEqual([{ account: 'later', source: 'worker', at: 2000 }]);
});

test("a worker's start registers the accounts it serves", async () => {
  const s = await startStack({ account: { id: 'served' } });
  try {
    const producer = new Producer(s.ctx, { defaultAccount: 'other' });
    await refusal(producer.enqueueText({ to: numbers(1), body: 'hi', account: 'served' }));
    await s.startWorker();
    const registered = await waitFor(async () => {
      const list = await listRegisteredAccounts(s.ctx);
      return list.length > 0 ? list : undefined;
    }, { timeoutMs: 10_000, what: 'the worker registering its account' });
    expect(registered).toEqual([{ account: 'served', source: 'worker', at: expect.any(Number), ratePerSecond: expect.any(Number) }]);
    expect((await producer.enqueueText({ to: numbers(1), body: 'hi', account: 'served' })).accepted).toBe(1);
    await refusal(producer.enqueueText({ to: numbers(1), body: 'hi' }));
  } finally {
    await s.close();
  }
});
