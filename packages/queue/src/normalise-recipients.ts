import { isE164 } from '@wabulk/kaleyra';
import { ParseError, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';

export interface Rejected {
  input: string;
  reason: string;
  /** Line of the source file, for CSV/NDJSON imports. */
  line?: number;
}

export type NormaliseResult = { ok: true; e164: string } | { ok: false; reason: string };

const REASONS: Record<string, string> = {
  NOT_A_NUMBER: 'not a phone number',
  INVALID_COUNTRY: 'no country code: write it as +<country code><number> or set a default country',
  TOO_SHORT: 'too short for a phone number',
  TOO_LONG: 'too long for a phone number',
  INVALID_LENGTH: 'wrong length for its country',
};

/**
 * One recipient to E.164 with libphonenumber-js (full metadata, so numbers outside a country's
 * allocated ranges are rejected). Local numbers need `defaultCountry`; bare digits without a
 * default country are read as international (Kaleyra's own examples write 91XXXXXXXXXX).
 */
export function normaliseRecipient(input: string, defaultCountry?: CountryCode): NormaliseResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (trimmed.length > 40) return { ok: false, reason: 'too long for a phone number' };
  const text = defaultCountry === undefined && /^\d+$/.test(trimmed) && isE164(trimmed) ? `+${trimmed}` : trimmed;
  try {
    const phone = parsePhoneNumberWithError(text, defaultCountry);
    if (!phone.isValid()) return { ok: false, reason: `not a valid number for ${phone.country ?? `+${phone.countryCallingCode}`}` };
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
  if (inputs.length === 0) batch.rejected.push({ input: typeof to === 'string' ? to : '', reason: 'empty' });
  for (const input of inputs) {
    const r = normaliseRecipient(input, defaultCountry);
    if (!r.ok) batch.rejected.push({ input, reason: r.reason });
    else if (seen.has(r.e164)) batch.duplicates++;
    else {
      seen.add(r.e164);
      batch.numbers.push(r.e164);
    }
  }
  return batch;
}

export type { CountryCode };
