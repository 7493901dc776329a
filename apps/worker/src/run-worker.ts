import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { loadAccounts, parseEnv, workerEnvSchema } from '@wabulk/config';
import { openArchive } from '@wabulk/archive';
import { createLogger, createMetrics, handleShutdownSignals } from '@wabulk/telemetry';
import { startHealthServer } from './health-server.js';
import { startWorker } from './start-worker.js';

/**
 * The sending process, wired in one place: env → logger → metrics → Redis → clients → Workers →
 * health server → signals. SIGTERM/SIGINT: stop taking jobs, let in-flight sends finish and be
 * recorded (nothing is left to stall), close connections, exit 0. A second signal exits at once.
 */
export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = parseEnv(workerEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'wabulk-worker' });
  const accounts = loadAccounts(config);
  const registry = new Registry();
  const metrics = createMetrics(registry);
  // The archive is optional and never holds sending up: a PostgreSQL that is down at start only
  // delays archiving; one with a newer schema than this build stops the process (SchemaMismatchError).
  const store = config.WABULK_ARCHIVE_URL ? await openArchive(config.WABULK_ARCHIVE_URL, logger) : undefined;
  const running = await startWorker({
    archive: store ? { store, afterMs: config.WABULK_ARCHIVE_AFTER, intervalMs: config.WABULK_ARCHIVE_INTERVAL_MS, quietMs: config.WABULK_ARCHIVE_QUIET_MS } : undefined,
    redisUrl: config.REDIS_URL,
    redisClusterNodes: config.REDIS_CLUSTER_NODES,
    base: config.WABULK_KEY_PREFIX,
    accounts,
    concurrency: config.WORKER_CONCURRENCY,
    ratePerSecond: config.WABULK_RATE_PER_SECOND,
    retryDelaysMs: config.WABULK_RETRY_DELAYS_MS,
    workerErrors: { attempts: config.WABULK_WORKER_ERROR_ATTEMPTS, firstDelayMs: config.WABULK_WORKER_ERROR_DELAY_MS },
    maxThrottleHoldMs: config.WABULK_MAX_THROTTLE_HOLD_MS,
    breakerThreshold: config.WABULK_BREAKER_THRESHOLD,
    lockDurationMs: config.WABULK_LOCK_DURATION_MS,
    stalledIntervalMs: config.WABULK_STALLED_INTERVAL_MS,
    redisDeadlineMs: config.WABULK_REDIS_COMMAND_TIMEOUT_MS,
    kaleyraTimeouts: { connectTimeoutMs: config.KALEYRA_CONNECT_TIMEOUT_MS, headersTimeoutMs: config.KALEYRA_HEADERS_TIMEOUT_MS, bodyTimeoutMs: config.KALEYRA_BODY_TIMEOUT_MS },
    logger,
    metrics,
  });
  let health: Server | undefined;
  if (config.METRICS_PORT > 0) {
    health = await startHealthServer({ port: config.METRICS_PORT, ready: () => running.readiness(), registry });
    logger.info({ port: config.METRICS_PORT }, 'health and metrics: /healthz /readyz /metrics');
  }

  handleShutdownSignals({
    logger,
    timeoutMs: config.WABULK_SHUTDOWN_TIMEOUT_MS,
    what: 'in-flight sends',
    close: async () => {
      await running.close();
      await store?.close();
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    },
  });
}
