// Benchmark "console" (issue 14): what the operator console costs, measured against the real API
// (a child process: console-api-child.ts) and Debian's Chromium driven by playwright-core.
//   1. First visit: the bytes /ui/ loads (index.html and every asset it references, fetched from the
//      API), raw and gzip; for scale, the gzip size of Preact's own runtime.
//   2. A personalised CSV (to,name,city; 1M rows, 100k with --quick) checked by a dry run through
//      the new-campaign page, beside the same dry-run upload streamed by Node (fetch, a file
//      ReadStream body, duplex 'half') to the same route in the same run: rows/s, the page's JS heap
//      (CDP, every 100 ms) against the file size, the API's RSS. Each upload gets a fresh API child,
//      so that its RSS is that upload's alone.
//   3. What an open console costs the API: GET /v1/campaigns?limit=50 (the list page's 3 s poll)
//      with 50 campaigns in Redis, 300 sequential requests, beside GET /healthz; the API's CPU per
//      request (/proc) and the requests one open tab sends (counted in Chromium).
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { createQueueContext, Producer } from '@wabulk/queue';
import { collectPageErrors, launchChromium } from '../support/browser.js';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, redisCpuSeconds } from './bench-redis.js';
import { procCpuSeconds, startServerChild, type ServerChild } from './child-process.js';
import type { ConsoleApiChildArg } from './console-api-child.js';
import { ACCOUNT, recipient, recipientRows, recipientVars } from './fixtures.js';
import { machineBusyMeter } from './machine-load.js';
import { disturbance, fmt, log, mib, quietestPair, type BenchResult, type Figure } from './report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = `bench-console-${randomBytes(12).toString('hex')}`;
const TEXT = 'Hi {{name}} from {{city}}';
const SAMPLE_MS = 100;
const LIST_CAMPAIGNS = 50;
const REQUESTS = 300;
/** Chromium's CPU with the page idle is read over this long before each measured click. */
const IDLE_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- processes: RSS and CPU from /proc

/** Resident set size of a process in bytes (VmRSS), NaN when unreadable. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The main thread's time on a CPU and waiting for one (runnable, on the run queue), in ms: the rest
 * of a window is time it slept, waiting for I/O (the upload's next bytes, Redis's answers).
 * /proc/<pid>/schedstat; NaN when unreadable.
 */
function schedOf(pid: number): { onCpu: number; runQueue: number } {
  try {
    const [onCpu, runQueue] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { onCpu: onCpu! / 1e6, runQueue: runQueue! / 1e6 };
  } catch {
    return { onCpu: NaN, runQueue: NaN };
  }
}

/** Every live process below `pid` (Linux /proc), with its command name. */
function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const parent = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      parent.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
    } catch {
      // gone meanwhile
    }
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (p: number) => {
    for (const [child, info] of parent) {
      if (info.ppid === p) {
        out.push({ pid: child, comm: info.comm });
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** CPU seconds of this process and everything it started (Redis, the API child, Chromium). */
const ourCpuSeconds = () => procCpuSeconds(process.pid) + descendants(process.pid).reduce((s, d) => s + (procCpuSeconds(d.pid) || 0), 0);
/** Chromium's process kind from its command line: browser, renderer, gpu-process, network (utility), … */
function chromiumKind(pid: number): string {
  try {
    // Chromium rewrites its children's argv into one space-separated string.
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const type = args.find((a) => a.startsWith('--type='))?.slice(7);
    const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.slice(19);
    return type === undefined ? 'browser' : sub ? `${type} ${sub.replace(/\.mojom\./, ' ').split(' ').at(-1)}` : type;
  } catch {
    return 'gone';
  }
}

/** CPU seconds of Chromium's processes by kind (browser, renderer, network service, GPU, …). */
function chromiumCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of descendants(process.pid).filter((x) => /chrom/i.test(x.comm))) {
    const kind = chromiumKind(d.pid);
    out.set(kind, (out.get(kind) ?? 0) + (procCpuSeconds(d.pid) || 0));
  }
  return out;
}
const chromiumCpuSeconds = () => [...chromiumCpu().values()].reduce((a, b) => a + b, 0);
/** ms of CPU per Chromium process kind between two readings. */
const chromiumCpuDelta = (a: Map<string, number>, b: Map<string, number>) => new Map([...b].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) * 1000]));

