import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { checkSuppression, countSuppressions, createQueueContext, createRedis, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli, type CliResult } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk suppress …` as an operator meets it: real processes on the shared Redis under a unique
// key prefix per test.

const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-suppress-'));
let redis: Redis;
const contexts: QueueContext[] = [];

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
});

afterEach(async () => killAllClis());

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

const cli = (env: Record<string, string>) => (args: string[], timeoutMs = 45_000) => runCli(['suppress', ...args], { env, timeoutMs });
const expectCode = (r: CliResult, code: number) => expect({ code: r.code, run: describeRun(r) }).toEqual({ code, run: expect.any(String) });

test('add, check, remove on an account list and the global list; text and --json', async () => {
  const ctx = prefix('cli-supp');
  const run = cli(cliEnv(ctx.base));

  const added = await run(['add', '+919876543210', '+919876543211,bogus', '--account', 'acme', '--json']);
  expectCode(added, 0);
  expect(onlyJson(added)).toEqual({ list: 'account:acme', added: 2, alreadyListed: 0, rejected: [{ input: 'bogus', reason: 'not a phone number' }] });

  const again = await run(['add', '+919876543210', '--account', 'acme']);
  expectCode(again, 0);
  expect(again.stdout).toContain('account:acme: added 0, already listed 1, rejected 0');

  const global = await run(['add', '+919876543210', '+919876543212', '--global']);
  expectCode(global, 0);
  expect(global.stdout).toContain('global: added 2, already listed 0, rejected 0');

  // check: --account defaults to WABULK_ACCOUNT (acme); always the global list too; exit 0 either way.
  const both = await run(['check', '+919876543210', '--json']);
  expectCode(both, 0);
  expect(onlyJson(both)).toEqual({ number: '+919876543210', account: 'acme', suppressed: true, lists: { account: expect.stringMatching(/Z$/), global: expect.stringMatching(/Z$/) } });
  const onlyGlobal = await run(['check', '+919876543212', '--account', 'other', '--json']);
  expect(onlyJson(onlyGlobal)).toEqual({ number: '+919876543212', account: 'other', suppressed: true, lists: { global: expect.any(String) } });
  const neither = await run(['check', '+919876543211', '--account', 'other']);
  expectCode(neither, 0);
  expect(neither.stdout).toContain('+919876543211: not suppressed for other');
  const text = await run(['check', '+919876543210']);
  expect(text.stdout).toMatch(/suppressed for acme: on the acme account's list \(since .*\) and the global list \(since .*\)/);

  const removed = await run(['remove', '+919876543210', '+919876543219', 'nope', '--account', 'acme', '--json']);
  expectCode(removed, 0);
  expect(onlyJson(removed)).toEqual({ list: 'account:acme', removed: 1, notListed: 1, rejected: [{ input: 'nope', reason: 'not a phone number' }] });
  expect(await checkSuppression(ctx, 'acme', '+919876543210')).toEqual({ global: expect.any(Number) });
  expect(await countSuppressions(ctx, { account: 'acme' })).toBe(1);
  expect(await countSuppressions(ctx, 'global')).toBe(2);
}, 120_000);

test('list: text lines and one JSON array, --limit; an empty list', async () => {
  const ctx = prefix('cli-supp-list');
  const run = cli(cliEnv(ctx.base));
  expectCode(await run(['add', '+919876543210', '+919876543211', '+919876543212', '--global']), 0);

  const text = await run(['list', '--global']);
  expectCode(text, 0);
  const lines = text.stdout.trim().split('\n').sort();
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^\+919876543210\t\d{4}-\d\d-\d\dT[\d:.]+Z$/);

  const json = await run(['list', '--global', '--json']);
  const entries = onlyJson<Array<{ number: string; addedAt: string }>>(json);
  expect(entries.map((e) => e.number).sort()).toEqual(['+919876543210', '+919876543211', '+919876543212']);
  expect(Number.isNaN(Date.parse(entries[0]!.addedAt))).toBe(false);

  expect(onlyJson<unknown[]>(await run(['list', '--global', '--json', '--limit', '2']))).toHaveLength(2);
  const empty = await run(['list', '--account', 'acme', '--json']);
  expectCode(empty, 0);
  expect(onlyJson(empty)).toEqual([]);
  const emptyText = await run(['list', '--account', 'acme']);
  expect(emptyText.stdout).toBe('');
  expect(emptyText.stderr).toContain('the account:acme list is empty');
}, 120_000);

test('normalisation: with WABULK_DEFAULT_COUNTRY=IN a local number is its +91 form', async () => {
  const ctx = prefix('cli-supp-in');
  const run = cli(cliEnv(ctx.base, { WABULK_DEFAULT_COUNTRY: 'IN' }));
  const added = await run(['add', '98765 43210', '--global', '--json']);
  expect(onlyJson(added)).toMatchObject({ added: 1 });
  expect(onlyJson(await run(['add', '+919876543210', '--global', '--json']))).toMatchObject({ added: 0, alreadyListed: 1 });
  expect(onlyJson(await run(['check', '09876543210', '--json']))).toMatchObject({ number: '+919876543210', suppressed: true });
  expect(await checkSuppression(ctx, undefined, '+919876543210')).toEqual({ global: expect.any(Number) });
}, 120_000);

test('usage errors exit 2: no scope, both scopes, nothing valid, a bad check number, a bad account, a missing file', async () => {
  const ctx = prefix('cli-supp-usage');
  const run = cli(cliEnv(ctx.base));
  // All at once: each is its own process, none changes a list (the test's time is process starts).
  const scopeless = [['add', '+919876543210'], ['remove', '+919876543210', '--account', 'acme', '--global'], ['list'], ['import', join(dir, 'x.csv')]];
  const [scopeRuns, invalid, invalidJson, check, badAccount, missing, noNumber] = await Promise.all([
    Promise.all(scopeless.map((args) => run(args))),
    run(['add', 'bogus', 'nope', '--global']),
    run(['remove', 'bogus', '--global', '--json']),
    run(['check', 'hello']),
    run(['add', '+919876543210', '--account', 'a b']),
    run(['import', join(dir, 'nosuch.csv'), '--global']),
    run(['add', '--global']),
  ]);
  for (const r of scopeRuns) {
    expectCode(r, 2);
    expect(r.stderr).toContain('--account');
    expect(r.stderr).toContain('--global');
  }
  expectCode(invalid, 2);
  expect(invalid.stdout).toContain('"bogus" — not a phone number');
  expect(invalid.stderr).toContain('no valid number');
  expectCode(invalidJson, 2);
  expect(onlyJson(invalidJson)).toEqual({ list: 'global', removed: 0, notListed: 0, rejected: [{ input: 'bogus', reason: 'not a phone number' }] });

  expectCode(check, 2);
  expect(check.stderr).toContain('not a phone number');
  expectCode(badAccount, 2);
  expect(badAccount.stderr).toContain('--account');
  expectCode(missing, 2);
  expect(missing.stderr).toContain('ENOENT');
  expectCode(noNumber, 2); // no number at all
  expect(await countSuppressions(ctx, 'global')).toBe(0);
}, 120_000);

test('import: a CSV with a header, bad rows with their line numbers, --rejected-out, --json; every row rejected exits 2', async () => {
  const ctx = prefix('cli-supp-import');
  const run = cli(cliEnv(ctx.base, { WABULK_DEFAULT_COUNTRY: 'IN' }));
  const csv = join(dir, 'dnc.csv');
  writeFileSync(csv, 'name,phone\nA,+919876543210\nB,not-a-number\nC,9876543211\nD,+919876543210\n');
  const rejectedOut = join(dir, 'rejected.csv');
  const r = await run(['import', csv, '--account', 'acme', '--rejected-out', rejectedOut]);
  expectCode(r, 0);
  expect(r.stdout).toContain('account:acme: read 4, added 2, already listed 1, rejected 1');
  expect(r.stdout).toContain('rejected line 3: "not-a-number" — not a phone number');
  expect(readFileSync(rejectedOut, 'utf8')).toBe('line,input,reason\n3,not-a-number,not a phone number\n');
  expect(await countSuppressions(ctx, { account: 'acme' })).toBe(2);

  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, '+919876543212\n9876543213\n\n+919876543210\n');
  const json = await run(['import', plain, '--global', '--json']);
  expectCode(json, 0);
  expect(onlyJson(json)).toEqual({ list: 'global', read: 3, added: 3, alreadyListed: 0, rejected: [], rejectedTotal: 0 });

  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'to\nfoo\nbar\n');
  const allBad = await run(['import', bad, '--global']);
  expectCode(allBad, 2);
  expect(allBad.stdout).toContain('rejected line 2: "foo"');
  expect(allBad.stdout).toContain('rejected line 3: "bar"');
  expect(allBad.stderr).toContain('every row was rejected');

  const noColumn = join(dir, 'nocol.csv');
  writeFileSync(noColumn, 'name,city\nA,B\n');
  const unusable = await run(['import', noColumn, '--global']);
  expectCode(unusable, 2);
  expect(unusable.stderr).toContain('line 1: no number column in the header (name, city)');
  const column = await run(['import', noColumn, '--global', '--column', 'city']);
  expectCode(column, 2); // "B" is no number: every row rejected
}, 120_000);

test('import of 50,000 numbers streams in batches; the list holds them all', async () => {
  const ctx = prefix('cli-supp-big');
  const run = cli(cliEnv(ctx.base));
  const file = join(dir, 'big.csv');
  let text = 'number\n';
  for (let i = 0; i < 50_000; i++) text += `+9198${String(i).padStart(8, '0')}\n`;
  writeFileSync(file, text);
  const r = await run(['import', file, '--account', 'acme', '--json'], 90_000);
  expectCode(r, 0);
  expect(onlyJson(r)).toMatchObject({ list: 'account:acme', read: 50_000, added: 50_000, rejectedTotal: 0 });
  expect(await countSuppressions(ctx, { account: 'acme' })).toBe(50_000);
  const listed = await run(['list', '--account', 'acme'], 90_000);
  expectCode(listed, 0);
  expect(new Set(listed.stdout.trim().split('\n').map((l) => l.split('\t')[0])).size).toBe(50_000);
}, 180_000);
