import { pauseCampaign, resumeCampaign, type SourceRow } from '@wabulk/queue';
import { json, startApi } from '../api/api-harness.js';
import { expectUnchanged, ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { bodiesAtSim, snapshotKeys } from './authoring-support.js';

// Personalised text, end to end: what the simulator receives is exactly each recipient's rendering
// of the template (values inserted as they are), recipients whose text cannot be rendered are
// refused at intake and never sent, and the values survive every path that re-queues a recipient
// (resume after a pause, retry-failed).

let s: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await s?.close();
  s = undefined;
});

const BODY = 'Hello {{name}}! Code {{code}}. City: {{city|somewhere}}';

test('each recipient gets exactly its rendered text; an empty value without fallback and a text over 4096 chars are refused and never sent', async () => {
  const st = (s = await startStack());
  const [n0, n1, n2, n3, n4, n5] = numbers(6, 1000) as [string, string, string, string, string, string];
  const rows: SourceRow[] = [
    { line: 2, to: n0, vars: { name: 'Ana', code: '42', city: 'Pune' } },
    { line: 3, to: n1, vars: { name: 'Bo', code: '7', city: '' } }, // fallback for the empty city
    { line: 4, to: n2, vars: { name: '{{code}}', code: '{{name}} {{city|x}}', city: '}}{{' } }, // values are text, never templates
    { line: 5, to: n3, vars: { name: 'José 😀 नमस्ते', code: '٣٤', city: 'Zürich' } },
    { line: 6, to: n4, vars: { name: '', code: '1', city: 'Goa' } }, // empty {{name}}, no fallback
    { line: 7, to: n5, vars: { name: 'x'.repeat(4096), code: '1' } }, // renders past 4096
  ];
  const r = await st.producer.enqueueCampaign({ campaignId: 'pers', body: BODY, recipients: rows });
  expect(r).toMatchObject({ accepted: 4, duplicates: 0, rejectedTotal: 2, suppressed: 0 });
  expect(r.rejected).toEqual([
    { input: n4, line: 6, reason: expect.stringContaining('{{name}}') },
    { input: n5, line: 7, reason: expect.stringMatching(/4096/) },
  ]);
  expect(Object.values(r.rejectedByReason).reduce((a, b) => a + b, 0)).toBe(2);

  await st.startWorker();
  expect(await st.waitDone('pers')).toMatchObject({ total: 4, sent: 4, failed: 0, pending: 0 });
  const bodies = bodiesAtSim(st.sim);
  expect(Object.fromEntries(bodies)).toEqual({
    [n0]: ['Hello Ana! Code 42. City: Pune'],
    [n1]: ['Hello Bo! Code 7. City: somewhere'],
    [n2]: ['Hello {{code}}! Code {{name}} {{city|x}}. City: }}{{'],
    [n3]: ['Hello José 😀 नमस्ते! Code ٣٤. City: Zürich'],
  });
  // The refused recipients are not in the campaign at all.
  const ledger = await ledgerRows(st.ctx, 'pers');
  expect([...ledger.keys()].sort()).toEqual([n0, n1, n2, n3].sort());
});

test('texts too long by different amounts are one rejection reason (a bounded label for rejectedByReason and the metric)', async () => {
  const st = (s = await startStack());
  const [n0, n1, n2] = numbers(3, 1500) as [string, string, string];
  const r = await st.producer.enqueueCampaign({
    campaignId: 'long',
    body: 'Hi {{name}}',
    recipients: [
      { to: n0, vars: { name: 'x'.repeat(4094) } },
      { to: n1, vars: { name: 'x'.repeat(5000) } },
      { to: n2, vars: { name: 'ok' } },
    ],
  });
  expect(r).toMatchObject({ accepted: 1, rejectedTotal: 2 });
  // The full reasons keep each length; the label they are counted under does not vary with it.
  expect(r.rejected.map((x) => x.reason)).toEqual([expect.stringContaining('4097 characters'), expect.stringContaining('5003 characters')]);
  expect(Object.values(r.rejectedByReason)).toEqual([2]);
});

