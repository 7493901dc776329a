import { normaliseRecipient } from './normalise-recipients.js';
import { REASON_LABELS, reasonLabel } from './reason-label.js';

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Code units, lone surrogates included.
const ALPHABET = '0123456789          +++()-./;,\tabcxyzext:#*"é😀٣'.split('');

describe('reasonLabel', () => {
  test('the reasons intake gives, each to its label', () => {
    expect(
      [
        'empty',
        'empty "Phone Number"',
        'not a phone number',
        'not a phone number: holds ";Asha" beside the number (is the file\'s delimiter ";"? use --delimiter)',
        'no country code: write it as +<country code><number> or set a default country',
        'unknown country calling code',
        'too short for a phone number',
        'too long for a phone number',
        'wrong length for its country',
        'read as +98 76543213 (Iran): not a valid number there; write +<country code> or set WABULK_DEFAULT_COUNTRY',
        'not valid JSON',
        'must be a JSON object',
        '"mobile: number" must be a string',
        'field "a: b" must be text, a number or true/false',
        'no recipient',
        'suppressed',
        'empty {{name}}: the row has no value for it and the placeholder no fallback ({{name|…}})',
        "the message is too long for this row: it renders to 4200 characters, over Kaleyra's 4096",
        'the message renders empty for this row',
        'the value of {{name}}: must not contain U+0000 (NUL) or unpaired surrogates',
        'something new',
      ].map(reasonLabel),
    ).toEqual([...REASON_LABELS]);
  });

  test('labels stay within the fixed set whatever the input (random recipients, with and without a default country)', () => {
    const next = rng(42);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(next() * 20);
      let input = '';
      for (let k = 0; k < length; k++) input += ALPHABET[Math.floor(next() * ALPHABET.length)];
      // Many plausible numbers too: they reach libphonenumber's own reasons.
      if (next() < 0.5) input = `${next() < 0.5 ? '+' : ''}${Math.floor(next() * 1e15)}`;
      const r = normaliseRecipient(input, next() < 0.5 ? 'IN' : undefined);
      if (!r.ok) seen.add(reasonLabel(r.reason));
    }
    for (const label of seen) expect(REASON_LABELS).toContain(label);
    expect(seen.has('other')).toBe(false);
    expect(seen.size).toBeGreaterThan(5);
  });
});
