import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, getCampaignMeta, Producer, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli, type CliResult } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { startSlowRedisProxy } from './slow-redis-proxy.js';

// `wabulk send|status|--help` as an operator runs them: a real process per command, files on disk,
// the shared Redis under a key prefix of this file's own. Every test stands alone (it passes in any
// order, and alone with -t): it writes its own files, uses campaign ids no other test uses, and
// runs its own commands. Only the Redis connection and the temporary directory are shared.

const base = uniqueBase('cli-input');
const env = cliEnv(base);
const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-input-'));
/** Writes `name` into a directory of its own, so two tests never share (or overwrite) a file. */
const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(dir, 'f-')), name);
  writeFileSync(path, text);
  return path;
};
const cli = (args: string[], timeoutMs = 45_000) => runCli(args, { env, timeoutMs });

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

// Line numbers are the file's own (the header is line 1).
const CONTACTS = [
  'name,to,ref',
  'Asha,+919812345001,order-1', // 2
  'Ravi,919812345002,order-2', // 3: bare digits, read as international
  'Asha again,+91 98123 45001,order-3', // 4: the same number as line 2
  'Bad,not-a-phone,order-4', // 5
  'Empty,,order-5', // 6
  'Meena,+919812345003,order-6', // 7
].join('\n');

/** The recipients of the campaign's jobs waiting in account acme's queue (other tests' jobs share it). */
async function waiting(campaignId: string): Promise<string[]> {
  const jobs = await ctx.queues.get('acme').getJobs(['wait', 'prioritized']);
  return jobs.filter((j) => j.data.c === campaignId).map((j) => String(j.data.to)).sort();
}

