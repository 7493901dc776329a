import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { accountPauseReason, isUnlistedAnswer, KaleyraError, type KaleyraClient } from '@wabulk/kaleyra';
import { campaignKeys, queueLimiterKey, DEFAULT_BREAKER_THRESHOLD, locateCampaign, nextOpening, pauseAccount, recordBreakerOutcome, recordMessageId, recordSentMessage, renderTemplate, sendChecks, SUPPRESSED, windowOf, WINDOW_COUNTER, zoneOf, type QueueContext, type SendJobData } from '@wabulk/queue';
import { BREAKER_PREFIX, codeLabel, type Logger, type Metrics } from '@wabulk/telemetry';
import { createCampaignCache } from './campaign-cache.js';
import { readSendJob } from './job-check.js';
import { DEFAULT_MAX_THROTTLE_HOLD_MS, throttleHold } from './throttle-hold.js';
import { DEFAULT_WORKER_ERROR_POLICY, handleWorkerError, isWorkerError, workerErrorDelay, type WorkerErrorPolicy } from './worker-errors.js';

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
  /** WABULK_WORKER_ERROR_ATTEMPTS / _DELAY_MS: the budget of errors that are not Kaleyra answers (worker-errors.ts). */
  workerErrors?: WorkerErrorPolicy;
  /** WABULK_MAX_THROTTLE_HOLD_MS: the longest a 429's Retry-After holds the queue (default 60 s). */
  maxThrottleHoldMs?: number;
  /** WABULK_BREAKER_THRESHOLD: same-code unlisted failures in a row that pause the account (default 20; 0 = off). */
  breakerThreshold?: number;
}

/**
 * How long a process trusts its own "no failure run exists" belief before the next success checks
 * again (one reset call). Another process's failures are invisible to this one until then.
 */
export const BREAKER_RECHECK_MS = 1000;

/** The first hold of the queue when Kaleyra cannot be reached (nothing sent); it doubles while that lasts, up to the max. */
export const UNREACHABLE_FIRST_HOLD_MS = 1000;
export const UNREACHABLE_MAX_HOLD_MS = 30_000;

