import { clusterInfoReadiness, slotPrimaries } from './redis-readiness.js';

// /readyz's decision on CLUSTER INFO (API and worker); the live cluster test is test/cluster/cluster-readyz.test.ts.

const info = (fields: Record<string, string | number>) => Object.entries({ cluster_enabled: 1, ...fields }).map(([k, v]) => `${k}:${v}`).join('\r\n') + '\r\n';
const healthy = { cluster_state: 'ok', cluster_slots_assigned: 16384, cluster_slots_ok: 16384, cluster_slots_pfail: 0, cluster_slots_fail: 0, cluster_known_nodes: 3, cluster_size: 3 };

test('ok with every slot assigned and none failing: ready', () => {
  expect(clusterInfoReadiness(info(healthy))).toEqual({ ready: true, status: 'ready' });
});

test('cluster_state:fail, slots unassigned, a primary suspected down (pfail) or failed: not ready, saying which', () => {
  expect(clusterInfoReadiness(info({ ...healthy, cluster_state: 'fail' }))).toEqual({ ready: false, status: 'cluster_state:fail' });
  expect(clusterInfoReadiness(info({ ...healthy, cluster_slots_assigned: 10923 }))).toEqual({ ready: false, status: 'cluster_slots_assigned:10923 of 16384' });
  expect(clusterInfoReadiness(info({ ...healthy, cluster_slots_ok: 10923, cluster_slots_pfail: 5461 }))).toEqual({ ready: false, status: 'cluster_slots_pfail:5461 (a primary serving them is unreachable)' });
  expect(clusterInfoReadiness(info({ ...healthy, cluster_state: 'ok', cluster_slots_fail: 5461 }))).toMatchObject({ ready: false, status: expect.stringMatching(/^cluster_slots_fail:5461/) });
  expect(clusterInfoReadiness('')).toEqual({ ready: false, status: 'cluster_state:unknown' });
});

test('CLUSTER NODES: the primaries serving slots, and which one this node sees as down', () => {
  const text = [
    'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
    'b2 127.0.0.1:7001@17001 master - 0 1700000000000 2 disconnected 5461-10922',
    'c3 127.0.0.1:7002@17002,host-c master,fail? - 1700000000000 1700000000000 3 connected 10923-16383',
    'd4 127.0.0.1:7003@17003 slave a1 0 1700000000000 1 connected',
    'e5 127.0.0.1:7004@17004 master - 0 1700000000000 4 connected',
    '',
  ].join('\n');
  expect(slotPrimaries(text)).toEqual([
    { address: '127.0.0.1:7000', down: false },
    { address: '127.0.0.1:7001', down: true },
    { address: '127.0.0.1:7002', down: true },
  ]);
});
