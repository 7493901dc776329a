import { isE164 } from '@wabulk/kaleyra';
import { ParseError, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';

export interface Rejected {
  /** The input as written, cut to REJECTED_INPUT_MAX characters (rejectedInput). */
  input: string;
  reason: string;
  /** Line of the source file, for CSV/NDJSON imports. */
  line?: number;
}

/** A rejected input is shown (results, API answers, CLI output, --rejected-out) with at most this many characters. */
export const REJECTED_INPUT_MAX = 100;

/** `input` cut to REJECTED_INPUT_MAX characters (whole code points: never half a surrogate pair) and `…` when cut. */
export function rejectedInput(input: string): string {
  if (input.length <= REJECTED_INPUT_MAX) return input;
  let end = REJECTED_INPUT_MAX - 1;
  const c = input.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return input.slice(0, end) + '…';
}

/** A rejection, its input cut (rejectedInput); `line` only for a row of a file. */
export const rejection = (input: string, reason: string, line?: number): Rejected => (line === undefined ? { input: rejectedInput(input), reason } : { input: rejectedInput(input), reason, line });

export type NormaliseResult = { ok: true; e164: string } | { ok: false; reason: string };

const REASONS: Record<string, string> = {
  NOT_A_NUMBER: 'not a phone number',
  INVALID_COUNTRY: 'no country code: write it as +<country code><number> or set a default country',
  TOO_SHORT: 'too short for a phone number',
  TOO_LONG: 'too long for a phone number',
  INVALID_LENGTH: 'wrong length for its country',
};

/** What a recipient field may hold besides its digits: one leading +, spaces, ( ) . - / */
const NUMBER_TEXT = /^[+＋]?[\p{Nd} \u00a0\u2007\u202f().\-/]*$/u;
const NUMBER_CHAR = /[\p{Nd} \u00a0\u2007\u202f().\-/]/u;
const DELIMITER_NAMES: ReadonlyArray<readonly [string, string]> = [[';', ';'], ['\t', 'tab'], [',', ',']];
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * The text beside the number in `trimmed` (which holds a digit and something NUMBER_TEXT does not
 * allow): what is left once the stretch of number characters with the most digits is taken out
 * (from its + or first digit to its last digit). `raw` keeps the spaces and tabs, for the delimiter hint.
 */
function besideTheNumber(field: string): { shown: string; raw: string } {
  // Only the start of a long field is looked at: the answer shows 40 characters, and the work stays linear.
  const trimmed = field.slice(0, 200);
  let best = { start: 0, end: 0, digits: -1 };
  for (let i = 0; i < trimmed.length; ) {
    // A + may only start a stretch: "+91+98…" is two.
    let j = trimmed[i] === '+' || trimmed[i] === '＋' ? i + 1 : i;
    while (j < trimmed.length && NUMBER_CHAR.test(trimmed[j]!)) j++;
    if (j === i) {
      i++;
      continue;
    }
    const run = trimmed.slice(i, j);
    const digits = (run.match(/\p{Nd}/gu) ?? []).length;
    if (digits > best.digits) {
      const first = run.search(/[+＋\p{Nd}]/u);
      let last = run.length;
      while (last > 0 && !/\p{Nd}/u.test(run[last - 1]!)) last--;
      best = { start: i + Math.max(first, 0), end: i + last, digits };
    }
    i = j;
  }
  const before = trimmed.slice(0, best.start);
  const after = trimmed.slice(best.end);
  const text = before.trim() !== '' && after.trim() !== '' ? `${before.trim()} … ${after.trim()}` : before.trim() + after.trim();
  return { shown: text.length > 40 || (field.length > 200 && text !== '') ? `${text.slice(0, 39)}…` : text, raw: before + after };
}

/**
 * One recipient to E.164 with libphonenumber-js (full metadata, so numbers outside a country's
 * allocated ranges are rejected). Local numbers need `defaultCountry`; bare digits without a
 * default country are read as international (Kaleyra's own examples write 91XXXXXXXXXX). A field
 * that holds anything beside the number and its usual punctuation (a name, "ext 4", a second
 * column the wrong delimiter left in) is rejected, not cut down to its digits.
 */
export function normaliseRecipient(input: string, defaultCountry?: CountryCode): NormaliseResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (/\p{Nd}/u.test(trimmed) && !NUMBER_TEXT.test(trimmed)) {
    const extra = besideTheNumber(trimmed);
    if (extra.shown === '') return { ok: false, reason: 'too long for a phone number' }; // all number for as far as it was looked at
    const delimiter = DELIMITER_NAMES.find(([d]) => extra.raw.includes(d));
    const hint = delimiter === undefined ? '' : ` (is the file's delimiter "${delimiter[1]}"? use --delimiter)`;
    return { ok: false, reason: `not a phone number: holds ${JSON.stringify(extra.shown)} beside the number${hint}` };
  }
  if (trimmed.length > 40) return { ok: false, reason: 'too long for a phone number' };
  const readAsInternational = defaultCountry === undefined && /^\d+$/.test(trimmed) && isE164(trimmed);
  const text = readAsInternational ? `+${trimmed}` : trimmed;
  try {
    const phone = parsePhoneNumberWithError(text, defaultCountry);
    if (!phone.isValid()) {
      const where = phone.country === undefined ? `country code +${phone.countryCallingCode}` : (regionNames.of(phone.country) ?? phone.country);
      const hint = readAsInternational ? '; write +<country code> or set WABULK_DEFAULT_COUNTRY' : '';
      return { ok: false, reason: `read as ${phone.formatInternational()} (${where}): not a valid number there${hint}` };
    }
    return { ok: true, e164: phone.number };
  } catch (err) {
    // libphonenumber-js gives its reason as the ParseError's message, a fixed code (its documented API).
    if (!(err instanceof ParseError)) throw err;
    const code = err.message;
    if (code === 'INVALID_COUNTRY' && text.startsWith('+')) return { ok: false, reason: 'unknown country calling code' };
    return { ok: false, reason: REASONS[code] ?? 'not a phone number' };
  }
}

/** `to` as the API allows it: one number, "a,b,c", or an array (whose items may hold commas too). */
export function splitRecipients(to: string | readonly string[]): string[] {
  const parts = typeof to === 'string' ? [to] : to;
  return parts.flatMap((p) => String(p).split(',')).map((p) => p.trim()).filter((p) => p !== '');
}

export interface NormalisedBatch {
  /** Distinct E.164 numbers, in input order. */
  numbers: string[];
  /** Inputs that normalised to a number already in the batch. */
  duplicates: number;
  rejected: Rejected[];
}

/** Split, trim, normalise and drop exact duplicates; every input ends up in exactly one bucket. */
export function normaliseRecipients(to: string | readonly string[], defaultCountry?: CountryCode): NormalisedBatch {
  const seen = new Set<string>();
  const batch: NormalisedBatch = { numbers: [], duplicates: 0, rejected: [] };
  const inputs = splitRecipients(to);
  if (inputs.length === 0) batch.rejected.push(rejection(typeof to === 'string' ? to : '', 'empty'));
  for (const input of inputs) {
    const r = normaliseRecipient(input, defaultCountry);
    if (!r.ok) batch.rejected.push(rejection(input, r.reason));
    else if (seen.has(r.e164)) batch.duplicates++;
    else {
      seen.add(r.e164);
      batch.numbers.push(r.e164);
    }
  }
  return batch;
}

export type { CountryCode };
