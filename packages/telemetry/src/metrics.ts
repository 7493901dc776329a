import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Every wabulk metric, registered on the registry given (no module-level metric objects, so each
 * test and each process builds its own). Labels are bounded: account and Kaleyra code, never a
 * phone number, a message text or a campaign id.
 */
export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}) {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'wabulk_' });
  const registers = [registry];
  return {
    registry,
    sent: new Counter({ name: 'wabulk_messages_sent_total', help: 'Messages Kaleyra accepted (202), by account and code', labelNames: ['account', 'code'] as const, registers }),
    failed: new Counter({ name: 'wabulk_messages_failed_total', help: 'Messages that ended failed, by account and Kaleyra code', labelNames: ['account', 'code'] as const, registers }),
    retried: new Counter({ name: 'wabulk_messages_retried_total', help: 'Send attempts that will be retried, by account and code', labelNames: ['account', 'code'] as const, registers }),
    requeued: new Counter({ name: 'wabulk_messages_requeued_total', help: 'Jobs put back without using an attempt (account pause, 429), by account and code', labelNames: ['account', 'code'] as const, registers }),
    skippedAlreadySent: new Counter({ name: 'wabulk_messages_skipped_already_sent_total', help: 'Jobs that found a message_id already recorded and completed without sending', labelNames: ['account'] as const, registers }),
    possibleDuplicates: new Counter({ name: 'wabulk_possible_duplicates_total', help: 'Sends that may have reached Kaleyra twice: ambiguous timeouts and re-runs of stalled jobs', labelNames: ['account', 'reason'] as const, registers }),
    sendDuration: new Histogram({ name: 'wabulk_send_duration_seconds', help: 'Duration of the Kaleyra send call, by account and outcome', labelNames: ['account', 'outcome'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
    enqueued: new Counter({ name: 'wabulk_recipients_enqueued_total', help: 'Recipients accepted and queued, by account', labelNames: ['account'] as const, registers }),
    rejected: new Counter({ name: 'wabulk_recipients_rejected_total', help: 'Recipients rejected at intake, by account and reason', labelNames: ['account', 'reason'] as const, registers }),
    accountPaused: new Gauge({ name: 'wabulk_account_paused', help: '1 while an account is paused, labelled with the reason (E110, RBC001, manual, …)', labelNames: ['account', 'reason'] as const, registers }),
    rateLimit: new Gauge({ name: 'wabulk_rate_limit_per_second', help: 'Configured send rate limit per account', labelNames: ['account'] as const, registers }),
    concurrency: new Gauge({ name: 'wabulk_worker_concurrency', help: 'Configured worker concurrency per account queue in this process', labelNames: ['account'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
