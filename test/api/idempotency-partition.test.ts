// A request that timed out may still have been applied (issue 16): Redis goes silent in the middle of
// POST /v1/messages with an Idempotency-Key (a TCP proxy holds every byte, at a different point of the
// request each time), the API answers 503 at its deadline, the held commands are delivered when the
// path heals, and the client retries with the same key. Whatever got through, the retry returns one
// answer (202, every recipient accepted) and nothing is queued twice: one ledger entry and one job per
// recipient, in one campaign.
import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { buildApi, type Api } from '@wabulk/api';
import { connectRedis, createQueueContext, createRedis, waitForReady, type QueueContext } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'partition-token-0123456789';
const headers = (key: string) => ({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key });

let proxy: TcpProxy;
let held: Redis;
let direct: Redis;
let ctx: QueueContext;
let app: Api;
let base: string;

beforeAll(async () => {
  const target = new URL(REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  held = connectRedis({ url: proxy.url('redis'), commandTimeoutMs: 300 }, 'producer') as Redis;
  direct = createRedis(REDIS_URL, 'producer');
  await Promise.all([waitForReady(held), waitForReady(direct)]);
  base = uniqueBase('idem-part');
  ctx = createQueueContext({ redis: direct, base });
  app = await buildApi({
    redis: held,
    base,
    tokens: [TOKEN],
    logger: createLogger({ level: 'silent', destination: process.stderr }),
    registry: new Registry(),
    defaultAccount: 'acme',
    configuredAccounts: ['acme'],
    idempotencyLockMs: 1000,
  });
  await app.ready();
});

afterAll(async () => {
  proxy.release();
  await app.close();
  await ctx.queues.close();
  await deleteKeys(direct, base);
  held.disconnect();
  direct.disconnect();
  await proxy.close();
});

const to = (i: number) => [`+9198765${String(i).padStart(3, '0')}01`, `+9198765${String(i).padStart(3, '0')}02`, `+9198765${String(i).padStart(3, '0')}03`];

// Where the path goes silent: before anything; right after the idempotency claim reached Redis (its
// answer held); after the intake script (meta + pending entries written, answer held, no job yet);
// after the job add (everything written, the answer held); after the answer was stored.
const CASES: Array<[string, string | undefined]> = [
  ['before the request', undefined],
  ['after the claim', '"o":"'],
  ['after the intake script', ':recipients'],
  ['after the job add', '"c":"msg-'],
  ['after the answer was stored', '"s":202'],
];

/** Every campaign ledger of this test's prefix that holds one of `numbers`. */
async function ledgersHolding(numbers: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await direct.scan(cursor, 'MATCH', `${base}:campaign:*:recipients`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) if ((await direct.hmget(k, ...numbers)).some((v) => v !== null)) found.push(k);
  } while (cursor !== '0');
  return found;
}

test.each(CASES.map(([what, marker], i) => [what, marker, i] as const))('silent %s: the first answer comes at the deadline; the retry after the heal answers 202 with every recipient, nothing queued twice', async (_what, marker, i) => {
  const key = `order-${i}`;
  const payload = { to: to(i), body: `Your code is ${i}` };
  const started = Date.now();
  if (marker === undefined) proxy.hold();
  else proxy.holdAfter(marker);
  const a = await app.inject({ method: 'POST', url: '/v1/messages', headers: headers(key), payload });
  const firstMs = Date.now() - started;
  expect(proxy.held).toBe(true);
  expect(a.statusCode).toBe(503);
  expect(a.headers['retry-after']).toBe('5');
  proxy.release();

  // The client retries with the same key until it gets an answer that is not "in progress" (409).
  const b = await waitFor(async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/messages', headers: headers(key), payload });
    return r.statusCode === 409 ? undefined : r;
  }, { timeoutMs: 15_000, intervalMs: 200, what: 'an answer to the retry' });
  expect(b.statusCode).toBe(202);
  const answer = b.json<{ campaignId: string; accepted: number; duplicates: number }>();
  expect({ accepted: answer.accepted, duplicates: answer.duplicates }).toEqual({ accepted: 3, duplicates: 0 });

  // One campaign for this key: three ledger entries, three jobs, and no other ledger or job holds these numbers.
  expect((await ctx.ledger.counts(answer.campaignId)).total).toBe(3);
  expect(await ledgersHolding(payload.to)).toEqual([`${base}:campaign:{${answer.campaignId}}:recipients`]);
  const jobs = (await ctx.queues.get('acme').getJobs(['wait', 'prioritized', 'active', 'delayed', 'completed'])).filter((j) => payload.to.includes(j.data.to));
  expect(jobs.map((j) => `${j.data.c} ${j.data.to}`).sort()).toEqual(payload.to.map((n) => `${answer.campaignId} ${n}`).sort());
  console.log(`idempotency partition ${JSON.stringify({ silent: _what, first: a.statusCode, firstMs, retry: b.statusCode, replayed: b.headers['idempotent-replayed'] === 'true' })}`);
});

test('a key reused with another message after a timed-out first attempt never joins the first one\'s campaign', async () => {
  const key = 'reused';
  const first = { to: to(90), body: 'Your code is 1111' };
  proxy.holdAfter(':recipients');
  const a = await app.inject({ method: 'POST', url: '/v1/messages', headers: headers(key), payload: first });
  expect(a.statusCode).toBe(503);
  proxy.release();
  // The client gives up on that one and sends a new code under the same key (the claim was released).
  const second = { to: to(90), body: 'Your code is 2222' };
  const b = await waitFor(async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/messages', headers: headers(key), payload: second });
    return r.statusCode === 409 ? undefined : r;
  }, { timeoutMs: 15_000, intervalMs: 200, what: 'an answer to the second message' });
  expect(b.statusCode).toBe(202);
  const { campaignId } = b.json<{ campaignId: string }>();
  expect(b.json<{ accepted: number }>().accepted).toBe(3);
  // Its campaign carries the second text; the first attempt's pending entries stay in a campaign of their own.
  const meta = JSON.parse((await direct.get(`${base}:campaign:{${campaignId}}:meta`))!) as { body: string };
  expect(meta.body).toBe('Your code is 2222');
  expect((await ledgersHolding(second.to)).length).toBe(2);
});
