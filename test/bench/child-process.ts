// Heavy phases run in child processes of their own (clean RSS, their own event loop and CPU
// figures): the same node with the same `--conditions=@wabulk/source --import tsx` flags, one JSON
// argument in, one `BENCH_RESULT {json}` line out.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NODE_FLAGS = ['--conditions=@wabulk/source', '--import', 'tsx'];
const RESULT = 'BENCH_RESULT ';

/** Every child we started, so an interrupted run can stop exactly those. */
const children = new Set<ChildProcess>();
let profiles = 0;

export function stopChildren(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}

function spawnScript(script: string, arg: unknown, extraNodeFlags: string[] = []): ChildProcess {
  // `pnpm bench --cpu-prof`: every child writes a V8 CPU profile when it exits.
  const mode = (arg as { mode?: string }).mode;
  const name = `${String(++profiles).padStart(2, '0')}-${script.replace(/\.ts$/, '')}${mode ? `-${mode}` : ''}.cpuprofile`;
  const prof = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`, `--cpu-prof-name=${name}`] : [];
  const child = spawn(process.execPath, [...NODE_FLAGS, ...prof, ...extraNodeFlags, join(here, script), JSON.stringify(arg)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Runs `script` to the end and returns what it reported; rejects on a non-zero exit. */
export function runChild<T>(script: string, arg: unknown, options: { nodeFlags?: string[] } = {}): Promise<T & { pid: number }> {
  const child = spawnScript(script, arg, options.nodeFlags);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (code !== 0 || line === undefined) return reject(new Error(`${script} exited with ${code ?? signal} ${line ? '' : '(no result)'}`));
      resolve({ ...(JSON.parse(line.slice(RESULT.length)) as T), pid: child.pid! });
    });
  });
}

/** Called by child scripts: the one line their parent reads. */
export function reportResult(result: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
}

/** The JSON argument a child script was started with. */
export const childArg = <T>(): T => JSON.parse(process.argv[2] ?? '{}') as T;

/** CPU seconds (user + system) another process has used so far; Linux /proc, else NaN. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export interface SimHandle {
  url: string;
  pid: number;
  stats(): Promise<{ requests: number; accepted: number; maxPerSecond: number; rejected: { total: number } }>;
  reset(): Promise<void>;
  setFaults(patch: Record<string, unknown>): Promise<void>;
  /** Arrival time (ms since epoch) of every accepted message, in order. */
  arrivals(): Promise<number[]>;
  stop(): Promise<void>;
}

/** A child that serves until stopped: its URL (its first `BENCH_RESULT {"url"}`), pid and stop. */
export interface ServerChild {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts `script` (a server: reports `{ url }` once listening, exits on SIGTERM). */
export async function startServerChild(script: string, arg: unknown): Promise<ServerChild> {
  const child = spawnScript(script, arg);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (line) resolve((JSON.parse(line.slice(RESULT.length)) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The simulator in a child process (it must not share the worker's event loop or CPU figures). */
export async function startSimChild(options: { latencyMs?: number } = {}): Promise<SimHandle> {
  const { url, pid, stop } = await startServerChild('sim-child.ts', options);
  const call = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    url,
    pid,
    stats: () => call('/__sim/stats') as ReturnType<SimHandle['stats']>,
    reset: async () => void (await call('/__sim/reset', {})),
    setFaults: async (patch) => void (await call('/__sim/faults', patch)),
    async arrivals() {
      const res = await fetch(`${url}/__sim/messages?format=ndjson`);
      if (!res.ok) throw new Error(`/__sim/messages: HTTP ${res.status}`);
      const text = await res.text();
      const out: number[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const at = Date.parse((JSON.parse(line) as { received_at: string }).received_at);
        if (!Number.isFinite(at)) throw new Error(`/__sim/messages: no received_at in ${line.slice(0, 200)}`);
        out.push(at);
      }
      return out;
    },
    stop,
  };
}
