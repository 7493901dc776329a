// Redis bytes per single message (POST /v1/messages without a campaignId), before and after
// issue 10 section 4, in one run: `node --conditions=@wabulk/source --import tsx test/bench/single-bytes.ts [--n 20000]`.
//
// before: what the producer wrote until issue 10 — a msg-… campaign (meta, ledger, counters), an
//         entry in <base>:index:{campaigns} and the account in a set — kept for ever.
// after:  Producer.enqueueText today — the same campaign keys, no index entry, and a TTL once finished.
// Both then get what a worker writes for a sent message: ledger 'sent' + the message_id index (30 days
// before; after, a single message's index gets the single message's TTL).
// BullMQ's job is counted while queued, then removed (a completed job is removed by BullMQ anyway).
// Bytes: MEMORY USAGE (SAMPLES 0) summed over every key of the phase's prefix; 'without a TTL' is
// what Redis keeps for ever.
import { parseArgs } from 'node:util';
import { campaignKeys, createQueueContext, createRedis, ensureCampaign, JOB_OPTIONS, jobIdFor, Producer, recordMessageId, waitForReady, type QueueContext } from '@wabulk/queue';
import { deleteKeys, OwnRedis, uniqueBase } from '../support/redis.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' }, 'shared-redis': { type: 'boolean', default: false } } });
const N = Number(values.n);
const own = values['shared-redis'] ? undefined : await OwnRedis.start();
const url = own?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRedis(url, 'producer');
await waitForReady(redis);
const ACCOUNT = 'bench';
const BODY = 'Your OTP is 123456. It expires in 10 minutes.';
const to = (i: number) => `+9198${String(i).padStart(8, '0')}`;

/** Bytes of every key of the prefix; `persist`: only those without a TTL (what stays for ever). */
async function bytes(base: string, persist = false): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let total = 0;
  for (const pattern of [`${base}:*`, `{${base}-*`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const k of found) pipeline.call('MEMORY', 'USAGE', k, 'SAMPLES', '0').ttl(k);
      const res = (await pipeline.exec()) ?? [];
      for (let i = 0; i < res.length; i += 2) {
        if (persist && Number(res[i + 1]![1]) !== -1) continue;
        total += Number(res[i]![1] ?? 0);
        keys++;
      }
    } while (cursor !== '0');
  }
  return { keys, bytes: total };
}

async function send(ctx: QueueContext, campaignIds: string[], indexTtlSeconds?: number) {
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      campaignIds.slice(i, i + 500).map(async (id, j) => {
        await ctx.ledger.record(id, to(i + j), { status: 'sent', messageId: `m-${id}`, code: 'WA202', attempts: 1, updatedAt: Date.now() });
        await recordMessageId(ctx, `m-${id}`, { campaignId: id, to: to(i + j) }, { ttlSeconds: indexTtlSeconds });
      }),
    );
  }
  await ctx.queues.get(ACCOUNT).obliterate({ force: true });
}

async function before(): Promise<Record<string, { keys: number; bytes: number }>> {
  const base = uniqueBase('single-before');
  const ctx = createQueueContext({ redis, base });
  const ids: string[] = [];
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, async (_, j) => {
        const id = `msg-${(Date.now() + i + j).toString(36)}-${i + j}`;
        ids[i + j] = id;
        await ensureCampaign(ctx, id, { account: ACCOUNT, body: BODY, createdAt: Date.now() });
        await redis.sadd(`${base}:index:{accounts}`, ACCOUNT); // what ensureCampaign did until issue 10
        await ctx.ledger.register(id, [{ to: to(i + j) }]);
        await ctx.queues.get(ACCOUNT).add('send', { c: id, to: to(i + j) }, { ...JOB_OPTIONS, jobId: jobIdFor(id, to(i + j)) });
      }),
    );
  }
  const queued = await bytes(base);
  await send(ctx, ids);
  const finished = await bytes(base);
  const forever = await bytes(base, true);
  await ctx.queues.close();
  await deleteKeys(redis, base);
  return { queued, finished, forever };
}

async function after(): Promise<Record<string, { keys: number; bytes: number }>> {
  const base = uniqueBase('single-after');
  const ctx = createQueueContext({ redis, base });
  const ttl = 7200; // any TTL longer than the run: the default is WABULK_MESSAGE_TTL_S = 2 days
  const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT], singleMessageTtlSeconds: ttl });
  const ids: string[] = [];
  for (let i = 0; i < N; i += 500) {
    const results = await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, j) => producer.enqueueText({ to: to(i + j), body: BODY })));
    results.forEach((r, j) => (ids[i + j] = r.campaignId));
  }
  const queued = await bytes(base);
  await send(ctx, ids, ttl); // as the worker does: the message_id index gets the single message's TTL (meta.ttl)
  const finished = await bytes(base);
  const forever = await bytes(base, true);
  process.stdout.write(`after: a finished single message's keys have TTL ${await redis.ttl(campaignKeys(base, ids[0]!).counts)} s (set to ${ttl} s for this run)\n`);
  await ctx.queues.close();
  await deleteKeys(redis, base);
  return { queued, finished, forever };
}

const b = await before();
const a = await after();
const per = (x: { bytes: number }) => (x.bytes / N).toFixed(0);
process.stdout.write(`single messages: ${N}, body ${BODY.length} characters, ${own ? 'own redis-server' : url}\n`);
process.stdout.write('phase                         before (B/msg, keys)     after (B/msg, keys)\n');
for (const [label, key] of [['queued (job in BullMQ)', 'queued'], ['finished (sent, job removed)', 'finished'], ['of which without a TTL', 'forever']] as const) {
  process.stdout.write(`${label.padEnd(30)}${`${per(b[key]!)} B, ${b[key]!.keys}`.padEnd(25)}${per(a[key]!)} B, ${a[key]!.keys}\n`);
}
redis.disconnect();
await own?.stop();
