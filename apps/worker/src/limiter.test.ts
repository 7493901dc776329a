import { LIMITER_SLACK_MS, limiterFor } from './start-worker.js';

test.each([
  [80, { max: 8, duration: 102 }],
  [1000, { max: 100, duration: 102 }],
  [85, { max: 8, duration: 102 }],
  [5, { max: 1, duration: 200 }],
  [0.5, { max: 1, duration: 2000 }],
])('%s/s → %j, never above the rate', (rate, limiter) => {
  expect(limiterFor(rate)).toEqual(limiter);
  expect((limiter.max * 1000) / limiter.duration).toBeLessThanOrEqual(rate);
});

test('at most ten windows start in a second, with room for arrivals spread by a few ms; ten windows hold at most the rate', () => {
  for (const rate of [10, 80, 85, 99, 200, 1000, 5000]) {
    const { max, duration } = limiterFor(rate);
    expect(10 * duration).toBe(1000 + 10 * LIMITER_SLACK_MS);
    expect(10 * max).toBeLessThanOrEqual(rate);
  }
});
