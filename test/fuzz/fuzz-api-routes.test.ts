import { recordMessageId } from '@wabulk/queue';
import { bearer, CALLBACK_SECRET, json, startApi, type ApiHarness } from '../api/api-harness.js';
import { answerProblems, type InjectResponse } from './api-answers.js';
import { csvCase, ndjsonCase } from './gen-source.js';
import { randomString } from './gen-text.js';
import { fuzzSettings, preview, Rng } from './prng.js';
import { judgeSource, type SourceOutcome } from './source-oracle.js';

// Scenario 7, the other ways in: streamed campaign uploads (CSV/NDJSON bodies and query strings),
// Kaleyra delivery callbacks, and every read/pause route with random ids and parameters.

const { cases, seed } = fuzzSettings(300);
let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({ configuredAccounts: ['acme', 'fz-b'] }); // the two accounts the uploads use
});
afterAll(async () => h.close());

const inject = (opts: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string | Buffer | object }) =>
  h.app.inject(opts) as unknown as Promise<InjectResponse>;

/** Percent-encodes the UTF-8 bytes of anything (encodeURIComponent throws on lone surrogates); sometimes adds malformed escapes. */
const encode = (r: Rng, s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('') +
  (r.chance(0.05) ? r.pick(['%', '%zz', '%C0%AF', '%ff', '%00', '%2F..%2F']) : '');

test(`POST /v1/campaigns: ${Math.ceil(cases / 2)} random uploads and query strings (seed ${seed})`, async () => {
  const rng = new Rng(seed ^ 0x0f1);
  const problems: string[] = [];
  const pool: string[] = [];
  for (let i = 0; i < Math.ceil(cases / 2); i++) {
    const r = rng.fork(i);
    const c = r.chance(0.6) ? csvCase(r, undefined, pool) : ndjsonCase(r, undefined, pool);
    const campaignId = `up-${i}`;
    const account = r.pick(['acme', 'fz-b']);
    const query: Record<string, string> = { campaignId, body: `upload ${i}`, account };
    let broken: string | undefined;
    const q = r.weighted([[10, 'none'], [1, 'campaignId'], [1, 'body'], [1, 'previewUrl'], [1, 'account'], [1, 'column'], [1, 'long-body']] as const);
    if (q === 'campaignId') query.campaignId = r.pick(['', 'a b', 'x'.repeat(65), 'a:b']);
    if (q === 'body') query.body = r.pick(['', '   ']);
    if (q === 'long-body') query.body = '😀'.repeat(4097);
    if (q === 'previewUrl') query.previewUrl = r.pick(['yes', '1', 'TRUE']);
    if (q === 'account') query.account = r.pick(['a b', 'x'.repeat(33), '']);
    if (q === 'column') query.column = r.pick(['', 'c'.repeat(65)]);
    if (q !== 'none') broken = q === 'long-body' ? 'body' : q;
    // "account=" (empty) is refused by the query schema; an empty campaignId too.
    const url = `/v1/campaigns?${new URLSearchParams(query).toString()}`;
    const type = c.format === 'csv' ? r.pick(['text/csv', 'text/csv; charset=utf-8', 'application/csv', 'text/plain']) : r.pick(['application/x-ndjson', 'application/jsonl', 'application/x-ndjson; charset=utf-8']);
    const wrongType = r.chance(0.03);
    const res = await inject({ method: 'POST', url, headers: { ...bearer(), 'content-type': wrongType ? 'application/json' : type }, payload: c.bytes });
    const label = `upload ${i} (WABULK_FUZZ_SEED=${seed}, ${wrongType ? 'application/json' : type}, query ${q})`;
    problems.push(...answerProblems(label, res));
    if (wrongType) {
      if (res.statusCode !== 415) problems.push(`${label}: a JSON body must be refused with 415: ${res.statusCode}`);
      continue;
    }
    if (broken) {
      const fields = (res.json().issues ?? []).map((x: { field: string }) => x.field);
      if (res.statusCode !== 400 || !fields.includes(broken)) problems.push(`${label}: expected a 400 naming ${broken}: ${res.statusCode} ${preview(res.body)}`);
      continue;
    }
    let outcome: SourceOutcome;
    if (res.statusCode === 202) outcome = { kind: 'ok', result: res.json() };
    else if (res.statusCode === 400 && res.json().issues?.[0]?.field === 'recipients') outcome = { kind: 'unusable', message: res.json().issues[0].message, line: res.json().issues[0].line };
    else {
      problems.push(`${label}: unexpected ${res.statusCode} ${preview(res.body)}`);
      continue;
    }
    problems.push(...(await judgeSource(label, c, outcome, campaignId, h.ctx, account)));
  }
  expect(problems).toEqual([]);
  expect((await inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
});

const STATUSES = ['sent', 'delivered', 'read', 'failed', 'not-sent', 'not_sent', 'DELIVERED', 'Read', 'queued', '', ' ', 'x'.repeat(41)];
const RANK: Record<string, number> = { sent: 2, delivered: 3, 'failed-after-send': 3, read: 4 };
const TARGET: Record<string, string> = { delivered: 'delivered', read: 'read', failed: 'failed-after-send', 'not-sent': 'failed-after-send' };

test(`Kaleyra callbacks: ${cases} random deliveries (seed ${seed}) — always an answer, counts add up, the ledger only moves forward`, async () => {
  const rng = new Rng(seed ^ 0xcb);
  const problems: string[] = [];
  // Twenty recipients Kaleyra accepted, recorded as the worker records them.
  const to = Array.from({ length: 20 }, (_, k) => `+9198765${String(k).padStart(5, '0')}`);
  const ids = to.map((_, k) => `${k.toString(16).padStart(8, '0')}-fuzz-4000-8000-${String(k).padStart(12, '0')}`);
  await inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'cb', to, body: 'hi' } });
  for (let k = 0; k < to.length; k++) {
    await h.ctx.ledger.record('cb', to[k]!, { status: 'sent', messageId: ids[k], code: 'WA202', attempts: 1, updatedAt: Date.now() });
    await recordMessageId(h.ctx, ids[k]!, { campaignId: 'cb', to: to[k]! });
  }
  const expected = new Map(to.map((t) => [t, 'sent']));
  const randomId = (r: Rng): string | number =>
    r.weighted<() => string | number>([
      [6, () => { const k = r.int(0, ids.length - 1); return r.chance(0.3) ? `${ids[k]}:${r.int(0, 3)}` : ids[k]!; }],
      [2, () => randomString(r, r.int(1, 40))],
      [1, () => r.pick([':0', '}x', '{', '{}', ' ', '', 'x'.repeat(201), '\u0000'])],
      [1, () => r.int(0, 1e9)],
    ] as const)();
  const callback = (r: Rng) => {
    const cb: Record<string, unknown> = { id: randomId(r), status: r.pick(STATUSES) };
    if (r.chance(0.3)) cb.error_code = r.pick([131047, '131026', '', null]);
    if (r.chance(0.3)) cb.timestamp = r.pick([Math.floor(Date.now() / 1000), '2026-11-29T10:00:00Z', 'soon', -1, 1e20]);
    if (r.chance(0.2)) cb[r.pick(['mobile', 'ref', 'price', 'custom'])] = r.chance(0.5) ? randomString(r) : { nested: [1] };
    return cb;
  };
  /** The ledger's side of a callback that reaches it: only forward (a `sent` recipient has a message_id). */
  const apply = (cb: Record<string, unknown>) => {
    const id = String(cb.id).trim().replace(/:\d+$/, '');
    const k = ids.indexOf(id);
    const target = TARGET[String(cb.status).trim().toLowerCase().replace(/_/g, '-')];
    if (k < 0 || !target) return;
    const now = expected.get(to[k]!)!;
    if (RANK[target]! > RANK[now]!) expected.set(to[k]!, target);
  };
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    const how = r.weighted([[5, 'json'], [2, 'array'], [1, 'form'], [1, 'get'], [1, 'garbage']] as const);
    const label = `callback ${i} (WABULK_FUZZ_SEED=${seed}, ${how})`;
    const headers = { 'x-wabulk-callback-secret': CALLBACK_SECRET };
    let list: Array<Record<string, unknown>> = [];
    let res: InjectResponse;
    if (how === 'json' || how === 'array') {
      list = how === 'json' ? [callback(r)] : Array.from({ length: r.weighted([[10, r.int(1, 20)], [1, 0], [1, 1001]] as const) }, () => callback(r));
      res = await inject({ method: 'POST', url: '/v1/callbacks/kaleyra', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(how === 'json' ? list[0] : list) });
    } else if (how === 'form' || how === 'get') {
      const cb = callback(r);
      list = [cb];
      const form = new URLSearchParams(Object.entries(cb).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]): [string, string] => [k, String(v)])).toString();
      res = how === 'form'
        ? await inject({ method: 'POST', url: '/v1/callbacks/kaleyra', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: form })
        : await inject({ method: 'GET', url: `/v1/callbacks/kaleyra?${form}`, headers });
    } else {
      res = await inject({ method: 'POST', url: '/v1/callbacks/kaleyra', headers: { ...headers, 'content-type': 'application/json' }, payload: r.pick(['{', '[]', 'null', '{"id":1}', `{"id":"x","status":${'['.repeat(10000)}}`]) });
    }
    problems.push(...answerProblems(label, res, { allowed: [200, 400] }));
    if (res.statusCode === 200) {
      const a = res.json();
      if (a.received !== list.length || a.applied + a.unchanged + a.unknown + a.ignored !== a.received) problems.push(`${label}: counts ${JSON.stringify(a)} for ${list.length} callbacks`);
      // Form and query values are strings: the same forward rule applies to what they say.
      for (const cb of list) apply(how === 'form' || how === 'get' ? Object.fromEntries(Object.entries(cb).map(([k, v]) => [k, String(v)])) : cb);
    }
  }
  for (const [t, status] of expected) {
    const row = await h.ctx.ledger.get('cb', t);
    if (row?.status !== status) problems.push(`callbacks: ${t} ended ${row?.status}, expected ${status} (only forward: sent < delivered = failed-after-send < read)`);
  }
  expect(problems).toEqual([]);
});

