import path from 'node:path';
import { expectToolSuccess, INFRA, parseYamlFile, promtool } from './prometheus-tools.js';

// The rule file and the Prometheus config, checked by Prometheus' own tool: syntax and PromQL
// (check rules), behaviour on synthetic series (test rules: every alert fires when it should, and
// stays quiet on look-alikes), and the config with the rule file it loads (check config).

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }>;
}
interface RuleTests {
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

const PROM_DIR = path.join(INFRA, 'prometheus');
const rules = () => parseYamlFile(path.join(PROM_DIR, 'alerts.yml')) as RuleFile;
const alerts = () => rules().groups.flatMap((g) => g.rules).filter((r) => r.alert);

test('promtool check rules: alerts.yml is valid', () => {
  const run = promtool(['check', 'rules', 'alerts.yml']);
  expectToolSuccess(run, 'promtool check rules infra/prometheus/alerts.yml');
  expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
});

test('promtool test rules: alerts.test.yml passes', () => {
  expectToolSuccess(promtool(['test', 'rules', 'alerts.test.yml']), 'promtool test rules infra/prometheus/alerts.test.yml');
});

test('promtool check config: prometheus.yml and the rule file it loads are valid', () => {
  const run = promtool(['check', 'config', 'prometheus.yml']);
  expectToolSuccess(run, 'promtool check config infra/prometheus/prometheus.yml');
  expect(run.output).toContain('1 rule files found');
});

test('every alert is unit-tested firing, has a severity, a summary and a description', () => {
  const tests = parseYamlFile(path.join(PROM_DIR, 'alerts.test.yml')) as RuleTests;
  const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  for (const rule of alerts()) {
    expect({ alert: rule.alert, testedFiring: fired.has(rule.alert!) }).toEqual({ alert: rule.alert, testedFiring: true });
    expect(rule.labels?.severity).toMatch(/^(critical|warning|info)$/);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
    expect(rule.for).toMatch(/^\d+[smh]$/);
  }
});

test('the alerts the issue asks for exist: E110 first with "top up balance", failure ratio, backlog, no worker, p95 latency', () => {
  const list = alerts();
  const byName = new Map(list.map((r) => [r.alert!, r]));
  expect(list[0]!.alert).toBe('WabulkAccountPausedLowBalance');
  expect(byName.get('WabulkAccountPausedLowBalance')!.expr).toContain('reason="E110"');
  expect(byName.get('WabulkAccountPausedLowBalance')!.annotations!.summary).toContain('top up balance');
  expect(byName.get('WabulkFailureRatioHigh')!.expr).toContain('ratio');
  expect(byName.get('WabulkBacklogNotDraining')!.expr).toContain('wabulk_queue_ready_jobs');
  expect(byName.get('WabulkNoWorker')!.expr).toBe('absent(up{job="wabulk-worker"} == 1)');
  expect(byName.get('WabulkSendLatencyHigh')!.expr).toContain('p95');
});
