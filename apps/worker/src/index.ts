export { runWorker } from './run-worker.js';
export { startWorker, limiterFor, windowsLimiterFor, type RateLimitMode, type RunningWorker, type StartWorkerOptions } from './start-worker.js';
export { BREAKER_RECHECK_MS, createBreaker, createSendProcessor, retryBackoff, sendBackoff, type SendOutcome, type SendProcessorDeps } from './send-processor.js';
export { DEFAULT_WORKER_ERROR_POLICY, WORKER_ERROR_MAX_DELAY_MS, describeError, isWorkerError, workerErrorDelay, type WorkerErrorPolicy } from './worker-errors.js';
export { DEFAULT_MAX_THROTTLE_HOLD_MS, throttleHold } from './throttle-hold.js';
export { startHealthServer } from './health-server.js';
export { ADMISSION_AHEAD_MS, ADMISSION_BATCH_MS, ADMISSION_MARGIN_MS, ADMISSION_STALE_MS, admissionBatch, admissionIntervalMs, admissionKey, createAdmission, type Admission } from './admission.js';
