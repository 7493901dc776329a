import { Redis } from 'ioredis';
import { createRedis, waitForReady } from '@wabulk/queue';
import { ADMISSION_AHEAD_MS, admissionBatch, admissionIntervalMs, admissionKey, createAdmission } from '@wabulk/worker';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// The pacing behind the rate limit (apps/worker/src/admission.ts): every send of an account takes
// the next slot on Redis's clock, one interval after the previous, whichever process asks; a slot
// far ahead holds the account's queue (BullMQ's limiter key) until it is near, without shortening
// a longer hold (a 429's). Asserted on the slots Redis hands out, never on wall-clock timing.

const ACCOUNT = 'acme';
let base: string;
let admin: Redis;
const connections: Redis[] = [];

beforeEach(async () => {
  base = uniqueBase('admission');
  admin = new Redis(REDIS_URL);
});
afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  await deleteKeys(admin, base);
  admin.disconnect();
});

async function processes(n: number, ratePerSecond: number, limiterKey: string) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const redis = createRedis(REDIS_URL, 'worker');
      connections.push(redis);
      await waitForReady(redis);
      return createAdmission({ redis, base, account: ACCOUNT, ratePerSecond, limiterKey });
    }),
  );
}

test('three processes asking at once get distinct slots exactly one interval apart: no 1000 ms holds more than `rate`', async () => {
  // A slow rate, so that the slots span far longer than the calls take to reach Redis on a busy
  // machine (a call arriving after the last slot handed out would start a new run at "now").
  const rate = 2;
  const limiterKey = `{${base}-${ACCOUNT}}:wa-${ACCOUNT}:limiter`;
  const three = await processes(3, rate, limiterKey);
  const taken = await Promise.all(Array.from({ length: 30 }, (_, i) => three[i % 3]!.reserve()));
  const slots = taken.map((t) => t.slot).sort((a, b) => a - b);
  const interval = admissionIntervalMs(rate);
  for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeCloseTo(interval, 2);
  // Any rate + 1 consecutive slots span rate intervals, 1000 + margin ms: never inside one second.
  for (let i = 0; i + rate < slots.length; i++) expect(slots[i + rate]! - slots[i]!).toBeGreaterThan(1000);
  // The first is now; the others wait their turn.
  expect(Math.min(...taken.map((t) => t.waitMs))).toBeLessThan(interval);
  expect(Math.max(...taken.map((t) => t.waitMs))).toBeGreaterThan(10_000);
  expect(await admin.exists(admissionKey(base, ACCOUNT))).toBe(1);
});

test('a slot more than ADMISSION_AHEAD_MS away holds the queue (BullMQ limiter key) until it is that close; a longer hold stays', async () => {
  const rate = 1; // 1,020 ms apart: far more than a busy machine's round trips
  const limiterKey = `{${base}-${ACCOUNT}}:wa-${ACCOUNT}:limiter`;
  const [a] = await processes(1, rate, limiterKey);
  const first = await a!.reserve();
  expect(first.waitMs).toBeLessThanOrEqual(ADMISSION_AHEAD_MS);
  expect(await admin.exists(limiterKey)).toBe(0);
  // Third slot: ~2,040 ms ahead → a hold of ~1,940 ms, the limiter key at its maximum (as queue.rateLimit sets it).
  await a!.reserve();
  const third = await a!.reserve();
  expect(third.waitMs).toBeGreaterThan(ADMISSION_AHEAD_MS);
  const pttl = await admin.pttl(limiterKey);
  expect(pttl).toBeGreaterThan(0);
  expect(pttl).toBeLessThanOrEqual(Math.ceil(third.waitMs - ADMISSION_AHEAD_MS));
  expect(await admin.get(limiterKey)).toBe(String(Number.MAX_SAFE_INTEGER));
  // A 429's hold of a minute is never shortened by the pacing.
  await admin.set(limiterKey, String(Number.MAX_SAFE_INTEGER), 'PX', 60_000);
  await a!.reserve();
  expect(await admin.pttl(limiterKey)).toBeGreaterThan(10_000);
});

test('a slot in the past is never handed out: after a pause the next send starts now, not in a burst', async () => {
  const [a] = await processes(1, 10, `{${base}-${ACCOUNT}}:wa-${ACCOUNT}:limiter`);
  // The key left by a busy moment long ago: the next slot must be now, and the one after one interval later.
  await admin.set(admissionKey(base, ACCOUNT), '1000.000', 'PX', 10_000);
  const [x, y] = await Promise.all([a!.reserve(), a!.reserve()]);
  expect(x.slot).toBeGreaterThan(1_000_000_000_000);
  expect(x.waitMs).toBe(0);
  expect(y.slot - x.slot).toBeCloseTo(admissionIntervalMs(10), 2);
});

test('a process takes its slots in runs of ADMISSION_BATCH_MS (ten at 1,000/s, one at 80/s): the next run starts after the whole run', async () => {
  expect(admissionBatch(80)).toBe(1);
  expect(admissionBatch(1000)).toBe(10);
  expect(admissionBatch(0.5)).toBe(1);
  const [a] = await processes(1, 1000, `{${base}-${ACCOUNT}}:wa-${ACCOUNT}:limiter`);
  const [run, next] = await Promise.all([a!.reserve(admissionBatch(1000)), a!.reserve()]);
  expect(next.slot - run.slot).toBeCloseTo(10 * admissionIntervalMs(1000), 2);
});

test('admit() resolves for every job, in one process and across processes, and leaves the slots key for the account', async () => {
  const three = await processes(3, 1000, `{${base}-${ACCOUNT}}:wa-${ACCOUNT}:limiter`);
  await Promise.all(Array.from({ length: 60 }, (_, i) => three[i % 3]!.admit()));
  const next = Number(await admin.get(admissionKey(base, ACCOUNT)));
  expect(next).toBeGreaterThan(1_000_000_000_000);
});
