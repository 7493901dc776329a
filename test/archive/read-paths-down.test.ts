import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiProcess, apiEnv } from '../api/api-process.js';
import { cliEnv, describeRun, onlyJson, type CliResult } from '../support/proc-cli.js';
import { freePort } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { CALLBACK_SECRET, simIds, startRig, TOKEN, type Rig } from './archive-rig.js';

// The worker's own archive loop (WABULK_ARCHIVE_AFTER=0, a pass every 200 ms) archives a finished
// campaign by itself and counts it in /metrics; then, for that archived campaign: an API process and
// CLI runs whose WABULK_ARCHIVE_URL points at a port where no PostgreSQL listens answer 503 / exit 1
// with the server's name and never the URL's password, while a live campaign still answers; pause,
// resume and cancel answer its status unchanged; intake refuses a new send to its id.

let rig: Rig;
let metricsPort: number;
const ARCHIVED = 'loop-1';
const LIVE = 'live-1';
const PASSWORD = 'Sup3rSecretPw';
const OTHER_TOKEN = 'other-account-reader-0123456789';

beforeAll(async () => {
  metricsPort = await freePort();
  rig = await startRig('down', { worker: { WABULK_ARCHIVE_AFTER: '0', WABULK_ARCHIVE_INTERVAL_MS: '200', METRICS_PORT: String(metricsPort) } });
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const post = (path: string, body: unknown, origin?: string) => rig.http(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, origin);
let archivedStatus: Record<string, unknown>;

test("the worker's loop archives a finished campaign by itself and counts it in /metrics; a scheduled one stays live in Redis", async () => {
  const sent = await post('/v1/messages', { to: numbers(6, 700), body: 'Your order shipped', campaignId: ARCHIVED });
  expect(sent.status).toBe(202);
  const later = new Date(Date.now() + 24 * 3600_000).toISOString();
  expect((await post('/v1/messages', { to: numbers(3, 800), body: 'Tomorrow', campaignId: LIVE, at: later })).status).toBe(202);

  await waitFor(async () => (await rig.http(`/v1/campaigns/${ARCHIVED}`)).json<Record<string, unknown>>().archived === true, { timeoutMs: 30_000, intervalMs: 100, what: 'the worker to archive the campaign' });
  const status = await rig.cli(['status', '--campaign', ARCHIVED, '--json']);
  expect({ code: status.code, run: describeRun(status) }).toMatchObject({ code: 0 });
  archivedStatus = onlyJson(status);
  expect(archivedStatus).toMatchObject({ campaignId: ARCHIVED, total: 6, sent: 6, failed: 0, pending: 0, state: 'done', done: true, archived: true });
  expect(await rig.redisKeys(ARCHIVED)).toEqual([`${rig.s.base}:campaign:{${ARCHIVED}}:archived`]);
  expect(rig.worker.logs().some((l) => l.msg === 'campaign archived to PostgreSQL; its ledger left Redis' && l.campaignId === ARCHIVED)).toBe(true);

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  expect(value(/^wabulk_archive_campaigns_total\{outcome="archived"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
  expect(value(/^wabulk_archive_rows_total (\d+)/m)).toBeGreaterThanOrEqual(6);
  expect(value(/^wabulk_archive_up (\d+)/m)).toBe(1);

  // The scheduled campaign is not finished: it stays in Redis.
  const live = await rig.http(`/v1/campaigns/${LIVE}`);
  expect(live.status).toBe(200);
  expect(live.json()).toMatchObject({ state: 'scheduled', pending: 3 });
  expect(live.json()).not.toHaveProperty('archived');
}, 120_000);

test('PostgreSQL unreachable: reads of the archived campaign answer 503 (API, with Retry-After) and exit 1 (CLI), naming the server, never the password; a live campaign still answers', async () => {
  const deadPort = await freePort();
  const deadUrl = `postgres://u:${PASSWORD}@127.0.0.1:${deadPort}/x`;
  const apiPort = await freePort();
  const origin = `http://127.0.0.1:${apiPort}`;
  // Beside the full-access token, one that reads another account's campaigns only.
  const tokensFile = join(rig.dir, 'tokens-down.json');
  writeFileSync(tokensFile, JSON.stringify([{ name: 'other-reader', token: OTHER_TOKEN, accounts: ['other'], scopes: ['read'] }]));
  const api = new ApiProcess(apiEnv(rig.s.base, apiPort, { WABULK_API_TOKENS: TOKEN, WABULK_API_TOKENS_FILE: tokensFile, WABULK_CALLBACK_SECRET: CALLBACK_SECRET, WABULK_ARCHIVE_URL: deadUrl }));
  try {
    await api.waitForLog('api listening', 30_000);
    const server = `u@127.0.0.1:${deadPort}/x`;

    for (const path of [`/v1/campaigns/${ARCHIVED}`, `/v1/campaigns/${ARCHIVED}/recipients`, `/v1/campaigns/${ARCHIVED}/recipients?format=csv`, `/v1/campaigns/${ARCHIVED}/recipients?format=ndjson&status=sent`]) {
      const r = await rig.http(path, {}, origin);
      expect({ path, status: r.status, retryAfter: r.headers.get('retry-after') }).toEqual({ path, status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const body = r.json<{ error: string; message: string }>();
      expect(body.error).toBe('archive unavailable');
      expect(body.message).toContain(server);
      expect(r.text).not.toContain(PASSWORD);
    }
    // A callback for an archived message cannot be applied either: 503, so Kaleyra sends it again.
    const id = simIds(rig).get(numbers(1, 700)[0]!)!;
    const cb = await fetch(`${origin}/v1/callbacks/kaleyra`, { method: 'POST', headers: { 'x-wabulk-callback-secret': CALLBACK_SECRET, 'content-type': 'application/json' }, body: JSON.stringify({ id, status: 'read' }) });
    expect(cb.status).toBe(503);
    expect(await cb.text()).not.toContain(PASSWORD);

    // The live campaign is in Redis: the same API answers it.
    const live = await rig.http(`/v1/campaigns/${LIVE}`, {}, origin);
    expect(live.status).toBe(200);
    expect(live.json()).toMatchObject({ campaignId: LIVE, state: 'scheduled', total: 3 });
    const liveRows = await rig.http(`/v1/campaigns/${LIVE}/recipients`, {}, origin);
    expect(liveRows.status).toBe(200);
    expect(liveRows.json<{ recipients: unknown[] }>().recipients).toHaveLength(3);
    // The list still shows the live campaign and names the archived one it had to leave out.
    const list = await rig.http('/v1/campaigns', {}, origin);
    expect(list.status).toBe(200);
    const page = list.json<{ campaigns: Array<{ campaignId: string }>; archiveUnavailable?: { message: string; campaignIds: string[] } }>();
    expect(page.campaigns.map((c) => c.campaignId)).toContain(LIVE);
    expect(page.campaigns.map((c) => c.campaignId)).not.toContain(ARCHIVED);
    expect(page.archiveUnavailable).toEqual({ message: expect.stringContaining(server), campaignIds: expect.arrayContaining([ARCHIVED]) });
    expect(list.text).not.toContain(PASSWORD);
    // A token of another account learns nothing of acme's archived campaign while PostgreSQL is
    // down: 404 as for any id it may not see (not 503, which would say it exists), and the list
    // names no campaign of acme as left out.
    const other = { authorization: `Bearer ${OTHER_TOKEN}` };
    const otherStatus = await fetch(`${origin}/v1/campaigns/${ARCHIVED}`, { headers: other });
    expect(otherStatus.status).toBe(404);
    const otherList = await fetch(`${origin}/v1/campaigns`, { headers: other });
    expect(otherList.status).toBe(200);
    const otherPage = (await otherList.json()) as { campaigns: unknown[]; archiveUnavailable?: unknown };
    expect(otherPage).toEqual({ campaigns: [], cursor: null });
    const otherFiltered = await rig.http(`/v1/campaigns?account=other`, {}, origin);
    expect(otherFiltered.json()).toEqual({ campaigns: [], cursor: null });

    const dead = cliEnv(rig.s.base, { WABULK_ARCHIVE_URL: deadUrl });
    const runs: CliResult[] = [];
    for (const args of [['status', '--campaign', ARCHIVED, '--json'], ['export', '--campaign', ARCHIVED, '--format', 'csv'], ['status', '--campaign', LIVE, '--json'], ['campaigns', '--json']]) runs.push(await rig.cli(args, dead));
    const [status, exported, liveStatus, listed] = runs;
    // `campaigns` lists the live ones, names the archived ones left out on stderr, and exits 1 (a partial list).
    expect({ code: listed!.code, run: describeRun(listed!) }).toMatchObject({ code: 1 });
    expect(onlyJson<Array<{ campaignId: string }>>(listed!).map((c) => c.campaignId)).toContain(LIVE);
    expect(listed!.stderr).toMatch(new RegExp(`left out \\d+ archived campaign\\(s\\) \\([^)]*${ARCHIVED}`));
    for (const r of [status!, exported!]) {
      expect({ code: r.code, run: describeRun(r) }).toMatchObject({ code: 1 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^wabulk: the campaign archive \(PostgreSQL at postgres:\/\/u@127\.0\.0\.1:\d+\/x\) is unavailable/);
      expect(r.stderr).toContain(server);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect({ code: liveStatus!.code, run: describeRun(liveStatus!) }).toMatchObject({ code: 0 });
    expect(onlyJson(liveStatus!)).toMatchObject({ campaignId: LIVE, state: 'scheduled' });

    for (const r of runs) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(api.stdout() + api.stderr()).not.toContain(PASSWORD);
  } finally {
    await api.stop('SIGKILL');
  }
  expect(api.stdout() + api.stderr()).not.toContain(PASSWORD);
}, 120_000);

test('pause, resume and cancel of an archived campaign answer its status unchanged (API 200, CLI exit 0)', async () => {
  for (const action of ['pause', 'resume', 'cancel']) {
    const r = await post(`/v1/campaigns/${ARCHIVED}/${action}`, {});
    expect({ action, status: r.status }).toEqual({ action, status: 200 });
    expect(r.json()).toEqual(archivedStatus);
  }
  for (const action of ['pause', 'resume', 'cancel']) {
    const r = await rig.cli([action, '--campaign', ARCHIVED, '--json']);
    expect({ code: r.code, run: describeRun(r) }).toMatchObject({ code: 0 });
    expect(onlyJson(r)).toEqual(archivedStatus);
  }
  expect((await rig.http(`/v1/campaigns/${ARCHIVED}`)).json()).toEqual(archivedStatus);
  expect(await rig.redisKeys(ARCHIVED)).toEqual([`${rig.s.base}:campaign:{${ARCHIVED}}:archived`]);
}, 120_000);

test('intake refuses a new send to the archived campaign id: API 409, CLI exit 2, both saying archived', async () => {
  const message = await post('/v1/messages', { to: numbers(1, 900), body: 'Your order shipped', campaignId: ARCHIVED });
  expect(message.status).toBe(409);
  expect(message.json()).toMatchObject({ error: 'campaign conflict', message: expect.stringMatching(/archived/) });
  const upload = await rig.http(`/v1/campaigns?campaignId=${ARCHIVED}&body=${encodeURIComponent('Your order shipped')}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `to\n${numbers(1, 901)[0]}\n` });
  expect(upload.status).toBe(409);
  expect(upload.json()).toMatchObject({ error: 'campaign conflict', message: expect.stringMatching(/archived/) });

  const cli = await rig.cli(['send', '--to', numbers(1, 902)[0]!, '--body', 'Your order shipped', '--campaign', ARCHIVED]);
  expect({ code: cli.code, run: describeRun(cli) }).toMatchObject({ code: 2 });
  expect(cli.stderr).toMatch(/archived/);

  // Nothing was written: the campaign is still only its marker, its status unchanged, nothing more sent.
  expect(await rig.redisKeys(ARCHIVED)).toEqual([`${rig.s.base}:campaign:{${ARCHIVED}}:archived`]);
  expect((await rig.http(`/v1/campaigns/${ARCHIVED}`)).json()).toEqual(archivedStatus);
  expect(rig.s.sim.messages().filter((m) => ['900', '901', '902'].some((n) => m.to.endsWith(n)))).toEqual([]);
}, 120_000);
