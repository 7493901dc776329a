import { createKaleyraClient, type KaleyraClient } from '@wabulk/kaleyra';
import { WORKER_ERROR_CODE } from '@wabulk/telemetry';
import { ledgerRows } from '../support/proc-ground-truth.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Errors that are not Kaleyra answers (here: a send client that throws a plain Error, as a bug or
// a failing dependency would) get their own small budget, then the job fails and the ledger says
// failed WORKER_ERROR. Kaleyra's own retry schedule is neither used nor shortened by them.

const POLICY = { attempts: 3, firstDelayMs: 20 };
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

type SendClient = Pick<KaleyraClient, 'sendText' | 'close'>;

/** A send client that throws a plain Error for each recipient's first `failures` calls, then asks `next` (if any). */
function flakyClient(failures: number, next?: SendClient) {
  const calls = new Map<string, number>();
  const client: SendClient = {
    async sendText(input) {
      const n = (calls.get(input.to) ?? 0) + 1;
      calls.set(input.to, n);
      if (n <= failures || next === undefined) throw new Error(`send client bug while sending to ${input.to}`);
      return next.sendText(input);
    },
    close: async () => next?.close(),
  };
  return { client, calls };
}

async function counter(metric: 'failed' | 'retried', code: string): Promise<number> {
  const { values } = await stack!.metrics[metric].get();
  return values.find((v) => v.labels.code === code)?.value ?? 0;
}

test('a client that always throws: each job ends failed after the worker-error attempts, ledger failed WORKER_ERROR', async () => {
  const s = (stack = await startStack());
  const { client, calls } = flakyClient(Infinity);
  await s.startWorker({ workerErrors: POLICY, createClient: () => client });
  const to = numbers(4);
  await s.producer.enqueueText({ campaignId: 'bug', to, body: 'x' });

  const status = await s.waitDone('bug');
  expect(status).toMatchObject({ total: 4, failed: 4, sent: 0, pending: 0, byCode: { [WORKER_ERROR_CODE]: 4 } });
  for (const row of (await ledgerRows(s.ctx, 'bug')).values()) {
    expect(row).toMatchObject({ status: 'failed', code: WORKER_ERROR_CODE, attempts: POLICY.attempts });
    expect(row.reason).toMatch(/^send client bug while sending to \+\*+\d{4} \(after 3 worker errors\)$/);
    expect(row.reason).not.toContain(row.to.slice(1)); // the number is masked
  }
  // Exactly the budget, not BullMQ's ceiling of 50.
  expect([...calls.values()]).toEqual([3, 3, 3, 3]);
  // The ledger is written first; BullMQ moves each job to failed right after.
  const jobs = await waitFor(async () => {
    const failed = await s.ctx.queues.get('acme').getJobs(['failed']);
    return failed.length === 4 ? failed : undefined;
  }, { what: '4 failed jobs' });
  for (const job of jobs) {
    expect(job.attemptsMade).toBe(POLICY.attempts);
    expect(job.failedReason).toMatch(/^WORKER_ERROR: send client bug/);
  }
  expect(await counter('failed', WORKER_ERROR_CODE)).toBe(4);
  expect(await counter('retried', WORKER_ERROR_CODE)).toBe(4 * (POLICY.attempts - 1));
});

test('a worker error then success: sent, the failed attempt counted in attempts', async () => {
  const s = (stack = await startStack());
  const { client, calls } = flakyClient(1, createKaleyraClient({ ...s.account, headersTimeoutMs: 2000 }));
  await s.startWorker({ workerErrors: POLICY, createClient: () => client });
  await s.producer.enqueueText({ campaignId: 'once', to: numbers(3), body: 'x' });

  expect(await s.waitDone('once')).toMatchObject({ sent: 3, failed: 0 });
  for (const row of (await ledgerRows(s.ctx, 'once')).values()) expect(row).toMatchObject({ status: 'sent', code: 'WA202', attempts: 2 });
  expect([...calls.values()]).toEqual([2, 2, 2]);
  expect(s.sim.messages()).toHaveLength(3);
  expect(await counter('retried', WORKER_ERROR_CODE)).toBe(3);
  expect(await counter('failed', WORKER_ERROR_CODE)).toBe(0);
});

test('worker errors do not use Kaleyra\'s retries: 2 worker errors, then WA500 on all 1 + 3 Kaleyra attempts', async () => {
  const s = (stack = await startStack({ sim: { failRate: 1 } }));
  const { client } = flakyClient(2, createKaleyraClient({ ...s.account, headersTimeoutMs: 2000 }));
  await s.startWorker({ workerErrors: POLICY, retryDelaysMs: [5, 10, 15], createClient: () => client });
  await s.producer.enqueueText({ campaignId: 'mixed', to: numbers(2), body: 'x' });

  expect(await s.waitDone('mixed')).toMatchObject({ failed: 2, byCode: { WA500: 2 } });
  for (const row of (await ledgerRows(s.ctx, 'mixed')).values()) {
    expect(row).toMatchObject({ status: 'failed', code: 'WA500', attempts: 2 + 4 });
    expect(row.reason).toMatch(/\(after 4 attempts\)$/);
  }
  expect(s.sim.stats().requests).toBe(2 * 4);
  expect(await counter('retried', WORKER_ERROR_CODE)).toBe(2 * 2);
  expect(await counter('retried', 'WA500')).toBe(2 * 3);
});
