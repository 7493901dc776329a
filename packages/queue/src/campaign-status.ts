import { getAccountState } from './account-state.js';
import { getCampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';

/** What `wabulk status --json` and `GET /v1/campaigns/:id` answer. */
export interface CampaignStatus {
  campaignId: string;
  account: string;
  total: number;
  pending: number;
  /** Accepted by Kaleyra (with a message_id), whatever delivery state followed. */
  sent: number;
  /** Never accepted by Kaleyra: failed with Kaleyra's code (total = pending + sent + failed). */
  failed: number;
  /** Of `sent`: delivered to the phone (read ones included), from delivery callbacks. */
  delivered: number;
  /** Of `sent`: read. */
  read: number;
  /** Of `sent`: Kaleyra's callback said failed (or not-sent) after accepting the message. */
  failedAfterSend: number;
  /** Failed recipients by Kaleyra code. */
  byCode: Record<string, number>;
  /** failedAfterSend by the callback's error code (e.g. Meta's 131047). */
  failedAfterSendByCode: Record<string, number>;
  paused: boolean;
  pauseReason: string | null;
  createdAt: number;
  /** No recipient is pending any more. */
  done: boolean;
}

export async function getCampaignStatus(ctx: QueueContext, campaignId: string): Promise<CampaignStatus | undefined> {
  const meta = await getCampaignMeta(ctx, campaignId);
  if (!meta) return undefined;
  const [counts, account] = await Promise.all([ctx.ledger.counts(campaignId), getAccountState(ctx, meta.account)]);
  return {
    campaignId,
    account: meta.account,
    total: counts.total,
    pending: counts.pending,
    sent: counts.sent + counts.delivered + counts.read + counts.failedAfterSend,
    failed: counts.failed,
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
