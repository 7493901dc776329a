import { accountKeys, withScripts, type RedisClient } from '@wabulk/queue';

/**
 * The rate limit in every sliding second: sends of an account are paced one every
 * (1000 + ADMISSION_MARGIN_MS) / rate ms, across every worker process (one Redis key per account:
 * the time the next send may start, on Redis's clock). Slots exactly that far apart put at most
 * `rate` of them in any interval of 1000 + ADMISSION_MARGIN_MS ms, so at Kaleyra any sliding second
 * holds at most `rate` sends as long as requests reach it within ADMISSION_MARGIN_MS of their slot
 * (a Redis round trip, a timer, a busy event loop), and the mean is 1000 / 1020 = 0.98× the rate.
 *
 * BullMQ's limiter (limiterFor) still decides how fast jobs are taken: a little faster than the
 * pacing, so the pacing is what binds; a job then waits for its slot. Jobs never wait long behind
 * each other: when a slot is more than ADMISSION_AHEAD_MS away, the account's queue stops handing out
 * jobs until it is that close again (BullMQ's rateLimit), so a high-priority job taken next waits
 * at most about ADMISSION_AHEAD_MS + one limiter window for its slot.
 *
 * A process takes its slots in runs of consecutive ones worth ADMISSION_BATCH_MS (one at 80/s, ten at
 * 1,000/s), or one for each of its jobs waiting if more, one Redis call per run, and hands them to its
 * jobs in order: at a high rate the pacing costs a call per run, not per send. A process holds at most one run it has not used, so a process
 * the CPU left waiting can bunch at most one run's sends (10 ms worth). Slots a busy process is late
 * for are still used: a process that drops them takes new ones further ahead, and a loaded machine
 * then races the next free slot ahead of the sends (measured: 308/s at 1,000/s, where BullMQ's
 * limiter alone reached 746/s on the same machine). Only slots older than ADMISSION_STALE_MS (a run
 * left when the jobs ran out) are dropped: their window is gone, and used now they would be extra.
 */
export const ADMISSION_MARGIN_MS = 20;
/** How far ahead a job may hold a slot before the queue stops handing out more. */
export const ADMISSION_AHEAD_MS = 100;
/** A process reserves consecutive slots worth this long at once (at least one). */
export const ADMISSION_BATCH_MS = 10;

/** A reserved slot still unused this long after it is dropped (the process ran out of jobs). */
export const ADMISSION_STALE_MS = 1000;

/** How many consecutive slots one reservation takes at `ratePerSecond`. */
export const admissionBatch = (ratePerSecond: number) => Math.max(1, Math.floor((ratePerSecond * ADMISSION_BATCH_MS) / 1000));

/** Milliseconds between two sends of an account at `ratePerSecond`. */
export const admissionIntervalMs = (ratePerSecond: number) => (1000 + ADMISSION_MARGIN_MS) / ratePerSecond;

// KEYS[1] the account's next free slot (ms on Redis's clock, a decimal string); KEYS[2] the queue's
// BullMQ limiter key. ARGV[1] the interval (ms), ARGV[2] ADMISSION_AHEAD_MS, ARGV[3] how many
// consecutive slots. Takes them; when the first is more than ARGV[2] away, holds the queue (as BullMQ's rateLimit does: the limiter key
// at its maximum for the time) until it is that close, never shortening a longer hold (a 429's).
// Returns the first slot (ms on Redis's clock) and how long from now it starts (ms), as decimal strings
// (Lua numbers would become integers).
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local nextSlot = slot + tonumber(ARGV[1]) * tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.3f', nextSlot), 'PX', math.ceil(nextSlot - now) + 1000)
local hold = math.ceil(slot - now - tonumber(ARGV[2]))
if hold > 0 and redis.call('PTTL', KEYS[2]) < hold then
  redis.call('SET', KEYS[2], '9007199254740991', 'PX', hold)
end
return { string.format('%.3f', slot), string.format('%.3f', slot - now) }
`;

interface AdmissionCommands {
  wabulkAdmissionReserve(key: string, limiterKey: string, intervalMs: string, aheadMs: string, count: string): Promise<[string, string]>;
}

/** In the account queue's hash slot (Redis Cluster: one script touches it and the limiter key). */
export const admissionKey = (base: string, account: string) => `${accountKeys(base, account).state}:pace`;

export interface Admission {
  /** Takes the next `count` (default 1) consecutive slots: when the first starts on Redis's clock, and how long from now (ms). */
  reserve(count?: number): Promise<{ slot: number; waitMs: number }>;
  /** Takes the next send slot and resolves at it (at once when the account is under its rate). */
  admit(): Promise<void>;
}

export function createAdmission(options: {
  redis: RedisClient;
  base: string;
  account: string;
  ratePerSecond: number;
  /** The account queue's BullMQ limiter key (worker.keys.limiter). */
  limiterKey: string;
  /** A failed reservation (Redis): the send goes ahead under BullMQ's limiter alone. */
  onError?: (err: Error) => void;
}): Admission {
  const redis = withScripts<AdmissionCommands>(options.redis, { wabulkAdmissionReserve: { numberOfKeys: 2, lua: RESERVE } });
  const key = admissionKey(options.base, options.account);
  const interval = admissionIntervalMs(options.ratePerSecond).toFixed(6);
  const ahead = String(ADMISSION_AHEAD_MS);
  const reserve = async (count = 1) => {
    const [slot, wait] = await redis.wabulkAdmissionReserve(key, options.limiterKey, interval, ahead, String(count));
    return { slot: Number(slot), waitMs: Number(wait) };
  };
  const intervalMs = admissionIntervalMs(options.ratePerSecond);
  const batch = admissionBatch(options.ratePerSecond);
  /** This process's reserved slots, on its own clock (performance.now()), earliest first. */
  const slots: number[] = [];
  let refilling: Promise<void> | undefined;
  /** Jobs of this process waiting for a slot: one reservation takes a slot for each (at least a run). */
  let waiting = 0;
  const refill = async (count: number) => {
    const { waitMs } = await reserve(count);
    const first = performance.now() + waitMs;
    for (let i = 0; i < count; i++) slots.push(first + i * intervalMs);
  };
  /**
   * The next slot of this process: one reservation at a time, for every job waiting then (a
   * reservation per run would queue a process's jobs behind one Redis round trip per run).
   */
  const take = async (): Promise<number> => {
    waiting++;
    try {
      for (;;) {
        const stale = performance.now() - ADMISSION_STALE_MS;
        while (slots.length > 0 && slots[0]! < stale) slots.shift();
        const slot = slots.shift();
        if (slot !== undefined) return slot;
        refilling ??= refill(Math.max(batch, waiting)).finally(() => (refilling = undefined));
        await refilling;
      }
    } finally {
      waiting--;
    }
  };
  return {
    reserve,
    async admit() {
      let at: number;
      try {
        at = await take();
      } catch (err) {
        options.onError?.(err as Error);
        return;
      }
      const waitMs = at - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    },
  };
}
