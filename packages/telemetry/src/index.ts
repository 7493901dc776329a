export { createLogger, type Logger, type LoggerSettings } from './logger.js';
export { maskDigits, maskPhone } from './mask.js';
export { createMetrics, SEND_DURATION_BUCKETS, type Metrics } from './metrics.js';
export { initAccountMetrics, POSSIBLE_DUPLICATE_REASONS, SEND_OUTCOMES, WORKER_ERROR_CODE } from './account-metrics.js';
export { PAUSE_REASONS, QUEUE_STATES, type AccountObservation, type AccountStateReading } from './account-collector.js';
export { registerDefaultMetrics } from './default-metrics.js';
export { handleShutdownSignals } from './graceful-shutdown.js';
export { BREAKER_PREFIX, BREAKER_REASON_LABELS, CODE_LABELS, codeLabel, pauseReasonLabel, type CodeLabel } from './code-label.js';
