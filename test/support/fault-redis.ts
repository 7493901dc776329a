import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { OwnRedis } from './redis.js';

// Redis as production runs it (AOF, fsync every second: docs/architecture.md "Guarantees" and the
// README's), on a port of the test's own so it can be SIGKILLed and restarted on the same port and
// directory, where it reloads its append-only file. And an importer input that arrives while the
// test decides.

export const AOF_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];

export async function startAofRedis(): Promise<OwnRedis> {
  const own = await OwnRedis.start(AOF_ARGS);
  const probe = new Redis(own.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    const [, appendonly] = (await probe.config('GET', 'appendonly')) as [string, string];
    if (appendonly !== 'yes') throw new Error(`redis-server on ${own.port} ignored --appendonly yes`);
  } finally {
    probe.disconnect();
  }
  return own;
}

/**
 * Kills Redis, runs `during` (what the test checks while it is down), and restarts it on the same
 * port and directory once both `outageMs` have passed and `during` has finished; `beforeRestart`
 * runs at the last moment of the outage.
 */
export async function redisOutage<T>(
  own: OwnRedis,
  outageMs: number,
  during: () => Promise<T>,
  beforeRestart: () => void = () => {},
): Promise<{ result: T; downMs: number; restartedAt: number }> {
  await own.kill();
  const killedAt = Date.now();
  const elapsed = new Promise<void>((resolve) => setTimeout(resolve, outageMs)); // the outage itself, not a synchronisation
  const [result] = await Promise.all([during(), elapsed]);
  beforeRestart();
  const restartedAt = Date.now();
  await own.start();
  return { result, downMs: restartedAt - killedAt, restartedAt };
}

/**
 * A CSV that a `wabulk send --csv` process reads while the test writes it: a named pipe. The
 * importer has read and queued what was written so far and waits for the rest, so the test can
 * break Redis in the middle of an import, then let the rest arrive.
 */
export class CsvPipe {
  #opening?: Promise<FileHandle>;
  #handle?: FileHandle;
  private constructor(readonly path: string) {}

  static create(dir: string, name = 'importing.csv'): CsvPipe {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    return new CsvPipe(path);
  }

  /**
   * Resolves once the reader opened the pipe (the open waits on libuv's pool, not the event loop);
   * rejects if `readerExited` settles first (the reader died before it opened the pipe).
   */
  async connect(readerExited: Promise<unknown>): Promise<void> {
    this.#opening ??= open(this.path, 'w').then((h) => (this.#handle = h));
    const gone = readerExited.then(
      () => Promise.reject(new Error(`the reader of ${this.path} exited before opening it`)),
      (err: unknown) => Promise.reject(err),
    );
    gone.catch(() => {}); // once connected, the reader's later exit is not an error here
    await Promise.race([this.#opening, gone]);
  }

  async write(lines: readonly string[]): Promise<void> {
    if (!this.#handle) throw new Error('CsvPipe.write before connect');
    await this.#handle.write(lines.map((l) => `${l}\n`).join(''));
  }

  /**
   * End of file for the reader. Idempotent; never throws (the reader may be gone). An open still
   * waiting for a reader is released with a reader of our own, so no thread stays blocked.
   */
  async end(): Promise<void> {
    const opening = this.#opening;
    if (!opening) return;
    this.#opening = undefined;
    if (!this.#handle) {
      const reader = await open(this.path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
      await opening.catch(() => undefined);
      await reader?.close().catch(() => {});
    }
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
  }
}

export async function writeCsv(path: string, lines: readonly string[]): Promise<string> {
  await writeFile(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}
