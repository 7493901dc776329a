import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Registry } from 'prom-client';
import { buildApi, type Api } from '@wabulk/api';
import { startSimulator, type Simulator } from '@wabulk/kaleyra-sim';
import { createLogger } from '@wabulk/telemetry';
import { readCsvRecipients, resumeAccount, type CampaignStatus } from '@wabulk/queue';
import { openContext, type CliContext } from '../cli-context.js';
import { watchCampaign } from '../live-summary.js';
import { ensureRedis, freePort } from '../local-redis.js';

const SID = 'HXDEMO0000000001';
const API_KEY = 'demo-api-key';
const SENDER = '+919000000000';
const ACCOUNT = 'demo';

export interface DemoOptions {
  recipients: number;
  balance: number;
  failRate: number;
  workers: number;
  json?: boolean;
  /** Then keep everything running with the API and its console at /ui/ on this port (0 = a free one). */
  console?: number;
}

const say = (msg: string) => process.stderr.write(`${msg}\n`);

/**
 * The whole system on one machine: Redis (started if none answers), the Kaleyra simulator with
 * WA500 faults and a small balance, worker processes, and a campaign from a CSV with a few bad
 * rows. It shows the E110 pause, tops the balance up, resumes, and ends with a summary table.
 */
export async function demoCommand(o: DemoOptions): Promise<number> {
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  say(redis.started ? `▸ Redis: none was running, started redis-server at ${redis.url}` : `▸ Redis: using ${redis.url}`);
  // The first 3 requests are answered WA400 (failed at once, with the code); after that a share WA500 (retried).
  const sim = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], balance: o.balance, latencyMs: 5 });
  sim.setFaults({ latencyJitterMs: 20, failNext: 3, failCode: 'WA400' });
  let wa500On = false;
  say(`▸ Kaleyra simulator at ${sim.url}: balance ${o.balance} messages, ${Math.round(o.failRate * 100)}% WA500, the first 3 requests WA400`);

  const env = { ...process.env, REDIS_URL: redis.url };
  const c = await openContext(env);
  const dir = mkdtempSync(join(tmpdir(), 'wabulk-demo-'));
  const workers: ChildProcess[] = [];
  let api: { app: Api; url: string; token: string } | undefined;
  const started = Date.now();
  try {
    // A fresh start for the demo account: no jobs or pause left from an earlier run.
    await c.ctx.queues.get(ACCOUNT).obliterate({ force: true });
    await resumeAccount(c.ctx, ACCOUNT);

    for (let i = 0; i < o.workers; i++) workers.push(await startWorkerProcess(env, sim.url, dir, i));
    say(`▸ ${o.workers} worker processes running (logs in ${dir})`);
    if (o.console !== undefined) api = await startConsoleApi(c, sim, o.console);

    const campaignId = `demo-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const csv = join(dir, 'recipients.csv');
    writeCsv(csv, o.recipients);
    say(`▸ importing ${o.recipients} recipients + 3 bad rows from ${csv} as campaign ${campaignId}`);
    const bar = process.stderr.isTTY ? new SingleBar({ format: '  |{bar}| {value}/{total} rows | accepted {accepted} | rejected {rejected}', stream: process.stderr, hideCursor: true }) : undefined;
    bar?.start(o.recipients + 3, 0, { accepted: 0, rejected: 0 });
    const imported = await c.producer.enqueueCampaign({
      account: ACCOUNT,
      campaignId,
      body: 'Hello from the wabulk demo! Your order has shipped: https://example.com/track',
      previewUrl: true,
      recipients: readCsvRecipients(createReadStream(csv)),
      onProgress: (p) => bar?.update(p.read, { accepted: p.accepted, rejected: p.rejected }),
    });
    bar?.update(imported.read, { accepted: imported.accepted, rejected: imported.rejectedTotal });
    bar?.stop();
    say(`  accepted ${imported.accepted}, rejected ${imported.rejectedTotal}:`);
    for (const r of imported.rejected) say(`    line ${r.line}: ${JSON.stringify(r.input)} — ${r.reason}`);

    say('▸ sending (live summary below)');
    let toppedUp = false;
    const final = await watchCampaign(c.ctx, campaignId, {
      onTick: async (s) => {
        if (!wa500On && s.failed >= 3) {
          wa500On = true;
          sim.setFaults({ failCode: null, failRate: o.failRate });
        }
        if (!s.paused || s.pauseReason !== 'E110' || toppedUp) return;
        toppedUp = true;
        say(`\n▸ account "${ACCOUNT}" paused by Kaleyra E110 (low balance) after ${s.sent} messages: no worker sends, nothing failed.`);
        say('  topping the simulator balance up, then `wabulk resume --account demo`…');
        sim.setBalance(Infinity);
        await resumeAccount(c.ctx, ACCOUNT);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    printSummary(final, sim.stats(), countDuplicates(sim.messages()), seconds, o.json);
    say(`▸ export it: REDIS_URL=${redis.url} npm run wabulk -- export --campaign ${campaignId}`);
    if (api) {
      say(`\n▸ the console: ${api.url}/ui/   (API token: ${api.token})`);
      say('  Redis, the simulator, the workers and the API keep running: start, pause or cancel campaigns there. Ctrl-C stops everything.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      say('▸ stopping');
    }
    return 0;
  } finally {
    await api?.app.close();
    await Promise.all(workers.map(stopProcess));
    await c.close();
    await sim.close();
    await redis.stop();
  }
}

/**
 * `demo --console`: the API with its console, on the demo's Redis, with a throwaway token (printed:
 * it exists only for this run) and the simulator's delivery callbacks pointed at it, so delivered
 * and read figures move too.
 */
async function startConsoleApi(c: CliContext, sim: Simulator, port: number): Promise<{ app: Api; url: string; token: string }> {
  const token = `demo-${randomBytes(12).toString('hex')}`;
  const callbackPassword = randomBytes(12).toString('hex');
  const app = await buildApi({
    redis: c.ctx.redis,
    base: c.ctx.base,
    tokens: [token],
    logger: createLogger({ level: 'warn', name: 'wabulk-api' }),
    registry: new Registry(),
    defaultAccount: ACCOUNT,
    configuredAccounts: [ACCOUNT],
    callbackAuth: { basic: `kaleyra:${callbackPassword}` },
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  sim.setFaults({ callbackUrl: `http://kaleyra:${callbackPassword}@127.0.0.1:${bound}/v1/callbacks/kaleyra`, callbackDelayMs: 300, callbackReadShare: 0.6 });
  const url = `http://127.0.0.1:${bound}`;
  say(`▸ API and console at ${url}/ui/ (API token: ${token})`);
  return { app, url, token };
}

