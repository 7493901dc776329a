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
  failed: number;
  delivered: number;
  read: number;
  /** Failed recipients by Kaleyra code. */
  byCode: Record<string, number>;
  paused: boolean;
  pauseReason: string | null;
  createdAt: number;
  /** No recipient is pending any more. */
  done: boolean;
}

export async function getCampaignStatus(ctx: QueueContext, campaignId: string): Promise<CampaignStatus | undefined> {
  const meta = await getCampaignMeta(ctx.redis, ctx.base, campaignId);
  if (!meta) return undefined;
  const [counts, account] = await Promise.all([ctx.ledger.counts(campaignId), getAccountState(ctx.redis, ctx.base, ctx.queues, meta.account)]);
  return {
    campaignId,
    account: meta.account,
    total: counts.total,
    pending: counts.pending,
    sent: counts.sent + counts.delivered + counts.read,
    failed: counts.failed,
    delivered: counts.delivered + counts.read,
    read: counts.read,
    byCode: counts.byCode,
    paused: account.paused,
    pauseReason: account.pauseReason,
    createdAt: meta.createdAt,
    done: counts.pending === 0,
  };
}