/** Calls `sample` every `everyMs` (never two at once) until the returned stop() is awaited. */
function every(everyMs: number, sample: () => Promise<void> | void): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await sleep(everyMs);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

const startApi = (env: BenchEnv): Promise<ServerChild> => startServerChild('console-api-child.ts', { redisUrl: env.redisUrl, base: env.base, token: TOKEN } satisfies ConsoleApiChildArg);

// ---- 1. first visit

interface Asset {
  path: string;
  raw: number;
  gzip9: number;
  gzipDefault: number;
  encoding: string;
}

const gz = (buf: Buffer, level: number) => gzipSync(buf, { level }).length;

async function firstVisit(url: string): Promise<Asset[]> {
  const get = async (path: string): Promise<Asset> => {
    const res = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'identity' } });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} (is apps/console built? cd apps/console && pnpm build)`);
    const buf = Buffer.from(await res.arrayBuffer());
    return { path, raw: buf.length, gzip9: gz(buf, 9), gzipDefault: gz(buf, constants.Z_DEFAULT_COMPRESSION), encoding: res.headers.get('content-encoding') ?? 'none' };
  };
  const index = await get('/ui/');
  const html = await (await fetch(`${url}/ui/`)).text();
  const refs = [...new Set([...html.matchAll(/\b(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!))];
  if (refs.length === 0) throw new Error('/ui/ references no asset: is the console built?');
  const assets = [index];
  for (const ref of refs) assets.push(await get(ref));
  return assets;
}

/** gzip (default level) of the Preact runtime the console bundles: preact, preact/hooks, preact/jsx-runtime. */
function preactRuntimeGzip(): { bytes: number; version: string } {
  const require = createRequire(join(root, 'apps', 'console', 'package.json'));
  const files = ['preact', 'preact/hooks', 'preact/jsx-runtime'].map((m) => require.resolve(m));
  const version = (JSON.parse(readFileSync(require.resolve('preact/package.json'), 'utf8')) as { version: string }).version;
  return { bytes: files.reduce((s, f) => s + gz(readFileSync(f), constants.Z_DEFAULT_COMPRESSION), 0), version };
}

// ---- 2. the upload

/** The personalised CSV: `to,name,city`, n distinct valid +91 numbers. */
async function writeCsv(path: string, n: number): Promise<number> {
  const out = createWriteStream(path);
  let buf = 'to,name,city\n';
  for (let i = 0; i < n; i++) {
    const [name, , city] = recipientVars(i);
    buf += `${recipient(i)},${name},${city}\n`;
    if (buf.length >= 65_536) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return statSync(path).size;
}

interface DryRunAnswer {
  read: number;
  accepted: number;
  rejectedTotal: number;
  dryRun?: boolean;
}

interface Upload {
  via: 'browser' | 'node';
  label: string;
  rows: number;
  ms: number;
  answer: DryRunAnswer;
  apiRssBefore: number;
  apiRssPeak: number;
  apiRssAfter: number;
  apiCpuMs: number;
  redisCpuMs: number;
  /** Chromium's processes (browser) or this process (node): the client's side. */
  clientCpuMs: number;
  ourCpuMs: number;
  machineBusyMs: number;
  /** The API's main thread (its event loop) over the upload, ms: on a CPU, runnable but waiting for one; the rest it slept. */
  apiMainThread: { onCpu: number; runQueue: number };
  /** The page's JSHeapUsedSize after a GC just before the click, its peak while uploading, after a GC at the end. */
  heap?: { before: number; peak: number; after: number; samples: number };
  /** Chromium's CPU ms by process kind: over IDLE_MS with the page idle (heap sampled), and during the upload. */
  chromium?: { idle: { ms: number; cpu: Map<string, number>; heapGrowth: number }; during: Map<string, number> };
  /** Browser: the page's fetch from its start to the answer's last byte (Resource Timing). */
  fetchMs?: number;
  pageErrors?: string[];
}

const rowsPerSecond = (u: Upload) => u.rows / (u.ms / 1000);
/** CPU % (of one core) processes outside this benchmark used during the upload. */
const otherLoad = (u: Upload) => Math.max(0, (100 * (u.machineBusyMs - u.ourCpuMs)) / u.ms);

const query = (campaignId: string) => new URLSearchParams({ campaignId, body: TEXT, priority: 'normal', dryRun: 'true' }).toString();

function checkAnswer(answer: DryRunAnswer, rows: number, via: string): void {
  if (answer.dryRun !== true || answer.read !== rows || answer.accepted !== rows || answer.rejectedTotal !== 0) {
    throw new Error(`${via} dry run answered ${JSON.stringify(answer).slice(0, 300)}; expected ${rows} rows read and accepted`);
  }
}

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
}

/** Page script (a string: test/ has no DOM types): resolves once the dry run's result or an error is on the page. */
const SHOWN = `new Promise((resolve) => {
  const sel = 'section.dry-run, form.new-campaign [role="alert"]';
  if (document.querySelector(sel)) return resolve(true);
  const mo = new MutationObserver(() => { if (document.querySelector(sel)) { mo.disconnect(); resolve(true); } });
  mo.observe(document.body, { childList: true, subtree: true });
})`;

/** Page script: duration (ms) of the page's last POST /v1/campaigns fetch, by Resource Timing. */
const FETCH_TIMING = `(() => {
  const e = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'fetch' && new URL(r.name).pathname === '/v1/campaigns' && r.name.includes('dryRun=true')).at(-1);
  return e ? e.responseEnd - e.startTime : NaN;
})()`;

/** The dry run's figures as the page shows them ("Rows read 100,000", …). */
async function dryRunShown(page: Page): Promise<DryRunAnswer> {
  const section = page.locator('section.dry-run');
  if ((await section.count()) === 0) throw new Error(`browser dry run: the page says ${await page.locator('form.new-campaign [role="alert"]').first().textContent()}`);
  const figures = new Map<string, number>();
  for (const item of await section.locator('dl.figures > div').all()) {
    figures.set((await item.locator('dt').textContent()) ?? '', Number(((await item.locator('dd').textContent()) ?? '').replace(/,/g, '')));
  }
  return { dryRun: true, read: figures.get('Rows read') ?? NaN, accepted: figures.get('Would be queued') ?? NaN, rejectedTotal: figures.get('Rejected') ?? NaN };
}

async function jsHeapUsed(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = metrics.find((x) => x.name === 'JSHeapUsedSize');
  if (!m) throw new Error('CDP Performance.getMetrics gave no JSHeapUsedSize');
  return m.value;
}

/** One measured upload against a fresh API child: `drive` starts it and resolves with the answer. */
async function measureUpload(env: BenchEnv, api: ServerChild, via: Upload['via'], label: string, rows: number, drive: () => Promise<DryRunAnswer>, sampleMore?: () => Promise<void>): Promise<Omit<Upload, 'heap' | 'chromium' | 'fetchMs' | 'pageErrors'>> {
  const apiRssBefore = rssOf(api.pid);
  let apiRssPeak = apiRssBefore;
  const stop = every(SAMPLE_MS, async () => {
    apiRssPeak = Math.max(apiRssPeak, rssOf(api.pid));
    await sampleMore?.();
  });
  const busy = machineBusyMeter();
  const our0 = ourCpuSeconds();
  const api0 = procCpuSeconds(api.pid);
  const redis0 = await redisCpuSeconds(env.redis);
  const client0 = via === 'browser' ? chromiumCpuSeconds() : process.cpuUsage();
  const sched0 = schedOf(api.pid);
  const t0 = performance.now();
  let answer: DryRunAnswer;
  try {
    answer = await drive();
  } finally {
    await stop();
  }
  const ms = performance.now() - t0;
  const sched1 = schedOf(api.pid);
  const clientCpuMs = typeof client0 === 'number' ? (chromiumCpuSeconds() - client0) * 1000 : ((u) => (u.user + u.system) / 1000)(process.cpuUsage(client0));
  const upload = {
    via, label, rows, ms, answer, apiRssBefore, apiRssPeak: Math.max(apiRssPeak, rssOf(api.pid)), apiRssAfter: rssOf(api.pid),
    apiCpuMs: (procCpuSeconds(api.pid) - api0) * 1000, redisCpuMs: ((await redisCpuSeconds(env.redis)) - redis0) * 1000, clientCpuMs,
    ourCpuMs: (ourCpuSeconds() - our0) * 1000, machineBusyMs: busy(),
    apiMainThread: { onCpu: sched1.onCpu - sched0.onCpu, runQueue: sched1.runQueue - sched0.runQueue },
  };
  checkAnswer(answer, rows, via);
  return upload;
}

async function nodeUpload(env: BenchEnv, api: ServerChild, csv: string, rows: number, label: string): Promise<Upload> {
  return measureUpload(env, api, 'node', label, rows, async () => {
    // Node's fetch (undici) streams a ReadableStream body with duplex 'half' (chunked encoding).
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv', accept: 'application/json' },
      body: Readable.toWeb(createReadStream(csv)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    };
    const res = await fetch(`${api.url}/v1/campaigns?${query(`console-${label}`)}`, init);
    const answer = (await res.json()) as DryRunAnswer;
    if (res.status !== 200) throw new Error(`node dry run: HTTP ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  });
}