test('API: POST /v1/messages with {to, variables} renders per recipient at the simulator; a placeholder nobody has a value for is a 400 naming it, nothing queued', async () => {
  const st = (s = await startStack());
  const h = await startApi({ base: st.base });
  try {
    const [n0, n1, n2] = numbers(3, 2000) as [string, string, string];
    // A typo in the placeholder: refused whole, naming it, and nothing of that campaign exists.
    const before = await snapshotKeys(st.redis, st.base);
    const bad = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'typo', body: 'Hi {{nmae}}', to: [{ to: n0, variables: { name: 'Ana' } }] } });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('{{nmae}}');
    const after = await snapshotKeys(st.redis, st.base);
    expect(after).toEqual(before);
    expect(Object.keys(after).filter((k) => k.includes('{typo}'))).toEqual([]);
    expect(await st.ctx.queues.get('acme').getJobCounts('wait', 'delayed', 'prioritized')).toEqual({ wait: 0, delayed: 0, prioritized: 0 });

    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: json(),
      payload: {
        campaignId: 'api-pers',
        body: 'Hi {{name}}, welcome to {{shop}} ({{tier|basic}})',
        variables: { shop: 'Acme' },
        to: [
          { to: n0, variables: { name: 'Ana', tier: 'gold' } },
          { to: n1, variables: { name: 'Ravi', shop: 'Acme Pune' } }, // its own value wins over the call's
          { to: n2, variables: { name: 'Łucja 🎉', tier: 3 } }, // numbers become text
        ],
      },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ campaignId: 'api-pers', accepted: 3, duplicates: 0, rejected: [] });

    await st.startWorker();
    expect(await st.waitDone('api-pers')).toMatchObject({ total: 3, sent: 3 });
    expect(Object.fromEntries(bodiesAtSim(st.sim))).toEqual({
      [n0]: ['Hi Ana, welcome to Acme (gold)'],
      [n1]: ['Hi Ravi, welcome to Acme Pune (basic)'],
      [n2]: ['Hi Łucja 🎉, welcome to Acme (3)'],
    });
    // The ledger records each send before its job completes, so the last job may still be active
    // for a moment after waitDone: wait for the queue to empty rather than read it once.
    const queue = st.ctx.queues.get('acme');
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0 || undefined, { what: 'the last job to complete' });
    expect(await queue.getJobCounts('wait', 'delayed', 'prioritized', 'active')).toEqual({ wait: 0, delayed: 0, prioritized: 0, active: 0 });
  } finally {
    await h.close();
  }
});

const personalRows = (list: string[]): SourceRow[] => list.map((to, i) => ({ to, vars: { name: `Name-${i}-ü`, code: String(i * 11) } }));
const expectedBody = (i: number) => `Hello Name-${i}-ü! Code ${i * 11}. City: somewhere`;

test('resume after a pause (worker process) keeps each recipient its values', async () => {
  const st = (s = await startStack());
  const list = numbers(20, 3000);
  await st.producer.enqueueCampaign({ campaignId: 'pr', body: BODY, recipients: personalRows(list) });
  // Paused before any worker ran: the queued jobs (that carried the values) are removed.
  expect(await pauseCampaign(st.ctx, 'pr')).toMatchObject({ state: 'paused', jobs: 20 });
  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  await expectUnchanged(() => st.sim.messages().length, 500, 'sends of a paused campaign');
  expect(st.sim.messages()).toHaveLength(0);

  // Resume rebuilds the jobs from the ledger: the values come from each recipient's entry.
  expect(await resumeCampaign(st.ctx, 'pr')).toMatchObject({ state: 'running', jobs: 20 });
  expect(await st.waitDone('pr')).toMatchObject({ total: 20, sent: 20 });
  const bodies = bodiesAtSim(st.sim);
  list.forEach((to, i) => expect(bodies.get(to)).toEqual([expectedBody(i)]));
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});

test('retry-failed (worker process) sends the failed recipients their own texts', async () => {
  const st = (s = await startStack());
  const list = numbers(12, 4000);
  // The first five requests are refused (WA400: a message error, failed at once, no retry).
  st.sim.setFaults({ failNext: 5, failCode: 'WA400' });
  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  await st.producer.enqueueCampaign({ campaignId: 'rf', body: BODY, recipients: personalRows(list) });
  const first = await st.waitDone('rf');
  expect(first).toMatchObject({ total: 12, sent: 7, failed: 5, byCode: { WA400: 5 } });
  const failed = [...(await ledgerRows(st.ctx, 'rf')).values()].filter((r) => r.status === 'failed').map((r) => r.to);
  expect(failed).toHaveLength(5);

  expect(await st.producer.retryFailed('rf')).toEqual({ requeued: 5 });
  expect(await st.waitDone('rf')).toMatchObject({ total: 12, sent: 12, failed: 0 });
  const bodies = bodiesAtSim(st.sim);
  // Every recipient accepted once, with its own text: the retried ones too.
  list.forEach((to, i) => expect(bodies.get(to)).toEqual([expectedBody(i)]));
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});

test('a value with a lone UTF-16 surrogate is refused with its row at intake (PostgreSQL could not archive it); the other rows are sent', async () => {
  const st = (s = await startStack());
  const [a, b] = numbers(2, 4500) as [string, string];
  const r = await st.producer.enqueueCampaign({ campaignId: 'ls-direct', body: BODY, recipients: [{ to: a, line: 2, vars: { name: 'x\uD800y', code: 'z' } }, { to: b, line: 3, vars: { name: 'x', code: 'z' } }] });
  expect(r).toMatchObject({ accepted: 1, rejectedTotal: 1, rejected: [{ input: a, line: 2, reason: 'the value of {{name}}: must not contain U+0000 (NUL) or unpaired surrogates' }] });
  await st.startWorker();
  await st.waitDone('ls-direct');
  const bodies = bodiesAtSim(st.sim);
  expect(bodies.get(a)).toBeUndefined();
  expect(bodies.get(b)).toEqual(['Hello x! Code z. City: somewhere']);
});
