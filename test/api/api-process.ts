import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const REPO_ROOT = path.resolve(__dirname, '../..');
const CLI_MAIN = path.join(REPO_ROOT, 'apps/cli/src/main.ts');

/** `wabulk api` as a real process (apps/cli/src/main.ts from source through tsx). */
export class ApiProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stdout = '';
  #stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', CLI_MAIN, 'api'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => (this.#stdout += c));
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.#stderr += c));
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
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

  messages(): string[] {
    return this.#stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '');
  }

  async waitForLog(msg: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      () => {
        if (this.messages().includes(msg)) return true;
        if (!this.running) throw new Error(`wabulk api exited before logging ${msg}\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
        return false;
      },
      { timeoutMs, what: `wabulk api to log "${msg}"` },
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
    if (this.running) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`wabulk api did not exit within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The environment of `wabulk api` on the test's key prefix (overrides win; `undefined` removes). */
export function apiEnv(base: string, port: number, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    WABULK_ACCOUNTS_FILE: undefined,
    WABULK_DEFAULT_COUNTRY: undefined,
    NODE_OPTIONS: undefined,
    REDIS_URL,
    WABULK_KEY_PREFIX: base,
    WABULK_ACCOUNT: 'acme',
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
