import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Redis Cluster (REDIS_CLUSTER_NODES). Every key of the layout carries a hash tag (keys.ts), so each
 * script and each BullMQ call touches one slot; BullMQ talks to a Cluster through the same
 * connection option. The roles are those of createRedis: a worker's commands wait for the cluster
 * however long it is away (BullMQ requires maxRetriesPerRequest: null on the nodes of a worker's
 * connection), a producer's fail fast.
 */
export interface ClusterNodes {
  nodes: Array<{ host: string; port: number }>;
  /** Credentials and TLS of the `redis[s]://` entries, applied to every node. */
  redisOptions: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
}

/** `host:port`, `[v6]:port` or `redis[s]://[[user]:password@]host:port` entries; throws naming the entry's position, never its text. */
export function parseClusterNodes(entries: readonly string[]): ClusterNodes {
  const result: ClusterNodes = { nodes: [], redisOptions: {} };
  entries.forEach((entry, i) => {
    const url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
    const port = Number(url.port || 6379);
    if (url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`cluster node ${i + 1}: must be host:port`);
    result.nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (url.username) result.redisOptions.username = decodeURIComponent(url.username);
    if (url.password) result.redisOptions.password = decodeURIComponent(url.password);
    if (url.protocol === 'rediss:') result.redisOptions.tls = {};
  });
  if (result.nodes.length === 0) throw new RangeError('a Redis Cluster needs at least one node');
  return result;
}

export function createRedisCluster(entries: readonly string[], role: 'worker' | 'producer', extra: ClusterOptions = {}): Cluster {
  const { nodes, redisOptions } = parseClusterNodes(entries);
  const retry = (n: number) => Math.min(n * 200, 2000);
  const options: ClusterOptions =
    role === 'worker'
      ? { enableReadyCheck: true, clusterRetryStrategy: retry, ...extra, redisOptions: { ...redisOptions, maxRetriesPerRequest: null, ...extra.redisOptions } }
      : { enableReadyCheck: true, enableOfflineQueue: false, clusterRetryStrategy: retry, ...extra, redisOptions: { ...redisOptions, maxRetriesPerRequest: 1, ...extra.redisOptions } };
  const cluster = new Cluster(nodes, options);
  // As createRedis: connection errors are retried by ioredis and reported by the calls that hit them.
  cluster.on('error', () => {});
  return cluster;
}

/** "host:port, host:port" of a cluster's startup nodes, for messages (never credentials). */
export const describeClusterNodes = (entries: readonly string[]) =>
  parseClusterNodes(entries).nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(', ');
