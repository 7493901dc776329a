import { Registry } from 'prom-client';
import { apiEnvSchema, configuredAccountIds, parseEnv } from '@wabulk/config';
import { connectRedis, waitForReady, type CountryCode } from '@wabulk/queue';
import { createLogger, handleShutdownSignals } from '@wabulk/telemetry';
import { buildApi } from './build-api.js';

/**
 * `wabulk api`, wired in one place: env → logger → Redis → fastify → listen → signals. SIGTERM/SIGINT:
 * stop accepting, let in-flight requests finish (an upload included), close queues and Redis, exit 0.
 * A second signal exits at once.
 */
export async function runApi(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = parseEnv(apiEnvSchema, env);
  const configuredAccounts = configuredAccountIds(env);
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'wabulk-api' });
  // Not enableAutoPipelining: it doubled the rate of POST /v1/messages in a load test, then broke
  // under concurrent custom Lua commands ("results[i] is not iterable", ioredis issue #1931).
  const redis = connectRedis({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES }, 'producer');
  try {
    await waitForReady(redis, 5000);
  } catch (err) {
    // Serve anyway: /readyz says 503 and calls answer 503 until Redis is back.
    logger.warn({ err: { message: (err as Error).message } }, 'Redis not reachable yet: serving, /readyz reports it');
  }
  const app = await buildApi({
    redis,
    base: config.WABULK_KEY_PREFIX,
    tokens: config.WABULK_API_TOKENS,
    logger,
    registry: new Registry(),
    defaultAccount: config.WABULK_ACCOUNT,
    configuredAccounts,
    singleMessageTtlSeconds: config.WABULK_MESSAGE_TTL_S,
    defaultCountry: config.WABULK_DEFAULT_COUNTRY as CountryCode | undefined,
    bodyLimit: config.API_BODY_LIMIT_BYTES,
    uploadLimit: config.API_UPLOAD_LIMIT_BYTES,
    callbackAuth: { secret: config.WABULK_CALLBACK_SECRET, basic: config.WABULK_CALLBACK_BASIC_AUTH },
    idempotencyTtlSeconds: config.WABULK_IDEMPOTENCY_TTL_S,
    idempotencyMaxKeys: config.WABULK_IDEMPOTENCY_MAX_KEYS,
    pendingCallbackTtlSeconds: config.WABULK_CALLBACK_PENDING_TTL_S,
  });
  await app.listen({ port: config.API_PORT, host: config.API_HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  logger.info({ port, host: config.API_HOST, tokens: config.WABULK_API_TOKENS.length, callbacks: Boolean(config.WABULK_CALLBACK_SECRET || config.WABULK_CALLBACK_BASIC_AUTH) }, 'api listening');

  handleShutdownSignals({
    logger,
    timeoutMs: config.WABULK_SHUTDOWN_TIMEOUT_MS,
    what: 'in-flight requests',
    close: async () => {
      await app.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  });
}
