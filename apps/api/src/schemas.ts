import { z } from 'zod';
import { accountIdSchema } from '@wabulk/config';
import { campaignIdSchema, RECIPIENT_STATUSES } from '@wabulk/queue';

export { campaignStatusSchema } from '@wabulk/queue';

/** Shared zod schemas: request parts and the answers documented in /openapi.json. */
export const errorSchema = z.object({
  error: z.string(),
  message: z.string().optional(),
  issues: z.array(z.object({ field: z.string(), message: z.string(), line: z.number().optional() })).optional(),
});

/** Redis's largest SCAN cursor: an unsigned 64-bit number. */
const MAX_SCAN_CURSOR = 18446744073709551615n;

/**
 * A SCAN/HSCAN cursor from a previous page: digits only, at most 2^64 - 1 (Redis answers a larger
 * one with an error, which must never travel as a 500). Checked here, before it reaches Redis.
 */
export const scanCursorSchema = (message: string) =>
  z.string().refine((c) => /^\d{1,20}$/.test(c) && BigInt(c) <= MAX_SCAN_CURSOR, { message });

export const rejectedSchema = z.object({ input: z.string(), reason: z.string(), line: z.number().optional() });

export const enqueueResultSchema = z.object({
  campaignId: z.string(),
  accepted: z.number().describe('recipients queued by this call (a dry run: that would be)'),
  duplicates: z.number().describe('inputs already queued: repeated in this call, or in the campaign before'),
  rejected: z.array(rejectedSchema),
  rejectedByReason: z.record(z.string(), z.number()).describe('every rejection by its reason (`suppressed`, `not a valid number`, …)'),
  suppressed: z.number().describe('recipients rejected because a suppression list holds them'),
  rejectedTotal: z.number().optional().describe('every rejection (uploads; a replayed Idempotency-Key answer whose `rejected` was cut)'),
  rejectedTruncated: z.literal(true).optional().describe('a replayed Idempotency-Key answer keeps only the first 100 rejections'),
  dryRun: z.literal(true).optional().describe('present on a dry run: nothing was written'),
  samples: z.array(z.object({ to: z.string(), text: z.string() })).optional().describe('dry run: the first three accepted recipients with their rendered text'),
  estimate: z
    .object({
      ratePerSecond: z.number(),
      rateSource: z.enum(['worker', 'configured', 'default']).describe('the rate of the worker serving the account, or the default 80/s when none registered one'),
      seconds: z.number().describe('time to send the accepted recipients at that rate (time outside a sending window not counted)'),
    })
    .optional()
    .describe('dry run: the estimated sending time'),
});

export const importResultSchema = enqueueResultSchema.extend({
  account: z.string(),
  read: z.number().describe('rows read from the upload'),
  rejectedTotal: z.number().describe('every rejected row; `rejected` lists the first 1000'),
  source: z
    .object({
      column: z.string().describe('the recipient column as the header writes it ("" for a file of bare numbers)'),
      delimiter: z.string().optional().describe('the CSV delimiter used: , ; or a tab (absent for NDJSON)'),
    })
    .optional()
    .describe('where the recipients were read from'),
});

const counts = z.record(z.string(), z.number());

export const recipientSchema = z.object({
  to: z.string(),
  status: z.enum(RECIPIENT_STATUSES),
  messageId: z.string().nullable(),
  code: z.string().nullable(),
  attempts: z.number(),
  reason: z.string().nullable(),
  updatedAt: z.string(),
});

export const campaignParams = z.object({ id: campaignIdSchema });
export const accountParams = z.object({ id: accountIdSchema });

export const accountStateSchema = z.object({
  account: z.string(),
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  pauseMessage: z.string().nullable(),
  pausedAt: z.number().nullable().describe('since when (ms since the epoch)'),
  resumedAt: z.number().nullable(),
  queueDepth: z.number().describe('jobs waiting, prioritized, delayed or active'),
  depthByPriority: z
    .object({
      high: z.number().describe('queued at priority high (BullMQ\'s wait list: taken first)'),
      normal: z.number().describe('queued at priority normal'),
      low: z.number().describe('queued at priority low'),
    })
    .describe('jobs waiting to be sent, by the priority of their campaign (delayed jobs, scheduled or waiting for a window or a retry, and active ones are in `counts`, not here)'),
  ratePerSecond: z.number().nullable().describe('the send rate (messages per second) the last worker serving the account started with; null when no worker has reported one'),
  counts: counts,
});
