import type { Queue } from 'bullmq';
import { z } from 'zod';
import type { CampaignMeta } from './campaigns.js';
import { JOB_OPTIONS } from './job.js';
import { fairShareKey } from './keys.js';
import type { RedisClient } from './redis.js';
import { withScripts } from './scripts.js';

/**
 * Priorities and fair share, with BullMQ's open-source pieces only (no Pro groups).
 *
 * BullMQ's moveToActive takes from the `wait` list first and only when it is empty from the
 * `prioritized` sorted set (score = priority · 2^32 + a per-queue counter: lowest first, FIFO within
 * one priority; priorities 1..2^21-1). So:
 *   high   → no BullMQ priority (the wait list): overtakes every prioritized job, on every worker.
 *   normal → priorities [1, 2^20)       low → [2^20, 2^21 - 1]
 * Within a class, fair share by rounds (virtual time): the i-th recipient a campaign queues gets
 * priority `start + floor(i / FAIR_SHARE_ROUND)`, where `start` is the class's head (the lowest
 * priority of that class waiting now, or the class base when none waits). A campaign started while
 * another drains joins the round being served and the two alternate, FAIR_SHARE_ROUND each per round.
 * A priority past the top of its class is clamped there (that campaign's tail is then FIFO).
 */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const prioritySchema = z.enum(PRIORITIES, { message: 'must be high, normal or low' });

/**
 * Recipients of one campaign per round. Two equal campaigns get FAIR_SHARE_ROUND each per round, so
 * any window of sends holds at most one partial round of imbalance: at 80/s a 3 s window is 240
 * sends ≥ 2.4 rounds, and each campaign has ≥ (240 - 50) / 2 / 240 ≈ 40% (≥ 35% from ~200 sends on;
 * at 1,000/s it is ≥ 48%). Smaller rounds share more finely but use up the 2^20 range sooner
 * (FAIR_SHARE_ROUND · 2^20 ≈ 52M recipients queued back to back in one class before the clamp).
 */
export const FAIR_SHARE_ROUND = 50;

const SCORE_UNIT = 2 ** 32;
/** Inclusive BullMQ priority ranges; `high` has none (priority 0 = the wait list). */
export const PRIORITY_RANGES: Record<Exclude<Priority, 'high'>, { lo: number; hi: number }> = {
  normal: { lo: 1, hi: 2 ** 20 - 1 },
  low: { lo: 2 ** 20, hi: 2 ** 21 - 1 },
};

/**
 * A campaign's cursor lives this long after its last enqueue; after that its next intake starts at
 * the head again, which is where a drained campaign belongs anyway.
 */
const CURSOR_TTL_SECONDS = 7 * 24 * 3600;

/**
 * KEYS[1] the queue's prioritized zset, KEYS[2] the campaign's cursor "<round> <used in round>".
 * ARGV: lowest score of the class, first score above it, class base, Q, n, ttl (0: keep no cursor).
 * Returns the round and used count the n jobs start from, and moves the cursor past them.
 */
const ALLOCATE = `
local head = tonumber(ARGV[3])
local first = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '(' .. ARGV[2], 'LIMIT', 0, 1, 'WITHSCORES')
if first[2] then head = math.floor(tonumber(first[2]) / 4294967296) end
local round, used = head, 0
local cur = redis.call('GET', KEYS[2])
if cur then
  local r, u = string.match(cur, '^(%d+) (%d+)$')
  r = tonumber(r)
  if r and r >= head then round, used = r, tonumber(u) end
end
local q, n = tonumber(ARGV[4]), tonumber(ARGV[5])
local total = used + n
local ttl = tonumber(ARGV[6])
if ttl > 0 then redis.call('SET', KEYS[2], string.format('%d %d', round + math.floor(total / q), total % q), 'EX', ttl) end
return {round, used}
`;

interface AllocatingCommands { wabulkAllocateRounds(prioritized: string, cursor: string, ...args: Array<string | number>): Promise<[number, number]> }

/**
 * BullMQ priorities for the next `n` jobs of a campaign (undefined for `high`: no priority).
 * One script reads the class's head and moves the campaign's cursor, so concurrent chunks of one
 * import (and concurrent intakes) never take the same slots. The cursor key shares the account's
 * hash tag with the queue, so the script stays in one Redis Cluster slot.
 */
export async function allocatePriorities(
  redis: RedisClient,
  queue: Queue,
  base: string,
  account: string,
  campaignId: string,
  priority: Priority,
  n: number,
  /** false for a one-off campaign (a message without a campaign id): nothing will continue it, so no cursor is stored. */
  keepCursor = true,
): Promise<number[] | undefined> {
  if (priority === 'high' || n === 0) return undefined;
  const { lo, hi } = PRIORITY_RANGES[priority];
  const r = withScripts<AllocatingCommands>(redis, { wabulkAllocateRounds: { numberOfKeys: 2, lua: ALLOCATE } });
  const [round, used] = await r.wabulkAllocateRounds(
    queue.toKey('prioritized'),
    fairShareKey(base, account, campaignId),
    (lo * SCORE_UNIT).toString(),
    ((hi + 1) * SCORE_UNIT).toString(),
    lo,
    FAIR_SHARE_ROUND,
    n,
    keepCursor ? CURSOR_TTL_SECONDS : 0,
  );
  return Array.from({ length: n }, (_, j) => Math.min(round + Math.floor((used + j) / FAIR_SHARE_ROUND), hi));
}

/** BullMQ options of one job: no `priority` for `high` (the wait list), else the allocated one. */
export function jobOptions(jobId: string, priority: number | undefined) {
  return priority === undefined ? { ...JOB_OPTIONS, jobId } : { ...JOB_OPTIONS, jobId, priority };
}

/** Campaigns made before priorities have none in their meta: they were FIFO, which is `high`. */
export const priorityOf = (meta: CampaignMeta): Priority => meta.priority ?? 'high';
