import { baseEnvSchema, parseEnv, type BaseEnv } from '@wabulk/config';
import { connectRedis, createQueueContext, describeRedisTarget, Producer, waitForReady, type QueueContext } from '@wabulk/queue';
import type { CountryCode } from '@wabulk/queue';
import { CliError } from './cli-error.js';

export interface CliContext {
  env: BaseEnv;
  ctx: QueueContext;
  producer: Producer;
  close(): Promise<void>;
}

/** Opens Redis (failing fast with a clear message when it is not there) and the queue layout. */
export async function openContext(env: Record<string, string | undefined> = process.env): Promise<CliContext> {
  const config = parseEnv(baseEnvSchema, env);
  const target = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
  const redis = connectRedis(target, 'producer');
  try {
    await waitForReady(redis, 5000);
  } catch {
    redis.disconnect();
    const variable = target.clusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
    throw new CliError(`cannot reach ${describeRedisTarget(target)} (${variable}). Start one (redis-server) or point ${variable} at it.`, 1);
  }
  const ctx = createQueueContext({ redis, base: config.WABULK_KEY_PREFIX });
  const producer = new Producer({ ...ctx, defaultAccount: config.WABULK_ACCOUNT, defaultCountry: config.WABULK_DEFAULT_COUNTRY as CountryCode | undefined });
  return {
    env: config,
    ctx,
    producer,
    async close() {
      await ctx.queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Runs `fn` with a context and always closes it. */
export async function withContext<T>(fn: (c: CliContext) => Promise<T>): Promise<T> {
  const c = await openContext();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
