import { normaliseRecipient, normaliseRecipients, splitRecipients } from './normalise-recipients.js';

describe('normaliseRecipient', () => {
  test.each([
    ['+919876543210', undefined, '+919876543210'],
    ['919876543210', undefined, '+919876543210'],
    ['  +91 98765-43210 ', undefined, '+919876543210'],
    ['+1 (415) 555-0100', undefined, '+14155550100'],
    ['098765 43210', 'IN', '+919876543210'],
    ['98765 43210', 'IN', '+919876543210'],
    ['919876543210', 'IN', '+919876543210'],
    ['020 7946 0958', 'GB', '+442079460958'],
  ] as const)('%s (default %s) → %s', (input, country, e164) => {
    expect(normaliseRecipient(input, country)).toEqual({ ok: true, e164 });
  });

  test.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['hello', 'not a phone number'],
    ['+123', 'not a valid number'],
    ['98765 43210', 'no country code'],
    ['+9112345', 'not a valid number for IN'],
    ['+99912345678', 'unknown country calling code'],
    ['1'.repeat(60), 'too long'],
  ])('rejects %j with a reason', (input, reason) => {
    const r = normaliseRecipient(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('normaliseRecipients', () => {
  test('splits commas in strings and array items, trims, dedupes, reports every bad one', () => {
    const batch = normaliseRecipients(['+919876543210, 919876543210', '+14155550100,,bogus', '+919876543211'], undefined);
    expect(batch.numbers).toEqual(['+919876543210', '+14155550100', '+919876543211']);
    expect(batch.duplicates).toBe(1);
    expect(batch.rejected).toEqual([{ input: 'bogus', reason: 'not a phone number' }]);
  });

  test('an empty `to` is rejected, not silently dropped', () => {
    expect(normaliseRecipients(' , ').rejected).toEqual([{ input: ' , ', reason: 'empty' }]);
    expect(normaliseRecipients([]).rejected).toHaveLength(1);
  });

  test('splitRecipients keeps order', () => {
    expect(splitRecipients('a, b ,c')).toEqual(['a', 'b', 'c']);
  });
});
