import { getCampaignControlState } from './campaign-control.js';
import type { QueueContext } from './context.js';
import { campaignKeys, suppressionKey, type SuppressionScope } from './keys.js';
import type { Redis } from 'ioredis';
import { withScripts } from './scripts.js';
import { tickBatch, type PipelineOf } from './tick-batch.js';

/**
 * Do-not-message lists: one per account and one global list that applies to every account. Each is
 * a hash of E.164 numbers (normalised exactly as recipients are, by the caller) → the time (ms) the
 * number was added. Intake rejects a listed recipient with the reason `suppressed`; the worker
 * checks again just before each send, so a number listed after it was queued ends `cancelled`
 * with the reason `suppressed`.
 */
export type { SuppressionScope } from './keys.js';

export const SUPPRESSED = 'suppressed';

/** Where a number is listed: the account's list, the global list, or both (the times it was added). */
export interface SuppressionMatch {
  account?: number;
  global?: number;
}

/** ARGV[1] = now, ARGV[2..] = numbers: HSETNX each (a number listed again keeps its first time). Returns how many were new. */
const ADD = `
local n = 0
for i = 2, #ARGV do n = n + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1]) end
return n
`;

interface SuppressionCommands { wabulkSuppressAdd(key: string, now: string, ...numbers: string[]): Promise<number> }

/** Adds numbers to a list; returns how many were not on it yet. */
export async function addSuppressions(ctx: QueueContext, scope: SuppressionScope, numbers: readonly string[], now = Date.now()): Promise<number> {
  if (numbers.length === 0) return 0;
  const r = withScripts<SuppressionCommands>(ctx.redis, { wabulkSuppressAdd: { numberOfKeys: 1, lua: ADD } });
  return r.wabulkSuppressAdd(suppressionKey(ctx.base, scope), String(now), ...numbers);
}

/** Removes numbers from a list; returns how many were on it. */
export async function removeSuppressions(ctx: QueueContext, scope: SuppressionScope, numbers: readonly string[]): Promise<number> {
  if (numbers.length === 0) return 0;
  return ctx.redis.hdel(suppressionKey(ctx.base, scope), ...numbers);
}

/** Up to this many numbers skip the EXISTS round trip (an API call's recipients). */
const LOOKUP_DIRECTLY = 16;

/**
 * The numbers among `numbers` that are on the account's list or the global one: intake calls it once
 * per chunk. Which lists exist is asked first (two EXISTS at once, one round trip of waiting, also on
 * a cluster where the two lists live on different nodes) and only those are looked in (their HMGETs
 * at once): a chunk of 1000 without any list costs two short commands, not 2 × 1000 lookups.
 * Up to LOOKUP_DIRECTLY numbers (an API call) skip the EXISTS: both HMGETs at once, one round trip.
 */
export async function suppressedAmong(ctx: QueueContext, account: string, numbers: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (numbers.length === 0) return found;
  const keys = [suppressionKey(ctx.base, { account }), suppressionKey(ctx.base, 'global')];
  // A few numbers (an API call) are looked up at once, in one round trip, as before.
  const exists = numbers.length <= LOOKUP_DIRECTLY ? [1, 1] : await Promise.all(keys.map((k) => ctx.redis.exists(k)));
  const lists = await Promise.all(keys.filter((_, i) => exists[i] === 1).map((k) => ctx.redis.hmget(k, ...numbers)));
  if (lists.length === 0) return found;
  // In the chunk's order (its rejections are reported in input order).
  for (let i = 0; i < numbers.length; i++) if (lists.some((list) => list[i] !== null)) found.add(numbers[i]!);
  return found;
}

/** Where one number is listed (for the account given, and globally); `{}` when it is on neither list. */
export async function checkSuppression(ctx: QueueContext, account: string | undefined, number: string): Promise<SuppressionMatch> {
  const [own, global] = await Promise.all([
    account === undefined ? Promise.resolve(null) : ctx.redis.hget(suppressionKey(ctx.base, { account }), number),
    ctx.redis.hget(suppressionKey(ctx.base, 'global'), number),
  ]);
  const match: SuppressionMatch = {};
  if (own !== null) match.account = Number(own);
  if (global !== null) match.global = Number(global);
  return match;
}

/** Whether the worker must not send to `number` for `account` (one round trip: both lists at once). */
export async function isSuppressed(ctx: QueueContext, account: string, number: string): Promise<boolean> {
  const [own, global] = await Promise.all([ctx.redis.hexists(suppressionKey(ctx.base, { account }), number), ctx.redis.hexists(suppressionKey(ctx.base, 'global'), number)]);
  return own === 1 || global === 1;
}

export interface SuppressionPage {
  /** '0' = no more pages. */
  cursor: string;
  entries: Array<{ number: string; addedAt: number }>;
}

/** One page of a list (HSCAN: unordered; an entry may appear twice while Redis rehashes). */
export async function listSuppressions(ctx: QueueContext, scope: SuppressionScope, options: { cursor?: string; count?: number } = {}): Promise<SuppressionPage> {
  const [cursor, flat] = await ctx.redis.hscan(suppressionKey(ctx.base, scope), options.cursor ?? '0', 'COUNT', options.count ?? 1000);
  const entries: SuppressionPage['entries'] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ number: flat[i]!, addedAt: Number(flat[i + 1]) });
  return { cursor, entries };
}

/** How many numbers a list holds. */
export async function countSuppressions(ctx: QueueContext, scope: SuppressionScope): Promise<number> {
  return ctx.redis.hlen(suppressionKey(ctx.base, scope));
}

/**
 * What the worker reads just before each send: the campaign's control state ('archived' once the
 * campaign is in the archive: a job left over from it must not send) and whether a list holds the number. On a single Redis one script answers both (one command per send, as before the
 * lists existed); on a cluster the three keys live in different slots, so three commands are sent at
 * once (one round trip of waiting).
 */
const SEND_CHECKS = `
local state = redis.call('HGET', KEYS[1], 'state') or 'running'
if redis.call('EXISTS', KEYS[4]) == 1 then state = 'archived' end
return {state, redis.call('HEXISTS', KEYS[2], ARGV[1]) + redis.call('HEXISTS', KEYS[3], ARGV[1])}
`;

interface SendCheckCommands { wabulkSendChecks(state: string, own: string, global: string, archived: string, number: string): Promise<[string, number]> }

export async function sendChecks(ctx: QueueContext, campaignId: string, account: string, number: string): Promise<{ state: string; suppressed: boolean }> {
  const k = campaignKeys(ctx.base, campaignId);
  if (ctx.redis.isCluster) {
    const [state, suppressed, archived] = await Promise.all([getCampaignControlState(ctx, campaignId), isSuppressed(ctx, account, number), ctx.redis.exists(k.archived)]);
    return { state: archived === 1 ? 'archived' : state, suppressed };
  }
  withScripts<SendCheckCommands>(ctx.redis, { wabulkSendChecks: { numberOfKeys: 4, lua: SEND_CHECKS } });
  // Group commit: the checks of the jobs started together leave in one write (tick-batch.ts).
  const [state, hits] = await tickBatch(ctx.redis as Redis)<[string, number]>((pipeline) =>
    (pipeline as PipelineOf<SendCheckCommands>).wabulkSendChecks(k.state, suppressionKey(ctx.base, { account }), suppressionKey(ctx.base, 'global'), k.archived, number));
  return { state, suppressed: hits > 0 };
}
