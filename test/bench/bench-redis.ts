// The Redis a benchmark run measures against, the run's key prefix, and what INFO tells about it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeys, OwnRedis } from '../support/redis.js';

/** A unique key prefix per run: every key of the run is `<base>:*` or `{<base>-*`. */
export const runBase = () => `wabulk-bench-${randomBytes(4).toString('hex')}`;

/** SCAN + UNLINK every key of the run (BullMQ's keys carry the prefix inside their hash tag). */
export const deleteRunKeys = deleteKeys;

export async function info(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export const usedMemory = async (redis: Redis) => Number((await info(redis, 'memory')).used_memory);

/** Seconds of CPU the Redis server has used (user + system). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const cpu = await info(redis, 'cpu');
  return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
}

/**
 * used_memory once it stops moving (UNLINK frees big values in a background thread): polls until
 * two reads 100 ms apart differ by less than `epsilon` bytes, or `timeoutMs` passes.
 */
export async function settledMemory(redis: Redis, epsilon = 4096, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await usedMemory(redis);
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await usedMemory(redis);
    if (Math.abs(now - last) < epsilon || Date.now() > deadline) return now;
    last = now;
  }
}

export interface BenchRedis {
  url: string;
  /** A redis-server of this run (nothing else uses it), or the shared one at REDIS_URL. */
  own: boolean;
  describe: string;
  stop(): Promise<void>;
}

/**
 * By default a redis-server of our own on a free port (no persistence, like the bootstrap's
 * fallback): other engineers' tests on the shared Redis would otherwise move used_memory and
 * take CPU while we measure. `shared` uses REDIS_URL as `pnpm bench` set it.
 */
export async function openBenchRedis(shared: boolean): Promise<BenchRedis> {
  const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const canSpawn = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
  if (shared || !canSpawn) {
    return { url: sharedUrl, own: false, describe: `shared Redis at ${new URL(sharedUrl).host}${canSpawn ? '' : ' (redis-server not on PATH)'}`, stop: async () => {} };
  }
  const own = await OwnRedis.start(['--appendonly', 'no', '--maxmemory-policy', 'noeviction']);
  const url = own.url;
  const probe = new Redis(url);
  const version = (await info(probe, 'server')).redis_version;
  probe.disconnect();
  return {
    url,
    own: true,
    describe: `own redis-server ${version} on 127.0.0.1:${own.port} (no persistence)`,
    stop: () => own.stop(),
  };
}
