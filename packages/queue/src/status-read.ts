import { archivedCampaign, locateCampaign } from './archive-port.js';
import type { CampaignControlState } from './campaign-control.js';
import type { CampaignFigures, CampaignStatus } from './campaign-status.js';
import type { CampaignMeta } from './campaigns.js';
import type { ReadContext } from './context.js';
import { accountKeys, campaignKeys, queueName, queuePrefix } from './keys.js';
import { parseCounts, type CampaignCounts } from './ledger-counts.js';

// A campaign's status, read with plain Redis commands (HGET, HGETALL, HEXISTS on BullMQ's key
// layout) and the few pure helpers: no bullmq, zod, luxon or libphonenumber. `wabulk status --json`
// loads this through the light entry point (read.ts, `@wabulk/queue/read`); the API and the full
// entry point answer with the same functions (start-up, issue 15).

/** Whether the account is paused and why: what a campaign's status shows of its account (no job counts). */
export interface AccountPause {
  paused: boolean;
  pauseReason: string | null;
}

/**
 * BullMQ's Queue.isPaused() (HEXISTS <prefix>:<name>:meta paused) and the account's pause reason
 * (account-state.ts writes it beside the queue's pause).
 */
export async function readAccountPause(ctx: ReadContext, account: string): Promise<AccountPause> {
  const [reason, paused] = await Promise.all([
    ctx.redis.hget(accountKeys(ctx.base, account).state, 'reason'),
    ctx.redis.hexists(`${queuePrefix(ctx.base, account)}:${queueName(account)}:meta`, 'paused'),
  ]);
  return { paused: paused === 1, pauseReason: paused === 1 ? (reason || 'manual') : null };
}

/** An operator's control of one campaign (campaign-control.ts): no hash = running. */
export async function readCampaignControlState(ctx: ReadContext, campaignId: string): Promise<CampaignControlState> {
  const state = await ctx.redis.hget(campaignKeys(ctx.base, campaignId).state, 'state');
  return state === 'paused' || state === 'cancelled' || state === 'scheduled' ? state : 'running';
}

/** The ledger's counters (Ledger.counts). */
export async function readCounts(ctx: ReadContext, campaignId: string): Promise<CampaignCounts> {
  return parseCounts(await ctx.redis.hgetall(campaignKeys(ctx.base, campaignId).counts));
}

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
export async function getCampaignStatus(ctx: ReadContext, campaignId: string, pauses?: Map<string, Promise<AccountPause>>): Promise<CampaignStatus | undefined> {
  const where = await locateCampaign(ctx, campaignId);
  if (!where) return undefined;
  // A list of statuses reads each account's pause once (`pauses`, kept by the caller for one page).
  const pauseOf = (account: string): Promise<AccountPause> => {
    if (!pauses) return readAccountPause(ctx, account);
    let p = pauses.get(account);
    if (!p) pauses.set(account, (p = readAccountPause(ctx, account)));
    return p;
  };
  if (where.where === 'archive') {
    const [a, account] = await Promise.all([archivedCampaign(ctx, campaignId), pauseOf(where.account)]);
    const live = { pending: 0, state: a.state === 'cancelled' ? ('cancelled' as const) : ('done' as const), waitingForWindow: 0, done: true };
    return { ...statusOf(campaignId, a.meta, a.figures, live, account), archived: true };
  }
  const { meta } = where;
  const [counts, account, control] = await Promise.all([readCounts(ctx, campaignId), pauseOf(meta.account), readCampaignControlState(ctx, campaignId)]);
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
