import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Registry } from 'prom-client';
import { migrate, PgArchive } from '@wabulk/archive';
import { getAccountState, Producer, resumeAccount } from '@wabulk/queue';
import { createMetrics } from '@wabulk/telemetry';
import { startHealthServer } from '@wabulk/worker';
import { killAllWorkers, spawnWorker, workerEnv, type WorkerProcess } from '../support/proc-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { loadDashboard, panelQueries, variableQueries } from './dashboard-queries.js';
import { PrometheusServer, type PromSample } from './prometheus-server.js';
import { INFRA, requireBinary } from './prometheus-tools.js';
import { selectorsOf, withoutForDurations } from './rule-helpers.js';

// A real Prometheus (Debian's) scrapes a real worker process every second during a campaign with
// faults: the first 60 requests answer WA400 after 2.5 s (failures by code, slow calls), then 10%
// WA500 (retries), then E110 after 500 accepted (the account pauses). Every dashboard panel's query
// and every rule of infra/prometheus/alerts.yml (its `for:` set to 0s, expressions unchanged) are
// evaluated through the HTTP API while the account is paused; the alerts the scenario causes must
// fire. A top-up and resume then complete the campaign and resolve the E110 alert, and stopping the
// worker fires WabulkNoWorker. WABULK_MONITORING_REPORT=<file> writes what every query returned.

const RECIPIENTS = 900;
const SLOW_WA400 = 60;
const ACCEPTED_BEFORE_E110 = 500;
const EXPECTED_FIRING = ['WabulkAccountPausedLowBalance', 'WabulkFailureRatioHigh', 'WabulkSendLatencyHigh'];

let stack: Stack | undefined;
let prom: PrometheusServer | undefined;
let intakeServer: Server | undefined;
let archiveDb: TestDatabase | undefined;
afterEach(async () => {
  await killAllWorkers();
  await prom?.stop();
  await new Promise<void>((resolve) => (intakeServer ? intakeServer.close(() => resolve()) : resolve()));
  await stack?.close();
  await archiveDb?.drop();
  stack = prom = intakeServer = archiveDb = undefined;
});

const describeSamples = (r: PromSample[]) => r.slice(0, 6).map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).join('; ') + (r.length > 6 ? ` … (${r.length})` : '');

