import type { Queue } from 'bullmq';
import type { RedisClient } from './redis.js';
import { withScripts } from './scripts.js';

/**
 * Removing one campaign's queued jobs from its account's queue, at any size, without stalling the
 * queue for the account's other campaigns. BullMQ's `queue.remove(id)` is O(1) for a job in a
 * sorted set (prioritized, delayed) but runs LREM over the whole `wait` list for any other id, and
 * three times for an id that does not exist: a million removals from a million-job list would be
 * 10^12 steps. So:
 *   - by id (REMOVE_SORTED): prioritized and delayed jobs, ZREM + the job's keys, O(log n) each;
 *   - by walking the `wait` list (SWEEP_WAIT): a page at a time, the campaign's ids (recognised by
 *     their shape, `<campaign>-<digits>[-r<n>]`, jobIdFor) are overwritten with a marker and the
 *     markers removed with one LREM per page: O(list length) per page, each script short.
 * Active jobs are locked by a worker: they are requests in flight and are left alone. Both scripts
 * touch only the queue's own keys (one hash tag), and neither can remove another campaign's job.
 * BullMQ's event stream does not hear of these removals; its job counts are read from the lists
 * and sets, so they stay right.
 */

const JOB_KEYS = `
local waiting = 0
local function delJob(p, id)
  local k = p .. id
  local d = redis.call('HGET', k, 'data')
  if d and string.find(d, '"w":1', 1, true) then waiting = waiting + 1 end
  redis.call('DEL', k, k .. ':logs', k .. ':dependencies', k .. ':processed', k .. ':failed', k .. ':unsuccessful')
end
`;

// KEYS[1] = the queue's wait list: it routes the script to the queue's slot in Redis Cluster (the
// other keys share its hash tag and are built from the prefix, as BullMQ's own scripts do).

/**
 * ARGV[1] = queue key prefix ("<prefix>:<queue>:"), ARGV[2..] = job ids. Returns {removed, of them
 * waiting for their sending window} (jobs whose data has w = 1: the campaign's counter drops by it).
 */
const REMOVE_SORTED = `${JOB_KEYS}
local p = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', p .. 'prioritized', id) + redis.call('ZREM', p .. 'delayed', id) > 0 then
    delJob(p, id)
    n = n + 1
  end
end
return {n, waiting}
`;

/**
 * ARGV[1] = queue key prefix, ARGV[2] = campaign id, ARGV[3] = list name (wait), ARGV[4] = first
 * index, ARGV[5] = page size. Returns {removed, entries read, of the removed waiting for their window}.
 */
const SWEEP_WAIT = `${JOB_KEYS}
local p = ARGV[1]
local key = p .. ARGV[3]
local start = tonumber(ARGV[4])
local ids = redis.call('LRANGE', key, start, start + tonumber(ARGV[5]) - 1)
local c = ARGV[2] .. '-'
local mark = '\\0wabulk-removed'
local removed = 0
for i, id in ipairs(ids) do
  if string.sub(id, 1, #c) == c then
    local rest = string.sub(id, #c + 1)
    if string.match(rest, '^%d+$') or string.match(rest, '^%d+%-r%d+$') then
      redis.call('LSET', key, start + i - 1, mark)
      delJob(p, id)
      removed = removed + 1
    end
  end
end
if removed > 0 then redis.call('LREM', key, removed, mark) end
return {removed, #ids, waiting}
`;

interface CampaignJobCommands {
  wabulkRemoveSorted(waitKey: string, ...argv: string[]): Promise<[number, number]>;
  wabulkSweepWait(waitKey: string, ...argv: string[]): Promise<[number, number, number]>;
}

const CAMPAIGN_JOB_SCRIPTS = {
  wabulkRemoveSorted: { numberOfKeys: 1, lua: REMOVE_SORTED },
  wabulkSweepWait: { numberOfKeys: 1, lua: SWEEP_WAIT },
};

const scripted = (redis: RedisClient) => withScripts<CampaignJobCommands>(redis, CAMPAIGN_JOB_SCRIPTS);

/** Jobs removed, and how many of them were waiting for their sending window. */
export interface Removed {
  jobs: number;
  waiting: number;
}

/** The prioritized or delayed jobs among `ids` (any generation), removed. */
export async function removeSortedJobs(redis: RedisClient, queue: Queue, ids: readonly string[]): Promise<Removed> {
  if (ids.length === 0) return { jobs: 0, waiting: 0 };
  const [jobs, waiting] = await scripted(redis).wabulkRemoveSorted(queue.toKey('wait'), queue.toKey(''), ...ids);
  return { jobs, waiting };
}

/** Every job of the campaign in the queue's wait list, removed a page at a time. */
export async function sweepWaitList(redis: RedisClient, queue: Queue, campaignId: string, pageSize = 1000): Promise<Removed> {
  const r = scripted(redis);
  const prefix = queue.toKey('');
  const removed = { jobs: 0, waiting: 0 };
  let start = 0;
  for (;;) {
    const [gone, read, waiting] = await r.wabulkSweepWait(queue.toKey('wait'), prefix, campaignId, 'wait', String(start), String(pageSize));
    removed.jobs += gone;
    removed.waiting += waiting;
    if (read < pageSize) return removed;
    start += read - gone;
  }
}
