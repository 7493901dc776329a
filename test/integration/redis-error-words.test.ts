import { ReplyError } from 'ioredis';
import { classifyRedisError, describeRedisFailure, redisReplyCode } from '@wabulk/queue';
import { toErrorAnswer } from '@wabulk/api';

// Every "not now" reply of Redis is recognised in one place (redis-errors.ts) and becomes the same
// 503 with Retry-After in the API and the same operator's words in the CLI.

const replies: Array<[string, string, RegExp]> = [
  ['OOM', "OOM command not allowed when used memory > 'maxmemory'.", /out of memory/],
  ['LOADING', 'LOADING Redis is loading the dataset in memory', /loading its data/],
  ['READONLY', "READONLY You can't write against a read only replica.", /read-only replica/],
  ['MASTERDOWN', "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", /lost the link to its primary/],
  ['CLUSTERDOWN', 'CLUSTERDOWN The cluster is down', /cluster that is down/],
  ['TRYAGAIN', 'TRYAGAIN Multiple keys request during rehashing of slot', /moving a slot/],
];

test.each(replies)('%s: recognised, 503 with Retry-After and words', (code, message, words) => {
  const err = new ReplyError(message);
  expect(classifyRedisError(err)).not.toBe('other');
  expect(redisReplyCode(err)).toBe(code);
  expect(describeRedisFailure(err)).toMatch(words);
  const answer = toErrorAnswer(err);
  expect(answer).toMatchObject({ statusCode: 503, retryAfter: 5, body: { error: 'service unavailable', message: expect.stringMatching(words) } });
  // Wrapped (a stream's or BullMQ's cause): the same.
  expect(toErrorAnswer(new Error('import failed', { cause: err }))).toMatchObject({ statusCode: 503, retryAfter: 5 });
});

test('a CLUSTERDOWN that reaches the caller through ioredis redirections; a lost connection; not Redis at all', () => {
  const redirected = new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down');
  expect([classifyRedisError(redirected), redisReplyCode(redirected)]).toEqual(['unavailable', 'CLUSTERDOWN']);
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  expect(describeRedisFailure(refused)).toMatch(/not reachable/);
  expect(toErrorAnswer(refused)).toMatchObject({ statusCode: 503, retryAfter: 5 });
  expect(describeRedisFailure(new Error('boom'))).toBeUndefined();
  expect(toErrorAnswer(new Error('boom')).statusCode).toBe(500);
  expect(toErrorAnswer(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')).statusCode).toBe(500);
});
