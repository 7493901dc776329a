import { messageKeys } from '@wabulk/queue';
import { describeRun, onlyJson } from '../support/proc-cli.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { byTo, simIds, startRig, type Rig } from './archive-rig.js';

// Delivery callbacks that arrive after a campaign was archived (Kaleyra's "read" days later) reach
// the `wabulk api` process and update the archived rows and the campaign's counters in PostgreSQL,
// one of them through the archive's message_id index (its Redis index entry deleted first, as if it
// expired); `status --json` and `export` (real CLI runs) show the change.

let rig: Rig;
const ID = 'reads-cb';

beforeAll(async () => {
  rig = await startRig('callbacks');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

test('callbacks after archiving update the archived rows and the counters (one through PostgreSQL\'s message_id index)', async () => {
  const to = numbers(8, 600);
  expect((await rig.http('/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to, body: 'Your order shipped', campaignId: ID }) })).status).toBe(202);
  await waitFor(async () => (await rig.http(`/v1/campaigns/${ID}`)).json<Record<string, unknown>>().done === true, { timeoutMs: 30_000, intervalMs: 100, what: 'the campaign sent' });
  const ids = simIds(rig);
  const [delivered, read, fas, toRead, viaPg, toFail] = to;
  // Before archiving: delivered, read (after delivered), failed after send.
  expect(await rig.callbacks([
    { id: ids.get(delivered!)!, status: 'delivered' },
    { id: ids.get(toRead!)!, status: 'delivered' },
    { id: ids.get(read!)!, status: 'delivered' },
    { id: ids.get(read!)!, status: 'read' },
    { id: ids.get(fas!)!, status: 'failed', error_code: '131047', error: 'Re-engagement message' },
  ])).toMatchObject({ applied: 5 });
  const ndBefore = await rig.cli(['export', '--campaign', ID, '--format', 'ndjson']);
  const archived = await rig.cli(['archive', '--campaign', ID, '--json']);
  expect({ code: archived.code, run: describeRun(archived) }).toMatchObject({ code: 0 });
  expect(onlyJson(archived)).toMatchObject({ result: 'archived', rows: 8 });
  const before = (await rig.http(`/v1/campaigns/${ID}`)).json<Record<string, unknown>>();
  expect(before).toMatchObject({ total: 8, sent: 8, delivered: 3, read: 1, failedAfterSend: 1, failedAfterSendByCode: { '131047': 1 }, archived: true });

  // Archiving removed the campaign's Redis message-id index: only the archive's message_id index knows its messages.
  expect(await rig.s.redis.exists(messageKeys(rig.s.base, ids.get(viaPg!)!).index, messageKeys(rig.s.base, ids.get(toRead!)!).index)).toBe(0);
  const answer = await rig.callbacks([
    { id: ids.get(toRead!)!, status: 'read' },
    { id: ids.get(viaPg!)!, status: 'delivered' },
    { id: ids.get(toFail!)!, status: 'not-sent', error_code: '131026', error: 'Message undeliverable' },
    // Out of order: a read one told delivered moves nothing back.
    { id: ids.get(read!)!, status: 'delivered' },
  ]);
  expect(answer).toMatchObject({ received: 4, applied: 3, unchanged: 1, unknown: 0 });

  const [status, ndjson] = await Promise.all([rig.cli(['status', '--campaign', ID, '--json']), rig.cli(['export', '--campaign', ID, '--format', 'ndjson'])]);
  for (const r of [status, ndjson]) expect({ code: r.code, run: describeRun(r) }).toMatchObject({ code: 0 });
  expect(onlyJson(status)).toEqual({ ...before, delivered: 4, read: 2, failedAfterSend: 2, failedAfterSendByCode: { '131047': 1, '131026': 1 } });
  expect((await rig.http(`/v1/campaigns/${ID}`)).json()).toEqual(onlyJson(status));

  const parse = (text: string) => byTo(text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
  const was = parse(ndBefore.stdout);
  const now = parse(ndjson.stdout);
  expect(now.size).toBe(8);
  for (const [n, row] of now) {
    if (n === toRead) expect(row).toMatchObject({ status: 'read', messageId: ids.get(n), code: 'WA202' });
    else if (n === viaPg) expect(row).toMatchObject({ status: 'delivered', messageId: ids.get(n), code: 'WA202' });
    else if (n === toFail) expect(row).toMatchObject({ status: 'failed-after-send', messageId: ids.get(n), code: '131026', reason: 'Message undeliverable' });
    else expect(row).toEqual(was.get(n));
  }
  // The API's CSV says the same.
  const csv = await rig.http(`/v1/campaigns/${ID}/recipients?format=csv`);
  expect(csv.text).toContain(`${toFail},failed-after-send,${ids.get(toFail!)},131026,1,Message undeliverable,`);
  expect(await rig.redisKeys(ID)).toEqual([`${rig.s.base}:campaign:{${ID}}:archived`]);
}, 120_000);
