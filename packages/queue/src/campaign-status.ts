import { z } from 'zod';
import { FAILURE_REASON_MAX } from './ledger-scripts.js';
import { prioritySchema } from './priority.js';

/** A campaign's state as operators see it (the list's `--state` filter takes these). */
export const CAMPAIGN_STATES = ['scheduled', 'running', 'paused', 'cancelled', 'done'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

const counts = z.record(z.string(), z.number());


/**
 * What `wabulk status --json` and `GET /v1/campaigns/:id` answer: the one declaration of a
 * campaign's counters for the CLI, the API (and its OpenAPI document) and scripts.
 */
export const campaignStatusSchema = z.object({
  campaignId: z.string(),
  account: z.string(),
  priority: prioritySchema.describe('the campaign\'s priority (from its first intake): high, normal or low'),
  total: z.number(),
  pending: z.number(),
  sent: z.number().describe('accepted by Kaleyra (with a message_id), whatever delivery state followed'),
  failed: z.number().describe('never accepted by Kaleyra: failed with its code (total = pending + sent + failed + cancelled)'),
  cancelled: z.number().describe('still pending when an operator cancelled the campaign: never sent, never retried'),
  state: z.enum(CAMPAIGN_STATES).describe('scheduled (waiting for startsAt); running; paused or cancelled by an operator (pause/resume/cancel --campaign); done once nothing is pending'),
  startsAt: z.number().nullable().describe('scheduled start (ms since the epoch), when the campaign was given one'),
  window: z.string().nullable().describe('sending window in each recipient\'s local time (HH:MM-HH:MM), when it has one'),
  tz: z.string().nullable().describe('the one zone every recipient\'s window is read in, when forced'),
  waitingForWindow: z.number().describe('of pending: recipients whose job waits for its sending window to open'),
  delivered: z.number().describe('of sent: delivered to the phone (read included), from delivery callbacks'),
  read: z.number().describe('of sent: read'),
  failedAfterSend: z.number().describe('of sent: the delivery callback said failed / not-sent'),
  byCode: counts.describe('failed recipients by Kaleyra code'),
  failureReasons: z
    .record(z.string(), z.string())
    .describe(`per code of byCode: Kaleyra's reason text of the first failure recorded with that code (at most ${FAILURE_REASON_MAX} characters; a code recorded without a reason is absent)`),
  failedAfterSendByCode: counts.describe("failedAfterSend by the callback's error code (e.g. Meta's 131047)"),
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable().describe('when the campaign started sending: the time of its first recorded result, sent or failed (ms since the epoch); null before. A campaign that finished before this was recorded: its scheduled start, else its creation'),
  done: z.boolean().describe('no recipient is pending any more'),
  archived: z.literal(true).optional().describe('present (true) when the campaign was moved to the archive (PostgreSQL): its figures are read from there'),
});
export type CampaignStatus = z.infer<typeof campaignStatusSchema>;

/**
 * What operators see of a campaign's counters: `sent` counts every recipient Kaleyra accepted
 * (whatever delivery state followed), `delivered` counts read ones too. The ledger counts per
 * status; the archive's campaign row keeps these figures.
 */
export type CampaignFigures = Pick<CampaignStatus, 'total' | 'sent' | 'failed' | 'cancelled' | 'delivered' | 'read' | 'failedAfterSend' | 'byCode' | 'failedAfterSendByCode' | 'failureReasons' | 'startedAt'>;

export { campaignFigures, getCampaignStatus } from './status-read.js';
