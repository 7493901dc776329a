import { z } from 'zod';

/**
 * What an E.164 number is, for every part of wabulk: an optional `+`, then 7 to 15 digits, the
 * first not 0 (E.164 allows up to 15; the shortest numbers in use, Niue's, have 7 with the country
 * code). Recipients and the sending business number follow the same rule. The simulator keeps its
 * own copy on purpose (an independent reading of Kaleyra's page).
 */
export const E164_MIN_DIGITS = 7;
export const E164_MAX_DIGITS = 15;
export const E164_RULE = `must be E.164 (optional '+', then ${E164_MIN_DIGITS}..${E164_MAX_DIGITS} digits, first digit not 0)`;

/** What is wrong with a number, without echoing it (it is personal data); undefined when it is fine. */
export function e164Problem(value: string, options: { requirePlus?: boolean } = {}): string | undefined {
  if (options.requirePlus === true && !value.startsWith('+')) return `${E164_RULE}, with a leading '+'`;
  const digits = value.startsWith('+') ? value.slice(1) : value;
  if (!/^\d+$/.test(digits)) return `${E164_RULE}, got ${digits.length === 0 ? 'no digits' : 'characters other than digits'}`;
  if (digits.startsWith('0')) return `${E164_RULE}, got a leading 0`;
  if (digits.length < E164_MIN_DIGITS || digits.length > E164_MAX_DIGITS) return `${E164_RULE}, got ${digits.length} digits`;
  return undefined;
}

export const isE164 = (value: string, options: { requirePlus?: boolean } = {}): boolean => e164Problem(value, options) === undefined;

/** The rule as a zod schema (`requirePlus`: the stored, normalised form `+<digits>`). */
export function e164Schema(options: { requirePlus?: boolean; message?: string } = {}) {
  return z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    const problem = e164Problem(value, options);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: options.message ?? problem });
  });
}
