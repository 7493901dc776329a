import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { buildApi, type Api, type ApiOptions } from '@wabulk/api';
import { coalesceWrites, createQueueContext, createRedis, waitForReady, type QueueContext } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const OTHER_TOKEN = 'other-token-0123456789abcdef';
export const CALLBACK_SECRET = 'callback-secret-0123456789';
export const CALLBACK_BASIC = 'kaleyra:callback-password-1';

export const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
export const json = (token = TOKEN) => ({ ...bearer(token), 'content-type': 'application/json' });

/** The API on a real Redis under a unique key prefix, for `app.inject()` (nothing listens). */
export interface ApiHarness {
  app: Api;
  base: string;
  redis: Redis;
  ctx: QueueContext;
  registry: Registry;
  close(): Promise<void>;
}

export async function startApi(overrides: Partial<ApiOptions> = {}): Promise<ApiHarness> {
  const base = uniqueBase('api');
  // As `wabulk api` opens it (runApi, connectApiRedis): a producer connection, each turn's commands in one write.
  const redis = coalesceWrites(createRedis(REDIS_URL, 'producer'));
  await waitForReady(redis);
  const registry = new Registry();
  const app = await buildApi({
    redis,
    base,
    tokens: [TOKEN, OTHER_TOKEN],
    logger: createLogger({ level: 'silent', destination: process.stderr }),
    registry,
    defaultAccount: 'acme',
    // The account the tests send to is configured, as `wabulk api` with WABULK_ACCOUNT=acme would be.
    configuredAccounts: ['acme'],
    callbackAuth: { secret: CALLBACK_SECRET, basic: CALLBACK_BASIC },
    ...overrides,
  });
  await app.ready();
  // The app's own queue context is private; this one reads the same keys.
  const ctx = createQueueContext({ redis, base });
  return {
    app,
    base,
    redis,
    ctx,
    registry,
    async close() {
      await app.close();
      await ctx.queues.close();
      await deleteKeys(redis, base);
      redis.disconnect();
    },
  };
}

/** A metric's value for the given labels (0 when never counted). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
  return hit?.value ?? 0;
}
