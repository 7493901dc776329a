import type { Rng } from './prng.js';
import { randomString } from './gen-text.js';

/**
 * One recipient as a caller might write it, with what intake must do with it:
 *   accept — a valid number in a format any caller may use: it must be queued (or counted a duplicate) as `e164`;
 *   reject — must never be queued: it must come back in `rejected` with a reason;
 *   either — ambiguous (vanity letters, foreign digits, national formats…): accepted or rejected, but accounted for.
 * Parts never contain a comma (the caller's separator): `to` strings are built by joining parts.
 */
export type Expect = 'accept' | 'reject' | 'either';
export interface RecipientPart {
  text: string;
  expect: Expect;
  /** For `accept`: the number it must be queued as. */
  e164?: string;
  kind: string;
}

/** Valid mobile numbers by country, as templates that libphonenumber (full metadata) accepts with any suffix. */
const COUNTRIES = [
  { cc: '91', prefix: '98', rest: 8, groups: [5, 5] }, // India
  { cc: '91', prefix: '7', rest: 9, groups: [5, 5] },
  { cc: '44', prefix: '74', rest: 8, groups: [4, 6] }, // UK
  { cc: '49', prefix: '151', rest: 8, groups: [3, 8] }, // Germany
  { cc: '55', prefix: '119', rest: 8, groups: [2, 5, 4] }, // Brazil
  { cc: '1', prefix: '415', rest: 7, groups: [3, 3, 4], firstRest: '23456789' }, // US
  { cc: '971', prefix: '50', rest: 7, groups: [2, 3, 4] }, // UAE
  { cc: '683', prefix: '4', rest: 3, groups: [4] }, // Niue: a valid 7-digit E.164
] as const;

type Country = (typeof COUNTRIES)[number];

function nationalNumber(rng: Rng, c: Country): string {
  const rest = 'firstRest' in c ? `${rng.pick(c.firstRest.split(''))}${rng.digits(c.rest - 1)}` : rng.digits(c.rest);
  return `${c.prefix}${rest}`;
}

function grouped(nsn: string, groups: readonly number[], sep: () => string, paren: boolean): string {
  const out: string[] = [];
  let i = 0;
  for (const g of groups) {
    out.push(nsn.slice(i, i + g));
    i += g;
  }
  if (i < nsn.length) out.push(nsn.slice(i));
  if (paren) out[0] = `(${out[0]})`;
  return out.reduce((acc, part, k) => (k === 0 ? part : acc + sep() + part), '');
}

/** A valid number of a known country in one of many formats. `pool` lets a case repeat numbers (duplicates). */
export function validNumber(rng: Rng, defaultCountry: string | undefined, pool: string[]): RecipientPart {
  let c: Country;
  let nsn: string;
  const reuse = pool.length > 0 && rng.chance(0.2) ? rng.pick(pool) : undefined;
  if (reuse) {
    c = COUNTRIES.find((x) => reuse.startsWith(`+${x.cc}${x.prefix}`))!;
    nsn = reuse.slice(1 + c.cc.length);
  } else {
    c = rng.pick(COUNTRIES);
    nsn = nationalNumber(rng, c);
  }
  const e164 = `+${c.cc}${nsn}`;
  if (!reuse) pool.push(e164);
  const seps = [' ', '-', '.', ' - ', '  '];
  const sep = () => rng.pick(seps);
  const pad = () => rng.pick(['', '', ' ', '\t', '  ', '\u00a0']);
  const format = rng.weighted([
    [4, 'plain'], [4, 'separated'], [2, 'paren'], [1, 'idd-00'], [2, 'bare-digits'], [2, 'national'], [1, 'arabic-indic'], [1, 'fullwidth'], [1, 'trailing-text'],
  ] as const);
  const canon = `+${c.cc}${nsn}`;
  switch (format) {
    case 'plain':
      return { text: `${pad()}${canon}${pad()}`, expect: 'accept', e164, kind: format };
    case 'separated':
      return { text: `+${c.cc}${sep()}${grouped(nsn, c.groups, sep, false)}`, expect: 'accept', e164, kind: format };
    case 'paren':
      return { text: `+${c.cc} ${grouped(nsn, c.groups, sep, true)}`, expect: 'accept', e164, kind: format };
    case 'idd-00': // 00 is India's international prefix: a known default country of IN makes it readable
      return { text: `00${c.cc} ${nsn}`, expect: defaultCountry === 'IN' ? 'accept' : 'either', e164, kind: format };
    case 'bare-digits': {
      // Without a default country, 8..15 bare digits are read as international (Kaleyra writes 91XXXXXXXXXX).
      const digits = `${c.cc}${nsn}`;
      const sure = defaultCountry === undefined && digits.length >= 8 && digits.length <= 15;
      return { text: digits, expect: sure || (defaultCountry === 'IN' && c.cc === '91') ? 'accept' : 'either', e164, kind: format };
    }
    case 'national': // India's national formats: only a default country of IN tells whose they are
      if (c.cc !== '91') return { text: `0${grouped(nsn, c.groups, sep, false)}`, expect: 'either', kind: format };
      return { text: rng.pick([`0${nsn}`, nsn, `0${grouped(nsn, c.groups, sep, false)}`]), expect: defaultCountry === 'IN' ? 'accept' : 'either', e164, kind: format };
    case 'arabic-indic':
      return { text: `+${`${c.cc}${nsn}`.split('').map((d) => String.fromCharCode(0x660 + Number(d))).join('')}`, expect: 'either', kind: format };
    case 'fullwidth':
      return { text: `＋${`${c.cc}${nsn}`.split('').map((d) => String.fromCharCode(0xff10 + Number(d))).join('')}`, expect: 'either', kind: format };
    case 'trailing-text':
      return { text: `${canon}${rng.pick([' 📱', ' ext. 12', ' (mobile)', ' x9'])}`, expect: 'either', kind: format };
  }
}