async function browserUpload(env: BenchEnv, api: ServerChild, browser: Browser, csv: string, rows: number, label: string): Promise<Upload> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  try {
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, api.url);
    await page.getByRole('link', { name: 'New campaign' }).first().click();
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    await page.getByLabel('Campaign ID').fill(`console-${label}`);
    // A local browser gets the path: the File is backed by the file on disk.
    await page.getByLabel('Recipients file (CSV or NDJSON)').setInputFiles(csv);
    // The page read the header (its first 64 KiB) and offers the columns as placeholders.
    await page.locator('code', { hasText: '{{city}}' }).waitFor();
    await page.getByLabel('Message text').fill(TEXT);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const button = page.getByRole('button', { name: 'Check (dry run)' });
    await button.waitFor();
    // The page idle for IDLE_MS, sampled as during the upload: Chromium's CPU and the heap's growth
    // that are this harness and an open page, not the upload.
    await cdp.send('HeapProfiler.collectGarbage');
    const idleBefore = await jsHeapUsed(cdp);
    let idlePeak = idleBefore;
    const idleStop = every(SAMPLE_MS, async () => void (idlePeak = Math.max(idlePeak, await jsHeapUsed(cdp))));
    const idle0 = chromiumCpu();
    const idleT0 = performance.now();
    await sleep(IDLE_MS);
    await idleStop();
    const idle = { ms: performance.now() - idleT0, cpu: chromiumCpuDelta(idle0, chromiumCpu()), heapGrowth: idlePeak - idleBefore };
    await cdp.send('HeapProfiler.collectGarbage');
    const before = await jsHeapUsed(cdp);
    let peak = before;
    let samples = 0;
    const busy0 = chromiumCpu();
    const upload = await measureUpload(
      env, api, 'browser', label, rows,
      async () => {
        // Armed before the click: a MutationObserver in the page resolves when the result (or the
        // API's refusal, an alert on the form) is shown. Playwright's own waitFor would poll the
        // page every animation frame, CPU the browser then takes from the API on 2 cores.
        const shown = page.evaluate(SHOWN);
        await button.click();
        await shown;
        return dryRunShown(page);
      },
      async () => {
        peak = Math.max(peak, await jsHeapUsed(cdp));
        samples++;
      },
    );
    const during = chromiumCpuDelta(busy0, chromiumCpu());
    // The page's own timing of its fetch (Resource Timing): start → last byte of the answer.
    const fetchMs = await page.evaluate<number>(FETCH_TIMING);
    peak = Math.max(peak, await jsHeapUsed(cdp));
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await jsHeapUsed(cdp);
    return { ...upload, heap: { before, peak, after, samples }, chromium: { idle, during }, fetchMs, pageErrors: errors };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** A fresh API child for each measured upload, warmed by a small upload through Node (untimed). */
