import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, getCampaignMeta, Producer, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli, type CliResult } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { startSlowRedisProxy, type SlowRedisProxy } from './slow-redis-proxy.js';

// `wabulk send|status|--help` as an operator runs them: a real process per command, files on disk,
// the shared Redis under a key prefix of this file's own. Each run costs about a second, so the
// runs that do not depend on each other are started together and the tests read their results.

const base = uniqueBase('cli-input');
const env = cliEnv(base);
const dir = mkdtempSync(join(tmpdir(), 'wabulk-cli-input-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cli = (args: string[], timeoutMs = 30_000) => runCli(args, { env, timeoutMs });

let redis: Redis;
let ctx: QueueContext;
let proxy: SlowRedisProxy | undefined;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});

afterAll(async () => {
  await killAllClis();
  await proxy?.close();
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

describe('send --csv', () => {
  const contacts = file('contacts.csv', `${CONTACTS}\n`);

  test('valid, duplicate, invalid and empty rows: exit 0, the counts, and every rejected row with its line and reason', async () => {
    const r = await cli(['send', '--campaign', 'c1', '--csv', contacts, '--body', 'hi']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain('campaign c1: accepted 3, duplicates 1, rejected 2');
    expect(r.stdout).toMatch(/rejected line 5: "not-a-phone" — not a phone number/);
    expect(r.stdout).toMatch(/rejected line 6: "Empty,,order-5" — empty "to"/);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);

    // What was queued: the three distinct valid numbers, one job each, in E.164.
    expect(await ctx.ledger.counts('c1')).toMatchObject({ total: 3, pending: 3 });
    const jobs = await ctx.queues.get('acme').getJobs(['wait']);
    expect(jobs.map((j) => j.data.to).sort()).toEqual(['+919812345001', '+919812345002', '+919812345003']);
  });

  test('re-running the same import (--json --rejected-out): one JSON object, accepted 0, every recipient a duplicate, every rejected row in the file', async () => {
    const rejectedOut = join(dir, 'rejected.csv');
    const r = await cli(['send', '--campaign', 'c1', '--csv', contacts, '--body', 'hi', '--json', '--rejected-out', rejectedOut]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const out = onlyJson(r);
    expect(out).toMatchObject({
      campaignId: 'c1',
      accepted: 0,
      duplicates: 4, // the three queued before + line 4's repeat
      rejected: [
        { input: 'not-a-phone', reason: 'not a phone number', line: 5 },
        { input: 'Empty,,order-5', reason: 'empty "to"', line: 6 },
      ],
    });
    expect(readFileSync(rejectedOut, 'utf8')).toBe(['line,input,reason', '5,not-a-phone,not a phone number', '6,"Empty,,order-5","empty ""to"""', ''].join('\n'));

    // Nothing was added twice: still three recipients and three jobs.
    expect(await ctx.ledger.counts('c1')).toMatchObject({ total: 3, pending: 3 });
    expect((await ctx.queues.get('acme').getJobCounts('wait')).wait).toBe(3);
  });

  test('--column phone reads a file whose recipient column is "phone"', async () => {
    const path = file('phones.csv', 'name,phone\nA,+919812345101\nB,+919812345102\n');
    const r = await cli(['send', '--campaign', 'c-col', '--csv', path, '--column', 'phone', '--body', 'hi', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(r)).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
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
  });

  // With Redis a few milliseconds away (another zone, a managed service) the import reads nothing:
  // apps/cli/src/commands/send.ts attaches a 'data' listener (for the progress bar's byte count) to
  // the file stream, which starts it flowing at once, while the CSV/NDJSON reader only pipes it after
  // the producer's first Redis round trip (ensureCampaign). Every chunk read in between is dropped.
  // On a local Redis the same race loses the file in about half of the runs of the tests above.
  test('a Redis 150 ms away: the import still reads every row of the file', async () => {
    proxy = await startSlowRedisProxy(REDIS_URL, 150);
    const path = file('far.csv', 'to\n+919812345301\n+919812345302\n+919812345303\n');
    const r = await runCli(['send', '--campaign', 'c-far', '--csv', path, '--body', 'hi', '--json'], { env: cliEnv(base, { REDIS_URL: proxy.url }), timeoutMs: 30_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onlyJson(r)).toMatchObject({ accepted: 3, duplicates: 0, rejected: [] });
  });
});

describe('unusable input: exit 2 and a message naming the problem', () => {
  const results = new Map<string, CliResult>();
  const longBody = 'x'.repeat(4097);

  beforeAll(async () => {
    const noToColumn = file('no-to.csv', 'name,phone\nA,+919812345401\n');
    const malformed = file('malformed.csv', 'to,ref\n+919812345411,a\n"+919812345412,b\n+919812345413,c\n');
    const good = file('good.csv', 'to\n+919812345421\n');
    const cases: Record<string, string[]> = {
      'no "to" column': ['send', '--campaign', 'e-col', '--csv', noToColumn, '--body', 'hi'],
      'malformed CSV': ['send', '--campaign', 'e-bad', '--csv', malformed, '--body', 'hi'],
      'missing file': ['send', '--campaign', 'e-miss', '--csv', join(dir, 'missing.csv'), '--body', 'hi'],
      'both --to and --csv': ['send', '--campaign', 'e-both', '--to', '+919812345431', '--csv', good, '--body', 'hi'],
      'no body': ['send', '--campaign', 'e-nobody', '--to', '+919812345432'],
      '--csv without --campaign': ['send', '--csv', good, '--body', 'hi'],
      'body over 4096 characters': ['send', '--campaign', 'e-long', '--to', '+919812345433', '--body', longBody],
      'unknown command': ['frobnicate', '--campaign', 'x'],
      'every recipient rejected': ['send', '--to', 'x,y', '--body', 'hi'],
    };
    const runs = await Promise.all(Object.entries(cases).map(async ([name, args]) => [name, await cli(args)] as const));
    for (const [name, r] of runs) results.set(name, r);
  }, 60_000);

  const run = (name: string) => {
    const r = results.get(name);
    if (!r) throw new Error(`no run for ${name}`);
    return r;
  };
  const expectUsage = (name: string, message: RegExp) => {
    const r = run(name);
    expect({ code: r.code, stderr: r.stderr, run: describeRun(r) }).toEqual({ code: 2, stderr: expect.stringMatching(message), run: expect.any(String) });
  };

  test('a CSV without a "to" column: names line 1 and suggests --column', () => {
    expectUsage('no "to" column', /no-to\.csv: line 1: no "to" column in the header \(name, phone\); name the column with --column/);
  });

  test('a malformed CSV (unterminated quote): names the file and a line', () => {
    expectUsage('malformed CSV', /malformed\.csv: line \d+: not valid CSV: .*quote/i);
  });

  test('a file that does not exist', () => {
    expectUsage('missing file', /--csv: cannot read .*missing\.csv: ENOENT/);
  });

  test('both --to and --csv', () => {
    expectUsage('both --to and --csv', /exactly one of --to .* or --csv/);
  });

  test('neither --body nor --body-file', () => {
    expectUsage('no body', /exactly one of --body TEXT or --body-file FILE/);
  });

  test('--csv without --campaign', () => {
    expectUsage('--csv without --campaign', /--campaign ID is required with --csv/);
  });

  test('a body over 4096 characters: rejected before anything is stored', async () => {
    expectUsage('body over 4096 characters', /body: must be at most 4096 characters/);
    expect(await getCampaignMeta(ctx, 'e-long')).toBeUndefined();
  });

  test('an unknown command', () => {
    expectUsage('unknown command', /unknown command 'frobnicate'/);
  });

  test('--to "x,y" with every recipient rejected: exit 2, each rejected input with its reason', () => {
    const r = run('every recipient rejected');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/accepted 0, duplicates 0, rejected 2/);
    expect(r.stdout).toMatch(/rejected: "x" — not a phone number/);
    expect(r.stdout).toMatch(/rejected: "y" — not a phone number/);
    expect(r.stderr).toMatch(/nothing to send: every recipient was rejected/);
  });

  test('refusals before any file is read store nothing', async () => {
    for (const id of ['e-miss', 'e-both', 'e-nobody', 'e-long']) expect([id, await getCampaignMeta(ctx, id)]).toEqual([id, undefined]);
  });

  // Producer.enqueueCampaign (packages/queue/src/producer.ts) calls ensureCampaign before it reads
  // the first row, so a file refused with exit 2 still leaves the campaign (id, account, body)
  // behind: the operator who fixes the file and rewords the text is told the id "already exists
  // with a different message".
  test('an import refused for its file (no "to" column, malformed CSV) leaves no campaign behind', async () => {
    const left: string[] = [];
    for (const id of ['e-col', 'e-bad']) if (await getCampaignMeta(ctx, id)) left.push(id);
    expect(left).toEqual([]);
  });
});

describe('status', () => {
  const results = new Map<string, CliResult>();

  beforeAll(async () => {
    await new Producer(ctx, { defaultAccount: 'acme' }).enqueueText({ campaignId: 's1', to: ['+919812345501', '+919812345502'], body: 'hi' });
    const [json, once, unknown] = await Promise.all([
      cli(['status', '--campaign', 's1', '--json']),
      cli(['status', '--campaign', 's1', '--once']),
      cli(['status', '--campaign', 'no-such-campaign', '--json']),
    ]);
    results.set('json', json).set('once', once).set('unknown', unknown);
  }, 60_000);

  test('--json: one JSON object with the contract fields', () => {
    const r = results.get('json')!;
    expect(r.code).toBe(0);
    const s = onlyJson(r);
    for (const field of ['total', 'pending', 'sent', 'failed', 'paused', 'pauseReason']) expect(s).toHaveProperty(field);
    expect(s).toMatchObject({ campaignId: 's1', total: 2, pending: 2, sent: 0, failed: 0, paused: false, pauseReason: null });
  });

  test('--once: one line and exit (nothing is sending, so it would otherwise follow forever)', () => {
    const r = results.get('once')!;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^s1: 0\/2 \(0%\) +sent 0 +failed 0 +pending 2\n$/);
  });

  test('an unknown campaign: exit 3 and says so', () => {
    const r = results.get('unknown')!;
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
    expect(r.stderr).toMatch(/no campaign no-such-campaign/);
  });
});

describe('--help', () => {
  let top: CliResult;
  let send: CliResult;

  beforeAll(async () => {
    [top, send] = await Promise.all([cli(['--help']), cli(['send', '--help'])]);
  }, 60_000);

  test('top level: exit 0 and every operator command of the contract', () => {
    expect(top.code).toBe(0);
    for (const command of ['worker', 'api', 'send', 'status', 'pause', 'resume', 'export', 'retry-failed', 'demo']) {
      expect(top.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  test('send: exit 0 and every flag of the contract', () => {
    expect(send.code).toBe(0);
    const flags = ['--campaign', '--to', '--csv', '--column', '--body', '--body-file', '--preview-url', '--ref', '--ref1', '--ref2', '--wait', '--json', '--rejected-out'];
    for (const flag of flags) expect(send.stdout).toMatch(new RegExp(`(^|[\\s,])${flag}(?![\\w-])`, 'm'));
  });
});
