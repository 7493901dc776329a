import { RATE_LIMIT_ERROR, UnrecoverableError, type Job } from 'bullmq';
import { KaleyraError } from '@wabulk/kaleyra';
import type { QueueContext, SendJobData } from '@wabulk/queue';
import { codeLabel, maskDigits, WORKER_ERROR_CODE, type Logger, type Metrics } from '@wabulk/telemetry';

/**
 * Worker errors: anything thrown while sending that is not a Kaleyra answer — Redis refusing a
 * command (OOM, READONLY during a failover, a script error), a corrupt campaign meta, a bug. They
 * get a budget of their own, apart from Kaleyra's retry schedule (WABULK_RETRY_DELAYS_MS, which
 * they neither use nor shorten):
 *   - WABULK_WORKER_ERROR_ATTEMPTS (default 5) attempts end in such an error, then the job fails;
 *   - between them, WABULK_WORKER_ERROR_DELAY_MS (default 1 s) doubling, at most 30 s
 *     (defaults: 1, 2, 4, 8 s — about 15 s from the first error to the failure);
 *   - the ledger records the recipient failed, code WORKER_ERROR, with the error's name and message
 *     (digit runs masked to their last 4, URL credentials removed, at most 200 characters), so the
 *     campaign finishes; `wabulk retry-failed --codes WORKER_ERROR` sends them again after the fix.
 * The count lives in the job (`we`), so it survives restarts. A Redis that is down (not refusing)
 * makes ioredis wait instead of erroring: outages stall jobs, they do not burn this budget.
 */
export interface WorkerErrorPolicy {
  attempts: number;
  firstDelayMs: number;
}

export const DEFAULT_WORKER_ERROR_POLICY: WorkerErrorPolicy = { attempts: 5, firstDelayMs: 1000 };
export const WORKER_ERROR_MAX_DELAY_MS = 30_000;

/** BullMQ's own control-flow errors (thrown on purpose by the processor) are not worker errors. */
const BULLMQ_CONTROL = new Set(['UnrecoverableError', 'WaitingError', 'DelayedError', 'RateLimitError', 'WaitingChildrenError']);

export function isWorkerError(err: unknown): boolean {
  if (err instanceof KaleyraError) return false;
  if (!(err instanceof Error)) return true;
  return !BULLMQ_CONTROL.has(err.name) && err.message !== RATE_LIMIT_ERROR;
}

/** The delay after the n-th worker error (n ≥ 1). */
export function workerErrorDelay(policy: WorkerErrorPolicy, n: number): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.max(n - 1, 0), Math.max(WORKER_ERROR_MAX_DELAY_MS, policy.firstDelayMs));
}

/** What the ledger and the logs keep of an error: no phone numbers, no URL credentials, bounded. */
export function describeError(err: unknown): string {
  const text = !(err instanceof Error) ? `thrown: ${String(err)}` : err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return maskDigits(text.replace(/\/\/[^/\s@]*@/g, '//***@')).slice(0, 200);
}

export interface WorkerErrorDeps {
  account: string;
  ctx: QueueContext;
  metrics: Metrics;
  policy: WorkerErrorPolicy;
}

/**
 * Counts a worker error against the job's budget. Below it: rethrows for BullMQ to retry after the
 * policy's delay. At it: records the recipient failed (WORKER_ERROR) and fails the job for good.
 * If that record itself fails, the error goes back to BullMQ and the next attempt records it
 * (JOB_ATTEMPTS_CEILING bounds even that; the worker's 'failed' handler is the last resort).
 */
export async function handleWorkerError(deps: WorkerErrorDeps, job: Job<SendJobData>, err: unknown, log: () => Logger): Promise<never> {
  const { account, ctx, metrics, policy } = deps;
  const error = err instanceof Error ? err : new Error(describeError(err));
  const count = (job.data.we ?? 0) + 1;
  const reason = describeError(error);
  if (count >= policy.attempts) {
    const { c: campaignId, to } = job.data;
    const kept = await ctx.ledger.record(campaignId, to, { status: 'failed', code: WORKER_ERROR_CODE, reason: `${reason} (after ${count} worker errors)`, attempts: job.attemptsMade + 1, updatedAt: Date.now() });
    // The ledger never moves a sent recipient back to failed (the send itself went through).
    if (kept.status === 'failed') metrics.failed.inc({ account, code: codeLabel(WORKER_ERROR_CODE) });
    log().error({ code: WORKER_ERROR_CODE, reason, workerErrors: count, status: kept.status }, 'worker error: attempts used up, job failed');
    throw new UnrecoverableError(`${WORKER_ERROR_CODE}: ${reason}`);
  }
  try {
    await job.updateData({ ...job.data, we: count });
  } catch (e) {
    // The retry still gets the short delay (the backoff reads the count from this job object);
    // the next attempt re-reads the old count and may get one more try.
    log().warn({ reason: describeError(e) }, 'worker error: could not save the count');
  }
  metrics.retried.inc({ account, code: codeLabel(WORKER_ERROR_CODE) });
  log().warn({ code: WORKER_ERROR_CODE, reason, workerErrors: count, delayMs: workerErrorDelay(policy, count) }, 'worker error: will retry');
  throw error;
}
