import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REDIS_URL } from './redis.js';

/** The workspace root (this file lives in <root>/test/support). */
export const REPO_ROOT = path.resolve(__dirname, '../..');
const CLI_MAIN = path.join(REPO_ROOT, 'apps/cli/src/main.ts');

/** What an operator sees of one `wabulk …` run. */
export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run (for the report only; never asserted). */
  ms: number;
}

/**
 * The environment of a CLI run against the shared Redis under the test's key prefix, account
 * 'acme' (overrides win; `undefined` removes). Nothing of the surrounding shell may choose the
 * accounts, the default country or Node's options.
 */
export function cliEnv(base: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    WABULK_ACCOUNTS_FILE: undefined,
    WABULK_DEFAULT_COUNTRY: undefined,
    KALEYRA_POD: undefined,
    NODE_OPTIONS: undefined,
    REDIS_URL,
    WABULK_KEY_PREFIX: base,
    WABULK_ACCOUNT: 'acme',
    // Tests archive campaigns the moment they finish: no quiet minute after the last intake.
    WABULK_ARCHIVE_QUIET_MS: '0',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

const running = new Set<ChildProcess>();

/**
 * Runs `wabulk <args>` as a real process (apps/cli/src/main.ts from source through tsx, cwd = the
 * workspace root, so pass absolute file paths) and collects its output. Past the deadline the
 * process is SIGKILLed and the promise rejects with what it printed so far. `nodeArgs` go to node
 * before the script (after tsx).
 */
export function runCli(args: string[], options: { env: Record<string, string>; timeoutMs?: number; nodeArgs?: string[] }): Promise<CliResult> {
  return spawnCli(args, options).result;
}

/**
 * `runCli` with the process in hand: for a test that signals it mid-run (SIGKILL at a chosen point).
 * `result` resolves once it exited (whatever the signal), with what it printed.
 */
export function spawnCli(args: string[], options: { env: Record<string, string>; timeoutMs?: number; nodeArgs?: string[] }): { child: ChildProcess; result: Promise<CliResult> } {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = Date.now();
  const child = spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', ...(options.nodeArgs ?? []), CLI_MAIN, ...args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wabulk ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    // 'close' (not 'exit'): both pipes are drained, so stdout/stderr are complete.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ args, code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, result };
}

/** For afterAll/afterEach: SIGKILLs every CLI process still running and waits until each has exited. */
export async function killAllClis(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The last non-empty line of stdout parsed as JSON (the contract's "one JSON object"). */
export function lastJson<T = Record<string, unknown>>(r: CliResult): T {
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`wabulk ${r.args.join(' ')} printed nothing on stdout (exit ${r.code})\nstderr:\n${r.stderr}`);
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Exactly one stdout line, parsed as JSON: what `--json` promises. */
export function onlyJson<T = Record<string, unknown>>(r: CliResult): T {
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`wabulk ${r.args.join(' ')} should print one JSON line, printed ${lines.length}:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(lines[0]!) as T;
}

/** A compact description of a run for assertion messages. */
export const describeRun = (r: CliResult) => `wabulk ${r.args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
