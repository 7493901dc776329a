import type { Simulator } from '@wabulk/kaleyra-sim';

/**
 * Watches the simulator (in this process, so reading its counters is cheap) every few ms: when a
 * code was first answered and when the request count last grew. Timing to within `intervalMs`.
 */
export interface SimWatch {
  /** When `code` was first seen among the rejections (undefined: not yet). */
  firstRejectedAt(code: string): number | undefined;
  /** When the request count last changed. */
  lastRequestAt(): number;
  stop(): void;
}

export function watchSim(sim: Simulator, intervalMs = 5): SimWatch {
  const first = new Map<string, number>();
  let requests = sim.stats().requests;
  let lastRequestAt = Date.now();
  const tick = () => {
    const stats = sim.stats();
    const now = Date.now();
    if (stats.requests !== requests) {
      requests = stats.requests;
      lastRequestAt = now;
    }
    for (const [code, n] of Object.entries(stats.rejected.byCode)) if (n > 0 && !first.has(code)) first.set(code, now);
  };
  const timer = setInterval(tick, intervalMs);
  return {
    firstRejectedAt: (code) => first.get(code),
    lastRequestAt: () => lastRequestAt,
    stop: () => {
      tick();
      clearInterval(timer);
    },
  };
}

/** Accepted messages per whole second of the clock, and the busiest sliding 1-second window (for reports). */
export function acceptedRates(sim: Simulator): { perSecondMax: number; slidingMax: number; firstAt: number; lastAt: number } {
  const times = sim.messages().map((m) => Date.parse(m.received_at)).sort((a, b) => a - b);
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  let slidingMax = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    slidingMax = Math.max(slidingMax, i - j + 1);
  }
  return { perSecondMax: Math.max(0, ...perSecond.values()), slidingMax, firstAt: times[0] ?? 0, lastAt: times.at(-1) ?? 0 };
}
