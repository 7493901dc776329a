import { Worker, type Job } from 'bullmq';
import { ConfigError, type AccountConfig } from '@wabulk/config';
import { createKaleyraClient, type KaleyraClient } from '@wabulk/kaleyra';
import { startArchiveLoop, type PgArchive } from '@wabulk/archive';
import { checkRedisReadiness, connectRedis, createQueueContext, JOB_ATTEMPTS_CEILING, KEEP_FINISHED_JOBS, getAccountState, queueLimiterKey, queueName, queuePrefix, registerAccounts, startScheduler, type QueueContext, type SendJobData } from '@wabulk/queue';
import { codeLabel, initAccountMetrics, WORKER_ERROR_CODE, type Logger, type Metrics } from '@wabulk/telemetry';
import { createSendProcessor, sendBackoff, type SendOutcome } from './send-processor.js';
import { createAdmission, type Admission } from './admission.js';
import { DEFAULT_WORKER_ERROR_POLICY, describeError, type WorkerErrorPolicy } from './worker-errors.js';
import { watchRedis } from './redis-watch.js';

export interface StartWorkerOptions {
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: a Redis Cluster instead of redisUrl. */
  redisClusterNodes?: readonly string[];
  /** Key prefix (tests use a unique one). Default "wabulk". */
  base?: string;
  accounts: AccountConfig[];
  concurrency: number;
  ratePerSecond: number;
  retryDelaysMs: readonly number[];
  /** Errors that are not Kaleyra answers: attempts and first delay (default 5, 1 s; see worker-errors.ts). */
  workerErrors?: WorkerErrorPolicy;
  /** The longest a 429 holds an account's queue (default 60 s). */
  maxThrottleHoldMs?: number;
  /** WABULK_BREAKER_THRESHOLD: same-code unlisted failures in a row that pause the account (default 20; 0 = off). */
  breakerThreshold?: number;
  /** BullMQ lockDuration / stalledInterval (default 30 s each): how soon a dead worker's jobs are re-run. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  logger: Logger;
  metrics: Metrics;
  /**
   * WABULK_REDIS_COMMAND_TIMEOUT_MS: a PING unanswered this long makes the worker not ready (/readyz
   * 503, wabulk_worker_redis_up 0); see redis-watch.ts. Default 2000.
   */
  redisDeadlineMs?: number;
  /** How often due scheduled campaigns are looked for (default 1 s). */
  schedulerIntervalMs?: number;
  /**
   * The campaign archive (WABULK_ARCHIVE_URL): finished campaigns move there `afterMs` after they
   * finished (WABULK_ARCHIVE_AFTER), checked every `intervalMs`. The store is the caller's to close.
   */
  archive?: { store: PgArchive; afterMs: number; intervalMs?: number; quietMs?: number };
  /** KALEYRA_CONNECT_TIMEOUT_MS / KALEYRA_HEADERS_TIMEOUT_MS / KALEYRA_BODY_TIMEOUT_MS (the client's defaults: 5 s, 30 s, 30 s). */
  kaleyraTimeouts?: { connectTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number };
  /** How sends keep to the rate (default 'paced'; 'windows' = before issue 15, for benchmarks). */
  rateLimit?: RateLimitMode;
  /** Injected send client per account (benchmarks, tests); default: a KaleyraClient. */
  createClient?: (account: AccountConfig) => Pick<KaleyraClient, 'sendText' | 'close'>;
}

export interface RunningWorker {
  ctx: QueueContext;
  workers: Map<string, Worker<SendJobData, SendOutcome>>;
  /** True while Redis answers and every account's worker runs. */
  ready(): boolean;
  /** ready(), and when not, why (for /readyz's body). */
  readiness(): { ready: boolean; reason?: string };
  /** Stops taking jobs, lets in-flight sends finish and be recorded, then closes connections. */
  close(): Promise<void>;
}

