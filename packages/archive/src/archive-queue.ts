import { indexKeys, withScripts, type QueueContext } from '@wabulk/queue';

/**
 * The archive's queue and its retries (packages/queue/src/keys.ts):
 *  - `<base>:index:{finished}`: campaign → the time it finished. The loop takes what finished at least
 *    WABULK_ARCHIVE_AFTER ago; the overdue gauge (and WabulkArchiveBehind) read its oldest entry.
 *  - `<base>:index:{finished}:retry`: campaign → when to try it again. A campaign whose archive failed
 *    for a reason of its own (PostgreSQL refused its data: not PostgreSQL being down) leaves the queue
 *    for this set, so it is neither taken first on every pass (five of them stopped archiving for
 *    good) nor counted as overdue forever: the queue's head is a campaign the archiver can still do.
 *  - `<base>:index:{finished}:failures`: campaign → failures in a row (the backoff's exponent).
 * The three share one hash slot ({finished}): each move is one script, on a cluster too.
 */

/** The first retry after a failure: 10 min; doubling per failure in a row, at most ARCHIVE_RETRY_MAX_MS. */
export const ARCHIVE_RETRY_FIRST_MS = 10 * 60_000;
/** The longest wait between two tries of a campaign that keeps failing: 6 h. */
export const ARCHIVE_RETRY_MAX_MS = 6 * 3_600_000;

/** KEYS: finished, retry, failures. ARGV: campaigns. Out of the queue, their retries and their failure counts. */
const LEAVE = `
redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('ZREM', KEYS[2], unpack(ARGV))
redis.call('HDEL', KEYS[3], unpack(ARGV))
return 1
`;

/**
 * KEYS: finished, retry, failures. ARGV: campaign, now, first delay, longest delay.
 * Counts a failure and moves the campaign from the queue to the retries, due after the backoff. A
 * campaign in neither (another process archived it meanwhile) stays out: {0, 0}.
 */
const BACK_OFF = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0, 0} end
local n = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local delay = math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - 1, 30), tonumber(ARGV[4]))
local at = math.floor(tonumber(ARGV[2]) + delay)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], at, ARGV[1])
return {n, at}
`;

/** KEYS: finished, retry. ARGV: campaign, finish time. Joins the queue unless it is there already or waits for a retry. */
const JOIN = `
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
return redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
`;

interface QueueCommands {
  wabulkArchiveLeave(finished: string, retry: string, failures: string, ...campaignIds: string[]): Promise<number>;
  wabulkArchiveBackOff(finished: string, retry: string, failures: string, campaignId: string, now: string, first: string, max: string): Promise<[number, number]>;
  wabulkArchiveJoin(finished: string, retry: string, campaignId: string, finishedAt: string): Promise<number>;
}

const SCRIPTS = {
  wabulkArchiveLeave: { numberOfKeys: 3, lua: LEAVE },
  wabulkArchiveBackOff: { numberOfKeys: 3, lua: BACK_OFF },
  wabulkArchiveJoin: { numberOfKeys: 2, lua: JOIN },
};

const commands = (ctx: QueueContext) => withScripts<QueueCommands>(ctx.redis, SCRIPTS);

/** The campaigns are archived, gone, live again, single messages or pruned: out of the queue and of the retries, their failures forgotten. */
export async function leaveArchiveQueue(ctx: QueueContext, ...campaignIds: string[]): Promise<void> {
  const idx = indexKeys(ctx.base);
  // 1,000 a call: Lua's unpack takes at most about 8,000 values.
  for (let i = 0; i < campaignIds.length; i += 1000) await commands(ctx).wabulkArchiveLeave(idx.finished, idx.archiveRetry, idx.archiveFailures, ...campaignIds.slice(i, i + 1000));
}

/**
 * An archive of the campaign failed (not for PostgreSQL being down): it is tried again `firstMs`
 * after this failure, doubling per failure in a row up to `maxMs`. Undefined when the campaign was
 * in neither set any more (archived by another process meanwhile).
 */
export async function backOffArchive(ctx: QueueContext, campaignId: string, options: { now?: number; firstMs?: number; maxMs?: number } = {}): Promise<{ failures: number; retryAt: number } | undefined> {
  const idx = indexKeys(ctx.base);
  const [failures, retryAt] = await commands(ctx).wabulkArchiveBackOff(
    idx.finished,
    idx.archiveRetry,
    idx.archiveFailures,
    campaignId,
    String(options.now ?? Date.now()),
    String(options.firstMs ?? ARCHIVE_RETRY_FIRST_MS),
    String(options.maxMs ?? ARCHIVE_RETRY_MAX_MS),
  );
  return failures === 0 ? undefined : { failures: Number(failures), retryAt: Number(retryAt) };
}

/** The sweep's join: a campaign waiting for its retry stays there (the sweep would otherwise put it back at the queue's head every hour). */
export async function joinArchiveQueue(ctx: QueueContext, campaignId: string, finishedAt: number): Promise<number> {
  const idx = indexKeys(ctx.base);
  return commands(ctx).wabulkArchiveJoin(idx.finished, idx.archiveRetry, campaignId, String(finishedAt));
}

/** Campaigns whose retry is due, the longest waiting first. */
export async function dueArchiveRetries(ctx: QueueContext, now: number, limit: number): Promise<string[]> {
  return ctx.redis.zrangebyscore(indexKeys(ctx.base).archiveRetry, '-inf', String(now), 'LIMIT', 0, limit);
}

/** How many campaigns wait for a retry of their archive. */
export async function archiveRetries(ctx: QueueContext): Promise<number> {
  return ctx.redis.zcard(indexKeys(ctx.base).archiveRetry);
}
