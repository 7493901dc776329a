import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { createRedis, waitForReady } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, lastJson, runCli, type CliResult } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk demo`: its own simulator (WA400 for the first 3 requests, a share WA500, a balance that
// runs out) and its own worker process, on the shared Redis under a key prefix of this test's own.

const base = uniqueBase('cli-demo');
let redis: Redis;
let run: CliResult | undefined;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
});

afterAll(async () => {
  await killAllClis();
  await deleteKeys(redis, base);
  redis.disconnect();
  // The demo keeps its worker logs in a temporary directory it names on stderr.
  const logs = run?.stderr.match(/logs in (\S+)\)/)?.[1];
  if (logs) rmSync(logs, { recursive: true, force: true });
});

test('demo --recipients 300 --balance 100 --workers 1 --json: every recipient settled, an E110 pause on the way, nothing sent twice', async () => {
  run = await runCli(['demo', '--recipients', '300', '--balance', '100', '--workers', '1', '--json'], { env: cliEnv(base), timeoutMs: 80_000 });
  if (run.code !== 0) throw new Error(describeRun(run));
  const summary = lastJson<{ total: number; sent: number; failed: number; pending: number; duplicates: number; e110: number; byCode: Record<string, number> }>(run);
  expect(summary).toMatchObject({ total: 300, pending: 0, duplicates: 0 });
  expect(summary.sent + summary.failed).toBe(300);
  expect(summary.e110).toBeGreaterThan(0);
  // The first three requests were answered WA400: failed at once, with the code.
  expect(summary.byCode.WA400).toBe(3);
  // It used the prefix it was given, not the default one.
  expect((await redis.keys(`${base}:campaign:*`)).length).toBeGreaterThan(0);
}, 90_000);
