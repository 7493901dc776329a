// Benchmark "rate-limited": the rate limit held by three worker processes together (the real worker,
// each in a child process) at 80/s and 1,000/s, with a campaign queued `normal` that never runs dry
// and a stream of `high` single messages (Producer.enqueueText, as the API queues them) arriving
// meanwhile; the simulator records every arrival. Each rate runs twice in the same run, back to back:
//   windows  BullMQ's limiter alone, rate/10 job starts per 102 ms window (before issue 15): the baseline
//   paced    the default: each send waits for its slot, one every (1000 + 20) / rate ms across the
//            processes (apps/worker/src/admission.ts), under a BullMQ limiter a little faster
// Read at the simulator: the busiest sliding 1 s window (any 1000 ms), the busiest second of the
// simulator's clock (sim.stats().maxPerSecond, the way Meta counts), the mean (m = rate × D
// messages over the time they took, counted from message rate + 1: the first second's worth is
// warm-up), and each high message's wait (enqueueText resolved → simulator received_at).
import { createQueueContext, Producer } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys } from './bench-redis.js';
import { runChild, startSimChild, type SimHandle } from './child-process.js';
import { ACCOUNT, BODY, recipientRows } from './fixtures.js';
import { machineBusyMeter } from './machine-load.js';
import { fmt, log, type BenchResult, type Figure } from './report.js';
import type { WorkerChildArg, WorkerChildResult } from './worker-child.js';

const WORKERS = 3;
/** Per process: enough that the limit, not concurrency, binds at 1,000/s with a few ms per send. */
const CONCURRENCY = 50;
const HIGH_MESSAGES = 40;

