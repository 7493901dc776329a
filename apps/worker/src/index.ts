export { runWorker } from './run-worker.js';
export { startWorker, limiterFor, type RunningWorker, type StartWorkerOptions } from './start-worker.js';
export { createSendProcessor, retryBackoff, type SendOutcome, type SendProcessorDeps } from './send-processor.js';
export { startHealthServer } from './health-server.js';