describe('send --csv', () => {
  test('valid, duplicate, invalid and empty rows: exit 0, the counts, and every rejected row with its line and reason', async () => {
    const contacts = file('contacts.csv', `${CONTACTS}\n`);
    const r = await cli(['send', '--campaign', 'c-rows', '--csv', contacts, '--body', 'hi']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: 'reading recipients from column "to" (delimiter ",")\n' });
    expect(r.stdout).toContain('campaign c-rows: accepted 3, duplicates 1, rejected 2');
    expect(r.stdout).toMatch(/rejected line 5: "not-a-phone" — not a phone number/);
    expect(r.stdout).toMatch(/rejected line 6: "Empty,,order-5" — empty "to"/);
    expect(r.stdout).toMatch(/rejected by reason: not a phone number 1, empty recipient column 1/);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(4);

    // What was queued: the three distinct valid numbers, one job each, in E.164.
    expect(await ctx.ledger.counts('c-rows')).toMatchObject({ total: 3, pending: 3 });
    expect(await waiting('c-rows')).toEqual(['+919812345001', '+919812345002', '+919812345003']);
  });

  test('re-running the same import (--json --rejected-out): one JSON object, accepted 0, every recipient a duplicate, every rejected row in the file', async () => {
    const contacts = file('contacts.csv', `${CONTACTS}\n`);
    const first = await cli(['send', '--campaign', 'c-rerun', '--csv', contacts, '--body', 'hi', '--json']);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(first)).toMatchObject({ campaignId: 'c-rerun', accepted: 3, duplicates: 1 });

    const rejectedOut = join(mkdtempSync(join(dir, 'out-')), 'rejected.csv');
    const r = await cli(['send', '--campaign', 'c-rerun', '--csv', contacts, '--body', 'hi', '--json', '--rejected-out', rejectedOut]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(r)).toMatchObject({
      campaignId: 'c-rerun',
      accepted: 0,
      duplicates: 4, // the three queued by the first run + line 4's repeat
      rejected: [
        { input: 'not-a-phone', reason: 'not a phone number', line: 5 },
        { input: 'Empty,,order-5', reason: 'empty "to"', line: 6 },
      ],
    });
    expect(readFileSync(rejectedOut, 'utf8')).toBe(['line,input,reason', '5,not-a-phone,not a phone number', '6,"Empty,,order-5","empty ""to"""', ''].join('\n'));

    // Nothing was added twice: still three recipients and three jobs.
    expect(await ctx.ledger.counts('c-rerun')).toMatchObject({ total: 3, pending: 3 });
    expect(await waiting('c-rerun')).toEqual(['+919812345001', '+919812345002', '+919812345003']);
  }, 120_000);

  test('--column phone reads a file whose recipient column is "phone"', async () => {
    const path = file('phones.csv', 'name,phone\nA,+919812345101\nB,+919812345102\n');
    const r = await cli(['send', '--campaign', 'c-col', '--csv', path, '--column', 'phone', '--body', 'hi', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(r)).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await waiting('c-col')).toEqual(['+919812345101', '+919812345102']);
  });

  test('an NDJSON file (.ndjson): objects with "to"; lines that are not usable are rejected with their line', async () => {
    const path = file(
      'contacts.ndjson',
      ['{"to":"+919812345201","ref":"a"}', '{"to":"+919812345202"}', 'not json', '{"name":"no number"}', '{"to":"+919812345201"}', ''].join('\n'),
    );
    const r = await cli(['send', '--campaign', 'c-nd', '--csv', path, '--body', 'hi', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(r)).toMatchObject({
      accepted: 2,
      duplicates: 1,
      rejected: [
        { line: 3, reason: 'not valid JSON' },
        { line: 4, reason: '"to" must be a string' },
      ],
    });
    expect(await waiting('c-nd')).toEqual(['+919812345201', '+919812345202']);
  });

  // What Excel writes when "CSV" is saved in a locale whose decimal mark is a comma: a BOM, CRLF, semicolons.
  const EXCEL = '\ufeffto;name\r\n+919812345601;Asha\r\n+919812345602;Ravi\r\n+919812345601;Asha again\r\n';

  test('an Excel file (BOM, CRLF, ";") with neither --column nor --delimiter: read as written; stderr names the column and delimiter', async () => {
    const path = file('excel.csv', EXCEL);
    const r = await cli(['send', '--campaign', 'c-excel', '--csv', path, '--body', 'hi']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: 'reading recipients from column "to" (delimiter ";")\n' });
    expect(r.stdout).toBe('campaign c-excel: accepted 2, duplicates 1, rejected 0 (suppressed 0)\n');
    expect(await waiting('c-excel')).toEqual(['+919812345601', '+919812345602']);

    // --json: nothing on stderr, the column and delimiter in the result.
    const again = await cli(['send', '--campaign', 'c-excel', '--csv', path, '--body', 'hi', '--json']);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(again)).toMatchObject({ accepted: 0, duplicates: 3, source: { column: 'to', delimiter: ';' } });
  });

  test('--column "to;name" on the Excel file (read with commas): "+91…;Asha" is rejected, not cut down to its number', async () => {
    const path = file('excel.csv', EXCEL);
    const r = await cli(['send', '--campaign', 'c-excel-col', '--csv', path, '--column', 'to;name', '--delimiter', ',', '--body', 'hi', '--json']);
    expect(r.code).toBe(2); // nothing to send
    expect(onlyJson(r)).toMatchObject({
      accepted: 0,
      source: { column: 'to;name', delimiter: ',' },
      rejected: [
        { line: 2, input: '+919812345601;Asha', reason: 'not a phone number: holds ";Asha" beside the number (is the file\'s delimiter ";"? use --delimiter)' },
        { line: 3, input: '+919812345602;Ravi', reason: expect.stringMatching(/^not a phone number: holds ";Ravi"/) },
        { line: 4, input: '+919812345601;Asha again', reason: expect.stringMatching(/^not a phone number: holds ";Asha again"/) },
      ],
    });
    expect(await waiting('c-excel-col')).toEqual([]);

    // Without --delimiter the file is read with ";" and has no such column: refused, naming the columns it has.
    const found = await cli(['send', '--campaign', 'c-excel-col2', '--csv', path, '--column', 'to;name', '--body', 'hi']);
    expect({ code: found.code, stderr: found.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/excel\.csv: line 1: no "to;name" column in the header \(to, name\)/) });
  });

  test('--delimiter tab, and a "Phone Number" column found without --column', async () => {
    const path = file('tabs.tsv', 'Name, full\tPhone Number\nKumar, Asha\t+91 98123 45701\n');
    const r = await cli(['send', '--campaign', 'c-tab', '--csv', path, '--delimiter', 'tab', '--body', 'hi']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: 'reading recipients from column "Phone Number" (delimiter "tab")\n' });
    expect(await waiting('c-tab')).toEqual(['+919812345701']);
  });

  // With Redis a few milliseconds away (another zone, a managed service) the import used to read
  // nothing: apps/cli/src/commands/send.ts attached a 'data' listener (for the progress bar's byte
  // count) to the file stream, which started it flowing at once, while the CSV/NDJSON reader only
  // piped it after the producer's first Redis round trip. Every chunk read in between was dropped.
  test('a Redis 150 ms away: the import still reads every row of the file', async () => {
    const proxy = await startSlowRedisProxy(REDIS_URL, 150);
    try {
      const path = file('far.csv', 'to\n+919812345301\n+919812345302\n+919812345303\n');
      const r = await runCli(['send', '--campaign', 'c-far', '--csv', path, '--body', 'hi', '--json'], { env: cliEnv(base, { REDIS_URL: proxy.url }), timeoutMs: 45_000 });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(onlyJson(r)).toMatchObject({ accepted: 3, duplicates: 0, rejected: [] });
    } finally {
      await proxy.close();
    }
  });
});

