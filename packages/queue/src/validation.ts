import { accountIdSchema } from '@wabulk/config';
import { countCodePoints, MAX_BODY_CHARS, MAX_REF_CHARS, truncateCodePoints } from '@wabulk/kaleyra';
import { z } from 'zod';
import { campaignIdSchema } from './campaign-id.js';
import { prioritySchema } from './priority.js';
import { splitRecipients } from './normalise-recipients.js';
import { MAX_SCHEDULE_AHEAD_MS } from './schedule.js';
import { assertZone, parseWindow, WindowError } from './send-window.js';

/** Thrown for input a caller can fix: the message names the field and the rule. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

/** Kaleyra truncates refs at MAX_REF_CHARS code points; so do we, before they are stored. */
export const truncateRef = (s: string | undefined) => (s === undefined ? undefined : truncateCodePoints(s, MAX_REF_CHARS));

/**
 * Text PostgreSQL can store (the archive keeps the text in a `text` column and the meta, refs
 * included, as jsonb): no U+0000, which neither holds, and no unpaired UTF-16 surrogate, which jsonb
 * refuses as an escape and UTF-8 cannot encode. Kaleyra could not deliver either meaningfully.
 */
export const STORABLE_TEXT_RULE = 'must not contain U+0000 (NUL) or unpaired surrogates';
export const isStorableText = (s: string): boolean => !s.includes('\0') && (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const storableString = (message = 'must be a string') => z.string({ message }).refine(isStorableText, STORABLE_TEXT_RULE);

const ref = storableString().transform((s) => truncateCodePoints(s, MAX_REF_CHARS)).optional();

/** A Kaleyra failure code as retry-failed takes it (`--codes`, the API's `codes`): WA500, HTTP_503, E110. */
export const FAILURE_CODE = /^[A-Za-z0-9_-]{1,32}$/;
export const failureCodeSchema = z.string({ message: 'must be a string' }).regex(FAILURE_CODE, 'must be a Kaleyra code: 1-32 letters, digits, _ or - (e.g. WA500)');

export const bodySchema = storableString()
  .refine((s) => s.trim() !== '', 'must not be empty')
  .refine((s) => countCodePoints(s) <= MAX_BODY_CHARS, { message: `must be at most ${MAX_BODY_CHARS} characters (Kaleyra limit)` });

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * A start time: ISO 8601 with an offset or Z (a time without one would depend on the server's
 * zone). Becomes ms since the epoch. A time in the past starts now; more than 90 days ahead is refused.
 */
export const startTimeSchema = z
  .union([z.string(), z.number().int().nonnegative()], { message: 'must be an ISO 8601 time with an offset, e.g. 2026-12-24T09:00:00+05:30' })
  .transform((value, c) => {
    // A number is ms since the epoch (what this schema gives: the API's validated body is parsed again by the producer).
    const text = typeof value === 'number' ? '' : value.trim();
    const ms = typeof value === 'number' ? value : ISO_WITH_OFFSET.test(text) ? Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
    if (Number.isNaN(ms)) {
      c.addIssue({ code: 'custom', message: `must be an ISO 8601 time with an offset or Z, e.g. 2026-12-24T09:00:00+05:30, got ${JSON.stringify(text.slice(0, 40))}` });
      return z.NEVER;
    }
    if (ms > Date.now() + MAX_SCHEDULE_AHEAD_MS) {
      c.addIssue({ code: 'custom', message: 'must be at most 90 days ahead' });
      return z.NEVER;
    }
    return ms;
  });

const windowError = (c: z.RefinementCtx, err: unknown) => {
  if (!(err instanceof WindowError)) throw err;
  // The error's text starts with its field ("window: …"); the issue's path names it already.
  c.addIssue({ code: 'custom', message: err.message.replace(/^(window|tz): /, '') });
  return z.NEVER;
};

export const windowSchema = z.string({ message: 'must be a string HH:MM-HH:MM' }).transform((text, c) => {
  try {
    return parseWindow(text).text;
  } catch (err) {
    return windowError(c, err);
  }
});

export const zoneSchema = z.string({ message: 'must be an IANA time zone name' }).transform((zone, c) => {
  try {
    return assertZone(zone);
  } catch (err) {
    return windowError(c, err);
  }
});

export const messageFieldsSchema = z.object({
  account: accountIdSchema.optional(),
  campaignId: campaignIdSchema.optional(),
  body: bodySchema,
  previewUrl: z.boolean({ message: 'must be true or false' }).optional(),
  ref,
  ref1: ref,
  ref2: ref,
  priority: prioritySchema
    .optional()
    .describe('high: before everything queued at normal/low on the account; normal/low: fair share between campaigns of that priority (default: normal for campaigns)'),
  at: startTimeSchema.optional().describe('scheduled start, ISO 8601 with an offset or Z (at most 90 days ahead; a past time starts now). A new campaign only: an existing one keeps its own'),
  window: windowSchema.optional().describe("send only between these local times of each recipient, HH:MM-HH:MM (may cross midnight: 21:00-06:00); the zone comes from the number, or `tz`"),
  tz: zoneSchema.optional().describe('one IANA time zone for every recipient\'s window (e.g. Asia/Kolkata), instead of each number\'s own'),
}).superRefine((f, c) => {
  if (f.tz !== undefined && f.window === undefined) c.addIssue({ code: 'custom', path: ['tz'], message: 'only applies with a window' });
});

const TOO_MANY_RECIPIENTS = 'at most 10000 recipients per call; use a campaign import for more';

/** Values for the placeholders of the text: text, numbers or true/false, at most 50 names. */
export const variablesSchema = z
  .record(
    z.string().min(1, 'a variable name must not be empty').max(64, 'a variable name must be at most 64 characters'),
    z.union([storableString().max(MAX_BODY_CHARS, `must be at most ${MAX_BODY_CHARS} characters`), z.number(), z.boolean()], { message: 'must be text, a number or true/false' }).transform(String),
  )
  .refine((v) => Object.keys(v).length <= 50, 'at most 50 variables')
  // Here, not on the key's schema: zod reports a key's own issue only as "Invalid key in record".
  .refine((v) => Object.keys(v).every(isStorableText), `a variable name ${STORABLE_TEXT_RULE}`);

const recipientObject = z.object({ to: z.string({ message: 'must be a string' }), variables: variablesSchema.optional() }, { message: 'must be a string or an object {to, variables}' });

export const enqueueTextSchema = messageFieldsSchema.safeExtend({
  priority: prioritySchema
    .optional()
    .describe('high (default): sent before everything queued at normal/low on the account; normal/low: shares the rate with campaigns of that priority. An existing campaign keeps its own priority'),
  to: z
    .union([z.string({ message: 'must be a string or an array' }), z.array(z.union([z.string(), recipientObject], { message: 'must be strings or objects {to, variables}' })).max(10_000, TOO_MANY_RECIPIENTS)], {
      message: 'must be a string or an array of strings or of objects {to, variables}',
    })
    // The limit counts recipients, not array items: "a,b,c" in one string (or in one item) is three.
    .refine((to) => (typeof to === 'string' ? splitRecipients(to).length : to.reduce((n, t) => n + (typeof t === 'string' ? splitRecipients(t).length : 1), 0)) <= 10_000, TOO_MANY_RECIPIENTS),
  variables: variablesSchema.optional().describe('values for the placeholders of `body` for every recipient; a recipient object\'s own `variables` win'),
  dryRun: z.boolean({ message: 'must be true or false' }).optional().describe('check everything and answer what would be queued (with three rendered samples), writing nothing'),
});

export type EnqueueTextInput = z.input<typeof enqueueTextSchema>;
export type EnqueueTextFields = z.output<typeof enqueueTextSchema>;
export type MessageFields = z.output<typeof messageFieldsSchema>;

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
}

