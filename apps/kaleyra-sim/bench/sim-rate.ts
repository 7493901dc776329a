// Measures the simulator's request rate: N keep-alive connections POSTing the send call as fast as
// they are answered for D seconds. Starts its own simulator in a child process (so the load
// generator and the server do not share a CPU) unless --url is given.
//   node --conditions=@wabulk/source --import tsx apps/kaleyra-sim/bench/sim-rate.ts \
//     [--connections 100] [--duration 10] [--latency-ms 0] [--url http://127.0.0.1:8089]
// Plain node:http (undici does not resolve from this package); the client usually saturates its
// CPU before the server does, so wrk gives the higher, truer figure (see README).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    'latency-ms': { type: 'string', default: '0' },
    url: { type: 'string' },
  },
});
const connections = Number(values.connections);
const durationMs = Number(values.duration) * 1000;
const SID = 'HXAP16XXXXXX97IN';
const KEY = 'sim-api-key';
const BODY = JSON.stringify({
  messaging_object: { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+919876543210', type: 'text', text: { preview_url: false, body: 'Benchmark message' } },
  extra_info: { ref: 'bench', ref1: 'r1', ref2: 'r2' },
});

/** CPU time (user + system, ms) of a child process, from /proc (Linux; assumes 100 ticks/s). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function startChild(): Promise<{ url: string; child: ChildProcess }> {
  const main = resolve(dirname(process.argv[1]!), '..', 'src', 'main.ts');
  const child = spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', main, '--port', '0', '--latency-ms', values['latency-ms']], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.on('exit', (code) => fail(new Error(`simulator exited with ${code}`)));
  });
  return { url, child };
}

async function main(): Promise<void> {
  const started = values.url === undefined ? await startChild() : undefined;
  const base = new URL(values.url ?? started!.url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const path = `/v2/${SID}/whatsapp/%2B919000000000/messages`;
  const headers = { 'content-type': 'application/json', 'api-key': KEY, 'content-length': Buffer.byteLength(BODY) };
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const post = (): Promise<void> => new Promise((ok, fail) => {
    const t0 = performance.now();
    const req = request({ host: base.hostname, port: base.port, method: 'POST', path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        latencies.push(performance.now() - t0);
        ok();
      });
    });
    req.on('error', fail);
    req.end(BODY);
  });
  // Warm up (JIT, sockets), then measure.
  await Promise.all(Array.from({ length: connections }, () => post()));
  statuses.clear();
  latencies.length = 0;
  const cpu0 = cpuMs(started?.child.pid);
  const t0 = performance.now();
  const end = t0 + durationMs;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) await post();
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuMs(started?.child.pid);
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2);
  const stats = await fetch(new URL('/__sim/stats', base)).then((r) => r.json() as Promise<{ requests: number; maxPerSecond: number }>);
  agent.destroy();
  console.log(JSON.stringify({
    connections, seconds: Number(seconds.toFixed(2)), requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / seconds), statuses: Object.fromEntries(statuses),
    latencyMs: { p50: Number(pct(0.5)), p99: Number(pct(0.99)) },
    server: {
      requests: stats.requests, maxPerSecond: stats.maxPerSecond,
      // CPU the simulator spent per request: its rate limit on one core is 1e6 / this, whatever the client's speed.
      cpuMicrosPerRequest: cpu0 === undefined || cpu1 === undefined ? null : Math.round(((cpu1 - cpu0) * 1000) / latencies.length),
    },
  }));
  if (started !== undefined) {
    const exited = new Promise((r) => started.child.once('exit', r));
    started.child.kill('SIGTERM');
    await exited;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
