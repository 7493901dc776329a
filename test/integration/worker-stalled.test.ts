import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { createRedis, queueName, queuePrefix } from '@wabulk/queue';
import { REDIS_URL } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// A job that stalls more often than BullMQ allows is failed by BullMQ, not by the send decision:
// the ledger records it as failed with code STALLED instead of leaving the recipient pending.
let stack: Stack;
afterEach(async () => stack?.close());

test('a job that stalled past the limit: failed in the ledger with code STALLED, never sent', async () => {
  stack = await startStack();
  await stack.producer.enqueueText({ campaignId: 'stall', to: numbers(1), body: 'x' });

  // A worker that takes the job and dies with it: the lock expires and nobody renews it.
  const connection = createRedis(REDIS_URL, 'worker');
  const taker = new Worker(queueName('acme'), null, { connection, prefix: queuePrefix(stack.base, 'acme'), autorun: false, lockDuration: 200, stalledInterval: 100, maxStalledCount: 0 });
  try {
    const job = await taker.getNextJob(randomUUID());
    expect(job?.data).toMatchObject({ c: 'stall' });
    void taker.startStalledCheckTimer();
    const queue = stack.ctx.queues.get('acme');
    await waitFor(async () => (await queue.getJob(String(job?.id)))?.deferredFailure || undefined, { timeoutMs: 10_000, what: 'the job marked as stalled past the limit' });
  } finally {
    await taker.close(true);
    connection.disconnect();
  }

  await stack.startWorker();
  const status = await stack.waitDone('stall');
  expect(status).toMatchObject({ failed: 1, sent: 0, byCode: { STALLED: 1 } });
  expect(stack.sim.stats().requests).toBe(0);
});
