import { addSuppressions, exportCampaign, registerAccounts } from '@wabulk/queue';
import { ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { bodiesAtSim } from './authoring-support.js';

// Do-not-message lists: a listed number is refused at intake (`suppressed`, counted by reason and
// in `suppressed`), and a number listed after it was queued is recorded cancelled (reason
// `suppressed`) by the worker process instead of being sent, while the others are sent.

let s: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await s?.close();
  s = undefined;
});

test('at intake: the global list and the account list refuse a recipient as suppressed; another account\'s list does not', async () => {
  const st = (s = await startStack());
  const n = numbers(6, 6000) as [string, string, string, string, string, string];
  await addSuppressions(st.ctx, 'global', [n[1]]);
  await addSuppressions(st.ctx, { account: 'acme' }, [n[2]]);
  await addSuppressions(st.ctx, { account: 'other' }, [n[3]]); // not acme's: no effect here

  const text = await st.producer.enqueueText({ campaignId: 'sup-t', to: [n[0], n[1], n[2], n[3], 'nope'], body: 'hello' });
  expect(text).toMatchObject({ accepted: 2, suppressed: 2, rejectedByReason: { suppressed: 2, 'not a phone number': 1 } });
  expect(text.rejected).toEqual(expect.arrayContaining([{ input: n[1], reason: 'suppressed' }, { input: n[2], reason: 'suppressed' }]));

  const campaign = await st.producer.enqueueCampaign({ campaignId: 'sup-c', body: 'hi {{name|you}}', recipients: [n[0], n[1], n[2], n[4], n[5]].map((to, i) => ({ line: i + 2, to })) });
  expect(campaign).toMatchObject({ accepted: 3, suppressed: 2, rejectedTotal: 2, rejectedByReason: { suppressed: 2 } });
  expect(campaign.rejected).toEqual([
    { input: n[1], line: 3, reason: 'suppressed' },
    { input: n[2], line: 4, reason: 'suppressed' },
  ]);
  // The other account's list applies to that account only.
  await registerAccounts(st.ctx, ['other'], 'operator');
  const other = await st.producer.enqueueText({ campaignId: 'sup-o', account: 'other', to: [n[3], n[4]], body: 'hello' });
  expect(other).toMatchObject({ accepted: 1, suppressed: 1, rejectedByReason: { suppressed: 1 } });
  // Refused recipients are in no ledger.
  expect([...(await ledgerRows(st.ctx, 'sup-t')).keys()].sort()).toEqual([n[0], n[3]].sort());
  expect([...(await ledgerRows(st.ctx, 'sup-c')).keys()].sort()).toEqual([n[0], n[4], n[5]].sort());
});

test('after queueing: numbers listed before a worker runs end cancelled (suppressed), never reach the simulator; the others are sent', async () => {
  const st = (s = await startStack());
  const list = numbers(10, 7000);
  // Queued with no worker running.
  const r = await st.producer.enqueueCampaign({ campaignId: 'late', body: 'Dear {{name}}', recipients: list.map((to, i) => ({ to, vars: { name: `N${i}` } })) });
  expect(r).toMatchObject({ accepted: 10, suppressed: 0 });
  expect(await st.ctx.queues.get('acme').count()).toBe(10);
  const [own, global] = [list[3]!, list[7]!];
  await addSuppressions(st.ctx, { account: 'acme' }, [own]);
  await addSuppressions(st.ctx, 'global', [global]);

  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  const done = await st.waitDone('late');
  expect(done).toMatchObject({ total: 10, sent: 8, failed: 0, cancelled: 2, pending: 0 });

  const bodies = bodiesAtSim(st.sim);
  expect(bodies.has(own)).toBe(false);
  expect(bodies.has(global)).toBe(false);
  list.forEach((to, i) => {
    if (to !== own && to !== global) expect(bodies.get(to)).toEqual([`Dear N${i}`]);
  });
  const rows = await ledgerRows(st.ctx, 'late');
  for (const to of [own, global]) expect(rows.get(to)).toMatchObject({ status: 'cancelled', reason: 'suppressed' });
  // The export says so too.
  let exported = '';
  for await (const chunk of exportCampaign(st.ctx, 'late', 'ndjson')) exported += chunk;
  const records = exported.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string; status: string; reason?: string });
  expect(records.filter((x) => x.status === 'cancelled')).toEqual(expect.arrayContaining([expect.objectContaining({ to: own, reason: 'suppressed' }), expect.objectContaining({ to: global, reason: 'suppressed' })]));
  expect(records.filter((x) => x.status === 'cancelled')).toHaveLength(2);
  expect(records.filter((x) => x.status === 'sent')).toHaveLength(8);
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});
