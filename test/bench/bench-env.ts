// What main.ts hands every benchmark.
import type { Redis } from 'ioredis';

export interface BenchEnv {
  /** Small sizes (a smoke run). */
  quick: boolean;
  /** Adds the 1M-row import. */
  full: boolean;
  redisUrl: string;
  /** Own redis-server of this run (used_memory then reflects only our keys). */
  ownRedis: boolean;
  /** Admin connection of the parent: INFO, SCAN/UNLINK, prefills. */
  redis: Redis;
  /** The run's key prefix, `wabulk-bench-<random>`. */
  base: string;
  /** A temporary directory of the run (CSV files). */
  tmpDir: string;
}

export interface Benchmark {
  name: string;
  describe: string;
  run(env: BenchEnv): Promise<import('./report.js').BenchResult>;
}
