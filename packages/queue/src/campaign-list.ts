import { ArchiveUnavailableError, locateCampaign } from './archive-port.js';
import type { CampaignState, CampaignStatus } from './campaign-status.js';
import type { ReadContext } from './context.js';
import { indexKeys } from './keys.js';
import { getCampaignStatus, type AccountPause } from './status-read.js';

export interface CampaignListQuery {
  state?: CampaignState;
  account?: string;
  /** Only campaigns of these accounts (an API token's): undefined = every account. */
  accounts?: readonly string[];
  /** Campaigns per page (default 20). */
  limit?: number;
  /** From the previous page's `cursor`. */
  cursor?: string;
  /** Campaigns read per page at most when filters skip many (default 1000): the page may then be short, with a cursor. */
  maxScan?: number;
}

export interface CampaignListPage {
  campaigns: CampaignStatus[];
  /** Where the next page starts; null after the last one. */
  cursor: string | null;
  /**
   * Present when the archive (PostgreSQL) could not answer: the archived campaigns of this page were
   * left out (their ids here), the live ones are listed as usual.
   */
  archiveUnavailable?: { message: string; campaignIds: string[] };
}

/** A cursor that is not one this function gave out. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly field = 'cursor';
}

// The cursor is the last campaign read: its creation time and id. Campaigns created at the same
// millisecond are ordered by id (sorted-set order), so a page never repeats or skips one.
const encode = (score: string, id: string) => Buffer.from(`${score}:${id}`).toString('base64url');
function decode(cursor: string): { score: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const i = text.indexOf(':');
  const score = text.slice(0, i);
  if (i <= 0 || !/^\d{1,16}$/.test(score)) throw new InvalidCursorError('cursor: not a cursor of this list');
  return { score, id: text.slice(i + 1) };
}

const BATCH = 100;

/**
 * The campaign list, newest first, filtered by state and account: the status objects of
 * `status --json`. Reads the index `<base>:index:{campaigns}` in batches from the cursor; single
 * messages are not in it (they stay out of the list by design: see ensureCampaign).
 */
export async function listCampaignStatuses(ctx: ReadContext, query: CampaignListQuery = {}): Promise<CampaignListPage> {
  const limit = query.limit ?? 20;
  const maxScan = Math.max(query.maxScan ?? 1000, limit);
  const key = indexKeys(ctx.base).campaigns;
  let after = query.cursor === undefined ? undefined : decode(query.cursor);
  const campaigns: CampaignStatus[] = [];
  let skipped: CampaignListPage['archiveUnavailable'];
  const page = (cursor: string | null): CampaignListPage => (skipped ? { campaigns, cursor, archiveUnavailable: skipped } : { campaigns, cursor });
  let scanned = 0;
  const accountMatches = (account: string) => (query.account === undefined || account === query.account) && (query.accounts === undefined || query.accounts.includes(account));
  // Each account's pause is read once for the page, not once per campaign.
  const pauses = new Map<string, Promise<AccountPause>>();
  for (;;) {
    // From the cursor's score down, past the entries of that score already read (ties at the cursor's
    // score are ordered by id, descending, in this direction: those with an id ≥ the cursor's came first).
    let skip = 0;
    if (after !== undefined) {
      const { score, id } = after;
      skip = (await ctx.redis.zrevrangebyscore(key, score, score)).filter((m) => m >= id).length;
    }
    const raw = await ctx.redis.zrevrangebyscore(key, after?.score ?? '+inf', '-inf', 'WITHSCORES', 'LIMIT', skip, BATCH);
    if (raw.length === 0) return page(null);
    for (let i = 0; i < raw.length; i += 2) {
      const e = { id: raw[i]!, score: raw[i + 1]! };
      scanned++;
      after = e;
      let status: CampaignStatus | undefined;
      try {
        status = await getCampaignStatus(ctx, e.id, pauses);
      } catch (err) {
        // PostgreSQL down hides no live campaign: the archived ones are named as left out, those of
        // the accounts asked for only (Redis's archive marker keeps the account): a token limited
        // to some accounts never learns another account's campaign ids. The state is unknown then.
        if (!(err instanceof ArchiveUnavailableError)) throw err;
        const where = await locateCampaign(ctx, e.id);
        if (where && accountMatches(where.account)) skipped = { message: err.message, campaignIds: [...(skipped?.campaignIds ?? []), e.id] };
      }
      if (status && accountMatches(status.account) && (query.state === undefined || status.state === query.state)) {
        campaigns.push(status);
      }
      if (campaigns.length >= limit || scanned >= maxScan) {
        // A full page that ended exactly at the last campaign has no next page.
        const more = (await ctx.redis.zcount(key, '-inf', `(${e.score}`)) > 0 || (await ctx.redis.zrevrangebyscore(key, e.score, e.score)).some((m) => m < e.id);
        return page(more ? encode(e.score, e.id) : null);
      }
    }
  }
}