/** KEYS[1] the queue's BullMQ limiter key; ARGV[1] ms. Sets the hold unless a longer one is on. */
const HOLD_AT_LEAST = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '9007199254740991', 'PX', ARGV[1])
end
return 1`;

export type SendOutcome = { messageId: string; code: string; skipped?: 'already-sent' | 'campaign-paused' | 'campaign-cancelled' | 'campaign-archived' | 'suppressed' };

/**
 * The worker's decision table (docs/architecture.md, "The worker's decision table"), one Kaleyra
 * answer at a time:
 *   202                       → ledger sent + message_id, message_id index, then the job completes
 *   retryable (WA500, 5xx)     → retried on the schedule, then ledger failed with the last code
 *   unreachable (nothing sent: DNS, refused, connect timeout) → queue held 1 s doubling to 30 s, job back without an attempt
 *   ambiguous (timeout after write) → the same, counted as a possible duplicate
 *   throttled (429, 130429)   → whole queue held for Retry-After, job back without using an attempt
 *   account (E110, RBC001, WA401, WA-401, WAV2101 — whatever the status, 429 included —, any other
 *           401/403) → account paused on every host (reason the code, or HTTP_401/HTTP_403), job back without an attempt
 *   message (WA400, other 4xx) → ledger failed at once; the breaker (below) counts unlisted ones
 * The breaker: when the last WABULK_BREAKER_THRESHOLD sends that ended (across every worker) all
 * failed with the same code the page does not list (a new 400 code, a 404 from a wrong base URL),
 * the account is paused, reason BREAKER:<code>; those failures stay failed with their code, and one
 * answered after the trip goes back to the queue without an attempt (see breaker below).
 * Anything else thrown (Redis, a corrupt campaign, a bug) is a worker error: a few quick retries of
 * its own, then ledger failed WORKER_ERROR (worker-errors.ts).
 * A job that finds a message_id already recorded (a stalled re-run) completes without sending.
 * A job of a campaign an operator paused completes without sending (the recipient stays pending:
 * resume adds it again); of a cancelled one, it is recorded cancelled (campaign-control.ts).
 * A recipient on a suppression list (listed after it was queued) is recorded cancelled, reason
 * `suppressed`. Outside its sending window (its local time, send-window.ts) a job goes back to the
 * delayed set until the window opens, without using an attempt. The text is rendered from the
 * campaign's template and the job's values just before the send (template.ts).
 */
/** Job ids of a retry-failed or resume generation end in `-r<n>` (jobIdFor). */
const LATER_GENERATION = /-r\d+$/;

export function createSendProcessor(deps: SendProcessorDeps) {
  const { account, ctx, client, retryDelaysMs, metrics } = deps;
  const maxThrottleHoldMs = deps.maxThrottleHoldMs ?? DEFAULT_MAX_THROTTLE_HOLD_MS;
  const workerErrors = { account, ctx, metrics, policy: deps.workerErrors ?? DEFAULT_WORKER_ERROR_POLICY };
  const campaignMeta = createCampaignCache(ctx);
  const breaker = createBreaker(deps);
  // Holds in a row (this process, this account) for sends that never reached Kaleyra (DNS, refused,
  // connect timeout), and when the current one ends: the sends in flight together count as one.
  let unreachableRun = 0;
  let unreachableUntil = 0;

  return async function processSend(job: Job<SendJobData>, token?: string): Promise<SendOutcome> {
    const data = readSendJob(job.data);
    if (!data) throw new UnrecoverableError(`job ${job.id}: data does not match the send job schema`);
    // The child logger (and its redaction setup) is built only when a job has something to say.
    let child: Logger | undefined;
    const log = () => (child ??= deps.logger.child({ account, campaignId: data.c, jobId: job.id }));
    try {
      return await sendOnce(job, data, token, log);
    } catch (err) {
      if (!isWorkerError(err)) throw err;
      return handleWorkerError(workerErrors, job, err, log);
    }
  };

  async function sendOnce(job: Job<SendJobData>, data: SendJobData, token: string | undefined, log: () => Logger): Promise<SendOutcome> {
    const { c: campaignId, to } = data;
    // Anything but a first, clean start may follow a send whose outcome we never saw; a job of a
    // later generation (retry-failed, resume) may have a twin from an earlier one that sent.
    if (job.attemptsStarted > 1 || job.attemptsMade > 0 || LATER_GENERATION.test(job.id ?? '')) {
      const entry = await ctx.ledger.get(campaignId, to);
      if (entry?.messageId) {
        // The index may be what the crash interrupted: writing it again is harmless.
        await recordMessageId(ctx, entry.messageId, { campaignId, to });
        await leaveWindowCount(job);
        metrics.skippedAlreadySent.inc({ account });
        log().info({ messageId: entry.messageId }, 'message_id already recorded: completing without sending');
        return { messageId: entry.messageId, code: entry.code ?? 'WA202', skipped: 'already-sent' };
      }
      await countStalls(job);
    }

    const meta = await campaignMeta(campaignId);
    if (!meta) {
      // A job left over from a campaign that finished and moved to the archive: nothing to send, and
      // nothing to record (its ledger is in PostgreSQL now; a record here would start a new one).
      if ((await locateCampaign(ctx, campaignId))?.where === 'archive') return archivedSkip(job, log);
      throw new UnrecoverableError(`campaign ${campaignId} has no meta: it was deleted`);
    }
    // Read for every job, just before its send (never cached), together with the suppression lists
    // (one script on a single Redis): once pause or cancel has returned, or a number is listed, no
    // send of it starts.
    const { state: control, suppressed } = await sendChecks(ctx, campaignId, meta.account, to);
    // A scheduled campaign has no jobs until it starts; one found anyway waits like a paused one.
    // A job that ends here without reaching holdForWindow leaves the window counter itself (it may
    // have waited for its window; the sweeps of pause and cancel uncount only the jobs they remove).
    if (control === 'paused' || control === 'scheduled') {
      await leaveWindowCount(job);
      return { messageId: '', code: 'PAUSED', skipped: 'campaign-paused' };
    }
    if (control === 'archived') return archivedSkip(job, log);
    if (control === 'cancelled') {
      await leaveWindowCount(job);
      await ctx.ledger.record(campaignId, to, { status: 'cancelled', reason: 'cancelled by an operator', attempts: job.attemptsMade, updatedAt: Date.now() });
      return { messageId: '', code: 'CANCELLED', skipped: 'campaign-cancelled' };
    }
    if (suppressed) {
      await leaveWindowCount(job);
      await ctx.ledger.record(campaignId, to, { status: 'cancelled', code: 'SUPPRESSED', reason: SUPPRESSED, attempts: job.attemptsMade, updatedAt: Date.now() });
      metrics.suppressed.inc({ account });
      return { messageId: '', code: 'SUPPRESSED', skipped: 'suppressed' };
    }
    const window = windowOf(meta);
    if (window) await holdForWindow(job, data, window, zoneOf(to, meta.tz), token);
    let body = meta.body;
    if (meta.template) {
      const rendered = renderTemplate(meta.template, data.v ?? []);
      // Checked at intake: a job that does not render is not ours to guess at.
      if (!rendered.ok) throw new UnrecoverableError(`job ${job.id}: ${rendered.reason}`);
      body = rendered.text;
    }
    const attempt = job.attemptsMade + 1;
    // Kaleyra's retry schedule counts only the attempts that met a Kaleyra answer.
    const kaleyraAttempt = attempt - (job.data.we ?? 0);
    const startedAt = Date.now();
    const timer = metrics.sendDuration.startTimer({ account });
    try {
      const res = await client.sendText({
        to,
        body,
        previewUrl: meta.previewUrl,
        ref: data.r ?? meta.ref,
        ref1: data.r1 ?? meta.ref1,
        ref2: data.r2 ?? meta.ref2,
      });
      timer({ outcome: 'sent' });
      // Recorded before the job completes: a crash from here on re-runs the job, which then finds it.
      // With it, the message_id → recipient index for delivery callbacks, applying any that came
      // before this point (one script on a single Redis; on a cluster the ledger's call, then the
      // index's: a failure between the two fails the attempt, and the re-run finds the message_id
      // recorded and writes the index). A single message's index lives as long as its ledger
      // (meta.ttl); a campaign's for 30 days. Nothing is indexed when the campaign is archived.
      const { early, ...kept } = await recordSentMessage(ctx, { campaignId, to }, { status: 'sent', messageId: res.messageId, code: res.code, attempts: attempt, updatedAt: Date.now() }, { ttlSeconds: meta.ttl });
      metrics.sent.inc({ account, code: codeLabel(res.code) });
      unreachableRun = unreachableUntil = 0;
      if (kept.status === 'archived') return await lateSend(campaignId, to, res, attempt, log);
      if (early > 0) log().debug({ messageId: res.messageId, applied: early }, 'applied delivery callbacks that arrived before the send was recorded');
      await breaker.ended(log);
      return { messageId: kept.messageId ?? res.messageId, code: res.code };
    } catch (err) {
      if (!(err instanceof KaleyraError)) {
        timer({ outcome: 'error' });
        throw err; // Redis or programming errors: a worker error (processSend).
      }
      timer({ outcome: err.kind });
      return handleKaleyraError(err, job, token, { attempt, kaleyraAttempt }, startedAt, log);
    }
  }

  /**
   * Outside the recipient's window: back to the delayed set until it opens (no attempt used), counted
   * in the campaign's `window` counter once (the job's `w`); inside it, a job that was counted stops being.
   */
  async function holdForWindow(job: Job<SendJobData>, data: SendJobData, window: NonNullable<ReturnType<typeof windowOf>>, zone: string, token: string | undefined): Promise<void> {
    const now = Date.now();
    // nextOpening is `now` itself while the window is open.
    const opensAt = nextOpening(window, zone, now);
    if (opensAt === now) return leaveWindowCount(job);
    if (data.w !== 1) {
      await job.updateData({ ...job.data, w: 1 });
      await ctx.redis.hincrby(campaignKeys(ctx.base, data.c).counts, WINDOW_COUNTER, 1);
    }
    metrics.windowHeld.inc({ account });
    await job.moveToDelayed(opensAt, token);
    throw new DelayedError();
  }

  /** A job counted as waiting for its window (`w`) that ends without being held or sent stops being counted. */
  /**
   * Kaleyra accepted a send whose campaign was archived meanwhile (cancelled with the request in
   * flight, then archived at once): the archived row takes the message_id (PostgreSQL's message_id
   * index then serves its callbacks). Without an archive here, or while it cannot answer, the send is
   * only logged, with its message_id: the archived row stays what it was (cancelled/failed).
   */
  async function lateSend(campaignId: string, to: string, res: { messageId: string; code: string }, attempt: number, log: () => Logger): Promise<SendOutcome> {
    try {
      const status = ctx.archive ? await ctx.archive.recordLateSend(campaignId, to, { messageId: res.messageId, code: res.code, attempts: attempt, at: Date.now() }) : 'no archive here';
      log().warn({ messageId: res.messageId, status }, 'sent after its campaign was archived: recorded in the archive');
    } catch (err) {
      log().error({ messageId: res.messageId, err: { message: (err as Error).message } }, 'sent after its campaign was archived, and the archive could not record it: its row keeps its earlier status');
    }
    return { messageId: res.messageId, code: res.code };
  }

  /** A job of an archived campaign completes unsent, with no ledger write (and no window count: its counters left with it). */
  function archivedSkip(job: Job<SendJobData>, log: () => Logger): SendOutcome {
    log().warn({ jobId: job.id }, 'job of an archived campaign: completing without sending');
    return { messageId: '', code: 'ARCHIVED', skipped: 'campaign-archived' };
  }

  async function leaveWindowCount(job: Job<SendJobData>): Promise<void> {
    if (job.data.w !== 1) return;
    await job.updateData({ ...job.data, w: 0 });
    await ctx.redis.hincrby(campaignKeys(ctx.base, job.data.c).counts, WINDOW_COUNTER, -1);
  }

  /**
   * A stalled re-run: the worker that ran this job before died (or lost its lock) with a send in
   * flight. BullMQ counts stalls in stalledCounter. attemptsStarted cannot tell them apart: it also
   * grows when a job goes back to the queue without using an attempt (429 hold, account pause).
   * The stalls already counted are kept in the job (`sc`), so a stalled job that is later held by
   * a 429 or a pause is not counted again when it restarts.
   */
  async function countStalls(job: Job<SendJobData>): Promise<void> {
    const stalls = job.stalledCounter - (job.data.sc ?? 0);
    if (stalls <= 0) return;
    // Written before counting: if the write fails, the attempt fails and its re-run counts instead.
    await job.updateData({ ...job.data, sc: job.stalledCounter });
    metrics.possibleDuplicates.inc({ account, reason: 'stalled-rerun' }, stalls);
  }

  async function handleKaleyraError(err: KaleyraError, job: Job<SendJobData>, token: string | undefined, attempts: { attempt: number; kaleyraAttempt: number }, startedAt: number, log: () => Logger): Promise<never> {
    const { attempt, kaleyraAttempt } = attempts;
    const { c: campaignId, to } = job.data;
    const label = codeLabel(err.code);
    const requeue = async (): Promise<never> => {
      metrics.requeued.inc({ account, code: label });
      await job.moveToWait(token);
      throw new WaitingError();
    };
    const failWith = async (reason: string) => {
      // The breaker sees every send that ends failed: an unlisted answer extends (or starts) a run,
      // any other failure ends the run like a success does.
      const run = isUnlistedAnswer(err) ? await breaker.failed(err.code, log) : (await breaker.ended(log), 0);
      // Past the threshold the account is (being) paused: a send answered after the trip goes back
      // to the queue without using an attempt, so at most the threshold's sends end failed.
      if (run > breaker.threshold) {
        await tripBreaker(err, run, startedAt, log, false);
        return requeue();
      }
      await ctx.ledger.record(campaignId, to, { status: 'failed', code: err.code, reason, attempts: attempt, updatedAt: Date.now() });
      metrics.failed.inc({ account, code: label });
      if (run === breaker.threshold && run > 0) await tripBreaker(err, run, startedAt, log, true);
      throw new UnrecoverableError(`${err.code}: ${reason}`);
    };
    // Nothing reached Kaleyra (its name does not resolve, the connection is refused or times out):
    // no attempt is used and nothing can be sent twice, so the account's queue is held and the job
    // goes back, as for a 429, for 1 s doubling to UNREACHABLE_MAX_HOLD_MS while it lasts. A network
    // fault never fails a recipient; wabulk_kaleyra_unreachable_total and an alert say it lasts.
    if (err.kind === 'retryable' && err.status === 0 && (err.code === 'NETWORK' || err.code === 'TIMEOUT')) {
      const now = Date.now();
      metrics.kaleyraUnreachable.inc({ account, code: label });
      metrics.requeued.inc({ account, code: label });
      if (now >= unreachableUntil) {
        unreachableRun += 1;
        const holdMs = Math.min(UNREACHABLE_FIRST_HOLD_MS * 2 ** Math.min(unreachableRun - 1, 16), UNREACHABLE_MAX_HOLD_MS);
        unreachableUntil = now + holdMs;
        if (unreachableRun === 1 || holdMs === UNREACHABLE_MAX_HOLD_MS) log().warn({ code: err.code, reason: err.message, holdMs, run: unreachableRun }, 'Kaleyra unreachable (nothing was sent): holding the queue');
      }
      await holdQueueAtLeast(unreachableUntil - now);
      throw Worker.RateLimitError();
    }
    unreachableRun = unreachableUntil = 0;
    switch (err.kind) {
      case 'account': {
        const reason = accountPauseReason(err.status, err.code);
        const paused = await pauseAccount(ctx, account, reason, { message: err.message, requestStartedAt: startedAt });
        if (paused) log().warn({ code: err.code, status: err.status, reason: err.message }, `account paused: ${reason}`);
        return requeue();
      }
      case 'throttled': {
        const { holdMs, capped } = throttleHold(err.retryAfterMs, maxThrottleHoldMs);
        metrics.requeued.inc({ account, code: label });
        if (capped) {
          // A Retry-After of hours would freeze the account without a word: hold for the cap, say so.
          metrics.throttleHoldCapped.inc({ account });
          log().warn({ code: err.code, retryAfterMs: err.retryAfterMs, holdMs }, 'throttled: Retry-After above WABULK_MAX_THROTTLE_HOLD_MS, holding the queue for the cap');
        } else {
          log().warn({ code: err.code, holdMs }, 'throttled: holding the queue');
        }
        await holdQueueAtLeast(holdMs);
        throw Worker.RateLimitError();
      }
      case 'message':
        return failWith(err.message);
      case 'ambiguous':
      case 'retryable': {
        if (err.kind === 'ambiguous') metrics.possibleDuplicates.inc({ account, reason: 'ambiguous-timeout' });
        if (kaleyraAttempt > retryDelaysMs.length) return failWith(`${err.message} (after ${kaleyraAttempt} attempts)`);
        metrics.retried.inc({ account, code: label });
        log().info({ code: err.code, attempt }, 'send failed: will retry');
        throw err;
      }
    }
  }

  /**
   * Holds the account's queue (BullMQ's limiter key at its maximum, as worker.rateLimit does) for at
   * least `ms`, never shortening a longer hold another send or process set: a 1 s "Kaleyra
   * unreachable" hold must not cut a 30 s Retry-After short, nor one process's short backoff
   * another's long one (the admission script follows the same rule).
   */
  async function holdQueueAtLeast(ms: number): Promise<void> {
    await ctx.redis.eval(HOLD_AT_LEAST, 1, queueLimiterKey(ctx.base, account), String(Math.max(1, Math.ceil(ms))));
  }

  /**
   * Pauses the account for the breaker (idempotent: the first pause's reason and message stay). The
   * send that made the run reach the threshold trips it (counted, logged); later ones only make sure.
   */
  async function tripBreaker(err: KaleyraError, run: number, startedAt: number, log: () => Logger, trips: boolean): Promise<void> {
    // The message names the threshold, not `run`: a send answered after the trip may get here first.
    const reason = `${BREAKER_PREFIX}${err.code}`;
    const message = `breaker: the last ${breaker.threshold} sends that ended failed with ${err.code} (HTTP ${err.status}), an answer Kaleyra's send page does not list; last: ${err.message}. `
      + `A 404 usually means a wrong base URL (KALEYRA_BASE_URL / KALEYRA_POD or the account's baseUrl); another code may be new at Kaleyra. `
      + `Fix the cause, then \`wabulk resume --account ${account}\`; \`wabulk retry-failed --campaign <id> --codes ${err.code}\` re-queues the sends that failed.`;
    const paused = await pauseAccount(ctx, account, reason, { message, requestStartedAt: startedAt });
    if (!paused || !trips) return;
    metrics.breakerTrips.inc({ account, code: codeLabel(err.code) });
    log().warn({ code: err.code, status: err.status, run, reason: err.message }, `account paused: ${reason}`);
  }
}

