import path from 'node:path';
import { REPO_ROOT, WorkerProcess } from '../support/proc-worker.js';
import { REDIS_URL } from '../support/redis.js';

const CLI_MAIN = path.join(REPO_ROOT, 'apps/cli/src/main.ts');

/** `wabulk api` as a real process (apps/cli/src/main.ts from source through tsx). */
export class ApiProcess extends WorkerProcess {
  constructor(env: Record<string, string>) {
    super(env, [CLI_MAIN, 'api']);
  }

  /** The `msg` of every pino line, in order. */
  messages(): string[] {
    return this.logs().flatMap((l) => (typeof l.msg === 'string' ? [l.msg] : []));
  }

  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
    return this.kill(signal, timeoutMs);
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
