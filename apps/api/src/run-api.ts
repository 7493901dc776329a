import { Registry } from 'prom-client';
import { apiEnvSchema, configuredAccountIds, loadApiTokens, parseEnv } from '@wabulk/config';
import { waitForReady, type CountryCode } from '@wabulk/queue';
import { createLogger, handleShutdownSignals } from '@wabulk/telemetry';
import { openArchive } from '@wabulk/archive';
import { connectApiRedis } from './api-redis.js';
import { createBearerAuth } from './auth.js';
import { buildApi } from './build-api.js';

/**
 * `wabulk api`, wired in one place: env → logger → Redis → fastify → listen → signals. SIGTERM/SIGINT:
 * stop accepting, let in-flight requests finish (an upload included), close queues and Redis, exit 0.
 * A second signal exits at once.
 */
export async function runApi(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = parseEnv(apiEnvSchema, env);
  const configuredAccounts = configuredAccountIds(env);
  const tokens = loadApiTokens(config);
  const bearerAuth = createBearerAuth(tokens);
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'wabulk-api' });
  // Not enableAutoPipelining: it doubled the rate of POST /v1/messages in a load test, then broke
  // under concurrent custom Lua commands ("results[i] is not iterable", ioredis issue #1931). The
  // connection coalesces each turn's writes instead (connectApiRedis).
  const redis = connectApiRedis({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES, commandTimeoutMs: config.WABULK_REDIS_COMMAND_TIMEOUT_MS });
  try {
    await waitForReady(redis, 5000);
  } catch (err) {
    // Serve anyway: /readyz says 503 and calls answer 503 until Redis is back.
    logger.warn({ err: { message: (err as Error).message } }, 'Redis not reachable yet: serving, /readyz reports it');
  }
  let archive: Awaited<ReturnType<typeof openArchive>> | undefined;
  try {
    archive = config.WABULK_ARCHIVE_URL ? await openArchive(config.WABULK_ARCHIVE_URL, logger) : undefined;
  } catch (err) {
    // A newer schema than this build (SchemaMismatchError) stops the start: nothing may keep the
    // process alive after it, so the Redis connection goes too.
    redis.disconnect();
    throw err;
  }
  const app = await buildApi({
    archive,
    redis,
    base: config.WABULK_KEY_PREFIX,
    tokens,
    bearerAuth,
    logger,
    registry: new Registry(),
    defaultAccount: config.WABULK_ACCOUNT,
    configuredAccounts,
    singleMessageTtlSeconds: config.WABULK_MESSAGE_TTL_S,
    defaultCountry: config.WABULK_DEFAULT_COUNTRY as CountryCode | undefined,
    bodyLimit: config.API_BODY_LIMIT_BYTES,
    httpTimeouts: { headersMs: config.API_HEADERS_TIMEOUT_MS, idleMs: config.API_IDLE_TIMEOUT_MS, requestMs: config.API_REQUEST_TIMEOUT_MS, keepAliveMs: config.API_KEEP_ALIVE_TIMEOUT_MS },
    uploadLimit: config.API_UPLOAD_LIMIT_BYTES,
    callbackAuth: { secret: config.WABULK_CALLBACK_SECRET, basic: config.WABULK_CALLBACK_BASIC_AUTH },
    idempotencyTtlSeconds: config.WABULK_IDEMPOTENCY_TTL_S,
    idempotencyMaxKeys: config.WABULK_IDEMPOTENCY_MAX_KEYS,
    pendingCallbackTtlSeconds: config.WABULK_CALLBACK_PENDING_TTL_S,
  });
  await app.listen({ port: config.API_PORT, host: config.API_HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  logger.info({ port, host: config.API_HOST, tokens: bearerAuth.size, tokenNames: tokenNames(tokens), callbacks: Boolean(config.WABULK_CALLBACK_SECRET || config.WABULK_CALLBACK_BASIC_AUTH) }, 'api listening');

  // SIGHUP: the tokens again (WABULK_API_TOKENS as started, the file as it is now). Connections stay
  // open; a request authenticated after the swap sees the new tokens. A bad file keeps the old ones.
  const file = config.WABULK_API_TOKENS_FILE;
  process.on('SIGHUP', () => {
    if (file === undefined) {
      logger.info('SIGHUP: no WABULK_API_TOKENS_FILE to re-read; tokens unchanged');
      return;
    }
    try {
      const next = loadApiTokens(config);
      bearerAuth.replace(next);
      logger.info({ tokens: bearerAuth.size, tokenNames: tokenNames(next) }, 'api tokens reloaded');
    } catch (err) {
      logger.error({ err: { message: (err as Error).message } }, 'api tokens not reloaded: keeping the previous tokens');
    }
  });

  handleShutdownSignals({
    logger,
    timeoutMs: config.WABULK_SHUTDOWN_TIMEOUT_MS,
    what: 'in-flight requests',
    close: async () => {
      await app.close();
      await archive?.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  });
}

/** The names of the file's tokens (never a token): WABULK_API_TOKENS ones are counted, not named here. */
const tokenNames = (tokens: ReturnType<typeof loadApiTokens>) => tokens.flatMap((t) => (typeof t === 'string' ? [] : [t.name]));
