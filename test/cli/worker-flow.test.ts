import { getAccountState, resumeAccount } from '@wabulk/queue';
import { expectUnchanged, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { cliEnv, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';

// The operator's day with a worker process sending to the simulator: send and wait, export, pause,
// resume, retry the failed. Every `wabulk` command is a real process; the simulator and the ledger
// are the ground truth. One worker serves the whole file (the tests run in order).

let s: Stack;
let env: Record<string, string>;
const cli = (args: string[], timeoutMs = 30_000) => runCli(args, { env, timeoutMs });

beforeAll(async () => {
  s = await startStack();
  env = cliEnv(s.base);
  await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }));
}, 60_000);

afterAll(async () => {
  await killAllClis();
  await killAllWorkers();
  await s?.close();
});

const EXPORT_HEADER = 'to,status,messageId,code,attempts,reason,updatedAt';

test('send --wait --json returns when the campaign is done; export (csv, ndjson) has one row per recipient with the simulator\'s message ids', async () => {
  const to = numbers(5, 100);
  const sent = await cli(['send', '--to', to.join(','), '--body', 'hi', '--campaign', 'w1', '--wait', '--json']);
  expect(sent.code).toBe(0);
  const out = onlyJson(sent);
  expect(out).toMatchObject({ campaignId: 'w1', accepted: 5, duplicates: 0, rejected: [], status: { total: 5, sent: 5, failed: 0, pending: 0, done: true } });
  // It returned after the work was done, not before: the simulator already has every message.
  expect(new Set(s.sim.messages().map((m) => `+${m.to.replace(/^\+/, '')}`))).toEqual(new Set(to));

  const [csv, ndjson] = await Promise.all([cli(['export', '--campaign', 'w1']), cli(['export', '--campaign', 'w1', '--format', 'ndjson'])]);
  const simIds = simIdsByRecipient(s.sim);

  expect(csv.code).toBe(0);
  const lines = csv.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(EXPORT_HEADER);
  const rows = lines.slice(1).map((l) => Object.fromEntries(EXPORT_HEADER.split(',').map((k, i) => [k, l.split(',')[i]])));
  expect(rows.map((r) => String(r.to)).sort()).toEqual([...to].sort());
  for (const r of rows) {
    expect(r).toMatchObject({ status: 'sent', attempts: '1' });
    expect([r.to, [r.messageId]]).toEqual([r.to, simIds.get(r.to!)]);
    expect(Number.isNaN(Date.parse(r.updatedAt!))).toBe(false);
  }

  expect(ndjson.code).toBe(0);
  const records = ndjson.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(records.map((r) => String(r.to)).sort()).toEqual([...to].sort());
  for (const r of records) {
    expect(r).toMatchObject({ status: 'sent', attempts: 1 });
    expect(Object.keys(r)).toEqual(EXPORT_HEADER.split(','));
    expect([r.to, [r.messageId]]).toEqual([r.to, simIds.get(r.to as string)]);
  }
});

test('pause --account acme: a campaign sent while paused stays pending (the simulator receives nothing); resume: it completes', async () => {
  const paused = await cli(['pause', '--account', 'acme', '--json']);
  expect(paused.code).toBe(0);
  expect(onlyJson(paused)).toMatchObject({ account: 'acme', paused: true, pauseReason: 'manual' });

  const to = numbers(3, 200);
  const sent = await cli(['send', '--to', to.join(','), '--body', 'while paused', '--campaign', 'w2', '--json']);
  expect(sent.code).toBe(0);
  expect(onlyJson(sent)).toMatchObject({ campaignId: 'w2', accepted: 3 });

  // The worker is up and idle; for a while, nothing of w2 leaves.
  const quiet = await expectUnchanged(async () => ({ atSim: to.filter((n) => s.sim.messages({ to: n }).length > 0).length, pending: (await s.status('w2')).pending }), 1500, 'w2 while paused');
  expect(quiet).toEqual({ atSim: 0, pending: 3 });
  expect(await s.status('w2')).toMatchObject({ paused: true, pauseReason: 'manual', sent: 0 });

  const resumed = await cli(['resume', '--account', 'acme', '--json']);
  expect(resumed.code).toBe(0);
  expect(onlyJson(resumed)).toMatchObject({ account: 'acme', paused: false, pauseReason: null });
  expect(await s.waitDone('w2', 20_000)).toMatchObject({ total: 3, sent: 3, failed: 0, pending: 0, paused: false });
  for (const n of to) expect([n, s.sim.messages({ to: n }).length]).toEqual([n, 1]);
});

test('retry-failed --codes WA400: exactly the recipients that failed WA400 are queued again, and end sent', async () => {
  // Independent of the pause test's outcome: the account must be running here.
  const state = await getAccountState(s.ctx, 'acme');
  if (state.paused) await resumeAccount(s.ctx, 'acme');

  const to = numbers(6, 300);
  s.sim.setFaults({ failNext: 2, failCode: 'WA400' });
  const sent = await cli(['send', '--to', to.join(','), '--body', 'retry me', '--campaign', 'r1', '--wait', '--json']);
  expect(sent.code).toBe(0);
  expect(onlyJson(sent)).toMatchObject({ accepted: 6, status: { total: 6, sent: 4, failed: 2, pending: 0, byCode: { WA400: 2 } } });
  const failed = [...(await ledgerRows(s.ctx, 'r1')).values()].filter((r) => r.status === 'failed');
  expect(failed.map((r) => r.code)).toEqual(['WA400', 'WA400']);
  const failedTo = failed.map((r) => r.to).sort();

  s.sim.setFaults({ failNext: 0, failCode: null });
  const atSimBefore = s.sim.messages().length;
  const retried = await cli(['retry-failed', '--campaign', 'r1', '--codes', 'WA400', '--json']);
  expect(retried.code).toBe(0);
  expect(onlyJson(retried)).toEqual({ campaignId: 'r1', requeued: 2 });

  expect(await s.waitDone('r1', 20_000)).toMatchObject({ total: 6, sent: 6, failed: 0, pending: 0 });
  // What reached the simulator after the retry: exactly the two that had failed.
  const afterRetry = s.sim.messages().slice(atSimBefore).map((m) => `+${m.to.replace(/^\+/, '')}`).sort();
  expect(afterRetry).toEqual(failedTo);
  // Each recipient accepted exactly once by the simulator, and the ledger holds that message id.
  const simIds = simIdsByRecipient(s.sim);
  const rows = await ledgerRows(s.ctx, 'r1');
  for (const n of to) {
    const row = rows.get(n);
    expect([n, row?.status, simIds.get(n)]).toEqual([n, 'sent', [row?.messageId]]);
  }
});
