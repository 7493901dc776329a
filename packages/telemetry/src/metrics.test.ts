import { Registry } from 'prom-client';
import { initAccountMetrics } from './account-metrics.js';
import { createMetrics } from './metrics.js';

const fresh = () => createMetrics(new Registry(), { defaultMetrics: false });

/** The sample lines of one metric in the text exposition, without HELP/TYPE. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).sort();
}

const running = { paused: false, pauseReason: null, counts: { waiting: 7, active: 2, delayed: 1, failed: 3, prioritized: 0, completed: 99 } };
const pausedE110 = { paused: true, pauseReason: 'E110', counts: { waiting: 40, active: 0, delayed: 0, failed: 0, prioritized: 0 } };

test('queue depth by state is read at scrape time; a paused queue reports its waiting jobs as paused', async () => {
  const m = fresh();
  let reading: typeof running | typeof pausedE110 = running;
  m.observeAccounts({ accounts: ['acme'], readState: async () => reading });
  expect(await samples(m.registry, 'wabulk_queue_jobs')).toEqual([
    'wabulk_queue_jobs{account="acme",state="active"} 2',
    'wabulk_queue_jobs{account="acme",state="delayed"} 1',
    'wabulk_queue_jobs{account="acme",state="failed"} 3',
    'wabulk_queue_jobs{account="acme",state="paused"} 0',
    'wabulk_queue_jobs{account="acme",state="prioritized"} 0',
    'wabulk_queue_jobs{account="acme",state="waiting"} 7',
  ]);
  reading = pausedE110;
  const lines = await samples(m.registry, 'wabulk_queue_jobs');
  expect(lines).toContain('wabulk_queue_jobs{account="acme",state="paused"} 40');
  expect(lines).toContain('wabulk_queue_jobs{account="acme",state="waiting"} 0');
});

test('the paused gauge is a state set: every known reason per account, 1 for the current one', async () => {
  const m = fresh();
  let reading: { paused: boolean; pauseReason: string | null; counts: Record<string, number> } = pausedE110;
  m.observeAccounts({ accounts: ['acme'], readState: async () => reading });
  const lines = await samples(m.registry, 'wabulk_account_paused');
  expect(lines).toHaveLength(11);
  expect(lines.filter((l) => l.endsWith(' 1'))).toEqual(['wabulk_account_paused{account="acme",reason="E110"} 1']);

  reading = running;
  expect((await samples(m.registry, 'wabulk_account_paused')).every((l) => l.endsWith(' 0'))).toBe(true);

  // A reason outside the set shows with a bounded label: `other`, or BREAKER:<code label>.
  reading = { paused: true, pauseReason: 'XYZ9', counts: {} };
  const odd = await samples(m.registry, 'wabulk_account_paused');
  expect(odd).toHaveLength(12);
  expect(odd.filter((l) => l.endsWith(' 1'))).toEqual(['wabulk_account_paused{account="acme",reason="other"} 1']);

  reading = { paused: true, pauseReason: 'BREAKER:WA9999', counts: {} };
  expect((await samples(m.registry, 'wabulk_account_paused')).filter((l) => l.endsWith(' 1'))).toEqual(['wabulk_account_paused{account="acme",reason="BREAKER:other"} 1']);
  reading = { paused: true, pauseReason: 'BREAKER:HTTP_404', counts: {} };
  expect((await samples(m.registry, 'wabulk_account_paused')).filter((l) => l.endsWith(' 1'))).toEqual(['wabulk_account_paused{account="acme",reason="BREAKER:HTTP_404"} 1']);
  reading = { paused: true, pauseReason: 'HTTP_403', counts: {} };
  expect((await samples(m.registry, 'wabulk_account_paused')).filter((l) => l.endsWith(' 1'))).toEqual(['wabulk_account_paused{account="acme",reason="HTTP_403"} 1']);
});

test('one scrape reads each account once, however many gauges collect from it', async () => {
  const m = fresh();
  const reads: string[] = [];
  m.observeAccounts({ accounts: ['a', 'b'], readState: async (account) => (reads.push(account), running), isRunning: (a) => a === 'a' });
  await m.registry.metrics();
  expect(reads.sort()).toEqual(['a', 'b']);
  expect(await samples(m.registry, 'wabulk_worker_running')).toEqual(['wabulk_worker_running{account="a"} 1', 'wabulk_worker_running{account="b"} 0']);
});

test('a read that fails or hangs leaves that account out and is counted; the scrape still answers', async () => {
  const m = fresh();
  m.observeAccounts({
    accounts: ['ok', 'down', 'slow'],
    readState: (account) => (account === 'ok' ? Promise.resolve(running) : account === 'down' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise(() => {})),
    timeoutMs: 50,
  });
  const depth = await samples(m.registry, 'wabulk_queue_jobs');
  expect(new Set(depth.map((l) => /account="([^"]+)"/.exec(l)![1]))).toEqual(new Set(['ok']));
  expect(await samples(m.registry, 'wabulk_account_state_errors_total')).toEqual(['wabulk_account_state_errors_total 2']);
});

test('stopping the observation removes the collected series', async () => {
  const m = fresh();
  const stop = m.observeAccounts({ accounts: ['acme'], readState: async () => running, isRunning: () => true });
  expect(await samples(m.registry, 'wabulk_worker_running')).toHaveLength(1);
  stop();
  expect(await samples(m.registry, 'wabulk_worker_running')).toEqual([]);
  expect(await samples(m.registry, 'wabulk_queue_jobs')).toEqual([]);
});

test('initAccountMetrics: configured limits, and the series alerts need created at 0', async () => {
  const m = fresh();
  initAccountMetrics(m, 'acme', { ratePerSecond: 80, concurrency: 50 });
  expect(await samples(m.registry, 'wabulk_rate_limit_per_second')).toEqual(['wabulk_rate_limit_per_second{account="acme"} 80']);
  expect(await samples(m.registry, 'wabulk_worker_concurrency')).toEqual(['wabulk_worker_concurrency{account="acme"} 50']);
  expect(await samples(m.registry, 'wabulk_possible_duplicates_total')).toEqual([
    'wabulk_possible_duplicates_total{account="acme",reason="ambiguous-timeout"} 0',
    'wabulk_possible_duplicates_total{account="acme",reason="stalled-rerun"} 0',
  ]);
  expect(await samples(m.registry, 'wabulk_messages_failed_total')).toEqual([
    'wabulk_messages_failed_total{account="acme",code="WA400"} 0',
    'wabulk_messages_failed_total{account="acme",code="WA500"} 0',
    'wabulk_messages_failed_total{account="acme",code="WORKER_ERROR"} 0',
  ]);
  expect(await samples(m.registry, 'wabulk_throttle_hold_capped_total')).toEqual(['wabulk_throttle_hold_capped_total{account="acme"} 0']);
  expect(await samples(m.registry, 'wabulk_send_duration_seconds_count')).toHaveLength(7);
  // Incrementing after the zero keeps one series per label set.
  m.retried.inc({ account: 'acme', code: 'WA500' });
  expect((await m.retried.get()).values).toEqual([{ labels: { account: 'acme', code: 'WA500' }, value: 1 }]);
});

test('every wabulk metric has the prefix and a help text; counters end in _total', async () => {
  const m = fresh();
  for (const metric of m.registry.getMetricsAsArray() as unknown as Array<{ name: string; help: string; constructor: { name: string } }>) {
    expect(metric.name).toMatch(/^wabulk_[a-z0-9_]+$/);
    expect(metric.help.length).toBeGreaterThan(10);
    if (metric.constructor.name === 'Counter') expect(metric.name).toMatch(/_total$/);
  }
});