/**
 * How an account's sends keep to its rate (benchmarks compare the two):
 *   paced    (default) BullMQ's limiter takes jobs a little faster than the rate (limiterFor) and each
 *            send waits for its slot, one every (1000 + ADMISSION_MARGIN_MS) / rate ms across every
 *            worker process (admission.ts): at most the rate in any sliding second.
 *   windows  BullMQ's limiter alone, windowsLimiterFor (before issue 15): a sliding second can touch
 *            eleven of its windows (measured 88 at 80/s across 3 processes).
 */
export type RateLimitMode = 'paced' | 'windows';

/**
 * BullMQ's limiter under the pacing: whole jobs per window, at or a little above the rate, so that
 * the pacing (admission.ts), not this, is what binds: ceil(rate / 10) per 100 ms; under 10/s one
 * job per 1000 / rate ms (rounded down). It counts job starts in windows that begin at the first
 * start, so alone it lets a sliding second hold one window more than the rate.
 */
export function limiterFor(ratePerSecond: number) {
  if (ratePerSecond >= 10) return { max: Math.ceil(ratePerSecond / 10), duration: 100 };
  return { max: 1, duration: Math.max(1, Math.floor(1000 / ratePerSecond)) };
}

/** Extra length of every ~100 ms window of windowsLimiterFor: room for the spread of request arrivals. */
export const LIMITER_SLACK_MS = 2;

/**
 * The limiter before issue 15 (RateLimitMode 'windows', kept for benchmarks): BullMQ's fixed windows
 * alone, rate / 10 starts per 102 ms. At most ten windows start in a second, but a sliding second can
 * touch eleven (measured: 88 at 80/s across three worker processes, with 429s).
 */
export function windowsLimiterFor(ratePerSecond: number) {
  if (ratePerSecond >= 10) {
    return { max: Math.floor(ratePerSecond / 10), duration: 100 + LIMITER_SLACK_MS };
  }
  return { max: 1, duration: Math.ceil(1000 / ratePerSecond) };
}

