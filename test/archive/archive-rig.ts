import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaignKeys } from '@wabulk/queue';
import { ApiProcess, apiEnv } from '../api/api-process.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli, type CliResult } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv, type WorkerProcess } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// The archive suites' processes: the simulator and the shared Redis under a key prefix of the suite
// (startStack), a PostgreSQL database of the suite's own with the schema made by `wabulk archive
// migrate` (a real CLI run), `wabulk api` and a worker process, both with WABULK_ARCHIVE_URL and an
// archive delay of 1 h (so nothing is archived unless a test asks), and every `wabulk` command as a
// real process with WABULK_ARCHIVE_URL set.

export const TOKEN = 'archive-token-0123456789abcdef';
export const CALLBACK_SECRET = 'archive-callback-secret-0123';
export const bearer = { authorization: `Bearer ${TOKEN}` };

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface Rig {
  s: Stack;
  db: TestDatabase;
  /** A scratch directory for CSV files (removed by close). */
  dir: string;
  /** The CLI's environment: the suite's key prefix and WABULK_ARCHIVE_URL. */
  env: Record<string, string>;
  api: ApiProcess;
  origin: string;
  worker: WorkerProcess;
  /** What `wabulk archive migrate --json` answered when the rig started. */
  migrate: CliResult;
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** `cli` that must exit 0 and print one JSON line. */
  cliJson<T = Record<string, unknown>>(args: string[]): Promise<T>;
  http(path: string, init?: RequestInit, origin?: string): Promise<HttpAnswer>;
  /** Kaleyra delivery callbacks posted to the API (shared-secret auth); the API's answer. */
  callbacks(list: Array<Record<string, string>>): Promise<{ received: number; applied: number; unchanged: number; unknown: number; ignored: number }>;
  /** The campaign's Redis keys that exist (of meta, recipients, counts, archived). */
  redisKeys(campaignId: string): Promise<string[]>;
  close(): Promise<void>;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** `worker`: the worker's environment on top of the rig's (WABULK_ARCHIVE_AFTER=1h by default). */
export async function startRig(label: string, options: { worker?: Record<string, string> } = {}): Promise<Rig> {
  const s = await startStack();
  const db = await createTestDatabase(label);
  const dir = mkdtempSync(join(tmpdir(), 'wabulk-archive-'));
  const env = cliEnv(s.base, { WABULK_ARCHIVE_URL: db.url });
  const cli = (args: string[], e: Record<string, string> = env) => runCli(args, { env: e, timeoutMs: 60_000 });
  // The schema, made the way an operator makes it.
  const migrate = await cli(['archive', 'migrate', '--json']);
  if (migrate.code !== 0) throw new Error(describeRun(migrate));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const api = new ApiProcess(apiEnv(s.base, port, { WABULK_API_TOKENS: TOKEN, WABULK_CALLBACK_SECRET: CALLBACK_SECRET, WABULK_ARCHIVE_URL: db.url }));
  const [worker] = await Promise.all([
    spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }, { WABULK_ARCHIVE_URL: db.url, WABULK_ARCHIVE_AFTER: '1h', ...options.worker })),
    api.waitForLog('api listening', 30_000),
  ]);
  const rig: Rig = {
    s,
    db,
    dir,
    env,
    api,
    origin,
    worker,
    migrate,
    cli,
    async cliJson<T>(args: string[]) {
      const r = await cli(args);
      if (r.code !== 0) throw new Error(describeRun(r));
      return onlyJson<T>(r);
    },
    async http(path, init = {}, o = origin) {
      return answer(await fetch(`${o}${path}`, { ...init, headers: { ...bearer, ...(init.headers as Record<string, string> | undefined) } }));
    },
    async callbacks(list) {
      const res = await fetch(`${origin}/v1/callbacks/kaleyra`, { method: 'POST', headers: { 'x-wabulk-callback-secret': CALLBACK_SECRET, 'content-type': 'application/json' }, body: JSON.stringify(list) });
      const a = await answer(res);
      if (a.status !== 200) throw new Error(`callbacks answered ${a.status}: ${a.text}`);
      return a.json();
    },
    async redisKeys(campaignId) {
      const k = campaignKeys(s.base, campaignId);
      const out: string[] = [];
      for (const key of [k.meta, k.recipients, k.counts, k.archived]) if ((await s.redis.exists(key)) === 1) out.push(key);
      return out;
    },
    async close() {
      await killAllClis();
      await killAllWorkers();
      if (api.running) await api.stop('SIGKILL');
      await s.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** The body of the mixed campaign: two placeholders, one with a fallback. */
export const MIXED_BODY = 'Hi {{name}}, order {{order|pending}} is ready';

export interface MixedCampaign {
  id: string;
  /** Every recipient, E.164. */
  all: string[];
  /** Recipient → the body the simulator must have received for it. */
  bodies: Map<string, string>;
  /** Recipient → its ref (every other one has one). */
  refs: Map<string, string>;
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * A campaign sent through `wabulk send --csv` by the worker process: 30 recipients with the
 * simulator answering the first 4 requests WA400, then 10 more (a second file into the same
 * campaign) with the first 3 answered 422 WA422; every recipient has {{name}} and {{order}} values
 * (some names with commas and quotes, some orders empty: the fallback), every other one a ref.
 * Returns once `send --wait` saw the campaign done.
 */
export async function sendMixedCampaign(rig: Rig, id: string, start = 500): Promise<MixedCampaign> {
  const all = numbers(40, start);
  const bodies = new Map<string, string>();
  const refs = new Map<string, string>();
  const rows = all.map((to, i) => {
    const name = i % 5 === 0 ? `Ann, "Jr" ${i}` : `N${i}`;
    const order = i % 3 === 0 ? '' : `O-${i}`;
    const ref = i % 2 === 0 ? `cust-${i}` : '';
    bodies.set(to, `Hi ${name}, order ${order || 'pending'} is ready`);
    if (ref) refs.set(to, ref);
    return [to, name, order, ref].map(csvCell).join(',');
  });
  const header = 'to,name,order,ref';
  const first = join(rig.dir, `${id}-a.csv`);
  const second = join(rig.dir, `${id}-b.csv`);
  writeFileSync(first, `${header}\n${rows.slice(0, 30).join('\n')}\n`);
  writeFileSync(second, `${header}\n${rows.slice(30).join('\n')}\n`);

  rig.s.sim.setFaults({ failNext: 4, failCode: 'WA400', failStatus: null });
  const a = await rig.cliJson<{ accepted: number; status: { done: boolean; failed: number } }>(['send', '--csv', first, '--campaign', id, '--body', MIXED_BODY, '--wait', '--json']);
  if (a.accepted !== 30 || !a.status.done || a.status.failed !== 4) throw new Error(`first file: ${JSON.stringify(a)}`);
  rig.s.sim.setFaults({ failNext: 3, failCode: 'WA422', failStatus: 422 });
  const b = await rig.cliJson<{ accepted: number; status: { done: boolean; failed: number } }>(['send', '--csv', second, '--campaign', id, '--body', MIXED_BODY, '--wait', '--json']);
  if (b.accepted !== 10 || !b.status.done || b.status.failed !== 7) throw new Error(`second file: ${JSON.stringify(b)}`);
  rig.s.sim.setFaults({ failNext: 0, failCode: null, failStatus: null });
  return { id, all, bodies, refs };
}

/** The simulator's message_id of each recipient it accepted a message for (digits → '+digits'). */
export function simIds(rig: Rig): Map<string, string> {
  return new Map(rig.s.sim.messages().map((m) => [`+${m.to.replace(/^\+/, '')}`, m.message_id]));
}

/** Every page of GET /v1/campaigns/:id/recipients (JSON), following nextCursor; the pages' rows in order. */
export async function walkRecipients(rig: Rig, id: string, query: string, origin?: string): Promise<{ pages: number; rows: Array<Record<string, unknown>> }> {
  const rows: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await rig.http(`/v1/campaigns/${id}/recipients?${query}${cursor ? `&cursor=${cursor}` : ''}`, {}, origin);
    if (r.status !== 200) throw new Error(`recipients page answered ${r.status}: ${r.text}`);
    const body = r.json<{ recipients: Array<Record<string, unknown>>; nextCursor: string | null }>();
    rows.push(...body.recipients);
    cursor = body.nextCursor;
    pages++;
    if (pages > 1000) throw new Error('recipients paging does not end');
  } while (cursor !== null);
  return { pages, rows };
}

/** Rows keyed by `to` (each `to` must be there once). */
export function byTo(rows: Array<Record<string, unknown>>): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const to = String(r.to);
    if (m.has(to)) throw new Error(`recipient ${to} listed twice`);
    m.set(to, r);
  }
  return m;
}

/** The output's lines, sorted (an export's rows may come in any order). */
export const sortedLines = (text: string) => text.split('\n').filter((l) => l !== '').sort();

/** Waits until `status --json` (a CLI run) satisfies `check`; the last status. */
export async function waitStatus(rig: Rig, id: string, check: (s: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const r = await rig.cli(['status', '--campaign', id, '--json']);
      if (r.code !== 0) return undefined;
      const st = onlyJson(r);
      return check(st) ? st : undefined;
    },
    { timeoutMs, intervalMs: 200, what },
  );
}
