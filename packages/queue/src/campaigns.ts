import type { QueueContext } from './context.js';
import type { Priority } from './priority.js';
import { campaignKeys, indexKeys } from './keys.js';
import { addToSchedule } from './schedule.js';
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
  /** The placeholder names of `body` (template.ts), when it has any: each recipient carries a value for each. */
  vars?: string[];
  /** Scheduled start (ms): nothing is sent before it (schedule.ts). */
  startsAt?: number;
  /** Sending window in each recipient's local time, "HH:MM-HH:MM" (send-window.ts). */
  window?: string;
  /** One time zone for every recipient's window, instead of each number's own. */
  tz?: string;
}

/** A campaign id already used for another account or message; the message names the field (`campaignId: …`), `reason` is the rest. */
export class CampaignConflictError extends Error {
  override readonly name = 'CampaignConflictError';
  readonly field = 'campaignId';
  constructor(readonly reason: string) {
    super(`campaignId: ${reason}`);
  }
}

/**
 * KEYS[1] = meta, KEYS[2] = control state, KEYS[3] = archived marker (an archived campaign's id is
 * never reused: answers {'', 'archived'} and writes nothing). ARGV[1] = meta JSON, ARGV[2] = the initial control state
 * ('scheduled' for a campaign with a start time ahead, '' otherwise), written with the meta in one
 * step so a campaign is never seen without its schedule. Returns {existing meta or '', state}.
 */
const CREATE = `
local v = redis.call('GET', KEYS[1])
if not v and redis.call('EXISTS', KEYS[3]) == 1 then return {'', 'archived'} end
if not v then
  redis.call('SET', KEYS[1], ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'state', ARGV[2], 'at', ARGV[3]) end
end
return {v or '', redis.call('HGET', KEYS[2], 'state') or 'running'}
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
): Promise<{ created: boolean; meta: CampaignMeta; state: string }> {
  const { redis, base } = ctx;
  const keys = campaignKeys(base, campaignId);
  const scheduled = meta.startsAt !== undefined && meta.startsAt > Date.now();
  // EVALSHA after the first call: every API request without a campaign id creates one.
  const r = withScripts<{ wabulkCreateCampaign(k1: string, k2: string, k3: string, meta: string, state: string, at: string): Promise<[string, string]> }>(redis, { wabulkCreateCampaign: { numberOfKeys: 3, lua: CREATE } });
  const [existing, state] = await r.wabulkCreateCampaign(keys.meta, keys.state, keys.archived, JSON.stringify(meta), scheduled ? 'scheduled' : '', String(Date.now()));
  if (state === 'archived') throw new CampaignConflictError(`campaign ${campaignId} is finished and archived; use a new campaign id (retry-failed --campaign ${campaignId} brings its failed recipients back)`);
  // A scheduled campaign is in the schedule until it starts; written after its meta, and again by a
  // re-run of the import (a crash in between loses nothing).
  if (state === 'scheduled') await addToSchedule(ctx, campaignId, (existing === '' ? meta : (JSON.parse(existing) as CampaignMeta)).startsAt ?? Date.now());
  if (existing === '') {
    // The account is not registered here: sending to an account must not make it known (only a
    // worker's start, an operator or the intake's configuration do; see account-registry.ts).
    // Single messages (`listed: false`) stay out of the campaign list: a million a day would be a
    // million rows of it, and an index that only grows.
    if (options.listed !== false) await redis.zadd(indexKeys(base).campaigns, 'NX', meta.createdAt, campaignId);
    return { created: true, meta, state };
  }
  const old = JSON.parse(existing) as CampaignMeta;
  assertSameCampaign(campaignId, old, meta);
  return { created: false, meta: old, state };
}

/** An existing campaign must be the same message for the same account (a re-run import); its priority and schedule stay its own. */
export function assertSameCampaign(campaignId: string, old: CampaignMeta, meta: Pick<CampaignMeta, 'account' | 'body' | 'previewUrl'>): void {
  if (old.account !== meta.account) {
    throw new CampaignConflictError(`campaign ${campaignId} belongs to account ${old.account}, not ${meta.account}`);
  }
  if (old.body !== meta.body || (old.previewUrl ?? false) !== (meta.previewUrl ?? false)) {
    throw new CampaignConflictError(`campaign ${campaignId} already exists with a different message; use a new campaign id`);
  }
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
