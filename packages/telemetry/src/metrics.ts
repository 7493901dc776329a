import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createAccountCollector, PAUSE_REASONS, type AccountGauges, type AccountObservation } from './account-collector.js';
import { registerDefaultMetrics } from './default-metrics.js';

/** Buckets of the send-call histogram: Kaleyra answers in 100–500 ms; the alert looks at p95 > 2 s. */
export const SEND_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every wabulk metric, registered on the registry given (no module-level metric objects, so each
 * test and each process builds its own), plus Node's process metrics unless `defaultMetrics: false`.
 * Labels are bounded: account, Kaleyra code (always through `codeLabel`), outcome, reason, state; never a phone number, a
 * message text or a campaign id (campaign progress lives in the ledger).
 *
 * Queue depth, the paused state and worker liveness are read at scrape time: call
 * `observeAccounts(...)` once the process knows its accounts (see account-collector.ts).
 */
export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}) {
  if (options.defaultMetrics !== false) registerDefaultMetrics(registry);
  const registers = [registry];
  const collector = createAccountCollector(() => gauges);
  const collect = () => collector.collect();

  const gauges: AccountGauges = {
    queueJobs: new Gauge({ name: 'wabulk_queue_jobs', help: 'Jobs in the account queue by state (waiting, prioritized, active, delayed, paused, failed), read from Redis at scrape time', labelNames: ['account', 'state'] as const, registers, collect }),
    accountPaused: new Gauge({ name: 'wabulk_account_paused', help: `1 while the account is paused for this reason (${PAUSE_REASONS.join(', ')}), else 0; read from Redis at scrape time`, labelNames: ['account', 'reason'] as const, registers, collect }),
    workerRunning: new Gauge({ name: 'wabulk_worker_running', help: '1 while this process runs a BullMQ worker for the account', labelNames: ['account'] as const, registers, collect }),
    stateErrors: new Counter({ name: 'wabulk_account_state_errors_total', help: 'Scrape-time reads of account state that failed or timed out (queue depth and paused gauges left out)', registers }),
  };

  return {
    registry,
    sent: new Counter({ name: 'wabulk_messages_sent_total', help: 'Messages Kaleyra accepted (202), by account and code', labelNames: ['account', 'code'] as const, registers }),
    failed: new Counter({ name: 'wabulk_messages_failed_total', help: 'Messages that ended failed, by account and Kaleyra code', labelNames: ['account', 'code'] as const, registers }),
    retried: new Counter({ name: 'wabulk_messages_retried_total', help: 'Send attempts that will be retried, by account and code', labelNames: ['account', 'code'] as const, registers }),
    requeued: new Counter({ name: 'wabulk_messages_requeued_total', help: 'Jobs put back without using an attempt (account pause, 429), by account and code', labelNames: ['account', 'code'] as const, registers }),
    skippedAlreadySent: new Counter({ name: 'wabulk_messages_skipped_already_sent_total', help: 'Jobs that found a message_id already recorded and completed without sending', labelNames: ['account'] as const, registers }),
    breakerTrips: new Counter({ name: 'wabulk_breaker_trips_total', help: 'Times the breaker paused the account: the last WABULK_BREAKER_THRESHOLD sends that ended were all failures with the same code the Kaleyra page does not list (code label bounded)', labelNames: ['account', 'code'] as const, registers }),
    throttleHoldCapped: new Counter({ name: 'wabulk_throttle_hold_capped_total', help: 'Throttled answers (429) whose Retry-After was above WABULK_MAX_THROTTLE_HOLD_MS: the queue was held for the cap instead', labelNames: ['account'] as const, registers }),
    suppressed: new Counter({ name: 'wabulk_messages_suppressed_total', help: 'Queued recipients not sent because a suppression list held them at send time (recorded cancelled, reason suppressed)', labelNames: ['account'] as const, registers }),
    windowHeld: new Counter({ name: 'wabulk_window_holds_total', help: 'Jobs picked outside their recipient\'s sending window and put back until it opens', labelNames: ['account'] as const, registers }),
    possibleDuplicates: new Counter({ name: 'wabulk_possible_duplicates_total', help: 'Sends that may have reached Kaleyra twice: ambiguous timeouts and re-runs of stalled jobs', labelNames: ['account', 'reason'] as const, registers }),
    sendDuration: new Histogram({ name: 'wabulk_send_duration_seconds', help: 'Duration of the Kaleyra send call, by account and outcome', labelNames: ['account', 'outcome'] as const, buckets: SEND_DURATION_BUCKETS, registers }),
    archiveUp: new Gauge({ name: 'wabulk_archive_up', help: 'Archiver: 1 when its last contact with PostgreSQL (WABULK_ARCHIVE_URL) succeeded, 0 while it cannot reach it or the schema does not match (archiving waits; sending is unaffected)', registers }),
    archiveCampaigns: new Counter({ name: 'wabulk_archive_campaigns_total', help: 'Campaigns this worker moved to the archive (archived) or failed to (failed: tried again later)', labelNames: ['outcome'] as const, registers }),
    archiveRows: new Counter({ name: 'wabulk_archive_rows_total', help: 'Recipients this worker moved to the archive', registers }),
    archiveBacklog: new Gauge({ name: 'wabulk_archive_backlog', help: 'Finished campaigns past WABULK_ARCHIVE_AFTER still in Redis (waiting to be archived, or for a retry after a failure)', registers }),
    archiveOverdue: new Gauge({ name: 'wabulk_archive_overdue_seconds', help: 'How long past its due time the oldest campaign waiting to be archived is (0: none overdue; campaigns waiting for a retry after a failure are not counted here, see wabulk_archive_retrying)', registers }),
    archiveRetrying: new Gauge({ name: 'wabulk_archive_retrying', help: 'Finished campaigns whose archive failed (PostgreSQL refused their data), waiting for their retry: 10 min after the first failure, doubling up to 6 h; their ids are in the workers\' error log', registers }),
    kaleyraUnreachable: new Counter({ name: 'wabulk_kaleyra_unreachable_total', help: 'Sends that never reached Kaleyra (its name does not resolve, the connection is refused or times out): the account queue was held and the job went back without using an attempt', labelNames: ['account', 'code'] as const, registers }),
    workerRedisUp: new Gauge({ name: 'wabulk_worker_redis_up', help: "Worker: 1 while its Redis answers a PING within WABULK_REDIS_COMMAND_TIMEOUT_MS, 0 while it does not (a partition, a Redis that is down or stuck): /readyz answers 503 and no send starts", registers }),
    workerRedisLost: new Counter({ name: 'wabulk_worker_redis_lost_total', help: 'Worker: times its Redis stopped answering (wabulk_worker_redis_up went to 0)', registers }),
    enqueued: new Counter({ name: 'wabulk_recipients_enqueued_total', help: 'Recipients accepted and queued, by account', labelNames: ['account'] as const, registers }),
    rejected: new Counter({ name: 'wabulk_recipients_rejected_total', help: 'Recipients rejected at intake, by account and reason', labelNames: ['account', 'reason'] as const, registers }),
    rateLimit: new Gauge({ name: 'wabulk_rate_limit_per_second', help: 'Configured send rate limit per account (global across workers)', labelNames: ['account'] as const, registers }),
    concurrency: new Gauge({ name: 'wabulk_worker_concurrency', help: 'Configured worker concurrency per account queue in this process', labelNames: ['account'] as const, registers }),
    ...gauges,
    /** Reports these accounts' queue depth, pause state and worker liveness at every scrape; returns a stop function. */
    observeAccounts: (next: AccountObservation) => collector.observe(next),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