/** One BullMQ Worker per account queue, sharing one Redis connection for commands. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { logger, metrics } = options;
  const workerErrors = options.workerErrors ?? DEFAULT_WORKER_ERROR_POLICY;
  // Each job carries BullMQ's ceiling of attempts: both budgets together must fit under it.
  if (options.retryDelaysMs.length + workerErrors.attempts > JOB_ATTEMPTS_CEILING) {
    throw new ConfigError(`invalid configuration: WABULK_RETRY_DELAYS_MS entries + WABULK_WORKER_ERROR_ATTEMPTS must be at most ${JOB_ATTEMPTS_CEILING}`);
  }
  const redis = connectRedis({ url: options.redisUrl, clusterNodes: options.redisClusterNodes }, 'worker');
  const ctx = createQueueContext({ redis, base: options.base, archive: options.archive?.store });
  // A Redis that holds the connection open and answers nothing (a partition) is seen here, not by ioredis.
  metrics.workerRedisUp.set(1);
  const redisWatch = watchRedis(redis, {
    deadlineMs: options.redisDeadlineMs,
    onChange: (up, reason) => {
      metrics.workerRedisUp.set(up ? 1 : 0);
      if (up) logger.info('Redis answers again: ready');
      else {
        metrics.workerRedisLost.inc();
        logger.warn({ reason }, 'Redis does not answer: not ready (/readyz 503) until it does');
      }
    },
  });
  const workers = new Map<string, Worker<SendJobData, SendOutcome>>();
  const clients: Array<Pick<KaleyraClient, 'close'>> = [];

  for (const account of options.accounts) {
    const rate = account.ratePerSecond ?? options.ratePerSecond;
    const client = options.createClient?.(account) ?? createKaleyraClient({ ...account, connections: Math.max(options.concurrency, 1), ...options.kaleyraTimeouts });
    clients.push(client);
    const log = logger.child({ account: account.id });
    let worker: Worker<SendJobData, SendOutcome> | undefined;
    const processor = createSendProcessor({
      account: account.id, ctx, client, retryDelaysMs: options.retryDelaysMs, workerErrors, maxThrottleHoldMs: options.maxThrottleHoldMs, breakerThreshold: options.breakerThreshold, logger: log, metrics, worker: () => worker!,
    });
    const paced = (options.rateLimit ?? 'paced') === 'paced';
    // The slot is taken before the processor runs, so that its pre-send checks (pause, cancel,
    // suppression) are read after the wait, just before the send, as they always were.
    let admission: Admission | undefined;
    let admissionWarnedAt = 0;
    worker = new Worker<SendJobData, SendOutcome>(queueName(account.id), async (job, token) => {
      await admission?.admit();
      return processor(job, token);
    }, {
      connection: redis,
      prefix: queuePrefix(ctx.base, account.id),
      concurrency: options.concurrency,
      limiter: paced ? limiterFor(rate) : windowsLimiterFor(rate),
      settings: { backoffStrategy: sendBackoff(options.retryDelaysMs, workerErrors) },
      // A job whose worker died is re-run (the ledger stops a second send once a message_id is
      // recorded); only a job that keeps killing workers is given up, and recorded as failed.
      maxStalledCount: 5,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      ...KEEP_FINISHED_JOBS,
      autorun: false,
    });
    if (paced) {
      admission = createAdmission({
        redis, base: ctx.base, account: account.id, ratePerSecond: rate,
        limiterKey: queueLimiterKey(ctx.base, account.id),
        onError: (err) => {
          // Once per 10 s at most: in a Redis outage every job would say it.
          if (Date.now() - admissionWarnedAt < 10_000) return;
          admissionWarnedAt = Date.now();
          log.warn({ err: { message: err.message } }, 'could not reserve a send slot; sending under the queue limiter alone');
        },
      });
    }
    worker.on('error', (err) => log.error({ err: { message: err.message, name: err.name } }, 'worker error'));
    worker.on('failed', (job, err) => void recordFailedOutsideProcessor(ctx, job, err, log, (code) => metrics.failed.inc({ account: account.id, code: codeLabel(code) })));
    initAccountMetrics(metrics, account.id, { ratePerSecond: rate, concurrency: options.concurrency });
    workers.set(account.id, worker);
    void worker.run().catch((err: Error) => log.error({ err: { message: err.message } }, 'worker stopped'));
    log.info({ queue: queueName(account.id), concurrency: options.concurrency, ratePerSecond: rate }, 'worker started');
  }

  // The accounts this process serves become known to every intake (the producer refuses others).
  // Not awaited: the worker's connection waits for Redis, and starting must not.
  const rates = Object.fromEntries(options.accounts.map((a) => [a.id, a.ratePerSecond ?? options.ratePerSecond]));
  void registerAccounts(ctx, options.accounts.map((a) => a.id), 'worker', Date.now(), rates).catch((err: Error) =>
    logger.warn({ err: { message: err.message } }, 'could not register the accounts in Redis; intake may refuse them until an operator adds them'),
  );

  // Scheduled campaigns start from every worker process (a claim makes one of them do each).
  const scheduler = startScheduler(ctx, {
    intervalMs: options.schedulerIntervalMs,
    onStart: (campaignId, jobs) => logger.info({ campaignId, jobs }, 'scheduled campaign started'),
    onError: (err) => logger.warn({ err: { message: err.message } }, 'could not start scheduled campaigns; will try again'),
  });

  // Finished campaigns move to PostgreSQL from every worker process (a claim makes one of them do each).
  const archiveLoop = options.archive
    ? startArchiveLoop(ctx, options.archive.store, {
        afterMs: options.archive.afterMs,
        intervalMs: options.archive.intervalMs,
        quietMs: options.archive.quietMs,
        logger,
        metrics: { up: metrics.archiveUp, campaigns: metrics.archiveCampaigns, rows: metrics.archiveRows, backlog: metrics.archiveBacklog, overdue: metrics.archiveOverdue, retrying: metrics.archiveRetrying },
      })
    : undefined;

  let closed = false;
  // A Redis Cluster is ready only while CLUSTER INFO says ok (no failing slot) and every primary answers
  // (redis-readiness.ts): checked every 2 s for /readyz, one check at a time (a worker's commands wait for Redis).
  let clusterReady = !redis.isCluster;
  let checking = false;
  const checkCluster = () => {
    if (checking || closed) return;
    checking = true;
    void checkRedisReadiness(redis)
      .then((r) => (clusterReady = r.ready))
      .finally(() => (checking = false));
  };
  const clusterTimer = redis.isCluster ? setInterval(checkCluster, 2000) : undefined;
  clusterTimer?.unref();
  if (redis.isCluster) checkCluster();
  // Queue depth, pause state (whoever paused it) and liveness of each account, read at scrape time.
  const stopObserving = metrics.observeAccounts({
    accounts: options.accounts.map((a) => a.id),
    readState: (account) => getAccountState(ctx, account),
    isRunning: (account) => !closed && (workers.get(account)?.isRunning() ?? false),
  });
  function readiness(): { ready: boolean; reason?: string } {
    if (closed) return { ready: false, reason: 'shutting down' };
    const problem = redisWatch.problem();
    if (problem !== undefined) return { ready: false, reason: problem };
    if (redis.status !== 'ready') return { ready: false, reason: `Redis connection is ${redis.status}` };
    if (!clusterReady) return { ready: false, reason: 'Redis Cluster is not ok (CLUSTER INFO, or a primary does not answer)' };
    const stopped = [...workers].filter(([, w]) => !w.isRunning()).map(([account]) => account);
    if (stopped.length > 0) return { ready: false, reason: `no worker runs for ${stopped.join(', ')}` };
    return { ready: true };
  }
  return {
    ctx,
    workers,
    ready: () => readiness().ready,
    readiness,
    async close() {
      if (closed) return;
      closed = true;
      redisWatch.stop();
      clearInterval(clusterTimer);
      stopObserving();
      await scheduler.stop();
      // The archive loop stops taking campaigns now, but a run in progress (a large campaign's final
      // transaction) is awaited only after the in-flight sends: they come first within the shutdown
      // timeout, and an archive cut short resumes on the next start.
      const archiveStopped = archiveLoop?.stop();
      await Promise.all([...workers.values()].map((w) => w.close()));
      await Promise.all(clients.map((c) => c.close()));
      await archiveStopped;
      await ctx.queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * BullMQ can fail a job without our processor deciding it (a job that stalled too often, bad
 * data): the ledger still must not keep the recipient pending for ever.
 */
async function recordFailedOutsideProcessor(ctx: QueueContext, job: Job<SendJobData> | undefined, err: Error, log: Logger, countFailed: (code: string) => void) {
  if (!job?.data?.c || !job.data.to) return;
  try {
    // BullMQ emits 'failed' for every failed attempt, retried or not: only a job that ended failed counts.
    if ((await job.getState()) !== 'failed') return;
    const entry = await ctx.ledger.get(job.data.c, job.data.to);
    if (entry?.status !== 'pending') return;
    // A job that stalled more than maxStalledCount times carries BullMQ's deferred failure; it is failed on its next pick-up.
    const code = job.deferredFailure ? 'STALLED' : WORKER_ERROR_CODE;
    const kept = await ctx.ledger.record(job.data.c, job.data.to, { status: 'failed', code, reason: describeError(err), attempts: job.attemptsMade, updatedAt: Date.now() });
    if (kept.status === 'failed') countFailed(code);
    log.warn({ jobId: job.id, code }, 'job failed outside the send decision: recorded as failed');
  } catch (e) {
    log.error({ jobId: job.id, err: { message: (e as Error).message } }, 'could not record a failed job');
  }
}
