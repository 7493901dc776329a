// Benchmark "rate-limited": the real worker with ratePerSecond set, a queue that never runs dry, and
// the simulator recording arrival times. Achieved rate = m ÷ the time m messages took, m = rate × D,
// counted from message rate + 1 (the first second's worth is warm-up: the first request also opens
// the connection, so it reaches the simulator late in its limiter window). The busiest 1-second
// window is read two ways: the simulator's own (windows on the clock's whole seconds,
// sim.stats().maxPerSecond) and a sliding one over the arrival times (any 1000 ms interval).
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys } from './bench-redis.js';
import { startSimChild } from './child-process.js';
import { drainPhase } from './e2e.js';
import { fmt, log, type BenchResult, type Figure } from './report.js';

/** The most arrivals in any interval [t, t + windowMs). */
export function slidingMax(sortedMs: number[], windowMs = 1000): number {
  let max = 0;
  for (let i = 0, j = 0; j < sortedMs.length; j++) {
    while (sortedMs[j]! - sortedMs[i]! >= windowMs) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

interface Case {
  rate: number;
  seconds: number;
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const cases: Case[] = env.quick ? [{ rate: 80, seconds: 5 }, { rate: 1000, seconds: 3 }] : [{ rate: 80, seconds: 10 }, { rate: 1000, seconds: 5 }];
  const sim = await startSimChild();
  const figures: Figure[] = [];
  const rows: Array<Array<string | number>> = [];
  try {
    for (const c of cases) {
      const windowMs = c.seconds * 1000;
      // Enough queued that the limiter, not the queue, is what stops the worker, for the warm-up
      // second, the measured D seconds and a margin.
      const n = c.rate * (c.seconds + 4);
      const phase = await drainPhase(env, sim, { mode: 'wabulk', latencyMs: 0, n, label: `rate-${c.rate}`, ratePerSecond: c.rate, durationMs: windowMs + 2500 });
      const arrivals = (await sim.arrivals()).sort((a, b) => a - b);
      const stats = await sim.stats();
      await deleteRunKeys(env.redis, env.base);
      const m = c.rate * c.seconds;
      if (arrivals.length !== stats.accepted || arrivals.length < c.rate + m + 1) {
        throw new Error(`simulator listed ${arrivals.length} arrivals (accepted ${stats.accepted}); need ${c.rate + m + 1} to measure ${c.rate}/s over ${c.seconds} s`);
      }
      const t0 = arrivals[0]!;
      const from = arrivals[c.rate]!;
      const achieved = m / ((arrivals[c.rate + m]! - from) / 1000);
      const inWindow = arrivals.filter((t) => t >= from && t < from + windowMs).length;
      const sliding = slidingMax(arrivals);
      log(`rate-limited ${c.rate}/s: achieved ${fmt(achieved)}/s, sim maxPerSecond ${stats.maxPerSecond}, sliding max ${sliding}`);
      figures.push(
        { measure: `achieved rate at ${c.rate}/s over ${c.seconds} s`, value: achieved, unit: 'msg/s', baseline: { label: 'configured', value: c.rate }, target: { min: 0.95, max: 1.05, text: 'within 5%' } },
        { measure: `max in a 1 s window (sim.stats().maxPerSecond), ${c.rate}/s`, value: stats.maxPerSecond, unit: 'msg', baseline: { label: 'configured', value: c.rate }, target: { max: 1, text: 'never above' } },
        { measure: `max in any sliding 1 s window, ${c.rate}/s`, value: sliding, unit: 'msg', baseline: { label: 'configured', value: c.rate }, note: 'stricter reading: any 1000 ms' },
      );
      // Arrivals per limiter window, to show how the windows fill (first 6 s at most).
      const perSecond: number[] = [];
      for (const t of arrivals) {
        const k = Math.floor((t - t0) / 1000);
        if (k < Math.min(6, c.seconds)) perSecond[k] = (perSecond[k] ?? 0) + 1;
      }
      const burstMs = (k: number) => {
        const inK = arrivals.filter((t) => Math.floor((t - t0) / 1000) === k);
        return inK.length > 1 ? inK.at(-1)! - inK[0]! : 0;
      };
      rows.push([`${c.rate}/s`, n, inWindow, achieved, stats.maxPerSecond, sliding, perSecond.join(' '), fmt(burstMs(1)), `${fmt((100 * phase.redisCpuMs) / phase.ms)} %`, `${fmt((100 * phase.cpuMs) / phase.ms)} %`]);
    }
  } finally {
    await sim.stop();
  }
  return {
    name: 'rate-limited',
    figures,
    details: [{
      title: 'per configured rate ("arrivals per second" counted from the first arrival; "spread" = first to last arrival inside second 2)',
      header: ['rate', 'queued', 'in D from msg rate+1', 'achieved/s', 'sim max/s', 'sliding max', 'arrivals per second from t0', 'spread ms', 'Redis CPU', 'worker CPU'],
      rows,
    }],
  };
}

export const rateLimitedBenchmark: Benchmark = {
  name: 'rate-limited',
  describe: 'achieved vs configured rate at 80/s and 1000/s; busiest 1-second window at the simulator',
  run,
};
