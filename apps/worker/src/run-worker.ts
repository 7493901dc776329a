import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { loadAccounts, parseEnv, workerEnvSchema } from '@wabulk/config';
import { createLogger, createMetrics } from '@wabulk/telemetry';
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
  const running = await startWorker({
    redisUrl: config.REDIS_URL,
    redisClusterNodes: config.REDIS_CLUSTER_NODES,
    base: config.WABULK_KEY_PREFIX,
    accounts,
    concurrency: config.WORKER_CONCURRENCY,
    ratePerSecond: config.WABULK_RATE_PER_SECOND,
    retryDelaysMs: config.WABULK_RETRY_DELAYS_MS,
    lockDurationMs: config.WABULK_LOCK_DURATION_MS,
    stalledIntervalMs: config.WABULK_STALLED_INTERVAL_MS,
    logger,
    metrics,
  });
  let health: Server | undefined;
  if (config.METRICS_PORT > 0) {
    health = await startHealthServer({ port: config.METRICS_PORT, ready: running.ready, registry });
    logger.info({ port: config.METRICS_PORT }, 'health and metrics: /healthz /readyz /metrics');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight sends');
    const force = setTimeout(() => {
      logger.error({ timeoutMs: config.WABULK_SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
      process.exit(1);
    }, config.WABULK_SHUTDOWN_TIMEOUT_MS);
    force.unref();
    await running.close();
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