test('Prometheus scraping a real worker: every panel query and every rule selector returns data; E110, failure-ratio, latency and no-worker alerts fire', async () => {
  requireBinary('prometheus'); // before starting anything: a missing package fails at once, with the apt line
  const started = Date.now() / 1000;
  const s = (stack = await startStack({ sim: { latencyMs: 2500 } }));
  s.sim.setFaults({ failNext: SLOW_WA400, failCode: 'WA400' });

  // Intake metrics come from the process that runs the Producer: the API in production, this test here.
  const intake = createMetrics(new Registry(), { defaultMetrics: false });
  intake.enqueued.inc({ account: 'acme' }, 0);
  const intakePort = await freePort();
  intakeServer = await startHealthServer({ port: intakePort, host: '127.0.0.1', ready: () => true, registry: intake.registry });
  const producer = new Producer(s.ctx, { defaultAccount: 'acme', knownAccounts: ['acme'], metrics: intake });

  // The worker runs its archiver against a database of this test's own (wabulk_archive_* metrics).
  archiveDb = await createTestDatabase('monitoring');
  const store = new PgArchive({ url: archiveDb.url });
  await migrate(store.pool);
  await store.close();
  const metricsPort = await freePort();
  const worker: WorkerProcess = await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }, {
    WABULK_ARCHIVE_URL: archiveDb.url, WABULK_ARCHIVE_AFTER: '0', WABULK_ARCHIVE_INTERVAL_MS: '500',
    METRICS_PORT: String(metricsPort), WORKER_CONCURRENCY: String(SLOW_WA400), WABULK_RATE_PER_SECOND: '150', WABULK_RETRY_DELAYS_MS: '100,200',
  }));

  const rules = withoutForDurations(readFileSync(path.join(INFRA, 'prometheus/alerts.yml'), 'utf8'));
  const p = (prom = await PrometheusServer.start({
    jobs: { 'wabulk-worker': [`127.0.0.1:${metricsPort}`], 'wabulk-api': [`127.0.0.1:${intakePort}`] },
    rules: rules.text,
  }));
  const loaded = await p.rules();
  expect(rules.changed).toBe(loaded.filter((r) => r.type === 'alerting').length);

  // The zero-initialised series are scraped before anything happens, so rate() sees every increase.
  await waitFor(async () => (await p.query('up == 1')).length === 2 && (await p.query('wabulk_messages_failed_total{code="WA400"}')).length === 1, { what: 'first scrapes of both targets' });

  const firedEver = new Set<string>();
  const firing = async () => {
    const names = (await p.alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname!);
    names.forEach((n) => firedEver.add(n));
    return new Set(names);
  };

  const imported = await producer.enqueueText({ campaignId: 'monitoring', to: [...numbers(RECIPIENTS), 'not-a-phone', '12345'], body: 'monitoring test' });
  expect(imported).toMatchObject({ accepted: RECIPIENTS, rejected: [expect.anything(), expect.anything()] });

  // Phase 1 → 2: once the 60 slow WA400s are in (all in flight at once), fast answers, 10% WA500, E110 after 500.
  await waitFor(() => (s.sim.stats().rejected.byCode.WA400 ?? 0) >= SLOW_WA400, { what: `${SLOW_WA400} WA400 answers`, intervalMs: 10 });
  s.sim.setFaults({ latencyMs: 0, failCode: null, failRate: 0.1, e110AfterAccepted: ACCEPTED_BEFORE_E110 });
  await waitFor(async () => (await getAccountState(s.ctx, 'acme')).pauseReason === 'E110', { timeoutMs: 30_000, what: 'account paused by E110' });

  await waitFor(async () => {
    const now = await firing();
    return EXPECTED_FIRING.every((n) => now.has(n));
  }, { timeoutMs: 20_000, intervalMs: 250, what: `alerts ${EXPECTED_FIRING.join(', ')} firing (fired so far: ${[...firedEver].join(', ')})` });
  const e110 = (await p.alerts()).find((a) => a.labels.alertname === 'WabulkAccountPausedLowBalance' && a.state === 'firing')!;
  expect(e110.labels).toMatchObject({ account: 'acme', severity: 'critical' });
  expect(e110.annotations.summary).toBe('Kaleyra account acme is out of balance (E110): top up balance');
  // While the worker is scraped, "no worker" is not firing.
  await waitFor(async () => !(await firing()).has('WabulkNoWorker'), { what: 'WabulkNoWorker not firing while the worker is up' });

  // Every dashboard query, "All" accounts and the test account, returns data.
  const report: Record<string, unknown[]> = { panels: [], rules: [], selectors: [] };
  const dashboard = loadDashboard();
  for (const account of ['.*', 'acme']) {
    for (const q of panelQueries(dashboard, { account, rateInterval: '1m' })) {
      const result = await p.query(q.expr);
      expect({ panel: q.panel, refId: q.refId, expr: q.expr, series: result.length > 0 }).toEqual({ panel: q.panel, refId: q.refId, expr: q.expr, series: true });
      if (account === '.*') report.panels!.push({ ...q, series: result.length, result: describeSamples(result) });
    }
  }
  for (const v of variableQueries(dashboard)) expect({ variable: v.name, values: (await p.query(v.expr)).map((r) => r.metric.account) }).toEqual({ variable: v.name, values: ['acme'] });

  // Every rule: the whole expression evaluates; recording rules and every selector an alert depends on return data.
  for (const rule of await p.rules()) {
    expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', error: '' });
    const result = await p.query(rule.query);
    if (rule.type === 'recording') expect({ rule: rule.name, series: result.length > 0 }).toEqual({ rule: rule.name, series: true });
    report.rules!.push({ type: rule.type, name: rule.name, expr: rule.query, series: result.length, result: describeSamples(result) });
    for (const selector of selectorsOf(rule.query)) {
      const data = await p.query(selector);
      expect({ rule: rule.name, selector, series: data.length > 0 }).toEqual({ rule: rule.name, selector, series: true });
      report.selectors!.push({ rule: rule.name, selector, series: data.length });
    }
  }

  // Top-up and resume: the campaign completes and the E110 alert resolves.
  s.sim.setBalance(Infinity);
  await resumeAccount(s.ctx, 'acme');
  const done = await s.waitDone('monitoring', 30_000);
  expect(done).toMatchObject({ total: RECIPIENTS, failed: SLOW_WA400 + (done.byCode.WA500 ?? 0), pending: 0, paused: false });
  await waitFor(async () => !(await firing()).has('WabulkAccountPausedLowBalance'), { timeoutMs: 15_000, intervalMs: 250, what: 'the E110 alert to resolve after resume' });

  // No worker: stop it (SIGTERM, clean exit) and the alert fires.
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  await waitFor(async () => (await firing()).has('WabulkNoWorker'), { timeoutMs: 15_000, intervalMs: 250, what: 'WabulkNoWorker firing after the worker stopped' });
  for (const name of [...EXPECTED_FIRING, 'WabulkNoWorker']) expect(firedEver).toContain(name);

  const file = process.env.WABULK_MONITORING_REPORT;
  if (file) {
    const end = Date.now() / 1000;
    const ranges = [];
    for (const q of panelQueries(dashboard, { account: '.*', rateInterval: '5s' })) ranges.push({ ...q, data: await p.queryRange(q.expr, started, end, 1) });
    writeFileSync(file, JSON.stringify({ ...report, firedEver: [...firedEver], ranges, start: started, end }, null, 1));
  }
}, 90_000);
