import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { requireBinary } from './prometheus-tools.js';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export interface PromRule {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  state?: string;
  health: string;
  lastError?: string;
}

/**
 * A real Prometheus of the test's own: a free port, a temporary TSDB, a generated config (JSON is
 * YAML) scraping and evaluating every second, and a copy of the rule file given.
 */
export class PrometheusServer {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'wabulk-prom-'));
  #child?: ChildProcess;
  #log = '';

  private constructor(readonly port: number) {}

  /** `jobs`: scrape job name → targets (host:port). `rules`: the rule file's text. */
  static async start(options: { jobs: Record<string, string[]>; rules: string }): Promise<PrometheusServer> {
    const server = new PrometheusServer(await freePort());
    try {
      await server.#start(options);
    } catch (err) {
      await server.stop(); // the process (if any) and the temporary directory
      throw err;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  log(): string {
    return this.#log;
  }

  async #start(options: { jobs: Record<string, string[]>; rules: string }): Promise<void> {
    const rulesFile = path.join(this.dir, 'alerts.yml');
    writeFileSync(rulesFile, options.rules);
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      scrape_configs: Object.entries(options.jobs).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
    };
    const configFile = path.join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const child = spawn(requireBinary('prometheus'), [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (this.#log += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (this.#log += c));
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${this.#log}\nconfig:\n${readFileSync(configFile, 'utf8')}`);
      return (await httpGet(`${this.url}/-/ready`).catch(() => ({ status: 0 }))).status === 200;
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'prometheus to be ready' });
  }

  /** An instant query; throws with Prometheus' error when the query is rejected. */
  async query(expr: string): Promise<PromSample[]> {
    const data = await this.#api<{ resultType: string; result: PromSample[] | [number, string] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as PromSample[];
  }

  /** A range query (for pictures of the panels). */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
    const q = `query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${stepSeconds}`;
    const data = await this.#api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(`/api/v1/query_range?${q}`);
    return data.result;
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.#api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  }

  async rules(): Promise<PromRule[]> {
    const data = await this.#api<{ groups: Array<{ rules: PromRule[] }> }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  async #api<T>(pathAndQuery: string): Promise<T> {
    const res = await httpGet(`${this.url}${pathAndQuery}`);
    const body = JSON.parse(res.body) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? res.body}`);
    return body.data;
  }

  /** SIGTERM, wait for the exit (SIGKILL past a deadline), delete the TSDB. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GET with a fresh connection each time (nothing keeps a socket open after the test). */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
