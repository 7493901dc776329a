import type { CampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { sendJobData } from './job.js';
import { campaignKeys, jobIdFor } from './keys.js';
import type { RecipientRefs } from './ledger.js';
import { allocatePriorities, jobOptions, priorityOf } from './priority.js';
import { nextOpening, parseWindow, zoneOf, type SendWindow } from './send-window.js';

/** A recipient to queue: its number and, when it has any, its own refs and placeholder values. */
export interface QueuedRecipient {
  to: string;
  refs?: RecipientRefs;
  vars?: readonly string[];
}

const windows = new Map<string, SendWindow>();
/** A campaign's window, parsed once per text (meta never changes). */
export function windowOf(meta: CampaignMeta): SendWindow | undefined {
  if (meta.window === undefined) return undefined;
  let w = windows.get(meta.window);
  if (!w) {
    w = parseWindow(meta.window);
    if (windows.size > 1000) windows.clear();
    windows.set(meta.window, w);
  }
  return w;
}

/**
 * The one place recipients become jobs (the import, a scheduled start, resume, retry-failed): each
 * job carries the recipient's refs and values, gets its campaign's fair-share priority, and, when
 * the campaign has a sending window that is closed for the recipient now, waits as a delayed job
 * until it opens in the recipient's zone (no attempt used; counted in the campaign's `window`
 * counter until a worker picks it up).
 */
export async function queueRecipients(
  ctx: QueueContext,
  campaignId: string,
  meta: CampaignMeta,
  rows: readonly QueuedRecipient[],
  options: { generation?: number; keepCursor?: boolean; now?: number } = {},
): Promise<{ jobs: number; waiting: number }> {
  if (rows.length === 0) return { jobs: 0, waiting: 0 };
  const queue = ctx.queues.get(meta.account);
  const priorities = await allocatePriorities(ctx.redis, queue, ctx.base, meta.account, campaignId, priorityOf(meta), rows.length, options.keepCursor ?? true);
  const window = windowOf(meta);
  const now = options.now ?? Date.now();
  let waiting = 0;
  const jobs = rows.map(({ to, refs, vars }, i) => {
    const data = sendJobData(campaignId, to, refs, vars);
    const opts: ReturnType<typeof jobOptions> & { delay?: number } = jobOptions(jobIdFor(campaignId, to, options.generation), priorities?.[i]);
    if (window) {
      const opensAt = nextOpening(window, zoneOf(to, meta.tz), now);
      if (opensAt > now) {
        data.w = 1;
        opts.delay = opensAt - now;
        waiting++;
      }
    }
    return { name: 'send', data, opts };
  });
  // Counted before the jobs exist: a worker that picks one up at once never takes the count below zero.
  if (waiting > 0) await ctx.redis.hincrby(campaignKeys(ctx.base, campaignId).counts, WINDOW_COUNTER, waiting);
  await queue.addBulk(jobs);
  return { jobs: jobs.length, waiting };
}

/** The counts field of recipients whose job waits for its sending window. */
export const WINDOW_COUNTER = 'window';
