import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { createRedis, waitForReady } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, lastJson, spawnCli, type CliResult } from '../support/proc-cli.js';
import { waitFor } from '../support/wait.js';
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

test('demo --recipients 300 --balance 100 --workers 1 --json --console 0: every recipient settled, an E110 pause on the way, nothing sent twice; then the console serves it until Ctrl-C', async () => {
  const { child, result } = spawnCli(['demo', '--recipients', '300', '--balance', '100', '--workers', '1', '--json', '--console', '0'], { env: cliEnv(base), timeoutMs: 80_000 });
  let stderr = '';
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  // After the summary it keeps running with the API and its console, and names the URL and a throwaway token.
  const [, url, token] = await waitFor(() => /the console: (http:\/\/127\.0\.0\.1:\d+)\/ui\/\s+\(API token: (demo-[0-9a-f]+)\)/.exec(stderr) ?? undefined, { timeoutMs: 75_000, what: 'the demo to print the console URL' });
  expect((await fetch(`${url!}/ui/`)).status).toBe(200);
  const list = (await (await fetch(`${url!}/v1/campaigns`, { headers: { authorization: `Bearer ${token!}` } })).json()) as { campaigns: Array<{ total: number; pending: number }> };
  expect(list.campaigns).toHaveLength(1);
  expect(list.campaigns[0]).toMatchObject({ total: 300, pending: 0 });
  child.kill('SIGINT');
  run = await result;
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
