import { accountIdSchema } from '@wabulk/config';
import { countCodePoints, MAX_BODY_CHARS, MAX_REF_CHARS, truncateCodePoints } from '@wabulk/kaleyra';
import { z } from 'zod';
import { campaignIdSchema } from './keys.js';
import { prioritySchema } from './priority.js';
import { splitRecipients } from './normalise-recipients.js';

/** Thrown for input a caller can fix: the message names the field and the rule. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

/** Kaleyra truncates refs at MAX_REF_CHARS code points; so do we, before they are stored. */
export const truncateRef = (s: string | undefined) => (s === undefined ? undefined : truncateCodePoints(s, MAX_REF_CHARS));

const ref = z.string().transform((s) => truncateCodePoints(s, MAX_REF_CHARS)).optional();

export const bodySchema = z
  .string({ message: 'must be a string' })
  .refine((s) => s.trim() !== '', 'must not be empty')
  .refine((s) => countCodePoints(s) <= MAX_BODY_CHARS, { message: `must be at most ${MAX_BODY_CHARS} characters (Kaleyra limit)` });

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
});

const TOO_MANY_RECIPIENTS = 'at most 10000 recipients per call; use a campaign import for more';

export const enqueueTextSchema = messageFieldsSchema.extend({
  priority: prioritySchema
    .optional()
    .describe('high (default): sent before everything queued at normal/low on the account; normal/low: shares the rate with campaigns of that priority. An existing campaign keeps its own priority'),
  to: z
    .union([z.string({ message: 'must be a string or an array of strings' }), z.array(z.string({ message: 'must be strings' })).max(10_000, TOO_MANY_RECIPIENTS)], {
      message: 'must be a string or an array of strings',
    })
    // The limit counts recipients, not array items: "a,b,c" in one string (or in one item) is three.
    .refine((to) => splitRecipients(to).length <= 10_000, TOO_MANY_RECIPIENTS),
});

export type EnqueueTextInput = z.input<typeof enqueueTextSchema>;
export type MessageFields = z.output<typeof messageFieldsSchema>;

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
}

