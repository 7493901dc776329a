import { describeRun, onlyJson } from '../support/proc-cli.js';
import { byTo, sendMixedCampaign, simIds, sortedLines, startRig, walkRecipients, type MixedCampaign, type Rig } from './archive-rig.js';

// Every read path answers the same for an archived campaign, through real processes: a worker
// process sends a campaign with a mix of outcomes to the simulator, delivery callbacks reach a
// `wabulk api` process, everything an operator or a client can read is captured; `wabulk archive
// --campaign` moves it to PostgreSQL; everything is read again and compared. The tests run in
// order on one campaign. (Callbacks after archiving: read-paths-callbacks.test.ts.)

let rig: Rig;
let c: MixedCampaign;
const ID = 'reads-1';

beforeAll(async () => {
  rig = await startRig('reads');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

interface Captured {
  status: Record<string, unknown>;
  apiStatus: Record<string, unknown>;
  csv: string;
  ndjson: string;
  campaigns: Array<Record<string, unknown>>;
  apiCampaigns: Array<Record<string, unknown>>;
  pages: { pages: number; rows: Array<Record<string, unknown>> };
  failedPages: { pages: number; rows: Array<Record<string, unknown>> };
  apiCsv: string;
  apiNdjson: string;
  apiFailedCsv: string;
}

/** Every read path of the campaign: the CLI's and the API's. */
async function capture(): Promise<Captured> {
  // One after the other: on a busy machine four CLI processes at once starve each other.
  const status = await rig.cli(['status', '--campaign', ID, '--json']);
  const csv = await rig.cli(['export', '--campaign', ID, '--format', 'csv']);
  const ndjson = await rig.cli(['export', '--campaign', ID, '--format', 'ndjson']);
  const campaigns = await rig.cli(['campaigns', '--json']);
  for (const r of [status, csv, ndjson, campaigns]) expect({ run: describeRun(r), code: r.code }).toMatchObject({ code: 0 });
  const apiStatus = await rig.http(`/v1/campaigns/${ID}`);
  expect(apiStatus.status).toBe(200);
  const apiCampaigns = await rig.http('/v1/campaigns?limit=50');
  expect(apiCampaigns.status).toBe(200);
  const apiCsv = await rig.http(`/v1/campaigns/${ID}/recipients?format=csv`);
  const apiNdjson = await rig.http(`/v1/campaigns/${ID}/recipients?format=ndjson`);
  const apiFailedCsv = await rig.http(`/v1/campaigns/${ID}/recipients?format=csv&status=failed`);
  for (const r of [apiCsv, apiNdjson, apiFailedCsv]) expect(r.status).toBe(200);
  expect(apiCsv.headers.get('content-type')).toMatch(/^text\/csv/);
  expect(apiNdjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return {
    status: onlyJson(status),
    apiStatus: apiStatus.json(),
    csv: csv.stdout,
    ndjson: ndjson.stdout,
    campaigns: onlyJson<Array<Record<string, unknown>>>(campaigns),
    apiCampaigns: apiCampaigns.json<{ campaigns: Array<Record<string, unknown>> }>().campaigns,
    pages: await walkRecipients(rig, ID, 'limit=7'),
    failedPages: await walkRecipients(rig, ID, 'limit=2&status=failed'),
    apiCsv: apiCsv.text,
    apiNdjson: apiNdjson.text,
    apiFailedCsv: apiFailedCsv.text,
  };
}

let before: Captured;

test('a campaign of mixed outcomes, sent by the worker process with callbacks through the API; every read path captured', async () => {
  expect(onlyJson(rig.migrate)).toMatchObject({ from: 0, to: 1 });
  c = await sendMixedCampaign(rig, ID);

  // Callbacks for the accepted messages: 10 delivered (4 of them then read), 3 failed after send with a code.
  const ids = simIds(rig);
  const accepted = c.all.filter((to) => ids.has(to));
  expect(accepted).toHaveLength(33);
  const groups = { delivered: accepted.slice(0, 6), read: accepted.slice(6, 10), fas: accepted.slice(10, 13) };
  const cbs = [
    ...[...groups.delivered, ...groups.read].map((to) => ({ id: ids.get(to)!, status: 'delivered' })),
    ...groups.read.map((to) => ({ id: ids.get(to)!, status: 'read' })),
    ...groups.fas.map((to) => ({ id: ids.get(to)!, status: 'failed', error_code: '131047', error: 'Re-engagement message' })),
  ];
  expect(await rig.callbacks(cbs)).toMatchObject({ received: 17, applied: 17 });

  before = await capture();
  expect(before.status).toMatchObject({
    campaignId: ID,
    account: 'acme',
    total: 40,
    pending: 0,
    sent: 33,
    failed: 7,
    delivered: 10,
    read: 4,
    failedAfterSend: 3,
    byCode: { WA400: 4, WA422: 3 },
    failureReasons: { WA400: expect.any(String), WA422: expect.any(String) },
    failedAfterSendByCode: { '131047': 3 },
    startedAt: expect.any(Number),
    state: 'done',
    done: true,
  });
  expect(before.status).not.toHaveProperty('archived');
  expect(before.status.startedAt).toBeGreaterThanOrEqual(before.status.createdAt as number);
  expect(before.apiStatus).toEqual(before.status);
  expect(before.campaigns).toContainEqual(before.status);
  expect(before.apiCampaigns).toContainEqual(before.status);

  // The exports hold what happened: the simulator's ids, the codes, the quoting of the reasons.
  const rows = before.ndjson.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(rows).toHaveLength(40);
  const counts: Record<string, number> = {};
  for (const r of rows) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  expect(counts).toEqual({ failed: 7, sent: 20, delivered: 6, read: 4, 'failed-after-send': 3 });
  for (const r of rows) if (r.status !== 'failed') expect(r.messageId).toBe(ids.get(String(r.to)));
  // failureReasons: Kaleyra's text of a failure with each code, as the failed rows hold it.
  for (const [code, reason] of Object.entries(before.status.failureReasons as Record<string, string>)) {
    expect(reason).not.toBe('');
    expect(rows.filter((r) => r.code === code).map((r) => r.reason)).toContain(reason);
  }
  expect(before.csv.split('\n')[0]).toBe('to,status,messageId,code,attempts,reason,updatedAt');
  expect(sortedLines(before.csv)).toHaveLength(41);
  // The API's downloads are the CLI's exports.
  expect(sortedLines(before.apiCsv)).toEqual(sortedLines(before.csv));
  expect(sortedLines(before.apiNdjson)).toEqual(sortedLines(before.ndjson));
  expect(sortedLines(before.apiFailedCsv)).toHaveLength(8);
  // Paged JSON: every recipient once, the filter only the failed.
  expect(byTo(before.pages.rows).size).toBe(40);
  expect(before.failedPages.rows.map((r) => r.status)).toEqual(Array(7).fill('failed'));
  // The simulator got each accepted recipient's own text and ref.
  for (const m of rig.s.sim.messages()) {
    const to = `+${m.to}`;
    expect(m.body).toBe(c.bodies.get(to));
    expect(m.ref).toBe(c.refs.get(to) ?? null);
  }
}, 120_000);

test('wabulk archive --campaign moves it to PostgreSQL: the ledger leaves Redis, the marker stays, every read path answers the same', async () => {
  const ledgerKeys = await rig.redisKeys(ID);
  expect(ledgerKeys).toHaveLength(3); // meta, recipients, counts; no marker yet

  const archived = await rig.cli(['archive', '--campaign', ID, '--json']);
  expect({ code: archived.code, run: describeRun(archived) }).toMatchObject({ code: 0 });
  expect(onlyJson(archived)).toMatchObject({ campaignId: ID, result: 'archived', rows: 40 });
  expect(await rig.redisKeys(ID)).toEqual([`${rig.s.base}:campaign:{${ID}}:archived`]);

  const after = await capture();
  expect(after.status).toEqual({ ...before.status, archived: true });
  expect(after.apiStatus).toEqual({ ...before.apiStatus, archived: true });
  expect(after.campaigns).toContainEqual({ ...before.status, archived: true });
  expect(after.apiCampaigns).toContainEqual({ ...before.status, archived: true });
  expect(after.campaigns.map((x) => x.campaignId)).toEqual(before.campaigns.map((x) => x.campaignId));
  // The exports: the same lines, byte for byte, in any order.
  expect(sortedLines(after.csv)).toEqual(sortedLines(before.csv));
  expect(sortedLines(after.ndjson)).toEqual(sortedLines(before.ndjson));
  expect(sortedLines(after.apiCsv)).toEqual(sortedLines(before.apiCsv));
  expect(sortedLines(after.apiNdjson)).toEqual(sortedLines(before.apiNdjson));
  expect(sortedLines(after.apiFailedCsv)).toEqual(sortedLines(before.apiFailedCsv));
  // The listing: the same rows (paged by number now: 40 rows at 7 a page, the filtered at 2 a page).
  expect(byTo(after.pages.rows)).toEqual(byTo(before.pages.rows));
  expect(after.pages.pages).toBeGreaterThanOrEqual(Math.ceil(40 / 7));
  expect(byTo(after.failedPages.rows)).toEqual(byTo(before.failedPages.rows));
  expect(after.failedPages.pages).toBeGreaterThanOrEqual(4);
  // Paged by number: each page's rows follow the last one's.
  const order = after.pages.rows.map((r) => String(r.to));
  expect(order).toEqual([...order].sort());
}, 120_000);
