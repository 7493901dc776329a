import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis for the two kinds of users. `worker`: commands wait for Redis to come back however long
 * it is away (BullMQ requires maxRetriesPerRequest: null for workers). `producer`: commands fail
 * fast while Redis is unreachable, so an import or an API call reports the outage instead of hanging.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (n) => Math.min(n * 200, 2000), ...extra }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n) => Math.min(n * 200, 2000), ...extra };
  const redis = new Redis(url, options);
  // Connection errors are retried by ioredis and reported by the calls that hit them.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the connection is ready; rejects after `timeoutMs` with a message that names the URL's host (never its password). */
export async function waitForReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      const { host, port } = redis.options;
      reject(new Error(`Redis at ${host}:${port} is not reachable (waited ${timeoutMs} ms)`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
