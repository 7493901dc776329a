import { isE164 } from '@wabulk/kaleyra';
import { sendJobSchema, type SendJobData } from '@wabulk/queue';

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const optionalCount = (value: unknown, max = Number.MAX_SAFE_INTEGER) => value === undefined || (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max);

/**
 * Data that sendJobSchema (packages/queue/src/job.ts) accepts as it is, checked by hand: the
 * worker reads every job's data, and zod's safeParse was a visible part of its CPU per message.
 * The fields and rules are the schema's; keys it does not know are left in place (the processor
 * reads only the schema's fields).
 */
function plainlyValid(data: unknown): data is SendJobData {
  if (typeof data !== 'object' || data === null) return false;
  const { c, to, r, r1, r2, v, w, we, sc } = data as Record<string, unknown>;
  return typeof c === 'string' && c.length >= 1
    && typeof to === 'string' && to.startsWith('+') && isE164(to)
    && optionalString(r) && optionalString(r1) && optionalString(r2)
    && (v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string')))
    && optionalCount(w, 1) && optionalCount(we) && optionalCount(sc);
}

/**
 * A job's data as the send job schema reads it, or undefined when it does not match. The usual job
 * passes the hand check; anything else is decided by the schema itself, so the answer is always
 * the schema's.
 */
export function readSendJob(data: unknown): SendJobData | undefined {
  if (plainlyValid(data)) return data;
  const parsed = sendJobSchema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}
