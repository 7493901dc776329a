import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, listRegisteredAccounts, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

// Section 5 of issue 10 as an operator meets it: real `wabulk` processes. `send` for an account
// nothing serves exits 2 naming it and the known ones; `accounts add`, a worker's start and the
// process's own configuration each make an account known.

const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-accounts-'));
let redis: Redis;
const contexts: QueueContext[] = [];

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
});

afterEach(async () => {
  await killAllWorkers();
  await killAllClis();
});

afterAll(async () => {
  for (const c of contexts) {
    await c.queues.close();
    await deleteKeys(redis, c.base);
  }
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function prefix(label: string) {
  const ctx = createQueueContext({ redis, base: uniqueBase(label) });
  contexts.push(ctx);
  return ctx;
}

const send = (account: string, env: Record<string, string>, extra: string[] = []) =>
  runCli(['send', '--to', '+919876543210', '--body', 'hi', '--account', account, ...extra], { env, timeoutMs: 45_000 });

test('send --account for an unknown account exits 2 naming it and the known ones; nothing is queued; accounts add makes it known', async () => {
  const ctx = prefix('cli-acct');
  const env = cliEnv(ctx.base); // WABULK_ACCOUNT=acme: configured

  const refused = await send('nosuch', env);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('nosuch');
  expect(refused.stderr).toContain('known accounts: acme');
  expect(refused.stdout).not.toContain('accepted');
  expect(await ctx.queues.get('nosuch').count()).toBe(0);
  expect(await redis.keys(`${ctx.base}:campaign:*`)).toEqual([]);

  const csv = join(dir, 'list.csv');
  writeFileSync(csv, 'to\n+919876543210\n');
  const file = await runCli(['send', '--campaign', 'c-file', '--csv', csv, '--body', 'hi', '--account', 'nosuch'], { env, timeoutMs: 45_000 });
  expect(file.code).toBe(2);
  expect(file.stderr).toContain('nosuch');

  const added = await runCli(['accounts', 'add', 'nosuch', '--json'], { env, timeoutMs: 45_000 });
  expect(added.code).toBe(0);
  expect(onlyJson<unknown[]>(added)).toEqual([expect.objectContaining({ account: 'nosuch', source: 'operator', paused: false, waiting: 0 })]);

  const accepted = await send('nosuch', env, ['--json']);
  expect(accepted.code).toBe(0);
  expect(onlyJson(accepted)).toMatchObject({ accepted: 1 });

  const list = await runCli(['accounts', '--json'], { env, timeoutMs: 45_000 });
  expect(list.code).toBe(0);
  expect(onlyJson<unknown[]>(list)).toEqual([
    expect.objectContaining({ account: 'acme', source: 'configured', registeredAt: null }),
    expect.objectContaining({ account: 'nosuch', source: 'operator', waiting: 1 }),
  ]);
  const text = await runCli(['accounts'], { env, timeoutMs: 45_000 });
  expect(text.stdout).toMatch(/^nosuch\toperator\trunning\twaiting 1/m);

  const bad = await runCli(['accounts', 'add', 'a b'], { env, timeoutMs: 45_000 });
  expect(bad.code).toBe(2);
});

test("a worker process's start makes its account known to `send`", async () => {
  const ctx = prefix('cli-acct-w');
  const env = cliEnv(ctx.base);
  expect((await send('served', env)).code).toBe(2);
  await spawnWorker(workerEnv({ base: ctx.base, simUrl: 'http://127.0.0.1:9' }, { WABULK_ACCOUNT: 'served' }));
  await waitFor(async () => (await listRegisteredAccounts(ctx)).some((r) => r.account === 'served' && r.source === 'worker'), { timeoutMs: 15_000, what: 'the worker registering served' });
  await killAllWorkers(); // known for good once registered: nothing need be running to accept
  const accepted = await send('served', env, ['--json']);
  expect(accepted.code).toBe(0);
  expect(onlyJson(accepted)).toMatchObject({ accepted: 1 });
});

test('configured: WABULK_ACCOUNTS_FILE ids and KALEYRA_* (with WABULK_ACCOUNT) are known without a worker; the bare default is not', async () => {
  const ctx = prefix('cli-acct-c');
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify([{ id: 'fileone', sid: 'S', apiKey: 'K', sender: '+919000000000', baseUrl: 'http://127.0.0.1:9' }]));
  const fileEnv = cliEnv(ctx.base, { WABULK_ACCOUNTS_FILE: accounts });
  const viaFile = await send('fileone', fileEnv);
  if (viaFile.code !== 0) throw new Error(describeRun(viaFile));
  const notInFile = await send('acme', fileEnv);
  expect(notInFile.code).toBe(2);
  expect(notInFile.stderr).toContain('known accounts: fileone');

  const kaleyraEnv = cliEnv(ctx.base, { WABULK_ACCOUNT: undefined, KALEYRA_SID: 'S' });
  expect((await runCli(['send', '--to', '+919876543210', '--body', 'hi'], { env: kaleyraEnv, timeoutMs: 45_000 })).code).toBe(0);

  const bare = await runCli(['send', '--to', '+919876543210', '--body', 'hi'], { env: cliEnv(ctx.base, { WABULK_ACCOUNT: undefined, KALEYRA_SID: undefined, KALEYRA_API_KEY: undefined, KALEYRA_SENDER: undefined, KALEYRA_BASE_URL: undefined }), timeoutMs: 45_000 });
  expect(bare.code).toBe(2);
  expect(bare.stderr).toContain('"default"');
  expect(await listRegisteredAccounts(ctx)).toEqual([]);
});
