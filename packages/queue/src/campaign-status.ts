import { z } from 'zod';
import { getAccountPause, type AccountPause } from './account-state.js';
import { getCampaignControlState } from './campaign-control.js';
import { archivedCampaign, locateCampaign } from './archive-port.js';
import type { QueueContext } from './context.js';
import type { CampaignMeta } from './campaigns.js';
import type { CampaignCounts } from './ledger.js';
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

export function campaignFigures(c: CampaignCounts): CampaignFigures {
  return {
    total: c.total,
    sent: c.sent + c.delivered + c.read + c.failedAfterSend,
    failed: c.failed,
    cancelled: c.cancelled,
    delivered: c.delivered + c.read,
    read: c.read,
    failedAfterSend: c.failedAfterSend,
    byCode: c.byCode,
    failedAfterSendByCode: c.failedAfterSendByCode,
    failureReasons: c.failureReasons,
    startedAt: c.startedAt,
  };
}

/** The status object, in the field order of the schema, from a campaign's meta, figures and live state. */
function statusOf(
  campaignId: string,
  meta: CampaignMeta,
  figures: CampaignFigures,
  live: Pick<CampaignStatus, 'pending' | 'state' | 'waitingForWindow' | 'done'>,
  account: { paused: boolean; pauseReason: string | null },
): CampaignStatus {
  const { total, sent, failed, cancelled, delivered, read, failedAfterSend, byCode, failedAfterSendByCode, failureReasons, startedAt } = figures;
  return {
    campaignId,
    account: meta.account,
    priority: meta.priority ?? 'high',
    total,
    pending: live.pending,
    sent,
    failed,
    cancelled,
    state: live.state,
    startsAt: meta.startsAt ?? null,
    window: meta.window ?? null,
    tz: meta.tz ?? null,
    waitingForWindow: live.waitingForWindow,
    delivered,
    read,
    failedAfterSend,
    byCode,
    failureReasons,
    failedAfterSendByCode,
    paused: account.paused,
    pauseReason: account.pauseReason,
    createdAt: meta.createdAt,
    // A campaign with results but no stamp (finished before startedAt was recorded): its scheduled
    // start or creation, as the archiver writes it, so the live and archived answers agree.
    startedAt: startedAt ?? (sent + failed > 0 ? (meta.startsAt ?? meta.createdAt) : null),
    done: live.done,
  };
}

/**
 * The campaign's status, from Redis while it is live, from the archive once it is archived (then
 * with `archived: true`; an ArchiveUnavailableError when the archive cannot answer). Undefined
 * when there is no such campaign.
 */
export async function getCampaignStatus(ctx: QueueContext, campaignId: string, pauses?: Map<string, Promise<AccountPause>>): Promise<CampaignStatus | undefined> {
  const where = await locateCampaign(ctx, campaignId);
  if (!where) return undefined;
  // A list of statuses reads each account's pause once (`pauses`, kept by the caller for one page).
  const pauseOf = (account: string): Promise<AccountPause> => {
    if (!pauses) return getAccountPause(ctx, account);
    let p = pauses.get(account);
    if (!p) pauses.set(account, (p = getAccountPause(ctx, account)));
    return p;
  };
  if (where.where === 'archive') {
    const [a, account] = await Promise.all([archivedCampaign(ctx, campaignId), pauseOf(where.account)]);
    const live = { pending: 0, state: a.state === 'cancelled' ? ('cancelled' as const) : ('done' as const), waitingForWindow: 0, done: true };
    return { ...statusOf(campaignId, a.meta, a.figures, live, account), archived: true };
  }
  const { meta } = where;
  const [counts, account, control] = await Promise.all([ctx.ledger.counts(campaignId), pauseOf(meta.account), getCampaignControlState(ctx, campaignId)]);
  return statusOf(
    campaignId,
    meta,
    campaignFigures(counts),
    {
      pending: counts.pending,
      state: control === 'cancelled' || control === 'scheduled' ? control : counts.pending === 0 ? 'done' : control,
      // Moved by the intake and the worker separately (and by pause/cancel sweeps): kept within what can be true.
      waitingForWindow: Math.min(Math.max(counts.window, 0), counts.pending),
      done: counts.pending === 0,
    },
    account,
  );
}