/** Something that must never be queued. */
export function invalidNumber(rng: Rng): RecipientPart {
  const kind = rng.weighted([
    [2, 'letters'], [1, 'emoji'], [2, 'too-short'], [2, 'too-long'], [2, 'forty-plus'], [1, 'nul-inside'], [1, 'surrogate-inside'], [1, 'punctuation'],
  ] as const);
  const text = {
    letters: () => rng.pick(['abc', 'not-a-phone', 'NULL', 'undefined', 'O'.repeat(10), 'phone']),
    emoji: () => rng.pick(['😀', '📱📱', '🇮🇳']),
    'too-short': () => `+91 ${rng.digits(rng.int(1, 4))}`,
    'too-long': () => `+1${rng.digits(rng.int(15, 30))}`,
    'forty-plus': () => `${rng.pick(['+', ''])}${rng.digits(rng.int(41, 80))}`,
    'nul-inside': () => `+9198765\u0000${rng.digits(5)}`,
    'surrogate-inside': () => `+9198765${rng.pick(['\ud800', '\udfff'])}${rng.digits(5)}`,
    punctuation: () => rng.pick(['-', '()', '+', '...', '+-', '#', '*']),
  }[kind]();
  return { text, expect: 'reject', kind };
}

/** Anything at all, split at commas into parts of its own (each `either`). */
export function junkParts(rng: Rng): RecipientPart[] {
  return randomString(rng, rng.int(1, 60))
    .split(',')
    .map((text) => ({ text, expect: 'either' as const, kind: 'junk' }));
}

/** The recipients of one call: a mix of the three, duplicates included. */
export function recipientParts(rng: Rng, defaultCountry: string | undefined, pool: string[], count = rng.int(0, 12)): RecipientPart[] {
  const parts: RecipientPart[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.weighted([[6, 'valid'], [3, 'invalid'], [2, 'junk']] as const);
    if (r === 'valid') parts.push(validNumber(rng, defaultCountry, pool));
    else if (r === 'invalid') parts.push(invalidNumber(rng));
    else parts.push(...junkParts(rng));
  }
  return parts;
}

/** What intake sees of `parts`: trimmed, empty ones dropped (an empty part between commas is no recipient). */
export const countedParts = (parts: readonly RecipientPart[]) => parts.filter((p) => p.text.trim() !== '');

/** `to` as a caller sends it: "a,b,c" with odd spacing, or an array (whose items may hold several). */
export function toField(rng: Rng, parts: readonly RecipientPart[]): string | string[] {
  const texts = parts.map((p) => p.text);
  const joiner = () => rng.pick([',', ', ', ' ,', ',,', ' , ']);
  if (rng.chance(0.5)) return texts.reduce((acc, t, i) => (i === 0 ? t : acc + joiner() + t), '');
  const out: string[] = [];
  for (let i = 0; i < texts.length; ) {
    const n = rng.chance(0.8) ? 1 : rng.int(1, 3);
    out.push(texts.slice(i, i + n).join(','));
    i += n;
  }
  if (rng.chance(0.1)) out.push(rng.pick(['', ' ', ',']));
  return out;
}