/** The most arrivals in any interval [t, t + windowMs). */
export function slidingMax(sortedMs: number[], windowMs = 1000): number {
  let max = 0;
  for (let i = 0, j = 0; j < sortedMs.length; j++) {
    while (sortedMs[j]! - sortedMs[i]! >= windowMs) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

type Mode = NonNullable<WorkerChildArg['rateLimit']>;

interface Case {
  rate: number;
  seconds: number;
}

interface Phase {
  mode: Mode;
  rate: number;
  sliding: number;
  clockMax: number;
  achieved: number;
  waits: number[];
  sent: number;
  /** High messages queued but not sent when the workers stopped. */
  highUnsent: number;
  /** Machine CPU busy over the phase, % of one core (200 % = both cores). */
  machineBusy: number;
  /** The worker processes' CPU together, % of one core. */
  workerCpu: number;
}

async function simMessages(sim: SimHandle): Promise<Array<{ to: string; at: number }>> {
  const res = await fetch(`${sim.url}/__sim/messages?format=ndjson`);
  if (!res.ok) throw new Error(`/__sim/messages: HTTP ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = JSON.parse(l) as { to: string; received_at: string };
      return { to: m.to, at: Date.parse(m.received_at) };
    });
}

/** Until the simulator has n sends, or 120 s (a loaded machine: the high messages then start anyway). */
async function waitForSends(sim: SimHandle, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await sim.stats()).accepted < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function phase(env: BenchEnv, sim: SimHandle, c: Case, mode: Mode): Promise<Phase> {
  await sim.reset();
  const ctx = createQueueContext({ redis: env.redis, base: env.base });
  const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
  const windowMs = c.seconds * 1000;
  // Enough queued that the limit, not the queue, stops the workers: warm-up, D seconds, a margin.
  const n = c.rate * (c.seconds + 4);
  const campaignId = `rate-${c.rate}-${mode}`;
  const queued = await producer.enqueueCampaign({ campaignId, body: BODY, priority: 'normal', recipients: recipientRows(n) });
  if (queued.accepted !== n) throw new Error(`queued ${queued.accepted} of ${n}`);
  const busy = machineBusyMeter();
  const t0 = Date.now();
  const children = Array.from({ length: WORKERS }, () => {
    const arg: WorkerChildArg = {
      mode: 'wabulk', redisUrl: env.redisUrl, base: env.base, simUrl: sim.url, campaignId, expect: 0,
      concurrency: CONCURRENCY, ratePerSecond: c.rate, durationMs: windowMs + 2500, rateLimit: mode,
    };
    return runChild<WorkerChildResult>('worker-child.ts', arg);
  });
  // High messages one by one over the first half of the measured window, once the campaign sends at the limit.
  const answered = new Map<string, number>();
  let results: WorkerChildResult[];
  try {
    await waitForSends(sim, c.rate);
    const intervalMs = windowMs / 2 / HIGH_MESSAGES;
    for (let k = 0; k < HIGH_MESSAGES; k++) {
      const to = `+1415555${String(k).padStart(4, '0')}`;
      await producer.enqueueText({ to, body: `otp ${k}` });
      answered.set(to.slice(1), Date.now());
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    results = await Promise.all(children);
  }
  const machineBusy = (100 * busy()) / (Date.now() - t0);
  await ctx.queues.close();
  const sent = await simMessages(sim);
  const stats = await sim.stats();
  await deleteRunKeys(env.redis, env.base);
  const arrivals = sent.map((m) => m.at).sort((a, b) => a - b);
  // The mean: m messages over the time they took, from message rate + 1 (the first second's worth is
  // warm-up). On a loaded machine the workers may fall short of the rate: then over what came, from
  // its first quarter.
  const skip = Math.min(c.rate, Math.floor(arrivals.length / 4));
  const m = Math.min(c.rate * c.seconds, arrivals.length - skip - 1);
  if (m < 10) throw new Error(`simulator got ${arrivals.length} sends; too few to measure ${c.rate}/s`);
  const achieved = m / ((arrivals[skip + m]! - arrivals[skip]!) / 1000);
  const waits = sent.filter((s) => answered.has(s.to)).map((s) => s.at - answered.get(s.to)!);
  // A high message still queued when the workers stopped (a slow machine) has no wait: counted apart.
  const highUnsent = answered.size - waits.length;
  const p: Phase = {
    mode, rate: c.rate, sliding: slidingMax(arrivals), clockMax: stats.maxPerSecond, achieved, waits, highUnsent, sent: arrivals.length, machineBusy,
    workerCpu: results.reduce((a, r) => a + (100 * r.cpuMs) / r.ms, 0),
  };
  log(`rate-limited ${c.rate}/s ${mode}: sliding max ${p.sliding}, clock-second max ${p.clockMax}, mean ${fmt(achieved)}/s, high wait p50 ${percentile(waits, 50)} ms p99 ${percentile(waits, 99)} ms (${highUnsent} unsent), machine ${fmt(machineBusy)} %`);
  return p;
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const cases: Case[] = env.quick ? [{ rate: 80, seconds: 5 }, { rate: 1000, seconds: 3 }] : [{ rate: 80, seconds: 10 }, { rate: 1000, seconds: 5 }];
  const sim = await startSimChild();
  const figures: Figure[] = [];
  const rows: Array<Array<string | number>> = [];
  try {
    for (const c of cases) {
      const phases: Partial<Record<Mode, Phase>> = {};
      for (const mode of ['windows', 'paced'] as const) phases[mode] = await phase(env, sim, c, mode);
      const { windows: before, paced: after } = phases as Record<Mode, Phase>;
      figures.push(
        { measure: `busiest sliding 1 s window, ${c.rate}/s, ${WORKERS} processes (paced)`, value: after.sliding, unit: 'msg', baseline: { label: 'the limit', value: c.rate }, target: { max: (c.rate + 1) / c.rate, text: '≤ limit + 1' } },
        { measure: `busiest sliding 1 s window, ${c.rate}/s (windows, before)`, value: before.sliding, unit: 'msg', baseline: { label: 'the limit', value: c.rate }, note: 'baseline, same run' },
        { measure: `busiest clock second (sim.stats().maxPerSecond), ${c.rate}/s (paced)`, value: after.clockMax, unit: 'msg', baseline: { label: 'windows, same run', value: before.clockMax }, target: { max: 1, text: 'never above before' } },
        { measure: `mean rate over ${c.seconds} s, ${c.rate}/s (paced)`, value: after.achieved, unit: 'msg/s', baseline: { label: 'the limit', value: c.rate }, target: { min: 0.97, max: 1, text: '0.97–1× the limit' } },
        { measure: `mean rate over ${c.seconds} s, ${c.rate}/s (windows, before)`, value: before.achieved, unit: 'msg/s', baseline: { label: 'the limit', value: c.rate }, note: 'baseline, same run' },
        { measure: `high wait p99 behind the campaign, ${c.rate}/s (paced)`, value: percentile(after.waits, 99), unit: 'ms', baseline: { label: 'windows, same run', value: percentile(before.waits, 99) }, note: 'lower is better' },
      );
      for (const p of [before, after]) {
        rows.push([`${p.rate}/s`, p.mode, p.sent, p.sliding, p.clockMax, fmt(p.achieved), fmt(p.achieved / p.rate, 3), `${percentile(p.waits, 50)} / ${percentile(p.waits, 99)} / ${Math.max(...p.waits)}${p.highUnsent ? ` (${p.highUnsent} unsent)` : ''}`, `${fmt(p.workerCpu)} %`, `${fmt(p.machineBusy)} %`]);
      }
    }
  } finally {
    await sim.stop();
  }
  return {
    name: 'rate-limited',
    figures,
    details: [{
      title: `${WORKERS} worker processes (concurrency ${CONCURRENCY} each), a normal campaign + ${HIGH_MESSAGES} high single messages; windows (BullMQ's limiter alone, before) then paced (default), same run`,
      header: ['rate', 'limiter', 'sends', 'sliding 1 s max', 'clock-second max', 'mean/s', 'mean ÷ limit', 'high wait ms p50 / p99 / max', 'workers CPU', 'machine CPU (of 200 %)'],
      rows,
    }],
  };
}

export const rateLimitedBenchmark: Benchmark = {
  name: 'rate-limited',
  describe: 'the rate limit across 3 worker processes at 80/s and 1000/s (campaign + high messages): busiest sliding and clock second, mean, high wait; windows (before) vs paced',
  run,
};
