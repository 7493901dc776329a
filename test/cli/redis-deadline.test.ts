// The CLI when Redis goes silent (issue 16): every command has a deadline
// (WABULK_REDIS_COMMAND_TIMEOUT_MS), so an import whose Redis stops answering mid-way exits 1 in an
// operator's words instead of hanging, and its re-run after the heal adds only what never got in.
// Redis is reached through a TCP proxy that holds every byte with the connection open (a partition).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueueContext, createRedis, waitForReady, type QueueContext } from '@wabulk/queue';
import type { Redis } from 'ioredis';
import { CsvPipe, writeCsv } from '../support/fault-redis.js';
import { cliEnv, killAllClis, lastJson, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

let proxy: TcpProxy;
let redis: Redis;
let ctx: QueueContext;
let base: string;
let dir: string;
let pipe: CsvPipe | undefined;

beforeEach(async () => {
  const target = new URL(REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  base = uniqueBase('cli-deadline');
  ctx = createQueueContext({ redis, base });
  dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-deadline-'));
});

afterEach(async () => {
  proxy.release();
  await pipe?.end();
  await killAllClis();
  await proxy.close();
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
  pipe = undefined;
});

// A short deadline while Redis is silent; the default (2 s) for the re-run on a busy test machine.
const env = (deadlineMs = '500') => cliEnv(base, { REDIS_URL: proxy.url('redis'), REDIS_CLUSTER_NODES: undefined, WABULK_REDIS_COMMAND_TIMEOUT_MS: deadlineMs });

test('Redis silent mid-import: the CLI exits 1 at the deadline saying Redis did not answer; the re-run adds only the rest', async () => {
  const to = numbers(3000, 40_000);
  const csv = (pipe = CsvPipe.create(dir));
  const importing = runCli(['send', '--campaign', 'deadline', '--csv', csv.path, '--body', 'hi'], { env: env(), timeoutMs: 60_000 });
  await csv.connect(importing);
  // One row past the first chunk of 1000: the parser emits a row once the next one begins.
  await csv.write(['to', ...to.slice(0, 1001)]);
  await waitFor(async () => (await ctx.ledger.counts('deadline')).total >= 1000, { what: 'the first chunk imported' });
  proxy.hold();
  const heldAt = Date.now();
  await csv.write(to.slice(1001));
  await csv.end();
  const failed = await importing;
  const exitAfterHoldMs = Date.now() - heldAt;
  expect(failed.code).toBe(1);
  expect(failed.stderr).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${proxy.port}.*did not answer in time \\(WABULK_REDIS_COMMAND_TIMEOUT_MS`));
  expect(failed.stderr).toContain('run the same command again');
  expect(failed.stderr).not.toMatch(/^\s+at /m);

  proxy.release();
  const rerun = await runCli(['send', '--campaign', 'deadline', '--csv', await writeCsv(join(dir, 'again.csv'), ['to', ...to]), '--body', 'hi', '--json'], { env: env('2000'), timeoutMs: 60_000 });
  expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
  const r = lastJson<{ accepted: number; duplicates: number }>(rerun);
  // Whatever the held commands did once delivered, every recipient is in exactly once.
  expect(r.accepted + r.duplicates).toBe(to.length);
  expect((await ctx.ledger.counts('deadline')).total).toBe(to.length);
  console.log(`deadline figures ${JSON.stringify({ deadlineMs: 500, exitAfterHoldMs, rerunAccepted: r.accepted, rerunDuplicates: r.duplicates })}`);
}, 90_000);

test('Redis silent from the start: a command exits 1 saying it cannot reach Redis', async () => {
  proxy.hold();
  const r = await runCli(['status', '--campaign', 'none', '--json'], { env: env(), timeoutMs: 30_000 });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringContaining(`cannot reach Redis at 127.0.0.1:${proxy.port}`) });
  expect(r.stderr).not.toMatch(/^\s+at /m);
}, 60_000);
