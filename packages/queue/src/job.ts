import { e164Schema } from '@wabulk/kaleyra';
import { z } from 'zod';

/**
 * What a job carries: one recipient of one campaign. The body, preview flag and default refs live
 * once in the campaign's meta, not in every job (a million recipients of a 4 KB body would be 4 GB).
 */
export const sendJobSchema = z.object({
  c: z.string().min(1),
  to: e164Schema({ requirePlus: true }),
  r: z.string().optional(),
  r1: z.string().optional(),
  r2: z.string().optional(),
  /** The recipient's values for the campaign's placeholders, in the order of its meta's `vars` (template.ts). */
  v: z.array(z.string()).optional(),
  /** 1 while the job is counted as waiting for its sending window (send-window.ts; the counts' `window`). */
  w: z.number().int().min(0).max(1).optional(),
  /** Written by the worker: errors that were not Kaleyra answers so far (their own attempt budget). */
  we: z.number().int().min(0).optional(),
  /** Written by the worker on a stalled re-run: the stalledCounter already counted as a possible duplicate. */
  sc: z.number().int().min(0).optional(),
});
export type SendJobData = z.infer<typeof sendJobSchema>;

/**
 * A recipient's job data with its own refs (r/r1/r2) and placeholder values (v) when it has any:
 * every path that queues a recipient builds its job with it (both are kept in the ledger entry too).
 */
export function sendJobData(campaignId: string, to: string, refs?: { ref?: string; ref1?: string; ref2?: string }, vars?: readonly string[]): SendJobData {
  const data: SendJobData = { c: campaignId, to };
  if (refs?.ref !== undefined) data.r = refs.ref;
  if (refs?.ref1 !== undefined) data.r1 = refs.ref1;
  if (refs?.ref2 !== undefined) data.r2 = refs.ref2;
  if (vars !== undefined && vars.length > 0) data.v = [...vars];
  return data;
}

/** Custom backoff name; the worker's backoffStrategy gives the delays (WABULK_RETRY_DELAYS_MS). */
export const BACKOFF_TYPE = 'wabulk';

/**
 * The worker decides when a job has used its last attempt (it knows the retry schedule), so jobs
 * get a ceiling rather than the exact count: at most 1 + len(WABULK_RETRY_DELAYS_MS) attempts end
 * in a Kaleyra answer and WABULK_WORKER_ERROR_ATTEMPTS in other errors (the worker refuses settings
 * whose sum goes over). The ceiling is BullMQ's backstop, reached only if the worker cannot even
 * write its own count.
 */
export const JOB_ATTEMPTS_CEILING = 50;

export const JOB_OPTIONS = {
  attempts: JOB_ATTEMPTS_CEILING,
  backoff: { type: BACKOFF_TYPE },
} as const;

/**
 * How long finished jobs stay in BullMQ (the ledger is the record). Set on the Worker, not on each
 * job: per-job options are stored in every job hash (~110 B per queued recipient).
 */
export const KEEP_FINISHED_JOBS = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
} as const;
