import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { apiEnvSchema, loadAccounts, parseEnv, workerEnvSchema } from '@wabulk/config';
import { allPanels, loadDashboard } from './dashboard-queries.js';
import { INFRA, parseYamlFile, REPO_ROOT } from './prometheus-tools.js';

// Docker does not run on our machines: the compose file, the Dockerfile and Grafana's
// provisioning are checked as files (parsed, cross-referenced); the live test evaluates the
// dashboard's queries against a real Prometheus.

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = () => parseYamlFile(path.join(INFRA, 'docker-compose.yml')) as Compose;

test('docker-compose.yml: Redis with AOF and noeviction, simulator, worker, API, Prometheus and Grafana', () => {
  const { services } = compose();
  expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'sim', 'worker', 'api', 'prometheus', 'grafana']));

  const redis = services.redis!.command!.join(' ');
  expect(redis).toMatch(/--appendonly yes/);
  expect(redis).toMatch(/--maxmemory-policy noeviction/);

  expect(services.sim!.command!.slice(0, 1)).toEqual(['sim']);
  expect(services.sim!.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
  expect(services.api!.command).toEqual(['api']);
  expect(services.api!.ports).toEqual(expect.arrayContaining([expect.stringMatching(/:8080:8080$/)]));

  const worker = services.worker!;
  expect(worker.command).toEqual(['worker']);
  // WABULK_ACCOUNT comes from the shared x-wabulk-env block; the schema test below needs it to be 'demo'.
  expect(worker.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', KALEYRA_BASE_URL: 'http://sim:8089', METRICS_PORT: '9464', WABULK_ACCOUNT: 'demo' });

  // The apps build from one Dockerfile that exists, with the repository root as context.
  for (const name of ['sim', 'worker', 'api']) {
    const build = services[name]!.build!;
    expect(path.resolve(INFRA, build.context)).toBe(REPO_ROOT);
    expect(existsSync(path.join(REPO_ROOT, build.dockerfile))).toBe(true);
  }
});

/** Compose's `${VAR:-default}` as compose resolves it with VAR unset. */
const withDefaults = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));

test('docker-compose.yml: the worker and API environments pass the apps\' own configuration schemas', () => {
  const { services } = compose();
  const worker = parseEnv(workerEnvSchema, withDefaults(services.worker!.environment!));
  expect(loadAccounts(worker)).toEqual([expect.objectContaining({ id: 'demo', baseUrl: 'http://sim:8089' })]);
  const api = parseEnv(apiEnvSchema, withDefaults(services.api!.environment!));
  // Prometheus scrapes the API's /metrics with a bearer token the API accepts.
  const prom = parseYamlFile(path.join(INFRA, 'prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; authorization?: { credentials?: string } }> };
  const token = prom.scrape_configs.find((j) => j.job_name === 'wabulk-api')?.authorization?.credentials;
  expect(token).toBe('prometheus-dev-token');
  expect(api.WABULK_API_TOKENS).toContain(token);
});

test('docker-compose.yml: every bind mount exists; Prometheus and Grafana get their config, dashboards and provisioning', () => {
  const { services } = compose();
  const bindMounts = Object.entries(services).flatMap(([service, s]) =>
    (s.volumes ?? []).map((v) => v.split(':')[0]!).filter((source) => source.startsWith('.')).map((source) => ({ service, source, exists: existsSync(path.resolve(INFRA, source)) })),
  );
  // The list is not empty (a loop over nothing would pass), and every source is on disk.
  expect(bindMounts.map((m) => `${m.service}:${m.source}`).sort()).toEqual(['grafana:./grafana/dashboards', 'grafana:./grafana/provisioning', 'postgres:./postgres/grafana-reader.sql', 'postgres:./postgres/initdb', 'prometheus:./prometheus']);
  for (const m of bindMounts) expect(m).toEqual({ ...m, exists: true });
  expect(services.prometheus!.volumes).toEqual(expect.arrayContaining(['./prometheus:/etc/prometheus:ro']));
  expect(services.prometheus!.command).toEqual(expect.arrayContaining(['--config.file=/etc/prometheus/prometheus.yml']));
  expect(services.grafana!.volumes).toEqual(expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', './grafana/dashboards:/etc/grafana/dashboards:ro']));
});

test('Grafana provisioning: the data source the dashboard uses, and the folder the dashboards are mounted at', () => {
  const ds = parseYamlFile(path.join(INFRA, 'grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
  const providers = parseYamlFile(path.join(INFRA, 'grafana/provisioning/dashboards/wabulk.yml')) as { providers: Array<{ type: string; options: { path: string } }> };
  expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'wabulk-prometheus', type: 'prometheus', url: 'http://prometheus:9090' })]);
  expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: '/etc/grafana/dashboards' } });

  const d = loadDashboard();
  const panels = allPanels(d).filter((p) => p.type !== 'row');
  expect(panels.length).toBeGreaterThan(0);
  const uids = new Set<string | undefined>();
  for (const p of panels) {
    uids.add(p.datasource?.uid);
    expect({ panel: p.title, targets: (p.targets ?? []).filter((t) => t.expr).length > 0 }).toEqual({ panel: p.title, targets: true });
  }
  for (const v of d.templating.list) uids.add(v.datasource?.uid);
  expect([...uids]).toEqual(['wabulk-prometheus']);
});

