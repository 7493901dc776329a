import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CliError } from './cli-error.js';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no free port'))));
    });
  });
}

/** The Redis at `url` if it answers; else a redis-server from PATH on a free port until stop(). */
export async function ensureRedis(url: string): Promise<{ url: string; started: boolean; stop(): Promise<void> }> {
  if (await answers(url)) return { url, started: false, stop: async () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new CliError(`no Redis answers at ${new URL(url).host} and redis-server is not on PATH. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.`, 1);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wabulk-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const local = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await answers(local))) {
    if (Date.now() > deadline) throw new CliError('redis-server did not start within 10 s', 1);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: local,
    started: true,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
