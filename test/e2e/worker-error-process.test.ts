import { campaignKeys } from '@wabulk/queue';
import { sample, scrapeMetrics } from '../support/metrics-text.js';
import { ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// A worker process meets an error that is not a Kaleyra answer: the campaign's meta in Redis is
// corrupt, so every attempt throws before anything is sent. With WABULK_WORKER_ERROR_ATTEMPTS=3
// each job is tried 3 times, then fails; the ledger, BullMQ, /metrics and the logs all say so.

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

test('corrupt campaign meta: 3 attempts each, then failed WORKER_ERROR in the ledger, never sent, counted in /metrics', async () => {
  const s = (stack = await startStack());
  const to = numbers(3);
  await s.producer.enqueueText({ campaignId: 'corrupt', to, body: 'x' });
  await s.redis.set(campaignKeys(s.base, 'corrupt').meta, '{"account":"acme","body":');

  const port = await freePort();
  const worker = await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }, {
    METRICS_PORT: String(port), WABULK_WORKER_ERROR_ATTEMPTS: '3', WABULK_WORKER_ERROR_DELAY_MS: '50',
  }));
  // The campaign status reads the meta too; the ledger's counts do not.
  const counts = await waitFor(async () => {
    const c = await s.ctx.ledger.counts('corrupt');
    return c.pending === 0 ? c : undefined;
  }, { what: 'no recipient pending' });
  expect(counts).toMatchObject({ total: 3, failed: 3, sent: 0, byCode: { WORKER_ERROR: 3 } });
  for (const row of (await ledgerRows(s.ctx, 'corrupt')).values()) {
    expect(row).toMatchObject({ status: 'failed', code: 'WORKER_ERROR', attempts: 3 });
    expect(row.reason).toMatch(/^SyntaxError: .+ \(after 3 worker errors\)$/);
  }
  expect(s.sim.stats().requests).toBe(0);
  // The ledger is written first; BullMQ moves each job to failed right after.
  const failed = await waitFor(async () => {
    const jobs = await s.ctx.queues.get('acme').getJobs(['failed']);
    return jobs.length === 3 ? jobs : undefined;
  }, { what: '3 failed jobs' });
  expect(failed.map((j) => j.attemptsMade)).toEqual([3, 3, 3]);

  // Counted before the job failed; the last log lines may still be on their way through the pipe.
  const metrics = await scrapeMetrics(port);
  expect(sample(metrics, 'wabulk_messages_failed_total{account="acme",code="WORKER_ERROR"}')).toBe(3);
  expect(sample(metrics, 'wabulk_messages_retried_total{account="acme",code="WORKER_ERROR"}')).toBe(6);
  const gaveUp = (l: { msg?: string }) => l.msg === 'worker error: attempts used up, job failed';
  await waitFor(() => worker.logs().filter(gaveUp).length >= 3, { what: '3 give-up log lines' });
  const logs = worker.logs();
  expect(logs.filter((l) => l.msg === 'worker error: will retry')).toHaveLength(6);
  expect(logs.filter(gaveUp)).toHaveLength(3);
  for (const n of to) expect(worker.stdout()).not.toContain(n.slice(1));

  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});
