import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { startStack, type Stack } from '../support/stack.js';

// A personalised campaign from a file as Excel writes it (semicolons, a BOM, CRLF), end to end:
// `wabulk send --csv` (a real process) checks the placeholders against the header, a worker
// process renders each recipient's text, and the simulator's record of what it accepted is the
// ground truth.

let s: Stack;
let env: Record<string, string>;
const dir = mkdtempSync(path.join(tmpdir(), 'wabulk-authoring-'));
const cli = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  s = await startStack();
  env = cliEnv(s.base);
}, 60_000);

afterAll(async () => {
  await killAllClis();
  await killAllWorkers();
  await s?.close();
});

const EXCEL = '\ufeffPhone Number;Name;Order;Day\r\n+919876500001;Asha;4711;Friday\r\n+919876500002;Ravi;4712;\r\n+919876500003;;4713;Monday\r\n+919876500004;Meera {{Name}};4714;Sunday\r\n';
const BODY = 'Hi {{name}}, your order {{order}} ships {{day|today}}.';

test('an unknown placeholder refuses the whole file before anything is queued (exit 2, naming it)', async () => {
  const r = await cli(['send', '--campaign', 'typo', '--csv', file('typo.csv', EXCEL), '--body', 'Hi {{nmae}}']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('{{nmae}}');
  expect(r.stderr).toContain('Phone Number');
  expect(await s.ctx.redis.keys(`${s.base}:campaign:{typo}*`)).toEqual([]);
  expect(await s.ctx.queues.get('acme').count()).toBe(0);
});

test('a dry run renders three samples, rejects the row with an empty value by its line, and writes nothing', async () => {
  const before = (await s.ctx.redis.keys(`${s.base}*`)).sort();
  const r = await cli(['send', '--campaign', 'diwali', '--csv', file('dry.csv', EXCEL), '--body', BODY, '--dry-run', '--json']);
  expect(r.code).toBe(0);
  const out = onlyJson<Record<string, unknown>>(r);
  expect(out).toMatchObject({ dryRun: true, accepted: 3, rejectedTotal: 1, rejected: [{ line: 4, input: '+919876500003', reason: expect.stringContaining('{{name}}') }], source: { column: 'Phone Number', delimiter: ';' } });
  expect(out.samples).toEqual([
    { to: '+919876500001', text: 'Hi Asha, your order 4711 ships Friday.' },
    { to: '+919876500002', text: 'Hi Ravi, your order 4712 ships today.' },
    { to: '+919876500004', text: 'Hi Meera {{Name}}, your order 4714 ships Sunday.' },
  ]);
  expect(out.estimate).toMatchObject({ seconds: expect.any(Number), ratePerSecond: expect.any(Number) });
  expect((await s.ctx.redis.keys(`${s.base}*`)).sort()).toEqual(before);
});

test('the worker sends each recipient its own text; the template is stored once, each recipient only its values', async () => {
  const r = await cli(['send', '--campaign', 'diwali', '--csv', file('send.csv', EXCEL), '--body', BODY, '--json']);
  expect(r.code).toBe(0);
  expect(onlyJson(r)).toMatchObject({ accepted: 3, rejectedTotal: 1 });
  const entry = JSON.parse((await s.ctx.redis.hget(`${s.base}:campaign:{diwali}:recipients`, '+919876500001'))!) as { x?: { v?: string[] } };
  expect(entry.x?.v).toEqual(['Asha', '4711', 'Friday']);
  expect(JSON.parse((await s.ctx.redis.get(`${s.base}:campaign:{diwali}:meta`))!)).toMatchObject({ body: BODY, vars: ['name', 'order', 'day'] });

  await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }));
  const done = await s.waitDone('diwali');
  expect(done).toMatchObject({ total: 3, sent: 3, failed: 0 });
  const bodies = Object.fromEntries(s.sim.messages().map((m) => [`+${m.to.replace(/^\+/, '')}`, m.body]));
  expect(bodies).toEqual({
    '+919876500001': 'Hi Asha, your order 4711 ships Friday.',
    '+919876500002': 'Hi Ravi, your order 4712 ships today.',
    '+919876500004': 'Hi Meera {{Name}}, your order 4714 ships Sunday.',
  });
}, 60_000);

test('a recipient field holding more than a number (the file read with the wrong delimiter) is rejected, not trimmed', async () => {
  const r = await cli(['send', '--campaign', 'wrongdelim', '--csv', file('wrong.csv', EXCEL), '--body', 'hi', '--delimiter', ',', '--column', 'Phone Number;Name;Order;Day', '--json']);
  expect([r.code, describeRun(r)]).toEqual([2, describeRun(r)]);
  expect(onlyJson(r)).toMatchObject({ accepted: 0, rejectedTotal: 4 });
});
