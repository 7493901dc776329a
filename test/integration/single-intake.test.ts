// The single-message path of enqueueText (no campaign id: three round trips, single-intake.ts) writes
// exactly what the general path writes, and coalesceWrites (the API's connection) keeps every reply
// with its own command.
import type { Redis } from 'ioredis';
import { addSuppressions, campaignKeys, coalesceWrites, createQueueContext, createRedis, Producer, waitForReady, withScripts, type QueueContext } from '@wabulk/queue';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

let redis: Redis;
let ctx: QueueContext;
let base: string;

beforeEach(async () => {
  base = uniqueBase('single');
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});

afterEach(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
});

/** What a single message left in Redis, without the parts that differ by time or id. */
async function written(campaignId: string) {
  const k = campaignKeys(base, campaignId);
  const meta = JSON.parse((await redis.get(k.meta)) ?? 'null') as Record<string, unknown> | null;
  if (meta) delete meta.createdAt;
  const counts = await redis.hgetall(k.counts);
  delete counts.intakeAt;
  const ledger = Object.fromEntries(Object.entries(await redis.hgetall(k.recipients)).map(([to, raw]) => {
    const e = JSON.parse(raw) as Record<string, unknown>;
    delete e.t;
    return [to, e];
  }));
  const jobs = await ctx.queues.get('acme').getJobs(['waiting', 'prioritized', 'delayed']);
  const mine = jobs.filter((j) => (j.data as { c: string }).c === campaignId);
  return {
    meta,
    counts,
    ledger,
    jobs: mine.map((j) => ({ id: String(j.id).slice(campaignId.length), data: { ...j.data, c: undefined }, attempts: j.opts.attempts, priority: j.opts.priority ?? 0 })).sort((a, b) => a.id.localeCompare(b.id)),
    listed: (await redis.zscore(`${base}:index:{campaigns}`, campaignId)) !== null,
    ttl: await redis.ttl(k.meta),
  };
}

describe('enqueueText without a campaign id', () => {
  test('the fast path writes and answers exactly as the general path', async () => {
    await addSuppressions(ctx, { account: 'acme' }, ['+919876543219']);
    await addSuppressions(ctx, 'global', ['+919876543218']);
    const fast = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'], singleMessageTtlSeconds: 600 });
    const general = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'], singleMessageTtlSeconds: 600, fastSingleMessages: false });
    const inputs = [
      { to: '+919876543210', body: 'Your OTP is 1234' },
      { to: '+919876543210, 919876543210, bogus, +919876543219, +919876543218, +14155550100', body: 'hi', ref: 'order-7' },
      { to: [{ to: '+919876543211', variables: { name: 'Asha' } }, { to: '+919876543212' }], body: 'Hello {{name|there}}', previewUrl: true },
      { to: '+919876543219', body: 'all listed: nothing written' },
    ];
    for (const input of inputs) {
      const a = await fast.enqueueText(input);
      const b = await general.enqueueText(input);
      expect({ ...a, campaignId: '' }).toEqual({ ...b, campaignId: '' });
      expect(a.campaignId).toMatch(/^msg-/);
      const w = await written(a.campaignId);
      expect(w.jobs).toHaveLength(a.accepted);
      expect(w).toEqual(await written(b.campaignId));
    }
    // The second input once more (fresh campaigns each time): 2 accepted, the repeats and the listed ones reported.
    const r = await fast.enqueueText(inputs[1]!);
    expect(r).toMatchObject({ accepted: 2, duplicates: 1, suppressed: 2, rejectedByReason: { 'not a phone number': 1, suppressed: 2 } });
    const w = await written(r.campaignId);
    expect(w.counts).toMatchObject({ total: '2', pending: '2', ttl: '600' });
    expect(w.jobs.map((j) => j.id)).toEqual(['-14155550100', '-919876543210']);
    expect(w.listed).toBe(false);
  });

  test('many concurrent messages: every answer is its own, every accepted recipient has its job', async () => {
    const fast = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => fast.enqueueText({ to: `+9198765${String(i).padStart(5, '0')}`, body: `n${i}` })));
    expect(new Set(answers.map((a) => a.campaignId)).size).toBe(200);
    expect(answers.every((a) => a.accepted === 1)).toBe(true);
    expect(await ctx.queues.get('acme').count()).toBe(200);
  });
});

describe('coalesceWrites', () => {
  test('replies stay with their commands: plain, scripts, pipelines, errors, in one turn and across turns', async () => {
    const c = coalesceWrites(createRedis(REDIS_URL, 'producer'));
    await waitForReady(c);
    try {
      const r = withScripts<{ wabulkTestEcho(key: string, v: string): Promise<string> }>(c, { wabulkTestEcho: { numberOfKeys: 1, lua: "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1] .. '!'" } });
      const key = (i: number) => `${base}:co:${i}`;
      const work = Array.from({ length: 300 }, async (_, i) => {
        if (i % 5 === 0) return r.wabulkTestEcho(key(i), `v${i}`);
        if (i % 5 === 1) return (await c.pipeline().set(key(i), `p${i}`).get(key(i)).exec())?.[1]?.[1];
        if (i % 5 === 2) return c.hget(key(i - 2), 'x').catch((e: Error) => `err ${e.message.slice(0, 9)}`);
        await c.set(key(i), `s${i}`);
        await new Promise((res) => setImmediate(res));
        return c.get(key(i));
      });
      const got = await Promise.all(work);
      got.forEach((v, i) => {
        if (i % 5 === 0) expect(v).toBe(`v${i}!`);
        else if (i % 5 === 1) expect(v).toBe(`p${i}`);
        else if (i % 5 === 2) expect(v).toBe('err WRONGTYPE');
        else expect(v).toBe(`s${i}`);
      });
    } finally {
      c.disconnect();
    }
  });
});