function writeCsv(path: string, n: number) {
  const lines = ['to,ref'];
  for (let i = 0; i < n; i++) lines.push(`+9198${String(10_000_000 + i).slice(-8)},customer-${i}`);
  lines.splice(11, 0, 'not-a-phone,bad-1', '+91123,bad-2', ',bad-3');
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function startWorkerProcess(env: NodeJS.ProcessEnv, simUrl: string, dir: string, i: number): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'worker'], {
    env: {
      ...env,
      WABULK_ACCOUNT: ACCOUNT,
      KALEYRA_BASE_URL: simUrl,
      KALEYRA_SID: SID,
      KALEYRA_API_KEY: API_KEY,
      KALEYRA_SENDER: SENDER,
      WORKER_CONCURRENCY: '25',
      WABULK_RATE_PER_SECOND: '500',
      WABULK_RETRY_DELAYS_MS: '200,400,800',
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(join(dir, `worker-${i + 1}.log`));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker ${i + 1} exited with code ${child.exitCode}: see ${join(dir, `worker-${i + 1}.log`)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`worker ${i + 1} not ready after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface SimStatsView { requests: number; accepted: number; rejected: { byCode: Record<string, number> } }

function countDuplicates(messages: Array<{ to: string }>): number {
  const seen = new Set<string>();
  let dup = 0;
  for (const m of messages) {
    if (seen.has(m.to)) dup++;
    seen.add(m.to);
  }
  return dup;
}

function printSummary(s: CampaignStatus, sim: SimStatsView, duplicates: number, seconds: number, json?: boolean) {
  const rows: Array<[string, string | number]> = [
    ['campaign', s.campaignId],
    ['recipients', s.total],
    ['sent (with message_id)', s.sent],
    ['failed', `${s.failed}${Object.keys(s.byCode).length ? ` (${Object.entries(s.byCode).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`],
    ['pending', s.pending],
    ['requests to Kaleyra', sim.requests],
    ['  answered WA500 (retried)', sim.rejected.byCode.WA500 ?? 0],
    ['  answered E110 (paused, retried after top-up)', sim.rejected.byCode.E110 ?? 0],
    ['recipients sent twice', duplicates],
    ['elapsed', `${seconds.toFixed(1)} s`],
  ];
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...s, requests: sim.requests, wa500: sim.rejected.byCode.WA500 ?? 0, e110: sim.rejected.byCode.E110 ?? 0, duplicates, seconds })}\n`);
    return;
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write('\nSummary\n');
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}