async function withFreshApi<T>(env: BenchEnv, warmCsv: string, warmRows: number, fn: (api: ServerChild) => Promise<T>): Promise<T> {
  const api = await startApi(env);
  try {
    await nodeUpload(env, api, warmCsv, warmRows, `warm-${randomBytes(3).toString('hex')}`);
    return await fn(api);
  } finally {
    await api.stop();
  }
}

// ---- 3. polling

interface Block {
  what: string;
  path: string;
  latencies: number[];
  ms: number;
  apiCpuMs: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)]!;

async function sequential(api: ServerChild, what: string, path: string, n: number): Promise<Block> {
  const headers = { authorization: `Bearer ${TOKEN}`, accept: 'application/json' };
  const latencies: number[] = [];
  const cpu0 = procCpuSeconds(api.pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${api.url}${path}`, { headers });
    const body = await res.text();
    latencies.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${body.slice(0, 200)}`);
    if (i === 0 && path.startsWith('/v1/campaigns') && (JSON.parse(body) as { campaigns: unknown[] }).campaigns.length !== LIST_CAMPAIGNS) {
      throw new Error(`GET ${path} listed ${(JSON.parse(body) as { campaigns: unknown[] }).campaigns.length} campaigns, not ${LIST_CAMPAIGNS}`);
    }
  }
  return { what, path, latencies, ms: performance.now() - t0, apiCpuMs: (procCpuSeconds(api.pid) - cpu0) * 1000 };
}

