import { z } from 'zod';
import { ACCOUNT_ID, CAMPAIGN_ID, RECIPIENT_STATUSES } from '@wabulk/queue';

/** Shared zod schemas: request parts and the answers documented in /openapi.json. */
export const errorSchema = z.object({
  error: z.string(),
  message: z.string().optional(),
  issues: z.array(z.object({ field: z.string(), message: z.string(), line: z.number().optional() })).optional(),
});

export const rejectedSchema = z.object({ input: z.string(), reason: z.string(), line: z.number().optional() });

export const enqueueResultSchema = z.object({
  campaignId: z.string(),
  accepted: z.number().describe('recipients queued by this call'),
  duplicates: z.number().describe('inputs already queued: repeated in this call, or in the campaign before'),
  rejected: z.array(rejectedSchema),
});

export const importResultSchema = enqueueResultSchema.extend({
  account: z.string(),
  read: z.number().describe('rows read from the upload'),
  rejectedTotal: z.number().describe('every rejected row; `rejected` lists the first 1000'),
});

const counts = z.record(z.string(), z.number());

export const campaignStatusSchema = z.object({
  campaignId: z.string(),
  account: z.string(),
  total: z.number(),
  pending: z.number(),
  sent: z.number().describe('accepted by Kaleyra (with a message_id), whatever delivery state followed'),
  failed: z.number().describe('never accepted by Kaleyra'),
  delivered: z.number().describe('of sent: delivered (read included)'),
  read: z.number(),
  failedAfterSend: z.number().describe('of sent: the delivery callback said failed / not-sent'),
  byCode: counts,
  failedAfterSendByCode: counts,
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  createdAt: z.number(),
  done: z.boolean(),
});

export const recipientSchema = z.object({
  to: z.string(),
  status: z.enum(RECIPIENT_STATUSES),
  messageId: z.string().nullable(),
  code: z.string().nullable(),
  attempts: z.number(),
  reason: z.string().nullable(),
  updatedAt: z.string(),
});

export const campaignParams = z.object({ id: z.string().regex(CAMPAIGN_ID, 'must be 1-64 letters, digits, _ . or -') });
export const accountParams = z.object({ id: z.string().regex(ACCOUNT_ID, 'must be 1-32 letters, digits, _ or -') });

export const accountStateSchema = z.object({
  account: z.string(),
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  pauseMessage: z.string().nullable(),
  pausedAt: z.number().nullable().describe('since when (ms since the epoch)'),
  resumedAt: z.number().nullable(),
  queueDepth: z.number().describe('jobs waiting, prioritized, delayed or active'),
  counts: counts,
});
