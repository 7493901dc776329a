// Benchmark "cancel": the time to cancel a campaign of N pending recipients (1M; 100k with --quick)
// and what it does to another campaign of the same account that is sending meanwhile. The other
// campaign is queued first and drained by the real worker (a child process) at a set rate; the big
// one waits behind it (one FIFO queue). Its send rate at the simulator over the 3 s before the
// cancel is the baseline; its rate while the cancel runs is held to ≥ 0.9 of it.
import { cancelCampaign, createQueueContext, Producer } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, redisCpuSeconds } from './bench-redis.js';
import { runChild, startSimChild } from './child-process.js';
import { ACCOUNT, BODY, recipientRows } from './fixtures.js';
import { fmt, log, type BenchResult } from './report.js';
import type { WorkerChildArg, WorkerChildResult } from './worker-child.js';

const RATE = 500;
const BEFORE_MS = 3000;

async function run(env: BenchEnv): Promise<BenchResult> {
  const n = env.quick ? 100_000 : 1_000_000;
  const durationMs = env.quick ? 40_000 : 200_000;
  const sim = await startSimChild();
  const ctx = createQueueContext({ redis: env.redis, base: env.base });
  try {
    const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
    // The other campaign: enough for the whole window at RATE. Recipients of the big one start far
    // from the other's, so the simulator's arrivals are all the other campaign's.
    const otherN = RATE * Math.ceil(durationMs / 1000 + 5);
    await producer.enqueueCampaign({ campaignId: 'other', body: BODY, recipients: recipientRows(otherN) });
    const t = performance.now();
    await producer.enqueueCampaign({ campaignId: 'big', body: BODY, recipients: recipientRows(n, 10_000_000) });
    log(`cancel: queued ${otherN} (other) + ${n} (big) in ${fmt((performance.now() - t) / 1000, 1)} s`);

    const arg: WorkerChildArg = { mode: 'wabulk', redisUrl: env.redisUrl, base: env.base, simUrl: sim.url, campaignId: 'other', expect: otherN, concurrency: 20, ratePerSecond: RATE, durationMs };
    const worker = runChild<WorkerChildResult>('worker-child.ts', arg);
    const started = Date.now();
    while ((await sim.stats()).accepted === 0) {
      if (Date.now() - started > 30_000) throw new Error('the worker sent nothing in 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Warm-up second, then the baseline window.
    await new Promise((r) => setTimeout(r, 1000 + BEFORE_MS));
    const redisCpu0 = await redisCpuSeconds(env.redis);
    const t0 = Date.now();
    const result = await cancelCampaign(ctx, 'big');
    const t1 = Date.now();
    const redisCpuMs = ((await redisCpuSeconds(env.redis)) - redisCpu0) * 1000;
    const counts = await ctx.ledger.counts('big');
    if (counts.cancelled !== n || counts.pending !== 0) throw new Error(`cancel left ${counts.pending} pending, ${counts.cancelled} cancelled of ${n}`);
    if (t1 + 1000 > started + durationMs) throw new Error(`the cancel outlasted the worker's window (${durationMs} ms): raise it`);
    await worker;
    const arrivals = (await sim.arrivals()).sort((a, b) => a - b);
    const inWindow = (from: number, to: number) => arrivals.filter((a) => a >= from && a < to).length;
    const before = inWindow(t0 - BEFORE_MS, t0) / (BEFORE_MS / 1000);
    const during = inWindow(t0, t1) / ((t1 - t0) / 1000);
    const cancelMs = t1 - t0;
    log(`cancel: ${n} pending cancelled in ${fmt(cancelMs / 1000, 2)} s (${result?.jobs} jobs removed); other campaign ${fmt(before)}/s before, ${fmt(during)}/s during`);
    return {
      name: 'cancel',
      figures: [
        { measure: `time to cancel ${n} pending recipients`, value: cancelMs / 1000, unit: 's', note: `${fmt((n / cancelMs) * 1000)} recipients/s` },
        { measure: 'other campaign\'s send rate during the cancel', value: during, unit: 'msg/s', baseline: { label: `the ${BEFORE_MS / 1000} s before`, value: before }, target: { min: 0.9, text: '≥ 0.9× before' } },
      ],
      details: [{
        title: 'cancel (worker at a set rate on the other campaign; the big campaign queued behind it)',
        header: ['pending', 'cancel s', 'jobs removed', 'Redis CPU during cancel', 'other before msg/s', 'other during msg/s', 'configured rate'],
        rows: [[n, fmt(cancelMs / 1000, 2), result?.jobs ?? 0, `${fmt((100 * redisCpuMs) / cancelMs)} %`, before, during, RATE]],
      }],
    };
  } finally {
    await ctx.queues.close();
    await sim.stop();
    await deleteRunKeys(env.redis, env.base);
  }
}

export const cancelBenchmark: Benchmark = {
  name: 'cancel',
  describe: 'time to cancel 1M pending recipients (100k with --quick); another campaign\'s send rate during it vs before',
  run,
};
