import { ADMISSION_MARGIN_MS, admissionIntervalMs } from './admission.js';
import { LIMITER_SLACK_MS, limiterFor, windowsLimiterFor } from './start-worker.js';

// The rule (issue 15): sends are paced one every (1000 + ADMISSION_MARGIN_MS) / rate ms across every
// worker process (admission.ts); BullMQ's limiter only decides how fast jobs are taken, a little
// faster than the pacing so that the pacing binds.

const RATES = [0.5, 1, 5, 9, 10, 80, 85, 99, 200, 1000, 5000, 100_000];

test.each(RATES)('%s/s: slots spaced so that `rate` of them span 1000 + margin ms: any sliding second holds at most the rate, the mean is ≥ 0.97× it', (rate) => {
  const interval = admissionIntervalMs(rate);
  expect(rate * interval).toBeCloseTo(1000 + ADMISSION_MARGIN_MS, 6);
  // `rate` slots exactly `interval` apart span (rate − 1) × interval: a second plus the margin,
  // less one interval; the margin is room for requests reaching Kaleyra a little late.
  expect(1000 / interval).toBeGreaterThanOrEqual(0.97 * rate);
  expect(1000 / interval).toBeLessThan(rate);
});

test.each(RATES)('%s/s: BullMQ takes jobs at or above the paced rate, so the pacing is what binds', (rate) => {
  const { max, duration } = limiterFor(rate);
  expect(Number.isInteger(max) && Number.isInteger(duration) && max >= 1 && duration >= 1).toBe(true);
  expect((max * 1000) / duration).toBeGreaterThanOrEqual(1000 / admissionIntervalMs(rate));
});

test.each([
  [80, { max: 8, duration: 100 }],
  [1000, { max: 100, duration: 100 }],
  [85, { max: 9, duration: 100 }],
  [5, { max: 1, duration: 200 }],
  [0.5, { max: 1, duration: 2000 }],
])('limiterFor(%s) → %j', (rate, limiter) => {
  expect(limiterFor(rate)).toEqual(limiter);
});

// The limiter before issue 15, kept for the benchmark's baseline ('windows').
test.each([
  [80, { max: 8, duration: 102 }],
  [1000, { max: 100, duration: 102 }],
  [85, { max: 8, duration: 102 }],
  [5, { max: 1, duration: 200 }],
  [0.5, { max: 1, duration: 2000 }],
])('windowsLimiterFor(%s) → %j, never above the rate', (rate, limiter) => {
  expect(windowsLimiterFor(rate)).toEqual(limiter);
  expect((limiter.max * 1000) / limiter.duration).toBeLessThanOrEqual(rate);
});

test('windows: at most ten windows start in a second; ten windows hold at most the rate', () => {
  for (const rate of [10, 80, 85, 99, 200, 1000, 5000]) {
    const { max, duration } = windowsLimiterFor(rate);
    expect(10 * duration).toBe(1000 + 10 * LIMITER_SLACK_MS);
    expect(10 * max).toBeLessThanOrEqual(rate);
  }
});
