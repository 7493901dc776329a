import { z } from 'zod';
import { getAccountState } from './account-state.js';
import { getCampaignControlState } from './campaign-control.js';
import { archivedCampaign, locateCampaign } from './archive-port.js';
import type { QueueContext } from './context.js';
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
  failedAfterSendByCode: counts.describe("failedAfterSend by the callback's error code (e.g. Meta's 131047)"),
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  createdAt: z.number(),
  done: z.boolean().describe('no recipient is pending any more'),
  archived: z.literal(true).optional().describe('present (true) when the campaign was moved to the archive (PostgreSQL): its figures are read from there'),
});
export type CampaignStatus = z.infer<typeof campaignStatusSchema>;

/**
 * The campaign's status, from Redis while it is live, from the archive once it is archived (then
 * with `archived: true`; an ArchiveUnavailableError when the archive cannot answer). Undefined
 * when there is no such campaign.
 */
export async function getCampaignStatus(ctx: QueueContext, campaignId: string): Promise<CampaignStatus | undefined> {
  const where = await locateCampaign(ctx, campaignId);
  if (!where) return undefined;
  if (where.where === 'archive') {
    const [a, account] = await Promise.all([archivedCampaign(ctx, campaignId), getAccountState(ctx, where.account)]);
    const c = a.counts;
    return {
      campaignId,
      account: a.meta.account,
      priority: a.meta.priority ?? 'high',
      total: c.total,
      pending: 0,
      sent: c.sent + c.delivered + c.read + c.failedAfterSend,
      failed: c.failed,
      cancelled: c.cancelled,
      state: a.state === 'cancelled' ? 'cancelled' : 'done',
      startsAt: a.meta.startsAt ?? null,
      window: a.meta.window ?? null,
      tz: a.meta.tz ?? null,
      waitingForWindow: 0,
      delivered: c.delivered + c.read,
      read: c.read,
      failedAfterSend: c.failedAfterSend,
      byCode: c.byCode,
      failedAfterSendByCode: c.failedAfterSendByCode,
      paused: account.paused,
      pauseReason: account.pauseReason,
      createdAt: a.meta.createdAt,
      done: true,
      archived: true,
    };
  }
  const { meta } = where;
  const [counts, account, control] = await Promise.all([ctx.ledger.counts(campaignId), getAccountState(ctx, meta.account), getCampaignControlState(ctx, campaignId)]);
  return {
    campaignId,
    account: meta.account,
    priority: meta.priority ?? 'high',
    total: counts.total,
    pending: counts.pending,
    sent: counts.sent + counts.delivered + counts.read + counts.failedAfterSend,
    failed: counts.failed,
    cancelled: counts.cancelled,
    state: control === 'cancelled' || control === 'scheduled' ? control : counts.pending === 0 ? 'done' : control,
    startsAt: meta.startsAt ?? null,
    window: meta.window ?? null,
    tz: meta.tz ?? null,
    // Moved by the intake and the worker separately (and by pause/cancel sweeps): kept within what can be true.
    waitingForWindow: Math.min(Math.max(counts.window, 0), counts.pending),
    delivered: counts.delivered + counts.read,
    read: counts.read,
    failedAfterSend: counts.failedAfterSend,
    byCode: counts.byCode,
    failedAfterSendByCode: counts.failedAfterSendByCode,
    paused: account.paused,
    pauseReason: account.pauseReason,
    createdAt: meta.createdAt,
    done: counts.pending === 0,
  };
}
