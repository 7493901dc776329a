import type { QueueContext } from './context.js';
import type { Priority } from './priority.js';
import { campaignKeys, indexKeys } from './keys.js';
import { withScripts } from './scripts.js';

/** What every recipient of a campaign shares; written once when the campaign is created, never changed. */
export interface CampaignMeta {
  account: string;
  body: string;
  previewUrl?: boolean;
  ref?: string;
  ref1?: string;
  ref2?: string;
  /**
   * The campaign's priority class, from its first intake; later intakes to the same campaign keep it
   * (absent on campaigns made before priorities: they were FIFO, i.e. `high`).
   */
  priority?: Priority;
  createdAt: number;
  /** A single message (sent without a campaign id): kept this many seconds once finished. */
  ttl?: number;
}

/** A campaign id already used for another account or message; the message names the field (`campaignId: …`), `reason` is the rest. */
export class CampaignConflictError extends Error {
  override readonly name = 'CampaignConflictError';
  readonly field = 'campaignId';
  constructor(readonly reason: string) {
    super(`campaignId: ${reason}`);
  }
}

const CREATE = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return false
`;

/**
 * Creates the campaign, or checks that an existing one matches (same account and body): re-running
 * an import is fine, reusing an id for another message is an error. A different `priority` is not
 * an error: the existing campaign keeps its own (the returned meta says which).
 */
export async function ensureCampaign(
  ctx: QueueContext,
  campaignId: string,
  meta: CampaignMeta,
  options: { listed?: boolean } = {},
): Promise<{ created: boolean; meta: CampaignMeta }> {
  const { redis, base } = ctx;
  const keys = campaignKeys(base, campaignId);
  // EVALSHA after the first call: every API request without a campaign id creates one.
  const r = withScripts<{ wabulkCreateCampaign(key: string, meta: string): Promise<string | null> }>(redis, { wabulkCreateCampaign: { numberOfKeys: 1, lua: CREATE } });
  const existing = await r.wabulkCreateCampaign(keys.meta, JSON.stringify(meta));
  if (existing === null) {
    // The account is not registered here: sending to an account must not make it known (only a
    // worker's start, an operator or the intake's configuration do; see account-registry.ts).
    // Single messages (`listed: false`) stay out of the campaign list: a million a day would be a
    // million rows of it, and an index that only grows.
    if (options.listed !== false) await redis.zadd(indexKeys(base).campaigns, 'NX', meta.createdAt, campaignId);
    return { created: true, meta };
  }
  const old = JSON.parse(existing) as CampaignMeta;
  if (old.account !== meta.account) {
    throw new CampaignConflictError(`campaign ${campaignId} belongs to account ${old.account}, not ${meta.account}`);
  }
  if (old.body !== meta.body || (old.previewUrl ?? false) !== (meta.previewUrl ?? false)) {
    throw new CampaignConflictError(`campaign ${campaignId} already exists with a different message; use a new campaign id`);
  }
  return { created: false, meta: old };
}

export async function getCampaignMeta(ctx: QueueContext, campaignId: string): Promise<CampaignMeta | undefined> {
  const raw = await ctx.redis.get(campaignKeys(ctx.base, campaignId).meta);
  return raw === null ? undefined : (JSON.parse(raw) as CampaignMeta);
}

/** Campaign ids, newest first (single messages are not listed: see ensureCampaign). */
export async function listCampaigns(ctx: QueueContext, limit = 100): Promise<string[]> {
  return ctx.redis.zrevrange(indexKeys(ctx.base).campaigns, 0, limit - 1);
}

/** The registered accounts (a worker serving them started, or an operator added them), sorted. */
export async function listAccounts(ctx: QueueContext): Promise<string[]> {
  return (await ctx.redis.hkeys(indexKeys(ctx.base).accounts)).sort();
}
