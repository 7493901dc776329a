import { apiEnvSchema, baseEnvSchema, parseClusterNodes, parseEnv, workerEnvSchema } from '@wabulk/config';
import { connectRedis, describeRedisTarget } from '@wabulk/queue';

// REDIS_CLUSTER_NODES: how an operator points every app at a Redis Cluster (no Redis needed here).

test('REDIS_CLUSTER_NODES is parsed by every app; a bad entry names the variable and the rule, never the value', () => {
  for (const schema of [baseEnvSchema, workerEnvSchema, apiEnvSchema]) {
    const env = parseEnv(schema, { REDIS_CLUSTER_NODES: ' 10.0.0.1:6379, redis-2.internal:7000 ,[::1]:7001,', WABULK_API_TOKENS: 'token-0123456789abcdef' });
    expect(env.REDIS_CLUSTER_NODES).toEqual(['10.0.0.1:6379', 'redis-2.internal:7000', '[::1]:7001']);
  }
  expect(parseEnv(baseEnvSchema, {}).REDIS_CLUSTER_NODES).toBeUndefined();
  for (const bad of ['10.0.0.1', 'host:port', 'redis://:s3cret-password@:6379', ',', 'a b:1']) {
    let error: Error | undefined;
    try {
      parseEnv(baseEnvSchema, { REDIS_CLUSTER_NODES: bad });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(/REDIS_CLUSTER_NODES: must be comma-separated host:port entries/);
    expect(error?.message).not.toContain('s3cret');
  }
});

test('cluster nodes: host:port, IPv6, and redis[s]:// entries whose credentials and TLS apply to every node', () => {
  expect(parseClusterNodes(['10.0.0.1:6379', '[::1]:7001'])).toEqual({ nodes: [{ host: '10.0.0.1', port: 6379 }, { host: '::1', port: 7001 }], redisOptions: {} });
  expect(parseClusterNodes(['rediss://app:p%40ss@r1.example:6380', 'r2.example:6380'])).toEqual({
    nodes: [{ host: 'r1.example', port: 6380 }, { host: 'r2.example', port: 6380 }],
    redisOptions: { username: 'app', password: 'p@ss', tls: {} },
  });
  expect(describeRedisTarget({ url: 'redis://:secret@h:1', clusterNodes: ['rediss://app:secret@r1.example:6380', '[::1]:7001'] })).toBe('Redis Cluster at r1.example:6380, [::1]:7001');
  expect(describeRedisTarget({ url: 'redis://:secret@cache.internal:6390/0' })).toBe('Redis at cache.internal:6390');
});

test('connectRedis: a Cluster when nodes are given (worker: waits for Redis; producer: fails fast), else a standalone Redis', () => {
  const worker = connectRedis({ url: 'redis://127.0.0.1:1', clusterNodes: ['127.0.0.1:1'] }, 'worker');
  const producer = connectRedis({ url: 'redis://127.0.0.1:1', clusterNodes: ['127.0.0.1:1'] }, 'producer');
  const standalone = connectRedis({ url: 'redis://127.0.0.1:1' }, 'producer');
  try {
    expect(worker.isCluster && producer.isCluster && !standalone.isCluster).toBe(true);
    const w = worker as import('ioredis').Cluster;
    const p = producer as import('ioredis').Cluster;
    // BullMQ refuses a worker connection whose nodes retry per request; a producer must not queue commands while the cluster is away.
    expect(w.options.redisOptions?.maxRetriesPerRequest).toBeNull();
    expect(p.options.enableOfflineQueue).toBe(false);
    expect(p.options.redisOptions?.maxRetriesPerRequest).toBe(1);
  } finally {
    worker.disconnect();
    producer.disconnect();
    standalone.disconnect();
  }
});
