import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { API_KEY, SENDER, SID } from './stack.js';
import { REDIS_URL } from './redis.js';
import { waitFor } from './wait.js';

/** The workspace root (this file lives in <root>/test/support). */
export const REPO_ROOT = path.resolve(__dirname, '../..');
const WORKER_MAIN = path.join(REPO_ROOT, 'apps/worker/src/main.ts');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One pino line of a worker's stdout (anything that is not JSON is kept as `{ raw }`). */
export type LogLine = Record<string, unknown> & { msg?: string };

/** An app running as a real process from source through tsx: a worker by default. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #stdout = '';
  #stderr = '';

  /** `entry`: the script and its arguments (default the worker's main; `wabulk api` for the API). */
  constructor(env: Record<string, string>, entry: string[] = [WORKER_MAIN]) {
    this.child = spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', ...entry], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.#stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    // 'close' (not 'exit'): both pipes are drained, so stdout/stderr are complete when it resolves.
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stdout(): string {
    return this.#stdout;
  }

  stderr(): string {
    return this.#stderr;
  }

  logs(): LogLine[] {
    return this.#stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return { raw: l };
        }
      });
  }

  /** Resolves with the first log line whose msg matches; fails early if the process exits first. */
  async waitForLog(msg: string | RegExp, timeoutMs = 20_000): Promise<LogLine> {
    const matches = (m: unknown) => typeof m === 'string' && (typeof msg === 'string' ? m === msg : msg.test(m));
    return waitFor(
      () => {
        const line = this.logs().find((l) => matches(l.msg));
        if (line) return line;
        if (!this.running) throw new Error(`worker ${this.pid} exited before logging ${String(msg)}\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
        return undefined;
      },
      { timeoutMs, what: `worker ${this.pid} to log ${String(msg)}` },
    );
  }

  /** Sends `signal` and waits (with a deadline) for the process to exit. */
  async kill(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.waitExit(timeoutMs);
  }

  async waitExit(timeoutMs = 15_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker ${this.pid} did not exit within ${timeoutMs} ms\nstdout tail:\n${this.#stdout.slice(-2000)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const started = new Set<WorkerProcess>();

/** The environment of a worker for the test stack's simulator and key prefix (overrides win; `undefined` removes). */
export function workerEnv(options: { base: string; simUrl: string }, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    // Nothing of the surrounding shell may choose the accounts or the Kaleyra pod.
    WABULK_ACCOUNTS_FILE: undefined,
    KALEYRA_POD: undefined,
    NODE_OPTIONS: undefined,
    REDIS_URL,
    WABULK_KEY_PREFIX: options.base,
    WABULK_ACCOUNT: 'acme',
    // Tests archive campaigns the moment they finish: no quiet minute after the last intake.
    WABULK_ARCHIVE_QUIET_MS: '0',
    KALEYRA_BASE_URL: options.simUrl,
    KALEYRA_SID: SID,
    KALEYRA_API_KEY: API_KEY,
    KALEYRA_SENDER: SENDER,
    WORKER_CONCURRENCY: '10',
    WABULK_RATE_PER_SECOND: '100000',
    WABULK_RETRY_DELAYS_MS: '20,40,60',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Spawns a worker process; unless `waitStarted` is false, resolves once it logged 'worker started'. */
export async function spawnWorker(env: Record<string, string>, options: { waitStarted?: boolean } = {}): Promise<WorkerProcess> {
  const worker = new WorkerProcess(env);
  started.add(worker);
  void worker.exited.then(() => started.delete(worker));
  if (options.waitStarted !== false) await worker.waitForLog('worker started', 30_000);
  return worker;
}

/** For afterEach: SIGKILLs every worker process still running and waits until each has exited. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...started].map((w) => w.kill('SIGKILL')));
}
