export { runWorker } from './run-worker.js';
export { startWorker, limiterFor, type RunningWorker, type StartWorkerOptions } from './start-worker.js';
export { createSendProcessor, retryBackoff, type SendOutcome, type SendProcessorDeps } from './send-processor.js';
export { DEFAULT_MAX_THROTTLE_HOLD_MS, throttleHold } from './throttle-hold.js';
export { startHealthServer } from './health-server.js';
