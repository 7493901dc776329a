import { isStorableText } from '@wabulk/queue';
import type { Rng } from './prng.js';

/** Characters that break naive code: controls, NUL, lone surrogates, astral, combining, bidi, zero-width, quotes, separators. */
const NASTY = [
  '\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085',
  '\ud800', '\udbff', '\udc00', '\udfff', // lone surrogates
  '😀', '👩‍👩‍👧', '🇮🇳', '𝕏', '\u{10ffff}', '\u{1f4f1}',
  '\u0301', '\u0336', // combining marks
  '\u202e', '\u200f', '\u2066', // bidi
  '\u200b', '\u200d', '\ufeff', '\u00a0', '\u2028', '\u2029', '\u3000',
  '"', "'", '\\', '`', ',', ';', ':', '{', '}', '[', ']', '<', '>', '&', '%', '$', '#', '+', '-', '(', ')', '.', '/', '=', '?', '*',
  'é', 'ß', 'ı', 'İ', 'ﬀ', 'Ω', 'Я', 'ع', '中', '١', '٣', '９', '＋', '₉',
];

const ASCII = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

/** A random string of `length` units drawn from plain ASCII, nasty characters, digits or any code point. */
export function randomString(rng: Rng, length = rng.int(0, 40)): string {
  const mode = rng.weighted([[4, 'ascii'], [3, 'nasty'], [2, 'mixed'], [1, 'any']] as const);
  let s = '';
  for (let i = 0; i < length; i++) {
    const m = mode === 'mixed' ? rng.pick(['ascii', 'nasty', 'digit'] as const) : mode;
    if (m === 'ascii') s += ASCII[rng.int(0, ASCII.length - 1)];
    else if (m === 'nasty') s += rng.pick(NASTY);
    else if (m === 'digit') s += String(rng.int(0, 9));
    else s += String.fromCodePoint(rng.chance(0.8) ? rng.int(0, 0xffff) : rng.int(0x10000, 0x10ffff));
  }
  return s;
}

export const codePoints = (s: string) => Array.from(s).length;
const ASTRAL = ['😀', '𝕏', '🇮', '𐍈', '\u{1f680}'];

export type BodyCase = { value: string; valid: boolean; note: string };

/** Message bodies around Kaleyra's 4096-code-point limit, blank ones, and ones full of nasty characters. */
export function randomBody(rng: Rng): BodyCase {
  const kind = rng.weighted([
    [10, 'short'], [3, 'nasty'], [2, 'blank'], [1, 'max-astral'], [1, 'over-astral'], [1, 'max-ascii'], [1, 'over-ascii'], [1, 'huge'], [1, 'only-invisible'],
  ] as const);
  switch (kind) {
    case 'short':
      return { value: `Hello ${rng.digits(4)} ${rng.pick(['', '😀', 'नमस्ते', 'https://example.com/x?a=1&b=2'])}`, valid: true, note: kind };
    case 'nasty': {
      const value = `x${randomString(rng, rng.int(1, 200))}`;
      // NUL and lone surrogates are refused: PostgreSQL could not archive the campaign.
      return { value, valid: codePoints(value) <= 4096 && isStorableText(value), note: kind };
    }
    case 'blank':
      return { value: rng.pick(['', ' ', '\t\n', '\u00a0\u3000', '\r\n \r\n', '\u2028']), valid: false, note: kind };
    case 'max-astral': // exactly 4096 code points, 8192 UTF-16 units
      return { value: Array.from({ length: 4096 }, () => rng.pick(ASTRAL)).join(''), valid: true, note: kind };
    case 'over-astral':
      return { value: Array.from({ length: 4097 }, () => rng.pick(ASTRAL)).join(''), valid: false, note: kind };
    case 'max-ascii':
      return { value: 'a'.repeat(4096), valid: true, note: kind };
    case 'over-ascii':
      return { value: 'a'.repeat(rng.int(4097, 5000)), valid: false, note: kind };
    case 'huge':
      return { value: 'b'.repeat(rng.int(20_000, 200_000)), valid: false, note: kind };
    case 'only-invisible': { // not whitespace to String.trim: accepted as text, unless PostgreSQL could not store it
      const value = rng.pick(['\u200b', '\u0000', '\ud800', '\u200d\u200d', '\ufeffx']);
      return { value, valid: isStorableText(value), note: kind };
    }
  }
}

/** Invalid UTF-8 byte sequences (decoded to U+FFFD by a UTF-8 reader). */
export const BAD_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]), Buffer.from([0xfe, 0xfe]), Buffer.from([0xc3, 0x28]), Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded in UTF-8
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0xe2, 0x82]), // truncated
  Buffer.from([0x80]),
];