test(`read, export, pause and resume routes: ${cases} random ids and parameters (seed ${seed})`, async () => {
  const rng = new Rng(seed ^ 0x4ea);
  const problems: string[] = [];
  await inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'known', to: ['+919876543210', '+447400123456', 'bogus'], body: 'hi' } });
  const segment = (r: Rng) => encode(r, r.weighted<() => string>([[3, () => 'known'], [3, () => 'acme'], [4, () => randomString(r, r.int(1, 80)) || 'x'], [1, () => 'x'.repeat(r.int(60, 300))]])());
  const value = (r: Rng) => encode(r, r.pick(['', '0', '-1', '1001', '5', '1e3', 'abc', '00', 'csv', 'ndjson', 'json', 'xml', 'sent', 'pending', 'read', '9'.repeat(30), randomString(r, 10)]));
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    const route = r.pick(['status', 'recipients', 'account', 'pause', 'resume'] as const);
    let res: InjectResponse;
    if (route === 'status') res = await inject({ method: 'GET', url: `/v1/campaigns/${segment(r)}`, headers: bearer() });
    else if (route === 'recipients') {
      const params = ['limit', 'cursor', 'status', 'format', 'other'].filter(() => r.chance(0.4)).map((p) => `${p}=${value(r)}`).join('&');
      res = await inject({ method: 'GET', url: `/v1/campaigns/${segment(r)}/recipients?${params}`, headers: bearer() });
    } else if (route === 'account') res = await inject({ method: 'GET', url: `/v1/accounts/${segment(r)}`, headers: bearer() });
    else {
      const payload = r.pick([undefined, '{}', '{"message":"x"}', `{"message":"${'m'.repeat(501)}"}`, '{"message":5}', 'null', '[', '"x"']);
      const headers = payload === undefined ? bearer() : json();
      res = await inject({ method: 'POST', url: `/v1/accounts/${segment(r)}/${route}`, headers, ...(payload === undefined ? {} : { payload }) });
    }
    problems.push(...answerProblems(`${route} ${i} (WABULK_FUZZ_SEED=${seed})`, res));
  }
  expect(problems).toEqual([]);
});
