// Load test of the HTTP API on loopback: autocannon against POST /v1/messages (1 recipient, then 10
// per request), beside the Kaleyra simulator's send route measured the same way in the same run.
// The API and the simulator run as child processes (their own event loop and CPU); Redis is the one
// at REDIS_URL, under a key prefix of this run, deleted afterwards. Bounded: each phase runs
// --duration seconds (default 10) with --connections (default 50), loopback only.
//
//   node --conditions=@wabulk/source --import tsx test/bench/api-load.ts [--duration 10] [--connections 50]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createQueueContext, registerAccounts } from '@wabulk/queue';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const duration = Math.min(Math.max(Number(values.duration), 1), 120);
const connections = Math.min(Math.max(Number(values.connections), 1), 1000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const base = `wbbench-api-${randomBytes(4).toString('hex')}`;
const children: ChildProcess[] = [];

/** Starts `entry` from source and resolves with the first stdout line matching `ready`. */
function start(entry: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<RegExpMatchArray> {
  const child = spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', join(root, entry), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start: ${out.slice(-500)}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${out.slice(-500)}`)));
  });
}

interface Phase {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function run(p: Phase) {
  const r = await autocannon({ url: p.url, method: 'POST', headers: p.headers, body: p.body, connections, duration });
  return { name: p.name, requestsPerSecond: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}

async function main() {
  const [, simUrl] = await start('apps/kaleyra-sim/src/main.ts', ['--port', '0', '--sid', 'BENCHSID', '--api-key', 'bench-key', '--sender', '+919000000000'], {}, /listening on (http:\/\/\S+)/);
  const [, apiPort] = await start(
    'apps/api/src/main.ts',
    [],
    { REDIS_URL, WABULK_KEY_PREFIX: base, WABULK_ACCOUNT: 'bench', WABULK_API_TOKENS: TOKEN, API_PORT: '0', API_HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    /"port":(\d+),"host":"127\.0\.0\.1"[^\n]*"msg":"api listening"/,
  );
  // An account known through the registry (an operator's `accounts add`), not the API's configuration:
  // its check is one HEXISTS, then remembered for 30 s.
  const admin = new Redis(REDIS_URL);
  await registerAccounts(createQueueContext({ redis: admin, base }), ['registered'], 'operator');
  admin.disconnect();
  const api = `http://127.0.0.1:${apiPort}/v1/messages`;
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${TOKEN}` };
  const ten = Array.from({ length: 10 }, (_, i) => `+9198765432${String(i).padStart(2, '0')}`);
  const phases: Phase[] = [
    {
      name: 'simulator: POST send (baseline)',
      url: `${simUrl}/v2/BENCHSID/whatsapp/+919000000000/messages`,
      headers: { ...json, 'api-key': 'bench-key' },
      body: JSON.stringify({ messaging_object: { messaging_product: 'whatsapp', to: '+919876543210', type: 'text', text: { body: 'Hello' } } }),
    },
    // No campaignId: each request is a message of its own (a campaign `msg-…`), as a service sending OTPs does.
    { name: 'api: POST /v1/messages, 1 recipient', url: api, headers: auth, body: JSON.stringify({ to: '+919876543210', body: 'Your OTP is 1234' }) },
    { name: 'api: POST /v1/messages, 10 recipients', url: api, headers: auth, body: JSON.stringify({ to: ten, body: 'Sale starts today' }) },
    { name: 'api: 1 recipient, registered account', url: api, headers: auth, body: JSON.stringify({ to: '+919876543210', body: 'Your OTP is 1234', account: 'registered' }) },
    { name: 'api: 1 recipient, unknown account (422)', url: api, headers: auth, body: JSON.stringify({ to: '+919876543210', body: 'Your OTP is 1234', account: 'nosuch' }) },
  ];
  const results = [];
  for (const p of phases) {
    results.push(await run(p));
    process.stderr.write(`done: ${p.name}\n`);
  }
  console.log(`\nautocannon, ${connections} connections, ${duration} s per phase, loopback (${process.platform}, Node ${process.version})`);
  console.table(results.map((r) => ({ phase: r.name, 'req/s': r.requestsPerSecond, 'recipients/s': r.name.includes('10 recipients') ? r.requestsPerSecond * 10 : r.requestsPerSecond, 'p50 ms': r.p50ms, 'p99 ms': r.p99ms, '2xx': r.ok, 'non-2xx': r.non2xx, errors: r.errors })));
  console.log(`BENCH_RESULT ${JSON.stringify(results)}`);
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const redis = new Redis(REDIS_URL);
  for (const pattern of [`${base}:*`, `{${base}-*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  redis.disconnect();
}

try {
  await main();
} finally {
  await cleanup();
}
