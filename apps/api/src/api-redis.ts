import type { Redis } from 'ioredis';
import { coalesceWrites, connectRedis, type RedisClient, type RedisTarget } from '@wabulk/queue';

/**
 * The API's one Redis connection (a producer's: fails fast while Redis is away, so a call answers
 * 503), its commands of one event-loop turn sent in one write (coalesceWrites; standalone Redis).
 * runApi and the intake benchmark both make it here, so the benchmark measures what `wabulk api` runs.
 */
export function connectApiRedis(target: RedisTarget): RedisClient {
  const redis = connectRedis(target, 'producer');
  return redis.isCluster ? redis : coalesceWrites(redis as Redis);
}
