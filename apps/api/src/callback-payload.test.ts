import { callbackTime, kaleyraCallbackSchema, toCallbackAction } from './callback-payload.js';

const parse = (input: unknown) => kaleyraCallbackSchema.parse(input);
const NOW = 1_764_400_000_000;

test('delivered and read move the ledger; the callback time is used', () => {
  expect(toCallbackAction(parse({ id: 'A1', status: 'delivered', timestamp: '1764400100' }), NOW)).toEqual({
    kind: 'update', messageId: 'A1', label: 'delivered', update: { status: 'delivered', at: 1_764_400_100_000 },
  });
  expect(toCallbackAction(parse({ id: 'A1', status: 'READ' }), NOW)).toMatchObject({ kind: 'update', update: { status: 'read', at: NOW } });
});

test('failed and not-sent become failed-after-send with the error code and text', () => {
  expect(toCallbackAction(parse({ id: 'u-1:0', status: 'failed', error: 'Re-engagement message', error_code: 131047 }), NOW)).toEqual({
    kind: 'update', messageId: 'u-1:0', label: 'failed', update: { status: 'failed-after-send', code: '131047', reason: 'Re-engagement message', at: NOW },
  });
  expect(toCallbackAction(parse({ id: 'A2', status: 'not_sent', error: '', error_code: '' }), NOW)).toMatchObject({ label: 'not-sent', update: { status: 'failed-after-send', code: 'NOT_SENT' } });
});

test('sent confirms; unknown statuses are ignored, not refused', () => {
  expect(toCallbackAction(parse({ id: 'A3', status: 'sent' }), NOW)).toEqual({ kind: 'sent', messageId: 'A3', label: 'sent' });
  expect(toCallbackAction(parse({ id: 'A3', status: 'deleted' }), NOW)).toEqual({ kind: 'ignored', messageId: 'A3', label: 'other' });
});

test('id and status are required; numbers are accepted as text; unknown fields pass', () => {
  expect(kaleyraCallbackSchema.safeParse({ status: 'read' }).success).toBe(false);
  expect(kaleyraCallbackSchema.safeParse({ id: '', status: 'read' }).success).toBe(false);
  expect(parse({ id: 123, status: 'read', price: 0.5, extra: 'x' })).toMatchObject({ id: '123', price: '0.5', extra: 'x' });
});

test('timestamps: seconds, milliseconds, ISO, garbage', () => {
  expect(callbackTime('1764400100', NOW)).toBe(1_764_400_100_000);
  expect(callbackTime('1764400100123', NOW)).toBe(1_764_400_100_123);
  expect(callbackTime('2026-11-29T07:08:20Z', NOW)).toBe(Date.parse('2026-11-29T07:08:20Z'));
  expect(callbackTime('soon', NOW)).toBe(NOW);
  expect(callbackTime(undefined, NOW)).toBe(NOW);
});
