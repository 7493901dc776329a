import { pauseAccount, resumeAccount } from '@wabulk/queue';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { httpGet } from './prometheus-server.js';
import { expectToolSuccess, promtool } from './prometheus-tools.js';

// /metrics of a real worker process (apps/worker/src/main.ts), after real sends to the simulator.

const WABULK_METRICS = [
  'wabulk_messages_sent_total', 'wabulk_messages_failed_total', 'wabulk_messages_retried_total', 'wabulk_messages_requeued_total',
  'wabulk_messages_skipped_already_sent_total', 'wabulk_possible_duplicates_total', 'wabulk_send_duration_seconds',
  'wabulk_queue_jobs', 'wabulk_account_paused', 'wabulk_worker_running', 'wabulk_rate_limit_per_second',
  'wabulk_worker_concurrency', 'wabulk_account_state_errors_total',
];

let stack: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await stack?.close();
  stack = undefined;
});

async function startWorkerWithMetrics(s: Stack) {
  const port = await freePort();
  const worker = await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }, { METRICS_PORT: String(port), WABULK_RATE_PER_SECOND: '40', WORKER_CONCURRENCY: '7' }));
  const scrape = async () => {
    const res = await httpGet(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return res.body;
  };
  return { worker, scrape };
}

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('a running worker\'s /metrics passes `promtool check metrics` and carries every wabulk metric, with bounded labels', async () => {
  const s = (stack = await startStack());
  s.sim.setFaults({ failNext: 2, failCode: 'WA400' });
  const { scrape } = await startWorkerWithMetrics(s);
  await s.producer.enqueueText({ campaignId: 'metrics-campaign-7f3a', to: numbers(10), body: 'x' });
  await s.waitDone('metrics-campaign-7f3a');

  const text = await scrape();
  expectToolSuccess(promtool(['check', 'metrics'], { input: text }), 'promtool check metrics on a worker\'s /metrics');
  for (const name of WABULK_METRICS) expect(text).toContain(`# TYPE ${name} `);
  expect(text).toContain('# TYPE process_cpu_seconds_total counter'); // Node's process metrics, standard names

  expect(sample(text, 'wabulk_messages_sent_total{account="acme",code="WA202"}')).toBe(8);
  expect(sample(text, 'wabulk_messages_failed_total{account="acme",code="WA400"}')).toBe(2);
  expect(sample(text, 'wabulk_send_duration_seconds_count{account="acme",outcome="sent"}')).toBe(8);
  expect(sample(text, 'wabulk_rate_limit_per_second{account="acme"}')).toBe(40);
  expect(sample(text, 'wabulk_worker_concurrency{account="acme"}')).toBe(7);
  expect(sample(text, 'wabulk_worker_running{account="acme"}')).toBe(1);
  expect(sample(text, 'wabulk_queue_jobs{account="acme",state="waiting"}')).toBe(0);
  expect(sample(text, 'wabulk_queue_jobs{account="acme",state="active"}')).toBe(0);
  expect(sample(text, 'wabulk_account_paused{account="acme",reason="E110"}')).toBe(0);

  // Bounded labels: no recipient number, no campaign id, no api key anywhere in the output.
  expect(text).not.toMatch(/98000000\d\d/);
  expect(text).not.toContain('metrics-campaign-7f3a');
  expect(text).not.toContain(s.account.apiKey);
}, 60_000);

test('queue depth and the paused gauge come from Redis at scrape time: a pause made elsewhere shows on this worker', async () => {
  const s = (stack = await startStack());
  const { scrape } = await startWorkerWithMetrics(s);

  // Another worker (or an operator) pauses the account: this worker never saw the E110 itself.
  await pauseAccount(s.ctx, 'acme', 'E110');
  await s.producer.enqueueText({ campaignId: 'held', to: numbers(5), body: 'x' });
  const paused = await scrape();
  expect(sample(paused, 'wabulk_account_paused{account="acme",reason="E110"}')).toBe(1);
  expect(sample(paused, 'wabulk_account_paused{account="acme",reason="manual"}')).toBe(0);
  expect(sample(paused, 'wabulk_queue_jobs{account="acme",state="paused"}')).toBe(5);
  expect(sample(paused, 'wabulk_queue_jobs{account="acme",state="waiting"}')).toBe(0);

  await resumeAccount(s.ctx, 'acme');
  await s.waitDone('held');
  const resumed = await waitFor(async () => {
    const text = await scrape();
    return sample(text, 'wabulk_account_paused{account="acme",reason="E110"}') === 0 ? text : undefined;
  }, { what: 'the paused gauge to drop to 0' });
  expect(sample(resumed, 'wabulk_queue_jobs{account="acme",state="paused"}')).toBe(0);
  expect(sample(resumed, 'wabulk_messages_sent_total{account="acme",code="WA202"}')).toBe(5);
}, 60_000);
