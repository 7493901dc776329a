import { parseClusterNodes } from '@wabulk/config/light';
import { Cluster, type ClusterOptions } from 'ioredis';
import { withCommandDeadline } from './redis-deadline.js';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redis-errors.js';

/**
 * Redis Cluster (REDIS_CLUSTER_NODES). Every key of the layout carries a hash tag (keys.ts), so each
 * script and each BullMQ call touches one slot; BullMQ talks to a Cluster through the same
 * connection option. The roles are those of createRedis: a worker's commands wait for the cluster
 * however long it is away (BullMQ requires maxRetriesPerRequest: null on the nodes of a worker's
 * connection), a producer's fail fast and have a deadline each (commandTimeout).
 */
export function createRedisCluster(entries: readonly string[], role: 'worker' | 'producer', extra: ClusterOptions = {}): Cluster {
  const { nodes, redisOptions } = parseClusterNodes(entries);
  const retry = (n: number) => Math.min(n * 200, 2000);
  const options: ClusterOptions =
    role === 'worker'
      ? { enableReadyCheck: true, clusterRetryStrategy: retry, ...extra, redisOptions: { ...redisOptions, maxRetriesPerRequest: null, ...extra.redisOptions } }
      : { enableReadyCheck: true, enableOfflineQueue: false, clusterRetryStrategy: retry, ...extra, redisOptions: { ...redisOptions, maxRetriesPerRequest: 1, ...extra.redisOptions, commandTimeout: undefined } };
  const cluster = new Cluster(nodes, options);
  if (role === 'producer') withCommandDeadline(cluster, extra.redisOptions?.commandTimeout ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS);
  // As createRedis: connection errors are retried by ioredis and reported by the calls that hit them.
  cluster.on('error', () => {});
  return cluster;
}
