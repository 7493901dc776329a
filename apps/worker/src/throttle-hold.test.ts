import { throttleHold } from './throttle-hold.js';

test.each([
  [undefined, 60_000, { holdMs: 1000, capped: false }],
  [7000, 60_000, { holdMs: 7000, capped: false }],
  [60_000, 60_000, { holdMs: 60_000, capped: false }],
  [0, 60_000, { holdMs: 100, capped: false }],
  [86_400_000, 60_000, { holdMs: 60_000, capped: true }],
  [5000, 500, { holdMs: 500, capped: true }],
])('Retry-After %s ms, cap %s ms → %j', (retryAfterMs, maxMs, expected) => {
  expect(throttleHold(retryAfterMs, maxMs)).toEqual(expected);
});
