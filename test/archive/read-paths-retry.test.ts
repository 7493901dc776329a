import pg from 'pg';
import { campaignKeys } from '@wabulk/queue';
import { describeRun, onlyJson } from '../support/proc-cli.js';
import { waitFor } from '../support/wait.js';
import { byTo, sendMixedCampaign, simIds, startRig, type Rig } from './archive-rig.js';

// retry-failed on an archived campaign, through real processes: the CLI brings it back from
// PostgreSQL into Redis, the worker process sends its failed recipients to the (now healthy)
// simulator, nobody gets a message twice, the campaign ends done, and archiving it again leaves
// exactly its recipients in the archive with their new statuses.

let rig: Rig;
const ID = 'reads-retry';

beforeAll(async () => {
  rig = await startRig('retry');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

test('an archived campaign\'s failed recipients are retried by the worker, sent once each, and the campaign is archived again with its new statuses', async () => {
  const c = await sendMixedCampaign(rig, ID);
  const idsBefore = simIds(rig);
  const accepted = c.all.filter((to) => idsBefore.has(to));
  const failed = c.all.filter((to) => !idsBefore.has(to));
  expect(failed).toHaveLength(7);
  // Delivery states the retry must keep.
  expect(await rig.callbacks([
    { id: idsBefore.get(accepted[0]!)!, status: 'delivered' },
    { id: idsBefore.get(accepted[1]!)!, status: 'read' },
  ])).toMatchObject({ applied: 2 });

  const archived = await rig.cli(['archive', '--campaign', ID, '--json']);
  expect({ code: archived.code, run: describeRun(archived) }).toMatchObject({ code: 0 });
  expect(onlyJson(archived)).toMatchObject({ result: 'archived', rows: 40 });
  expect(await rig.redisKeys(ID)).toEqual([`${rig.s.base}:campaign:{${ID}}:archived`]);
  const archivedStatus = (await rig.http(`/v1/campaigns/${ID}`)).json<{ failureReasons: Record<string, string>; startedAt: number }>();
  expect(archivedStatus).toMatchObject({ failureReasons: { WA400: expect.any(String), WA422: expect.any(String) }, startedAt: expect.any(Number) });

  // The simulator is healthy now (sendMixedCampaign cleared its faults).
  const retry = await rig.cli(['retry-failed', '--campaign', ID, '--json']);
  expect({ code: retry.code, run: describeRun(retry) }).toMatchObject({ code: 0 });
  expect(onlyJson(retry)).toEqual({ campaignId: ID, requeued: 7, restored: true });

  const done = await waitFor(
    async () => {
      const st = (await rig.http(`/v1/campaigns/${ID}`)).json<Record<string, unknown>>();
      return st.done === true && st.sent === 40 ? st : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the retried recipients sent' },
  );
  const status = await rig.cliJson(['status', '--campaign', ID, '--json']);
  expect(status).toEqual(done);
  expect(status).toMatchObject({ total: 40, pending: 0, sent: 40, failed: 0, cancelled: 0, byCode: {}, delivered: 2, read: 1, state: 'done', done: true });
  expect(status).not.toHaveProperty('archived');
  // The restore put startedAt back; the reasons it restored left with each code's last failure
  // (the retry moved every failed recipient back to pending), so none is answered or kept.
  expect(status).toMatchObject({ startedAt: archivedStatus.startedAt, failureReasons: {} });
  expect(Object.keys(archivedStatus.failureReasons).sort()).toEqual(['WA400', 'WA422']);
  expect(await rig.s.redis.hmget(campaignKeys(rig.s.base, ID).counts, 'reason:WA400', 'reason:WA422')).toEqual([null, null]);

  // Nothing sent twice: each recipient has exactly one accepted message, the retried ones with their own text and ref.
  const perRecipient = new Map<string, number>();
  for (const m of rig.s.sim.messages()) perRecipient.set(`+${m.to}`, (perRecipient.get(`+${m.to}`) ?? 0) + 1);
  expect([...perRecipient.keys()].sort()).toEqual([...c.all].sort());
  expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
  for (const to of failed) {
    const [m] = rig.s.sim.messages({ to });
    expect({ to, body: m!.body, ref: m!.ref }).toEqual({ to, body: c.bodies.get(to), ref: c.refs.get(to) ?? null });
  }

  // Archived again: the archive holds exactly the campaign's recipients, with the new statuses.
  const ids = simIds(rig);
  const again = await rig.cli(['archive', '--campaign', ID, '--json']);
  expect({ code: again.code, run: describeRun(again) }).toMatchObject({ code: 0 });
  expect(onlyJson(again)).toMatchObject({ result: 'archived', rows: 40 });
  expect(await rig.redisKeys(ID)).toEqual([`${rig.s.base}:campaign:{${ID}}:archived`]);
  const client = new pg.Client({ connectionString: rig.db.url });
  await client.connect();
  try {
    const rows = (await client.query<{ number: string; status: string; message_id: string | null; code: string | null }>('SELECT number, status, message_id, code FROM wabulk_recipients WHERE campaign_id = $1', [ID])).rows;
    expect(rows).toHaveLength(40);
    const byNumber = byTo(rows.map((r) => ({ to: r.number, ...r })));
    expect([...byNumber.keys()].sort()).toEqual([...c.all].sort());
    for (const [to, r] of byNumber) {
      expect({ to, messageId: r.message_id }).toEqual({ to, messageId: ids.get(to) });
      const want = to === accepted[0] ? 'delivered' : to === accepted[1] ? 'read' : 'sent';
      expect({ to, status: r.status, code: r.code }).toEqual({ to, status: want, code: 'WA202' });
    }
    const campaign = (await client.query('SELECT state, total, sent, failed, delivered, read, by_code FROM wabulk_campaigns WHERE id = $1', [ID])).rows[0];
    expect(campaign).toEqual({ state: 'done', total: '40', sent: '40', failed: '0', delivered: '2', read: '1', by_code: {} });
  } finally {
    await client.end();
  }
  // And it reads back the same as it was in Redis.
  expect((await rig.http(`/v1/campaigns/${ID}`)).json()).toEqual({ ...status, archived: true });
}, 120_000);