/** Same-origin requests one signed-in tab on the campaigns page sends in `windowMs`, by path. */
async function tabRequests(browser: Browser, url: string, windowMs: number): Promise<Map<string, number>> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  try {
    const page = await context.newPage();
    await signIn(page, url);
    await page.locator('tr[data-campaign]').first().waitFor();
    const counts = new Map<string, number>();
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.origin !== url) return;
      const key = `${req.method()} ${u.pathname}${u.search}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    await sleep(windowMs);
    return counts;
  } finally {
    await context.close().catch(() => undefined);
  }
}

// ---- the benchmark

async function run(env: BenchEnv): Promise<BenchResult> {
  const rows = env.quick ? 100_000 : 1_000_000;
  // Node/page pairs back to back; the headline is the pair other processes disturbed least.
  const pairs = env.quick ? 1 : 3;
  const windowMs = env.quick ? 10_000 : 30_000;
  const csv = join(env.tmpDir, `console-${rows}.csv`);
  const warmCsv = join(env.tmpDir, 'console-warm.csv');
  const warmRows = 2000;
  const fileBytes = await writeCsv(csv, rows);
  await writeCsv(warmCsv, warmRows);
  log(`console: ${fmt(rows)}-row CSV of ${fmt(mib(fileBytes), 1)} MiB written`);

  let browser: Browser | undefined;
  const main = await startApi(env);
  try {
    browser = await launchChromium();
    const b = browser;
    const version = b.version();

    // 1. First visit.
    const assets = await firstVisit(main.url);
    const preact = preactRuntimeGzip();
    // Cross-check: what Chromium itself loads for /ui/ before signing in (same origin, not data:).
    const loaded = await (async () => {
      const context = await b.newContext();
      try {
        const page = await context.newPage();
        const paths: string[] = [];
        page.on('request', (r) => void (r.url().startsWith(main.url) && paths.push(new URL(r.url()).pathname)));
        await page.goto(`${main.url}/ui/`, { waitUntil: 'networkidle' });
        await page.getByLabel('API token').waitFor();
        return paths;
      } finally {
        await context.close();
      }
    })();
    const unlisted = loaded.filter((p) => !assets.some((a) => a.path === p));
    const total = (k: 'raw' | 'gzip9' | 'gzipDefault') => assets.reduce((s, a) => s + a[k], 0);
    log(`console: first visit ${fmt(total('raw'))} B raw, ${fmt(total('gzip9'))} B gzip -9 (${assets.length} files; Chromium loaded ${loaded.length})`);

    // 2. Uploads: pairs back to back, alternating which goes first, each upload on a fresh API.
    const uploads: Upload[] = [];
    const uploadPairs: Array<[Upload, Upload]> = [];
    // Warm-up of the browser path (tsx, the page, Chromium's caches), untimed.
    await withFreshApi(env, warmCsv, warmRows, (api) => browserUpload(env, api, b, warmCsv, warmRows, 'warm-browser'));
    for (let k = 0; k < pairs; k++) {
      const order: Array<Upload['via']> = k % 2 === 0 ? ['node', 'browser'] : ['browser', 'node'];
      const pair: Partial<Record<Upload['via'], Upload>> = {};
      for (const via of order) {
        const label = `${via}-${k}`;
        const u = await withFreshApi(env, warmCsv, warmRows, (api) => (via === 'node' ? nodeUpload(env, api, csv, rows, label) : browserUpload(env, api, b, csv, rows, label)));
        uploads.push((pair[via] = u));
        log(`console: ${via} dry run of ${fmt(rows)} rows in ${fmt(u.ms / 1000, 2)} s (${fmt(rowsPerSecond(u))} rows/s), API RSS ${fmt(mib(u.apiRssBefore))} → peak ${fmt(mib(u.apiRssPeak))} MiB${u.heap ? `, page heap +${fmt(mib(u.heap.peak - u.heap.before), 2)} MiB at peak` : ''}`);
      }
      uploadPairs.push([pair.node!, pair.browser!]);
    }
    const [nodeRun, browserRun] = quietestPair(uploadPairs, otherLoad);
    const browsers = uploads.filter((u) => u.via === 'browser');
    const nodes = uploads.filter((u) => u.via === 'node');
    const worstHeap = browsers.reduce((w, u) => (u.heap!.peak - u.heap!.before > w.heap!.peak - w.heap!.before ? u : w));
    const maxRssGrowth = (us: Upload[]) => Math.max(...us.map((u) => u.apiRssPeak - u.apiRssBefore));
    const pageErrors = browsers.flatMap((u) => u.pageErrors ?? []);

    // 3. An open console: 50 small campaigns, then the list request, /healthz and /v1/accounts.
    const ctx = createQueueContext({ redis: env.redis, base: env.base });
    try {
      const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
      for (let i = 0; i < LIST_CAMPAIGNS; i++) {
        await producer.enqueueCampaign({ campaignId: `list-${String(i).padStart(2, '0')}`, body: 'Your order has shipped.', recipients: recipientRows(20, 50_000_000 + i * 20) });
      }
    } finally {
      await ctx.queues.close();
    }
    const listPath = `/v1/campaigns?limit=${LIST_CAMPAIGNS}`;
    for (const path of [listPath, '/healthz', '/v1/accounts']) await sequential(main, 'warm-up', path, 30);
    const busy = machineBusyMeter();
    const our0 = ourCpuSeconds();
    const t0 = performance.now();
    const list = await sequential(main, `GET ${listPath}`, listPath, REQUESTS);
    const health = await sequential(main, 'GET /healthz', '/healthz', REQUESTS);
    const accounts = await sequential(main, 'GET /v1/accounts', '/v1/accounts', REQUESTS);
    const pollMs = performance.now() - t0;
    const pollOther = Math.max(0, (100 * (busy() - (ourCpuSeconds() - our0) * 1000)) / pollMs);
    const tab = await tabRequests(b, main.url, windowMs);
    const perMinute = (match: (key: string) => boolean) => ([...tab].filter(([key]) => match(key)).reduce((s, [, c]) => s + c, 0) * 60_000) / windowMs;
    const listPerMin = perMinute((key) => key.startsWith('GET /v1/campaigns?'));
    const accountsPerMin = perMinute((key) => key === 'GET /v1/accounts');
    const allPerMin = perMinute(() => true);
    const cpuPer = (blk: Block) => blk.apiCpuMs / blk.latencies.length;
    const cpuPerTabMinute = listPerMin * cpuPer(list) + accountsPerMin * cpuPer(accounts);
    const tabsPerCore = cpuPerTabMinute > 0 ? (0.05 * 60_000) / cpuPerTabMinute : NaN;
    log(`console: list ${fmt(mean(list.latencies), 2)} ms mean (healthz ${fmt(mean(health.latencies), 2)} ms); API CPU ${fmt(cpuPer(list), 2)} ms per list request; one tab sends ${fmt(allPerMin, 1)} requests/min`);

    const figures: Figure[] = [
      { measure: 'first visit /ui/: bytes as served (index.html + assets)', value: total('raw') / 1024, unit: 'KiB', note: `${assets.length} files; the API sends them uncompressed` },
      { measure: 'first visit /ui/: gzip -9', value: total('gzip9') / 1024, unit: 'KiB', baseline: { label: `Preact ${preact.version} runtime, gzip`, value: preact.bytes / 1024 }, note: 'for scale, no target' },
      { measure: 'first visit /ui/: gzip default level', value: total('gzipDefault') / 1024, unit: 'KiB', note: 'what a compressing proxy would send' },
      { measure: `dry run of ${fmt(rows)} rows through the page`, value: rowsPerSecond(browserRun), unit: 'rows/s', baseline: { label: 'Node fetch, ReadStream body', value: rowsPerSecond(nodeRun) }, target: { min: 0.8, text: '≥ 0.8x Node' } },
      { measure: 'dry run wall time, click → result shown', value: browserRun.ms / 1000, unit: 's', baseline: { label: 'Node: request → answer', value: nodeRun.ms / 1000 }, note: 'lower is better' },
      { measure: 'API CPU per 1,000 rows, upload from the page', value: (1000 * browserRun.apiCpuMs) / rows, unit: 'ms', baseline: { label: 'upload from Node', value: (1000 * nodeRun.apiCpuMs) / rows }, note: 'steadier than rows/s under load' },
      { measure: 'page JS heap growth during the upload (peak)', value: mib(worstHeap.heap!.peak - worstHeap.heap!.before), unit: 'MiB', baseline: { label: 'the file', value: mib(fileBytes) }, target: { max: 0.1, text: '≤ 0.1x the file' } },
      { measure: 'API peak RSS growth, upload from the page', value: mib(maxRssGrowth(browsers)), unit: 'MiB', baseline: { label: 'upload from Node', value: mib(maxRssGrowth(nodes)) }, note: 'same route: the client should not matter' },
      { measure: `GET ${listPath} (${LIST_CAMPAIGNS} campaigns), mean`, value: mean(list.latencies), unit: 'ms', baseline: { label: 'GET /healthz', value: mean(health.latencies) }, note: `${REQUESTS} sequential` },
      { measure: `GET ${listPath}, p99`, value: p99(list.latencies), unit: 'ms', baseline: { label: 'GET /healthz p99', value: p99(health.latencies) }, note: 'informative' },
      { measure: 'API CPU per list request', value: cpuPer(list), unit: 'ms', baseline: { label: 'per /healthz', value: cpuPer(health) }, note: '/proc utime+stime of the API child' },
      { measure: 'requests one open campaigns tab sends', value: allPerMin, unit: '/min', note: `counted in Chromium over ${windowMs / 1000} s: ${fmt(listPerMin, 1)} list + ${fmt(accountsPerMin, 1)} accounts` },
      { measure: 'open tabs per API core at 5 % CPU', value: tabsPerCore, unit: 'tabs', note: `${fmt(cpuPerTabMinute, 1)} ms of API CPU per tab-minute` },
    ];
    const notes: string[] = [
      `API: a child process (console-api-child.ts: buildApi, one producer Redis connection), a fresh one per measured upload (warmed by an untimed ${fmt(warmRows)}-row upload); RSS from /proc/<pid>/status every ${SAMPLE_MS} ms; Chromium ${version}`,
      ...disturbance('dry-run pair (headline)', [otherLoad(nodeRun), otherLoad(browserRun)]),
      ...(pollOther > 20 ? [`list/healthz requests: other processes used ${fmt(pollOther)} % CPU (of 200 %) meanwhile`] : []),
    ];
    if (unlisted.length > 0) notes.push(`Chromium loaded same-origin paths not referenced by index.html: ${unlisted.join(', ')}`);
    if (pageErrors.length > 0) notes.push(`page errors during the uploads: ${pageErrors.slice(0, 3).join(' | ')}`);
    if (windowMs < 30_000) notes.push(`the tab was watched ${windowMs / 1000} s, less than the accounts poll's 30 s: its rate is a coarse reading`);

    return {
      name: 'console',
      figures,
      notes,
      details: [{
        title: `first visit: GET /ui/ and what it references, fetched from the API (bytes); Chromium loaded: ${[...new Set(loaded)].join(', ')}`,
        header: ['path', 'raw', 'gzip -9', 'gzip default', 'content-encoding'],
        rows: [...assets.map((a) => [a.path, a.raw, a.gzip9, a.gzipDefault, a.encoding]), ['total', total('raw'), total('gzip9'), total('gzipDefault'), '']],
      }, {
        title: `every dry-run upload of ${fmt(rows)} rows (${fmt(mib(fileBytes), 1)} MiB; CPU in ms over the upload; the API's main thread (event loop) as % of the upload's wall time, /proc/<pid>/schedstat; RSS and heap in MiB; "other procs" = CPU of processes not ours, of 200 %)`,
        header: ['via', 'run', 's', 'rows/s', 'API CPU', 'Redis CPU', 'client CPU', 'API RSS before', 'peak', 'after', 'API loop on CPU', 'waiting for CPU', 'asleep (I/O)', 'page fetch s', 'heap before', 'heap peak', 'heap after GC', 'heap samples', `heap growth idle ${IDLE_MS / 1000} s`, 'other procs', ''],
        rows: uploads.map((u) => [
          u.via, u.label, fmt(u.ms / 1000, 2), rowsPerSecond(u), u.apiCpuMs, u.redisCpuMs, u.clientCpuMs,
          fmt(mib(u.apiRssBefore), 1), fmt(mib(u.apiRssPeak), 1), fmt(mib(u.apiRssAfter), 1),
          `${fmt((100 * u.apiMainThread.onCpu) / u.ms)} %`, `${fmt((100 * u.apiMainThread.runQueue) / u.ms)} %`, `${fmt(Math.max(0, 100 - (100 * (u.apiMainThread.onCpu + u.apiMainThread.runQueue)) / u.ms))} %`,
          u.fetchMs === undefined ? '' : fmt(u.fetchMs / 1000, 2), u.heap ? fmt(mib(u.heap.before), 2) : '', u.heap ? fmt(mib(u.heap.peak), 2) : '', u.heap ? fmt(mib(u.heap.after), 2) : '', u.heap ? u.heap.samples : '', u.chromium ? fmt(mib(u.chromium.idle.heapGrowth), 2) : '',
          `${fmt(otherLoad(u))} %`, u === nodeRun || u === browserRun ? 'headline' : '',
        ]),
      }, {
        title: 'Node/page pairs run back to back, alternating which goes first (the headline figure is the pair other processes disturbed least)',
        header: ['pair', 'Node rows/s', 'page rows/s', 'ratio', 'API ms/1k rows Node / page', 'other procs Node / page', ''],
        rows: uploadPairs.map(([nd, br], k) => [
          String(k + 1), rowsPerSecond(nd), rowsPerSecond(br), `${fmt(rowsPerSecond(br) / rowsPerSecond(nd), 2)}x`,
          `${fmt((1000 * nd.apiCpuMs) / rows, 1)} / ${fmt((1000 * br.apiCpuMs) / rows, 1)}`, `${fmt(otherLoad(nd))} % / ${fmt(otherLoad(br))} %`, nd === nodeRun ? 'headline' : '',
        ]),
      }, {
        title: `Chromium's CPU by process, as % of one core: with the page idle (${IDLE_MS / 1000} s before the click, heap sampled every ${SAMPLE_MS} ms as during the upload) and during the upload`,
        header: ['run', 'process', 'idle %', 'upload %', 'upload ms'],
        rows: browsers.flatMap((u) => {
          const c = u.chromium!;
          const kinds = [...new Set([...c.idle.cpu.keys(), ...c.during.keys()])].sort();
          return kinds.map((k) => [u.label, k, fmt((100 * (c.idle.cpu.get(k) ?? 0)) / c.idle.ms), fmt((100 * (c.during.get(k) ?? 0)) / u.ms), c.during.get(k) ?? 0]);
        }),
      }, {
        title: `${REQUESTS} sequential requests each (keep-alive, one at a time; latency in ms as the client sees it; API CPU from /proc, 10 ms ticks)`,
        header: ['request', 'mean ms', 'p50 ms', 'p99 ms', 'max ms', 'req/s', 'API CPU ms/req'],
        rows: [list, health, accounts].map((blk) => [
          blk.what, fmt(mean(blk.latencies), 2), fmt([...blk.latencies].sort((a, c) => a - c)[Math.floor(blk.latencies.length / 2)]!, 2), fmt(p99(blk.latencies), 2), fmt(Math.max(...blk.latencies), 2),
          (blk.latencies.length * 1000) / blk.ms, fmt(cpuPer(blk), 2),
        ]),
      }, {
        title: `requests of one signed-in tab on the campaigns page, ${windowMs / 1000} s after the list first showed`,
        header: ['request', 'count', 'per minute'],
        rows: [...tab].map(([key, c]) => [key, c, fmt((c * 60_000) / windowMs, 1)]),
      }],
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await main.stop();
    await deleteRunKeys(env.redis, env.base);
  }
}

export const consoleBenchmark: Benchmark = {
  name: 'console',
  describe: 'operator console: /ui/ first-visit bytes; a 1M-row (100k --quick) dry run uploaded by the page in Chromium vs by Node (rows/s, page heap, API RSS); the list poll\'s cost to the API',
  run,
};
