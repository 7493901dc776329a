import { limiterFor } from './start-worker.js';

test.each([
  [80, { max: 8, duration: 100 }],
  [1000, { max: 100, duration: 100 }],
  [85, { max: 8, duration: 95 }],
  [5, { max: 1, duration: 200 }],
  [0.5, { max: 1, duration: 2000 }],
])('%s/s → %j, never above the rate', (rate, limiter) => {
  expect(limiterFor(rate)).toEqual(limiter);
  expect((limiter.max * 1000) / limiter.duration).toBeLessThanOrEqual(rate);
});
