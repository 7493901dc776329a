import { ConnectionClosedError } from 'bullmq';
import { classifyRedisError } from './redis-errors.js';

// Errors a Redis Cluster raises only as text (the real ones: test/cluster). Redis's own replies and
// connection failures are classified against real servers in test/integration/redis-errors.test.ts.

test('a cluster that cannot route or is down: unavailable', () => {
  for (const message of [
    'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down',
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Failed to refresh slots cache.',
    'None of startup nodes is available',
    'Cluster is disconnected.',
  ]) {
    expect([message, classifyRedisError(new Error(message))]).toEqual([message, 'unavailable']);
  }
});

test('BullMQ\'s closed connection and socket failures: unavailable; the same words inside another message: other', () => {
  expect(classifyRedisError(new ConnectionClosedError())).toBe('unavailable');
  expect(classifyRedisError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe('unavailable');
  expect(classifyRedisError(new Error('campaign "Connection is closed." not found'))).toBe('other');
});