/**
 * The breaker's side in one worker process. The window lives in Redis (recordBreakerOutcome: one
 * script per call, shared by every process), but a success must not pay a Redis round trip each
 * time: the process remembers whether a failure run may exist (`runMayExist`), and a success calls
 * the script only then, or when that belief is older than BREAKER_RECHECK_MS (another process's
 * failures are not visible here). So while sends succeed, the cost is at most one small call per
 * second per account per process; every unlisted failure costs one call; any other ended failure
 * costs one only under the same rule as a success. Replies on the one connection arrive in the
 * order Redis ran the calls, so a failure counted after a reset leaves `runMayExist` true.
 *
 * The residual blind spot: a success in this process within BREAKER_RECHECK_MS of its last check
 * does not reset a run another process started meanwhile. A false trip needs the threshold's
 * unlisted failures (20 by default) inside that second, interleaved with successes, from one code.
 * A Redis error here never fails a send: it is logged, and the belief falls back to "may exist".
 */
export function createBreaker(deps: Pick<SendProcessorDeps, 'account' | 'ctx' | 'breakerThreshold'>, now: () => number = Date.now) {
  const threshold = deps.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD;
  let runMayExist = true;
  let checkedAt = -Infinity;
  return {
    threshold,
    /** A send ended other than by an unlisted failure (sent, or failed with a listed code): resets the run if one may exist. */
    async ended(log: () => Logger): Promise<void> {
      if (threshold === 0) return;
      const at = now();
      if (!runMayExist && at - checkedAt < BREAKER_RECHECK_MS) return;
      try {
        await recordBreakerOutcome(deps.ctx, deps.account, 'success');
        runMayExist = false;
        checkedAt = at;
      } catch (e) {
        runMayExist = true;
        log().warn({ err: { message: (e as Error).message } }, 'breaker: could not reset the failure run');
      }
    },
    /** A send ended failed with an unlisted code: the run's length after it (0 when off or Redis failed). */
    async failed(code: string, log: () => Logger): Promise<number> {
      if (threshold === 0) return 0;
      runMayExist = true;
      try {
        const run = await recordBreakerOutcome(deps.ctx, deps.account, { failedWith: code });
        runMayExist = true;
        return run;
      } catch (e) {
        log().warn({ err: { message: (e as Error).message } }, 'breaker: could not record a failure');
        return 0;
      }
    },
  };
}

/** The Kaleyra retry schedule: the n-th retry waits delays[n-1]. */
export function retryBackoff(delaysMs: readonly number[]) {
  return (attemptsMade: number) => delaysMs[Math.min(attemptsMade, delaysMs.length) - 1] ?? delaysMs.at(-1) ?? 0;
}

/**
 * BullMQ backoffStrategy for the `wabulk` backoff type: a worker error waits the worker-error
 * policy's delay; a Kaleyra answer waits its place in WABULK_RETRY_DELAYS_MS, counting only the
 * attempts that met Kaleyra (the job's `we` holds the others).
 */
export function sendBackoff(delaysMs: readonly number[], policy: WorkerErrorPolicy = DEFAULT_WORKER_ERROR_POLICY) {
  const kaleyra = retryBackoff(delaysMs);
  return (attemptsMade: number, _type?: string, err?: Error, job?: { data?: unknown }): number => {
    const workerErrors = (job?.data as Partial<SendJobData> | undefined)?.we ?? 0;
    if (err !== undefined && isWorkerError(err)) return workerErrorDelay(policy, Math.max(workerErrors, 1));
    return kaleyra(attemptsMade - workerErrors);
  };
}
