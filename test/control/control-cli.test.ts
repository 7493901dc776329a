import { cliEnv, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { numbers, startStack, type Stack } from '../support/stack.js';

// `wabulk pause|resume|cancel --campaign` as operators run them: real processes, exit codes, --json.
// No worker: the campaign's recipients stay pending, so what the commands do is all there is to see.

let s: Stack;
let env: Record<string, string>;
const cli = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });

beforeAll(async () => {
  s = await startStack();
  env = cliEnv(s.base);
}, 60_000);

afterAll(async () => {
  await killAllClis();
  await s?.close();
});

test('pause, resume, cancel --campaign: exit 0 with the status as JSON; idempotent cancel; status --json has state and cancelled', async () => {
  await s.producer.enqueueText({ campaignId: 'cli1', to: numbers(30), body: 'hi' });
  const paused = await cli(['pause', '--campaign', 'cli1', '--json']);
  expect(paused.code).toBe(0);
  expect(onlyJson(paused)).toMatchObject({ campaignId: 'cli1', state: 'paused', pending: 30, cancelled: 0 });
  const resumed = await cli(['resume', '--campaign', 'cli1', '--json']);
  expect(onlyJson(resumed)).toMatchObject({ state: 'running', pending: 30 });

  const cancelled = await cli(['cancel', '--campaign', 'cli1', '--json']);
  expect(cancelled.code).toBe(0);
  expect(onlyJson(cancelled)).toMatchObject({ state: 'cancelled', pending: 0, cancelled: 30, total: 30, done: true });
  const again = await cli(['cancel', '--campaign', 'cli1']);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/cli1: cancelled; 0 queued job\(s\) removed, 0 pending recipient\(s\) cancelled now/);
  const status = await cli(['status', '--campaign', 'cli1', '--json']);
  expect(onlyJson(status)).toMatchObject({ state: 'cancelled', cancelled: 30, pending: 0 });
  const retry = await cli(['retry-failed', '--campaign', 'cli1', '--json']);
  expect(onlyJson(retry)).toMatchObject({ requeued: 0 });
  const exported = await cli(['export', '--campaign', 'cli1', '--format', 'ndjson']);
  const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string });
  expect(rows).toHaveLength(30);
  expect(rows.every((r) => r.status === 'cancelled')).toBe(true);
}, 60_000);

test('exit 3 for an unknown campaign, 2 for --campaign with --account; cancel without --campaign refused', async () => {
  for (const action of ['pause', 'resume', 'cancel']) {
    const r = await cli([action, '--campaign', 'nope']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no campaign nope/);
  }
  const both = await cli(['pause', '--campaign', 'cli1', '--account', 'acme']);
  expect(both.code).toBe(2);
  // A missing required option is bad usage on every subcommand: exit 2.
  const bare = await cli(['cancel']);
  expect(bare.code).toBe(2);
  expect(bare.stderr).toMatch(/--campaign/);
  // The account form still works.
  const account = await cli(['pause', '--account', 'acme', '--json']);
  expect(account.code).toBe(0);
  expect(onlyJson(account)).toMatchObject({ account: 'acme', paused: true });
  expect((await cli(['resume', '--account', 'acme'])).code).toBe(0);
}, 60_000);
