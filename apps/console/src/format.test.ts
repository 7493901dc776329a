import { count, duration, percent, rate, relative, when } from './format.js';

// The console's numbers are for reading: 12,345 · 3.2 % · "in 4 min".

test('counts group thousands; nothing known is a dash', () => {
  expect(count(12345)).toBe('12,345');
  expect(count(1_000_000)).toBe('1,000,000');
  expect(count(0)).toBe('0');
  expect(count(undefined)).toBe('—');
  expect(count(null)).toBe('—');
});

test('percentages have one decimal and a space before %; a tiny share is not rounded to 0', () => {
  expect(percent(32, 1000)).toBe('3.2 %');
  expect(percent(1, 3)).toBe('33.3 %');
  expect(percent(1000, 1000)).toBe('100.0 %');
  expect(percent(0, 1000)).toBe('0.0 %');
  expect(percent(1, 1_000_000)).toBe('< 0.1 %');
  expect(percent(5, 0)).toBe('—');
});

test('durations and relative times in words', () => {
  expect(duration(45_000)).toBe('45 s');
  expect(duration(4 * 60_000)).toBe('4 min');
  expect(duration(125 * 60_000)).toBe('2 h 5 min');
  expect(duration(3 * 3600_000)).toBe('3 h');
  expect(duration(76 * 3600_000)).toBe('3 d 4 h');
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  expect(relative(now + 4 * 60_000, now)).toBe('in 4 min');
  expect(relative(now - 90 * 60_000, now)).toBe('1 h 30 min ago');
  expect(relative(now + 2000, now)).toBe('just now');
});

test('dates and rates', () => {
  expect(when(null)).toBe('—');
  expect(when(Date.UTC(2026, 11, 1, 11, 4))).toMatch(/1 Dec 2026/);
  expect(rate(80)).toBe('80/s');
  expect(rate(1000)).toBe('1,000/s');
  expect(rate(null)).toBe('not reported');
});
