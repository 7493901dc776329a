import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, waitForReady } from '@wabulk/queue';
import { cliEnv, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk send` with over-long lines: a CSV record over 64 KiB stops the file at its line (exit 2);
// an NDJSON line over 64 KiB is a rejected row and the import goes on; rejected inputs are cut to
// 100 characters in the output and in --rejected-out.

const base = uniqueBase('cli-bounds');
const env = cliEnv(base);
const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-bounds-'));
const cli = (args: string[]) => runCli(args, { env, timeoutMs: 45_000 });

afterAll(async () => {
  await killAllClis();
  const redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  await deleteKeys(redis, base);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('CSV: a record over 64 KiB: exit 2 naming its line', async () => {
  const path = join(dir, 'long.csv');
  writeFileSync(path, `to,name\n+919812345001,a\n+919812345002,${'z'.repeat(100_000)}\n+919812345003,c\n`);
  const r = await cli(['send', '--campaign', 'b-csv', '--csv', path, '--body', 'hi']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/line 3: a record longer than 65536 characters/);
});

test('NDJSON: a line over 64 KiB is rejected with its line, the rest queued; inputs cut to 100 characters in --json and --rejected-out', async () => {
  const path = join(dir, 'long.ndjson');
  writeFileSync(path, `{"to":"+919812345011"}\n{"to":"+919812345012","note":"${'n'.repeat(100_000)}"}\n{"to":"${'x'.repeat(500)}"}\n{"to":"+919812345013"}\n`);
  const out = join(dir, 'rejected.csv');
  const r = await cli(['send', '--campaign', 'b-ndjson', '--csv', path, '--body', 'hi', '--json', '--rejected-out', out]);
  expect(r.code).toBe(0);
  const result = onlyJson<{ accepted: number; rejected: Array<{ line: number; input: string; reason: string }> }>(r);
  expect(result.accepted).toBe(2);
  expect(result.rejected.map((x) => [x.line, x.input.length <= 100])).toEqual([
    [2, true],
    [3, true],
  ]);
  expect(result.rejected[0]!.reason).toMatch(/^line longer than 64 KiB/);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  for (const l of lines.slice(1)) expect(l.length).toBeLessThan(200);
});
