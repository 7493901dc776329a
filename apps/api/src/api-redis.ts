import { connectRedis, type RedisClient, type RedisTarget } from '@wabulk/queue';

/**
 * The API's one Redis connection (a producer's: fails fast while Redis is away, so a call answers 503).
 * runApi and the intake benchmark both make it here, so the benchmark measures what `wabulk api` runs.
 */
export function connectApiRedis(target: RedisTarget): RedisClient {
  return connectRedis(target, 'producer');
}
