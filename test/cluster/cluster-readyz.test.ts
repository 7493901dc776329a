import { Registry } from 'prom-client';
import type { Cluster } from 'ioredis';
import { buildApi, type Api } from '@wabulk/api';
import { connectRedis, waitForReady } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { OwnCluster } from '../support/cluster-redis.js';
import { uniqueBase } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

// /readyz on a Redis Cluster of the test's own: 200 while every primary answers, 503 once one is
// gone (its slots have no reachable primary; cluster_state:fail after cluster-node-timeout).

let cluster: OwnCluster;
let redis: Cluster;
let app: Api;

beforeAll(async () => {
  cluster = await OwnCluster.start(3);
  redis = connectRedis({ url: 'redis://unused', clusterNodes: cluster.nodes }, 'producer') as Cluster;
  await waitForReady(redis);
  app = await buildApi({ redis, base: uniqueBase('cready'), tokens: ['t-0123456789abcdef0123'], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry() });
  await app.ready();
}, 90_000);

afterAll(async () => {
  await app?.close().catch(() => {});
  redis?.disconnect();
  await cluster?.stop();
});

test('every primary answers: ready; one primary killed: 503 naming it, then cluster_state:fail', async () => {
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
  await cluster.killNode(cluster.ports[1]!);
  const down = await app.inject({ method: 'GET', url: '/readyz' });
  expect(down.statusCode).toBe(503);
  expect(down.json().status).toMatch(new RegExp(`primary 127\\.0\\.0\\.1:${cluster.ports[1]} unreachable|cluster_slots_pfail|cluster_state:fail|unreachable`));
  // After cluster-node-timeout (5 s) the surviving nodes agree: cluster_state:fail.
  await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).json().status === 'cluster_state:fail', { timeoutMs: 30_000, what: 'cluster_state:fail' });
}, 60_000);
