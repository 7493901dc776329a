import type { CampaignMeta } from './campaigns.js';
import type { QueueContext, ReadContext } from './context.js';
import { assertCampaignId, campaignKeys } from './keys.js';
import type { CampaignFigures } from './campaign-status.js';
import type { DeliveryUpdate, LedgerRow, RecipientStatus } from './ledger.js';

/**
 * What this package needs from the campaign archive (PostgreSQL, @wabulk/archive): the read paths
 * answer for an archived campaign from it, callbacks update its rows, retry-failed brings a campaign
 * back. Declared here so the queue package needs no database driver; `ctx.archive` is set when
 * WABULK_ARCHIVE_URL is.
 */
export interface CampaignArchive {
  /** The archived campaign (meta, final counters); undefined when the archive has no such campaign. */
  campaign(campaignId: string): Promise<ArchivedCampaign | undefined>;
  /** Every archived recipient (matching `status`), ordered by number. */
  rows(campaignId: string, options?: { status?: RecipientStatus }): AsyncGenerator<LedgerRow>;
  /** One page, ordered by number: `cursor` is the last number's digits ('0' = start, and '0' in the answer = no more pages). */
  page(campaignId: string, options: { cursor?: string; limit: number; status?: RecipientStatus }): Promise<{ cursor: string; rows: LedgerRow[] }>;
  /** The archived recipient a message_id was sent to. */
  lookupMessageId(messageId: string): Promise<{ campaignId: string; to: string } | undefined>;
  /** A delivery callback applied to an archived recipient (the ledger's rules: only forward). */
  deliver(campaignId: string, to: string, update: DeliveryUpdate): Promise<{ status: RecipientStatus | 'missing'; changed: boolean }>;
  /**
   * A send Kaleyra accepted after its campaign was archived (a request in flight when the campaign
   * was cancelled and archived at once): the archived row becomes sent with its message_id, as the
   * ledger's RECORD would have made it (only a failed or cancelled row moves). Returns the status after.
   */
  recordLateSend(campaignId: string, to: string, sent: { messageId: string; code?: string; attempts?: number; at: number }): Promise<RecipientStatus | 'missing'>;
  /** Brings an archived campaign back into Redis (ledger, counters, meta); false when it is not archived. */
  restore(ctx: QueueContext, campaignId: string): Promise<boolean>;
}

export interface ArchivedCampaign {
  meta: CampaignMeta;
  state: 'done' | 'cancelled' | 'restored';
  /** Its figures as operators see them (the campaign row keeps them so). */
  figures: CampaignFigures;
  finishedAt: number;
  archivedAt: number;
}

/**
 * The archive cannot answer (PostgreSQL down, not configured, or missing a campaign Redis says it
 * holds): the API answers 503, the CLI names the cause. Sending never waits for the archive.
 */
export class ArchiveUnavailableError extends Error {
  override readonly name = 'ArchiveUnavailableError';
}

export type CampaignLocation =
  /** Live in Redis (meta, ledger, counters). */
  | { where: 'redis'; meta: CampaignMeta; account: string }
  /** Archived: only its marker is in Redis. */
  | { where: 'archive'; account: string; archivedAt: number };

/** Where a campaign's record is: Redis, the archive, or nowhere (undefined). One round trip (both keys share the campaign's slot). */
export async function locateCampaign(ctx: ReadContext, campaignId: string): Promise<CampaignLocation | undefined> {
  const k = campaignKeys(ctx.base, assertCampaignId(campaignId));
  const [meta, archived] = await ctx.redis.mget(k.meta, k.archived);
  if (meta) {
    const m = JSON.parse(meta) as CampaignMeta;
    return { where: 'redis', meta: m, account: m.account };
  }
  if (archived) {
    const a = JSON.parse(archived) as { account: string; archivedAt: number };
    return { where: 'archive', account: a.account, archivedAt: a.archivedAt };
  }
  return undefined;
}

/** The archive, or a 503-kind error saying it is not configured here. */
export function archiveOf(ctx: ReadContext): CampaignArchive {
  if (!ctx.archive) throw new ArchiveUnavailableError('the campaign is archived in PostgreSQL, and this process has no WABULK_ARCHIVE_URL to read it');
  return ctx.archive;
}

/** The archived campaign's row; a campaign Redis marks archived that the archive lacks is a 503 too (an archive restored from an older backup). */
export async function archivedCampaign(ctx: ReadContext, campaignId: string): Promise<ArchivedCampaign> {
  const a = await archiveOf(ctx).campaign(campaignId);
  if (!a) throw new ArchiveUnavailableError(`campaign ${campaignId} is marked archived in Redis but the archive has no record of it (was PostgreSQL restored from an older backup?)`);
  return a;
}
