import { CampaignConflictError, type CampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { sendJobData } from './job.js';
import { campaignKeys, jobIdFor } from './keys.js';
import { REGISTER } from './ledger-scripts.js';
import { packRefs, type RecipientRefs, type RecipientStatus } from './ledger.js';
import { jobOptions } from './priority.js';
import { withScripts } from './scripts.js';
import { suppressedAmong } from './suppression.js';

/**
 * A single message (enqueueText without a campaign id, to start now, high priority, no window: an
 * OTP, a notification) in three round trips instead of five, with the same writes and answers:
 *
 *   1. the suppression lists (both HMGETs at once, as suppressedAmong always did);
 *   2. one script on the campaign's slot: its meta, its TTL once done and the pending entries
 *      (ensureCampaign + expireWhenDone + ledger.register of the general path: all keys of the
 *      campaign share its hash tag, so this holds on a Redis Cluster too);
 *   3. the jobs: Queue.add for one recipient (one EVALSHA, no pipeline), addBulk for more.
 *
 * Nothing is written for a message whose every recipient is listed; the answer is given once the
 * jobs are in Redis. A failure at any step fails the call (the API answers 503 on a Redis refusal).
 */

/**
 * KEYS: recipients, counts, state (REGISTER's), meta, archived. ARGV: REGISTER's (now, to, x, …), then
 * ttl, meta JSON, retry ('1': the campaign may exist from an earlier attempt of this same message).
 */
const INTAKE = `
local retry = table.remove(ARGV)
local meta = table.remove(ARGV)
local ttl = table.remove(ARGV)
if redis.call('EXISTS', KEYS[5]) == 1 then return {'archived'} end
local stored = redis.call('GET', KEYS[4])
if stored then
  if retry ~= '1' then return {'exists'} end
  -- An earlier attempt of this very message made it: the same account, text and preview, or it is not ours.
  local a, b = cjson.decode(stored), cjson.decode(meta)
  if a.account ~= b.account or a.body ~= b.body or a.previewUrl ~= b.previewUrl then return {'exists'} end
else
  redis.call('SET', KEYS[4], meta)
  redis.call('HSET', KEYS[2], 'ttl', ttl)
end
${REGISTER}`;

interface IntakeCommands {
  wabulkSingleIntake(recipients: string, counts: string, state: string, meta: string, archived: string, ...argv: string[]): Promise<string[]>;
}

export interface SingleIntakeRow {
  to: string;
  refs?: RecipientRefs;
  vars?: readonly string[];
}

export interface SingleIntakeRequest {
  account: string;
  campaignId: string;
  meta: CampaignMeta;
  ttlSeconds: number;
  /** Distinct valid numbers of the message. */
  rows: readonly SingleIntakeRow[];
  /**
   * The campaign id is private to this message and may exist from an earlier attempt whose outcome
   * was unknown (EnqueueTextOptions.retryKey): its recipients count as accepted, the pending ones'
   * jobs are added again (same ids: a no-op for those already queued).
   */
  retry?: boolean;
}

export interface SingleIntakeResult {
  /** Numbers a suppression list holds (nothing written for them). */
  suppressed: string[];
  /** Recipients registered and queued. */
  accepted: number;
  /** Numbers the ledger already held. */
  duplicates: number;
}

export async function enqueueSingleMessage(ctx: QueueContext, request: SingleIntakeRequest): Promise<SingleIntakeResult> {
  const { account, campaignId, meta, ttlSeconds } = request;
  const listed = await suppressedAmong(ctx, account, request.rows.map((r) => r.to));
  const rows = listed.size === 0 ? request.rows : request.rows.filter((r) => !listed.has(r.to));
  const result: SingleIntakeResult = { suppressed: [...listed], accepted: 0, duplicates: 0 };
  if (rows.length === 0) return result;

  const k = campaignKeys(ctx.base, campaignId);
  const argv: string[] = [String(Date.now())];
  for (const row of rows) {
    const x = packRefs(row.refs, row.vars);
    argv.push(row.to, x ? JSON.stringify(x) : '');
  }
  argv.push(String(ttlSeconds), JSON.stringify(meta), request.retry ? '1' : '0');
  const redis = withScripts<IntakeCommands>(ctx.redis, { wabulkSingleIntake: { numberOfKeys: 5, lua: INTAKE } });
  const [state, ...known] = await redis.wabulkSingleIntake(k.recipients, k.counts, k.state, k.meta, k.archived, ...argv);
  // A new random id that exists already (never in practice) is refused rather than mixed with another message.
  if (state === 'exists') throw new CampaignConflictError(`campaign ${campaignId} already exists; use a new campaign id`);
  if (state === 'archived' || state === 'archiving') throw new CampaignConflictError(`campaign ${campaignId} is finished and archived; use a new campaign id`);

  const queued: SingleIntakeRow[] = [];
  // As the general path: a scheduled or paused campaign's recipients get their jobs when it starts or resumes.
  const queues = state !== 'scheduled' && state !== 'paused';
  // REGISTER answers only the numbers it already held: (1-based row, status) pairs; the rest are new.
  const statuses = Array.from<unknown, 'new' | RecipientStatus>({ length: rows.length }, () => 'new');
  for (let j = 0; j + 1 < known.length; j += 2) statuses[Number(known[j]) - 1] = known[j + 1] as RecipientStatus;
  for (let i = 0; i < rows.length; i++) {
    const status = statuses[i]!;
    if (status === 'new' || request.retry) result.accepted++;
    else result.duplicates++;
    if (queues && (status === 'new' || status === 'pending')) queued.push(rows[i]!);
  }
  const jobs = queued.map(({ to, refs, vars }) => ({ name: 'send', data: sendJobData(campaignId, to, refs, vars), opts: jobOptions(jobIdFor(campaignId, to), undefined) }));
  const queue = ctx.queues.get(account);
  if (jobs.length === 1) await queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
  else if (jobs.length > 1) await queue.addBulk(jobs);
  return result;
}
