import { applyFaults, defaultFaults, parseBalanceBody, parseFaults } from './faults.js';
import { RateWindow } from './rate-window.js';

test('parseFaults accepts a partial patch and applyFaults merges it', () => {
  const r = parseFaults({ failNext: 2, failCode: 'E110', rateLimitPerSecond: null, callbackUrl: 'http://127.0.0.1:1/cb' });
  expect(r.ok).toBe(true);
  const faults = defaultFaults();
  if (r.ok) applyFaults(faults, r.value);
  expect(faults).toMatchObject({ failNext: 2, failCode: 'E110', rateLimitPerSecond: null, failRate: 0, callbackDelayMs: 200 });
});

test.each<[unknown, string]>([
  [{ failRate: 1.5 }, 'failRate'],
  [{ failNext: -1 }, 'failNext'],
  [{ failNext: 1.5 }, 'failNext'],
  [{ failStatus: 200 }, 'failStatus'],
  [{ failCode: 'has space' }, 'failCode'],
  [{ failBody: 42 }, 'failBody'],
  [{ failBody: 'x'.repeat(8193) }, 'failBody'],
  [{ latencyMs: '5' }, 'latencyMs'],
  [{ callbackUrl: 'ftp://x' }, 'callbackUrl'],
  [{ callbackFailedShare: 2 }, 'callbackFailedShare'],
  [{ invalidJson202: 'yes' }, 'invalidJson202'],
  [{ unknownFault: 1 }, 'unknownFault'],
  [[], 'body'],
])('parseFaults(%j) names %s', (input, field) => {
  expect(parseFaults(input)).toMatchObject({ ok: false, field });
});

test('parseBalanceBody: exactly one of balance or add', () => {
  expect(parseBalanceBody({ balance: 5 })).toEqual({ ok: true, value: { balance: 5 } });
  expect(parseBalanceBody({ balance: null })).toEqual({ ok: true, value: { balance: null } });
  expect(parseBalanceBody({ add: 3 })).toEqual({ ok: true, value: { add: 3 } });
  expect(parseBalanceBody({})).toMatchObject({ ok: false, field: 'balance' });
  expect(parseBalanceBody({ balance: 1, add: 1 })).toMatchObject({ ok: false, field: 'balance' });
  expect(parseBalanceBody({ add: -1 })).toMatchObject({ ok: false, field: 'add' });
  expect(parseBalanceBody({ balance: 'lots' })).toMatchObject({ ok: false, field: 'balance' });
});

test('RateWindow counts per whole second and keeps the maximum', () => {
  const w = new RateWindow();
  expect(w.hit(1000)).toBe(1);
  expect(w.hit(1500)).toBe(2);
  expect(w.hit(1999)).toBe(3);
  expect(w.hit(2000)).toBe(1);
  expect(w.max).toBe(3);
  expect(w.msToNextWindow(2250)).toBe(750);
});
