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
    ['+123', 'read as +1 23 (country code +1): not a valid number there'],
    ['98765 43210', 'no country code'],
    ['+9112345', 'read as +91 12345 (India): not a valid number there'],
    ['+99912345678', 'unknown country calling code'],
    ['1'.repeat(60), 'too long'],
  ])('rejects %j with a reason', (input, reason) => {
    const r = normaliseRecipient(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('normaliseRecipient: what a field holds besides the number', () => {
  test.each([
    ['+919876543210;Asha', 'not a phone number: holds ";Asha" beside the number (is the file\'s delimiter ";"? use --delimiter)'],
    ['+919876543210\tAsha', 'not a phone number: holds "Asha" beside the number (is the file\'s delimiter "tab"? use --delimiter)'],
    ['+91 98765 43210 ext 4', 'not a phone number: holds "ext 4" beside the number'],
    ['+91 98765 43210 x9', 'not a phone number: holds "x9" beside the number'],
    ['Asha +919876543210', 'not a phone number: holds "Asha" beside the number'],
    ['tel:+919876543210 (mobile)', 'not a phone number: holds "tel: … (mobile)" beside the number'],
    ['+91+9876543210', 'not a phone number: holds "+91" beside the number'],
    [`+919876543210 ${'y'.repeat(60)}`, `not a phone number: holds "${'y'.repeat(39)}…" beside the number`],
  ])('%j is rejected, not cut down to its number', (input, reason) => {
    expect(normaliseRecipient(input)).toEqual({ ok: false, reason });
  });

  test('a huge field is answered at once (only its start is looked at)', () => {
    const started = Date.now();
    expect(normaliseRecipient(`${'9'.repeat(200_000)}x`)).toEqual({ ok: false, reason: 'too long for a phone number' });
    const r = normaliseRecipient(`+919876543210;${'9'.repeat(200_000)}x`);
    expect(r).toEqual({ ok: false, reason: 'not a phone number: holds "+919876543210;…" beside the number (is the file\'s delimiter ";"? use --delimiter)' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('the usual punctuation is allowed', () => {
    for (const input of ['+91 (98765) 43210', '+91-98765-43210', '+91.98765.43210', '+91/98765/43210', '+91\u00a098765\u00a043210']) {
      expect([input, normaliseRecipient(input)]).toEqual([input, { ok: true, e164: '+919876543210' }]);
    }
  });
});

describe('normaliseRecipient: a number that is not valid says how it was read', () => {
  test('bare digits without a default country are read as international', () => {
    expect(normaliseRecipient('9876543213')).toEqual({ ok: false, reason: 'read as +98 76543213 (Iran): not a valid number there; write +<country code> or set WABULK_DEFAULT_COUNTRY' });
  });

  test('with a default country, as a number of that country', () => {
    expect(normaliseRecipient('12345678', 'IN')).toEqual({ ok: false, reason: 'read as +91 12345678 (India): not a valid number there' });
  });

  test('a number written with + is read as written', () => {
    expect(normaliseRecipient('+49 30 12')).toEqual({ ok: false, reason: 'read as +49 3012 (Germany): not a valid number there' });
    // +44 is the UK's and three Crown Dependencies': no one country, so the code is named
    expect(normaliseRecipient('+44 20 1234')).toEqual({ ok: false, reason: 'read as +44 201234 (country code +44): not a valid number there' });
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
