import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, getCampaignMeta, STORABLE_TEXT_RULE, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk send` refuses text PostgreSQL cannot store (U+0000, unpaired surrogates; a finished campaign
// holding it could never be archived): the message itself with exit 2 naming the field; a file's row
// alone, with its line, like any other bad row. A real process per command, files on disk.

const base = uniqueBase('cli-unstorable');
const env = cliEnv(base);
const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-unstorable-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(mkdtempSync(join(dir, 'f-')), name);
  writeFileSync(path, content);
  return path;
};
const cli = (args: string[]) => runCli(args, { env, timeoutMs: 45_000 });
const RULE = STORABLE_TEXT_RULE;

let redis: Redis;
let ctx: QueueContext;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});

afterAll(async () => {
  await killAllClis();
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('--body-file holding a NUL: exit 2 naming body and the rule; nothing written', async () => {
  const body = file('body.txt', Buffer.from('Hello\u0000there\n'));
  const r = await cli(['send', '--campaign', 'u-body', '--to', '+919812345001', '--body-file', body]);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr).toContain(`body: ${RULE}`);
  expect(await getCampaignMeta(ctx, 'u-body')).toBeUndefined();

  const csv = file('one.csv', 'to\n+919812345002\n');
  const imported = await cli(['send', '--campaign', 'u-body-csv', '--csv', csv, '--body-file', body]);
  expect(imported.code).toBe(2);
  expect(imported.stderr).toContain(`body: ${RULE}`);
  expect(await getCampaignMeta(ctx, 'u-body-csv')).toBeUndefined();
});

test('--csv: a row with a NUL in its ref or placeholder value is rejected with its line; the others are queued (exit 0)', async () => {
  const csv = file('rows.csv', Buffer.from(['to,name,ref', '+919812345011,Asha,o-1', '+919812345012,Ra\u0000vi,o-2', '+919812345013,Meena,o\u0000-3', ''].join('\n')));
  const r = await cli(['send', '--campaign', 'u-rows', '--csv', csv, '--body', 'Hi {{name}}']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('campaign u-rows: accepted 1, duplicates 0, rejected 2');
  expect(r.stdout).toContain(`rejected line 3: "+919812345012" — the value of {{name}}: ${RULE}`);
  expect(r.stdout).toContain(`rejected line 4: "+919812345013" — ref: ${RULE}`);
  expect(r.stdout).toContain('rejected by reason: text not storable 2');
  expect(await ctx.ledger.counts('u-rows')).toMatchObject({ total: 1, pending: 1 });
});

test('--csv whose only row is not storable: exit 2, the row named by its line (--json)', async () => {
  const csv = file('bad.csv', Buffer.from('to,ref\n+919812345021,x\u0000\n'));
  const r = await cli(['send', '--campaign', 'u-only', '--csv', csv, '--body', 'Hi', '--json']);
  expect(r.code).toBe(2);
  expect(onlyJson(r)).toMatchObject({ accepted: 0, rejectedTotal: 1, rejected: [{ input: '+919812345021', reason: `ref: ${RULE}`, line: 2 }] });
  expect(await getCampaignMeta(ctx, 'u-only')).toBeUndefined();
  // An answer, not a crash: no stack trace.
  expect(describeRun(r)).not.toMatch(/\n\s+at /);
});
