import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { KaleyraError, type KaleyraClient } from '@wabulk/kaleyra';
import { pauseAccount, recordMessageId, sendJobSchema, type QueueContext, type SendJobData } from '@wabulk/queue';
import type { Logger, Metrics } from '@wabulk/telemetry';
import { createCampaignCache } from './campaign-cache.js';

export interface SendProcessorDeps {
  account: string;
  ctx: QueueContext;
  client: Pick<KaleyraClient, 'sendText'>;
  /** WABULK_RETRY_DELAYS_MS: one retry per entry, then the job fails with the last code. */
  retryDelaysMs: readonly number[];
  logger: Logger;
  metrics: Metrics;
  /** The worker running this processor (for 429: hold the whole queue). */
  worker: () => Worker;
}

export type SendOutcome = { messageId: string; code: string; skipped?: 'already-sent' };

/**
 * The worker's decision table (DESIGN.md), one Kaleyra answer at a time:
 *   202                       → ledger sent + message_id, message_id index, then the job completes
 *   retryable (WA500, 5xx, refused) → retried on the schedule, then ledger failed with the last code
 *   ambiguous (timeout after write) → the same, counted as a possible duplicate
 *   throttled (429, 130429)   → whole queue held for Retry-After, job back without using an attempt
 *   account (E110, RBC001, WA401, WA-401, WAV2101) → account paused on every host, job back without an attempt
 *   message (WA400, other 4xx) → ledger failed at once
 * A job that finds a message_id already recorded (a stalled re-run) completes without sending.
 */
export function createSendProcessor(deps: SendProcessorDeps) {
  const { account, ctx, client, retryDelaysMs, metrics } = deps;
  const campaignMeta = createCampaignCache(ctx);

  return async function processSend(job: Job<SendJobData>, token?: string): Promise<SendOutcome> {
    const parsed = sendJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: data does not match the send job schema`);
    const { c: campaignId, to } = parsed.data;
    // The child logger (and its redaction setup) is built only when a job has something to say.
    let child: Logger | undefined;
    const log = () => (child ??= deps.logger.child({ account, campaignId, jobId: job.id }));

    // Anything but a first, clean start may follow a send whose outcome we never saw.
    if (job.attemptsStarted > 1 || job.attemptsMade > 0) {
      const entry = await ctx.ledger.get(campaignId, to);
      if (entry?.messageId) {
        // The index may be what the crash interrupted: writing it again is harmless.
        await recordMessageId(ctx, entry.messageId, { campaignId, to });
        metrics.skippedAlreadySent.inc({ account });
        log().info({ messageId: entry.messageId }, 'message_id already recorded: completing without sending');
        return { messageId: entry.messageId, code: entry.code ?? 'WA202', skipped: 'already-sent' };
      }
      if (job.attemptsStarted > job.attemptsMade + 1) metrics.possibleDuplicates.inc({ account, reason: 'stalled-rerun' });
    }

    const meta = await campaignMeta(campaignId);
    if (!meta) throw new UnrecoverableError(`campaign ${campaignId} has no meta: it was deleted`);
    const attempt = job.attemptsMade + 1;
    const startedAt = Date.now();
    const timer = metrics.sendDuration.startTimer({ account });
    try {
      const res = await client.sendText({
        to,
        body: meta.body,
        previewUrl: meta.previewUrl,
        ref: parsed.data.r ?? meta.ref,
        ref1: parsed.data.r1 ?? meta.ref1,
        ref2: parsed.data.r2 ?? meta.ref2,
      });
      timer({ outcome: 'sent' });
      // Recorded before the job completes: a crash from here on re-runs the job, which then finds it.
      const kept = await ctx.ledger.record(campaignId, to, { status: 'sent', messageId: res.messageId, code: res.code, attempts: attempt, updatedAt: Date.now() });
      metrics.sent.inc({ account, code: res.code });
      // message_id → recipient for delivery callbacks; applies any that came before this point. A
      // failure here fails the attempt: the re-run finds the message_id recorded and writes the index.
      const early = await recordMessageId(ctx, res.messageId, { campaignId, to });
      if (early > 0) log().debug({ messageId: res.messageId, applied: early }, 'applied delivery callbacks that arrived before the send was recorded');
      return { messageId: kept.messageId ?? res.messageId, code: res.code };
    } catch (err) {
      if (!(err instanceof KaleyraError)) {
        timer({ outcome: 'error' });
        throw err; // Redis or programming errors: BullMQ retries on the schedule.
      }
      timer({ outcome: err.kind });
      return handleKaleyraError(err, job, token, attempt, startedAt, log);
    }
  };

  async function handleKaleyraError(err: KaleyraError, job: Job<SendJobData>, token: string | undefined, attempt: number, startedAt: number, log: () => Logger): Promise<never> {
    const { c: campaignId, to } = job.data;
    const failWith = async (reason: string) => {
      await ctx.ledger.record(campaignId, to, { status: 'failed', code: err.code, reason, attempts: attempt, updatedAt: Date.now() });
      metrics.failed.inc({ account, code: err.code });
      throw new UnrecoverableError(`${err.code}: ${reason}`);
    };
    switch (err.kind) {
      case 'account': {
        const paused = await pauseAccount(ctx, account, err.code, { message: err.message, requestStartedAt: startedAt });
        if (paused) log().warn({ code: err.code, reason: err.message }, `account paused: ${err.code}`);
        metrics.requeued.inc({ account, code: err.code });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      case 'throttled': {
        const holdMs = Math.max(err.retryAfterMs ?? 1000, 100);
        metrics.requeued.inc({ account, code: err.code });
        log().warn({ code: err.code, holdMs }, 'throttled: holding the queue');
        await deps.worker().rateLimit(holdMs);
        throw Worker.RateLimitError();
      }
      case 'message':
        return failWith(err.message);
      case 'ambiguous':
      case 'retryable': {
        if (err.kind === 'ambiguous') metrics.possibleDuplicates.inc({ account, reason: 'ambiguous-timeout' });
        if (attempt > retryDelaysMs.length) return failWith(`${err.message} (after ${attempt} attempts)`);
        metrics.retried.inc({ account, code: err.code });
        log().info({ code: err.code, attempt }, 'send failed: will retry');
        throw err;
      }
    }
  }
}

/** BullMQ backoffStrategy for the `wabulk` backoff type: the n-th retry waits delays[n-1]. */
export function retryBackoff(delaysMs: readonly number[]) {
  return (attemptsMade: number) => delaysMs[Math.min(attemptsMade, delaysMs.length) - 1] ?? delaysMs.at(-1) ?? 0;
}
