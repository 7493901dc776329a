import type { Metrics } from './metrics.js';

/** The `reason` values of `wabulk_possible_duplicates_total` (the worker's send processor sets them). */
export const POSSIBLE_DUPLICATE_REASONS = ['ambiguous-timeout', 'stalled-rerun'] as const;

/**
 * The code of a job that failed on errors that are not Kaleyra answers (Redis refusing commands, a
 * corrupt campaign, a bug), or that BullMQ failed outside the worker's decision: in the ledger and
 * in the `code` label of the failed and retried counters.
 */
export const WORKER_ERROR_CODE = 'WORKER_ERROR';

/** The `outcome` values of `wabulk_send_duration_seconds`: sent, each KaleyraError kind, or error. */
export const SEND_OUTCOMES = ['sent', 'message', 'retryable', 'ambiguous', 'throttled', 'account', 'error'] as const;

/**
 * What a worker process reports for an account it serves as soon as it starts: the configured rate
 * limit and concurrency, and the series an alert or a rate() must see from their first increment,
 * created at 0. A labelled counter is born at its first increment, and a series born at 60 (sixty
 * WA400 answers between two scrapes) shows no increase at all to rate(), increase() or the alerts.
 * Known label values only: Kaleyra's documented codes (WA202; WA400, WA500; E110), WORKER_ERROR and closed sets.
 */
export function initAccountMetrics(metrics: Metrics, account: string, config: { ratePerSecond: number; concurrency: number }): void {
  metrics.rateLimit.set({ account }, config.ratePerSecond);
  metrics.concurrency.set({ account }, config.concurrency);
  metrics.sent.inc({ account, code: 'WA202' }, 0);
  for (const code of ['WA400', 'WA500', WORKER_ERROR_CODE]) metrics.failed.inc({ account, code }, 0);
  metrics.retried.inc({ account, code: 'WA500' }, 0);
  metrics.throttleHoldCapped.inc({ account }, 0);
  for (const code of ['HTTP_404', 'other']) metrics.breakerTrips.inc({ account, code }, 0);
  metrics.requeued.inc({ account, code: 'E110' }, 0);
  for (const reason of POSSIBLE_DUPLICATE_REASONS) metrics.possibleDuplicates.inc({ account, reason }, 0);
  metrics.skippedAlreadySent.inc({ account }, 0);
  metrics.suppressed.inc({ account }, 0);
  metrics.windowHeld.inc({ account }, 0);
  for (const code of ['NETWORK', 'TIMEOUT']) metrics.kaleyraUnreachable.inc({ account, code }, 0);
  for (const outcome of SEND_OUTCOMES) metrics.sendDuration.zero({ account, outcome });
}