test('wabulk.json: unique panel ids, panels inside the 24-column grid, the panels the issue asks for', () => {
  const d = loadDashboard();
  const panels = allPanels(d);
  const ids = panels.map((p) => p.id);
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) expect(Number.isInteger(id)).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  for (const p of panels) {
    const { x, w } = p.gridPos ?? {};
    expect({ panel: p.title, x: Number.isInteger(x) && x! >= 0, w: Number.isInteger(w) && w! > 0 }).toEqual({ panel: p.title, x: true, w: true });
    expect(x! + w!).toBeLessThanOrEqual(24);
  }
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
  expect(exprs).toContain('wabulk_messages_sent_total'); // throughput
  expect(exprs).toMatch(/sum by \(account, code\) \(rate\(wabulk_messages_failed_total/); // failures by code
  expect(exprs).toMatch(/histogram_quantile\(0\.99/); // latency quantiles
  expect(exprs).toContain('max by (account, state) (wabulk_queue_jobs'); // queue depth
  expect(exprs).toContain('wabulk_account_paused'); // paused accounts
  expect(exprs).toContain('sum(up{job="wabulk-worker"})'); // worker count
});

test('docker-compose.yml: PostgreSQL for the archive, migrations one-shot, sending never waits for PostgreSQL', () => {
  const { services, volumes } = compose() as Compose & { services: Record<string, Service & { depends_on?: Record<string, { condition: string }>; restart?: string; healthcheck?: { test: string[] } }> };
  const postgres = services.postgres!;
  expect(postgres.image).toMatch(/^postgres:1[56]-alpine$/);
  expect(postgres.volumes).toEqual(expect.arrayContaining(['postgres-data:/var/lib/postgresql/data']));
  expect(volumes).toHaveProperty('postgres-data');
  expect(postgres.healthcheck!.test).toEqual(expect.arrayContaining(['pg_isready']));
  // No real secret committed: the defaults say so.
  expect(postgres.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{WABULK_PG_PASSWORD:-[^}]*change-me\}$/);
  const url = 'postgres://wabulk:${WABULK_PG_PASSWORD:-wabulk-dev-password-change-me}@postgres:5432/wabulk';
  for (const name of ['worker', 'api', 'archive-migrate']) expect(services[name]!.environment!.WABULK_ARCHIVE_URL).toBe(url);
  expect(services.worker!.environment!.WABULK_ARCHIVE_AFTER).toBe('${WABULK_ARCHIVE_AFTER:-1h}');
  expect(services['archive-migrate']).toMatchObject({ command: ['archive', 'migrate'], restart: 'on-failure', depends_on: { postgres: { condition: 'service_healthy' } } });
  for (const name of ['worker', 'api']) {
    for (const [dep, { condition }] of Object.entries(services[name]!.depends_on ?? {})) {
      if (dep === 'postgres' || dep === 'archive-migrate') expect({ service: name, dep, condition }).toEqual({ service: name, dep, condition: 'service_started' });
    }
  }
  const ds = parseYamlFile(path.join(INFRA, 'grafana/provisioning/datasources/archive.yml')) as { datasources: Array<Record<string, unknown>> };
  expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'wabulk-archive', type: 'grafana-postgresql-datasource', url: 'postgres:5432', user: 'grafana_reader' })]);
  expect(services.grafana!.environment!.GRAFANA_READER_PASSWORD).toBe(postgres.environment!.GRAFANA_READER_PASSWORD);
});

test('Dockerfile: pnpm 12.4.2 from npm (not corepack), pnpm build, one image for worker, api and sim', () => {
  const dockerfile = readFileSync(path.join(INFRA, 'docker/Dockerfile'), 'utf8');
  expect(dockerfile).toContain('npm i -g pnpm@12.4.2');
  expect(dockerfile).not.toMatch(/^\s*RUN .*corepack/m);
  expect(dockerfile).toMatch(/pnpm build/);
  expect(dockerfile).toMatch(/^FROM .* AS build$/m);
  expect(dockerfile).toMatch(/^FROM .* AS runtime$/m);
  const entrypoint = readFileSync(path.join(INFRA, 'docker/entrypoint.sh'), 'utf8');
  for (const main of ['apps/worker/dist/main.js', 'apps/kaleyra-sim/dist/main.js', 'apps/cli/dist/main.js']) {
    expect(entrypoint).toContain(main);
    expect(existsSync(path.join(REPO_ROOT, main.replace('dist/main.js', 'src/main.ts')))).toBe(true);
  }
});
