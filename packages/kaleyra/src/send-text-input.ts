import { z } from 'zod';
import { e164Schema, isE164 } from './e164.js';
import { KaleyraError } from './kaleyra-error.js';

/** The `wa_source` values Kaleyra documents; the server turns any other value into `api`. */
export const WA_SOURCES = [
  'api', 'clevertap', 'zoho', 'webengage', 'shopify', 'leadsquared', 'responsys', 'braze',
  'hubspot', 'salesforce', 'zapier', 'eloqua', 'moengage',
] as const;
export type WaSource = (typeof WA_SOURCES)[number];

/** Longest text body, in Unicode code points (see `countCodePoints`). */
export const MAX_BODY_CHARS = 4096;
/** Longest `ref`, `ref1`, `ref2`, in Unicode code points; longer values are truncated. */
export const MAX_REF_CHARS = 255;

/** One text message to one recipient, as callers give it. */
export interface SendTextInput {
  /** Recipient in E.164 (`E164_RULE`: optional `+`, 7..15 digits, first digit not 0). Sent with a leading `+`. */
  to: string;
  /** 1..4096 Unicode code points (an emoji outside the BMP counts once, not twice). */
  body: string;
  /** Ask WhatsApp to render a preview of the first URL in the body. Default false. */
  previewUrl?: boolean;
  /** Returned in reports and callbacks. Longer than 255 code points: truncated, as Kaleyra does. */
  ref?: string;
  /** Like `ref`. */
  ref1?: string;
  /** Like `ref`. */
  ref2?: string;
  /** One of `WA_SOURCES` (case-insensitive); anything else becomes `api`, as Kaleyra does. */
  waSource?: string;
}

/** A validated, normalised send: what goes on the wire. */
export interface SendTextRequest {
  to: string;
  body: string;
  previewUrl: boolean;
  ref?: string;
  ref1?: string;
  ref2?: string;
  waSource: WaSource;
}

/** Length in Unicode code points, not UTF-16 code units: '😀'.length is 2, this counts 1. */
export function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The first `max` code points of `text` (never splits a surrogate pair). */
export function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  let count = 0;
  for (const char of text) {
    if (count === max) break;
    end += char.length;
    count++;
  }
  return text.slice(0, end);
}

/** Map any value to a documented `wa_source`; unknown values become `api`, as Kaleyra does. */
export function toWaSource(value: string | undefined): WaSource {
  const lower = value?.trim().toLowerCase();
  return (WA_SOURCES as readonly string[]).includes(lower ?? '') ? (lower as WaSource) : 'api';
}

const mustBeString = { error: 'must be a string' };
const refSchema = z.string(mustBeString).optional().transform((ref) =>
  ref === undefined ? undefined : truncateCodePoints(ref, MAX_REF_CHARS));

const inputSchema = z.object({
  to: e164Schema(),
  body: z.string(mustBeString).superRefine((body, ctx) => {
    const chars = countCodePoints(body);
    if (chars < 1 || chars > MAX_BODY_CHARS) {
      ctx.addIssue({ code: 'custom', message: `must be 1..${MAX_BODY_CHARS} characters, got ${chars}` });
    }
  }),
  previewUrl: z.boolean({ error: 'must be a boolean' }).optional(),
  ref: refSchema,
  ref1: refSchema,
  ref2: refSchema,
  waSource: z.string(mustBeString).optional(),
}, { error: 'must be an object' });

/**
 * Validate and normalise one send before any I/O. Throws `KaleyraError` with code
 * `INVALID_REQUEST`, status 0, kind `message`, and a message naming each field and its rule,
 * e.g. `body: must be 1..4096 characters, got 5000`.
 */
export function validateSendText(input: unknown, defaultWaSource?: string): SendTextRequest {
  // The usual send (every worker job) is checked by hand; zod reads only what that check does not
  // pass, so its answers and messages are the schema's either way.
  const valid = plainlyValid(input) ? input : parseInput(input);
  const { to, body, previewUrl, ref, ref1, ref2, waSource } = valid;
  const request: SendTextRequest = {
    to: to.startsWith('+') ? to : `+${to}`,
    body,
    previewUrl: previewUrl ?? false,
    waSource: toWaSource(waSource ?? defaultWaSource),
  };
  if (ref !== undefined) request.ref = ref;
  if (ref1 !== undefined) request.ref1 = ref1;
  if (ref2 !== undefined) request.ref2 = ref2;
  return request;
}

function parseInput(input: unknown): z.infer<typeof inputSchema> {
  const parsed = inputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    `${issue.path.length === 0 ? 'input' : issue.path.join('.')}: ${issue.message}`);
  throw new KaleyraError('INVALID_REQUEST', 0, problems.join('; '), { kind: 'message' });
}

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const shortRef = (value: unknown) => value === undefined || (typeof value === 'string' && value.length <= MAX_REF_CHARS);

/**
 * An input inputSchema accepts unchanged (refs no longer than MAX_REF_CHARS UTF-16 units, so none
 * is truncated; a body of 1..MAX_BODY_CHARS UTF-16 units has 1..MAX_BODY_CHARS code points).
 * Anything else goes through the schema.
 */
function plainlyValid(input: unknown): input is z.infer<typeof inputSchema> {
  if (typeof input !== 'object' || input === null) return false;
  const { to, body, previewUrl, ref, ref1, ref2, waSource } = input as Record<string, unknown>;
  return typeof to === 'string' && isE164(to)
    && typeof body === 'string' && body.length >= 1 && body.length <= MAX_BODY_CHARS
    && (previewUrl === undefined || typeof previewUrl === 'boolean')
    && shortRef(ref) && shortRef(ref1) && shortRef(ref2) && optionalString(waSource);
}
