import { randomBytes, randomInt } from 'node:crypto';
import { ACCOUNT_CODES, PAGE_CODES, THROTTLE_CODES } from '@wabulk/kaleyra';
import { CODE_LABELS, codeLabel, pauseReasonLabel } from './code-label.js';

test('page codes, Meta throttling codes and client codes keep their value', () => {
  for (const code of [...PAGE_CODES, ...THROTTLE_CODES, 'TIMEOUT', 'NETWORK', 'BAD_RESPONSE', 'WORKER_ERROR', 'STALLED']) expect(codeLabel(code)).toBe(code);
});

test.each([
  ['HTTP_404', 'HTTP_404'], ['HTTP_403', 'HTTP_403'], ['HTTP_429', 'HTTP_429'], ['HTTP_418', 'HTTP_4xx'],
  ['HTTP_599', 'HTTP_5xx'], ['HTTP_202', 'HTTP_2xx'], ['HTTP_302', 'HTTP_3xx'], ['HTTP_999', 'HTTP_other'],
  ['WA999', 'other'], ['', 'other'], ['HTTP_4041', 'other'], ['e110', 'other'], ['toString', 'other'], [undefined, 'other'],
] as const)('%j → %s', (code, label) => {
  expect(codeLabel(code)).toBe(label);
});

test('random codes always map into the fixed set', () => {
  const labels = new Set<string>(CODE_LABELS);
  for (let i = 0; i < 5000; i++) {
    const code = i % 3 === 0 ? `HTTP_${randomInt(0, 100_000)}` : i % 3 === 1 ? randomBytes(randomInt(0, 24)).toString('base64url') : randomBytes(randomInt(0, 12)).toString('latin1');
    expect(labels.has(codeLabel(code))).toBe(true);
  }
  expect(CODE_LABELS.length).toBeLessThan(60);
});

test('pause reason labels: account codes, HTTP_401/403, manual as they are; breaker codes bounded', () => {
  for (const code of ACCOUNT_CODES) expect(pauseReasonLabel(code)).toBe(code);
  expect(pauseReasonLabel('HTTP_403')).toBe('HTTP_403');
  expect(pauseReasonLabel('manual')).toBe('manual');
  expect(pauseReasonLabel('BREAKER:HTTP_404')).toBe('BREAKER:HTTP_404');
  expect(pauseReasonLabel('BREAKER:HTTP_410')).toBe('BREAKER:HTTP_4xx');
  expect(pauseReasonLabel('BREAKER:HTTP_400')).toBe('BREAKER:HTTP_4xx');
  expect(pauseReasonLabel('BREAKER:WA999')).toBe('BREAKER:other');
  expect(pauseReasonLabel('BREAKER:' + 'x'.repeat(300))).toBe('BREAKER:other');
  expect(pauseReasonLabel('SOMETHING')).toBe('other');
});