describe('send --priority', () => {
  test('normal by default, and what --priority says; status --json reports it', async () => {
    expect((await cli(['send', '--campaign', 'p-default', '--to', '+919812345501', '--body', 'hi'])).code).toBe(0);
    expect((await cli(['send', '--campaign', 'p-high', '--to', '+919812345502', '--body', 'hi', '--priority', 'high'])).code).toBe(0);
    expect(onlyJson(await cli(['status', '--campaign', 'p-default', '--json', '--once']))).toMatchObject({ priority: 'normal' });
    expect(onlyJson(await cli(['status', '--campaign', 'p-high', '--json', '--once']))).toMatchObject({ priority: 'high' });
    const jobs = await ctx.queues.get('acme').getJobs(['wait', 'prioritized']);
    expect(Object.fromEntries(jobs.filter((j) => j.data.c.startsWith('p-')).map((j) => [j.data.c, j.priority]))).toEqual({ 'p-default': 1, 'p-high': 0 });
  });
});

describe('unusable input: exit 2 and a message naming the problem', () => {
  const expectUsage = (r: CliResult, message: RegExp) => {
    expect({ code: r.code, stderr: r.stderr, run: describeRun(r) }).toEqual({ code: 2, stderr: expect.stringMatching(message), run: expect.any(String) });
  };
  /** A refused command must leave nothing in Redis under its campaign id. */
  const expectNoCampaign = async (campaignId: string) => {
    expect([campaignId, await getCampaignMeta(ctx, campaignId)]).toEqual([campaignId, undefined]);
  };

  // A file refused with exit 2 must not leave its campaign (id, account, body) behind: the operator
  // who fixes the file and rewords the text would be told the id "already exists with a different
  // message". Producer.enqueueCampaign (packages/queue/src/producer.ts) creates the campaign only
  // once the first row has been read.
  test('a CSV without a recipient column: names line 1, the columns found and --column; no campaign is left behind', async () => {
    const path = file('no-to.csv', 'name,contact\nA,+919812345401\n');
    expectUsage(await cli(['send', '--campaign', 'e-col', '--csv', path, '--body', 'hi']), /no-to\.csv: line 1: no recipient column in the header \(name, contact\): none is named to, phone, .*; name it with --column/);
    await expectNoCampaign('e-col');
    const named = file('no-cell.csv', 'name,phone\nA,+919812345401\n');
    expectUsage(await cli(['send', '--campaign', 'e-col', '--csv', named, '--column', 'cell', '--body', 'hi']), /no-cell\.csv: line 1: no "cell" column in the header \(name, phone\); name the column with --column/);
    await expectNoCampaign('e-col');
  });

  test('--delimiter other than , ; or tab: refused before anything is stored', async () => {
    const good = file('good.csv', 'to\n+919812345421\n');
    expectUsage(await cli(['send', '--campaign', 'e-delim', '--csv', good, '--delimiter', '|', '--body', 'hi']), /--delimiter: must be , ; or tab, got "\|"/);
    await expectNoCampaign('e-delim');
  });

  test('a malformed CSV (unterminated quote): names the file and a line; no campaign is left behind', async () => {
    const path = file('malformed.csv', 'to,ref\n+919812345411,a\n"+919812345412,b\n+919812345413,c\n');
    expectUsage(await cli(['send', '--campaign', 'e-bad', '--csv', path, '--body', 'hi']), /malformed\.csv: line \d+: not valid CSV: .*quote/i);
    await expectNoCampaign('e-bad');
  });

  test('a file that does not exist: refused before anything is stored', async () => {
    expectUsage(await cli(['send', '--campaign', 'e-miss', '--csv', join(dir, 'missing.csv'), '--body', 'hi']), /--csv: cannot read .*missing\.csv: ENOENT/);
    await expectNoCampaign('e-miss');
  });

  test('both --to and --csv: refused before anything is stored', async () => {
    const good = file('good.csv', 'to\n+919812345421\n');
    expectUsage(await cli(['send', '--campaign', 'e-both', '--to', '+919812345431', '--csv', good, '--body', 'hi']), /exactly one of --to .* or --csv/);
    await expectNoCampaign('e-both');
  });

  test('neither --body nor --body-file: refused before anything is stored', async () => {
    expectUsage(await cli(['send', '--campaign', 'e-nobody', '--to', '+919812345432']), /exactly one of --body TEXT or --body-file FILE/);
    await expectNoCampaign('e-nobody');
  });

  test('--csv without --campaign', async () => {
    const good = file('good.csv', 'to\n+919812345421\n');
    expectUsage(await cli(['send', '--csv', good, '--body', 'hi']), /--campaign ID is required with --csv/);
  });

  test('a body over 4096 characters: rejected before anything is stored', async () => {
    expectUsage(await cli(['send', '--campaign', 'e-long', '--to', '+919812345433', '--body', 'x'.repeat(4097)]), /body: must be at most 4096 characters/);
    await expectNoCampaign('e-long');
  });

  test('--priority other than high, normal or low: refused before anything is stored', async () => {
    expectUsage(await cli(['send', '--campaign', 'e-prio', '--to', '+919812345434', '--body', 'hi', '--priority', 'urgent']), /--priority: must be high, normal or low, got "urgent"/);
    await expectNoCampaign('e-prio');
  });

  test('an unknown command', async () => {
    expectUsage(await cli(['frobnicate', '--campaign', 'x']), /unknown command 'frobnicate'/);
  });

  test('--to "x,y" with every recipient rejected: exit 2, each rejected input with its reason', async () => {
    const r = await cli(['send', '--to', 'x,y', '--body', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/accepted 0, duplicates 0, rejected 2/);
    expect(r.stdout).toMatch(/rejected: "x" — not a phone number/);
    expect(r.stdout).toMatch(/rejected: "y" — not a phone number/);
    expect(r.stderr).toMatch(/nothing to send: every recipient was rejected/);
  });
});

describe('status', () => {
  const enqueue = (campaignId: string) =>
    new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] }).enqueueText({ campaignId, to: ['+919812345501', '+919812345502'], body: 'hi' });

  test('--json: one JSON object with the contract fields', async () => {
    await enqueue('s-json');
    const r = await cli(['status', '--campaign', 's-json', '--json']);
    expect(r.code).toBe(0);
    const s = onlyJson(r);
    for (const field of ['total', 'pending', 'sent', 'failed', 'paused', 'pauseReason']) expect(s).toHaveProperty(field);
    expect(s).toMatchObject({ campaignId: 's-json', total: 2, pending: 2, sent: 0, failed: 0, paused: false, pauseReason: null });
  });

  test('--once: one line and exit (nothing is sending, so it would otherwise follow forever)', async () => {
    await enqueue('s-once');
    const r = await cli(['status', '--campaign', 's-once', '--once']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^s-once: 0\/2 \(0%\) +sent 0 +failed 0 +pending 2\n$/);
  });

  test('an unknown campaign: exit 3 and says so', async () => {
    const r = await cli(['status', '--campaign', 'no-such-campaign', '--json']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
    expect(r.stderr).toMatch(/no campaign no-such-campaign/);
  });
});

describe('--help', () => {
  test('top level: exit 0 and every operator command of the contract', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['worker', 'api', 'send', 'status', 'pause', 'resume', 'export', 'retry-failed', 'demo']) {
      expect(top.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  test('send: exit 0 and every flag of the contract', async () => {
    const send = await cli(['send', '--help']);
    expect(send.code).toBe(0);
    const flags = ['--campaign', '--to', '--csv', '--column', '--delimiter', '--body', '--body-file', '--preview-url', '--ref', '--ref1', '--ref2', '--wait', '--json', '--rejected-out', '--priority'];
    for (const flag of flags) expect(send.stdout).toMatch(new RegExp(`(^|[\\s,])${flag}(?![\\w-])`, 'm'));
  });
});
