import { describeClusterNodes } from '@wabulk/config/light';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { createRedisCluster } from './redis-cluster.js';
import { withCommandDeadline } from './redis-deadline.js';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redis-errors.js';

/** A connection as every part of this package takes it: a standalone Redis or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * ioredis for the two kinds of users. `worker`: commands wait for Redis to come back however long
 * it is away (BullMQ requires maxRetriesPerRequest: null for workers; a worker's blocking fetch must
 * not time out), and its /readyz watches Redis instead. `producer`: commands fail fast while Redis is
 * unreachable, and each has a deadline (`extra.commandTimeout`, else DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
 * applied by withCommandDeadline, which a held event loop does not trip): a Redis that keeps the connection open but answers nothing (a partition)
 * makes an import or an API call report the outage instead of hanging. A command past its deadline
 * may still be applied once the bytes get through: callers treat it as "unknown", not "not done".
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const { commandTimeout, ...rest } = extra;
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (n) => Math.min(n * 200, 2000), ...extra }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n) => Math.min(n * 200, 2000), ...rest };
  const redis = role === 'producer' ? withCommandDeadline(new Redis(url, options), commandTimeout ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS) : new Redis(url, options);
  // Connection errors are retried by ioredis and reported by the calls that hit them.
  redis.on('error', () => {});
  return redis;
}

/** Where the apps' Redis is: REDIS_URL, or REDIS_CLUSTER_NODES (which wins when set). */
export interface RedisTarget {
  url: string;
  clusterNodes?: readonly string[];
  /** WABULK_REDIS_COMMAND_TIMEOUT_MS: the deadline of a producer's command (a worker's have none). */
  commandTimeoutMs?: number;
}

/** A standalone Redis or a Redis Cluster, as the configuration says, with the role's options. */
export function connectRedis(target: RedisTarget, role: 'worker' | 'producer'): RedisClient {
  const deadline = role === 'producer' && target.commandTimeoutMs !== undefined ? { commandTimeout: target.commandTimeoutMs } : {};
  return target.clusterNodes?.length ? createRedisCluster(target.clusterNodes, role, { redisOptions: deadline }) : createRedis(target.url, role, deadline);
}

/** "host:port" of a target, for messages (never its password). */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.clusterNodes?.length) return `Redis Cluster at ${describeClusterNodes(target.clusterNodes)}`;
  const u = new URL(target.url);
  return `Redis at ${u.hostname}:${u.port || 6379}`;
}

/** Resolves once the connection is ready; rejects after `timeoutMs` with a message that names the host (never a password). */
export async function waitForReady(redis: RedisClient, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      const where = redis.isCluster ? 'Redis Cluster' : `Redis at ${(redis as Redis).options.host}:${(redis as Redis).options.port}`;
      reject(new Error(`${where} is not reachable (waited ${timeoutMs} ms)`));
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
