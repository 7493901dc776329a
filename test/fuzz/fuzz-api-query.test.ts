import { bearer, CALLBACK_SECRET, json, startApi, type ApiHarness } from '../api/api-harness.js';
import { answerProblems, type InjectResponse } from './api-answers.js';
import { randomString } from './gen-text.js';
import { fuzzSettings, preview, Rng } from './prng.js';

// Issue 12: every query parameter of every route (listed by the app's own /openapi.json) with random
// and garbage values — never a 5xx, always JSON, a 400 names the field; and upload bodies of random
// bytes, long lines, bad UTF-8 and NULs — never a 5xx, memory bounded.

const { cases, seed } = fuzzSettings(300);
let h: ApiHarness;
interface Route {
  method: 'GET' | 'POST';
  path: string;
  query: string[];
  pathParams: string[];
}
let routes: Route[] = [];

beforeAll(async () => {
  h = await startApi();
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'known', to: ['+919876543210', 'bogus'], body: 'hi' } });
  const spec = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>> }>();
  routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase() as 'GET' | 'POST',
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
    })),
  );
});
afterAll(async () => h.close());

const inject = (opts: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string | Buffer | object }) => h.app.inject(opts) as unknown as Promise<InjectResponse>;

/** Raw percent-encoded values: garbage of every kind a query string can carry. */
const GARBAGE = [
  '', '%20', '0', '-1', '1e309', 'NaN', 'Infinity', '9'.repeat(30), '18446744073709551616', '1.5', '0x10', 'true', 'TRUE', 'null', 'undefined',
  '%00', '%00abc', '%ff', '%C0%AF', '%ED%A0%80', '%', '%zz', '%2F..%2F', '..', '{}', '[]', '%5B%5D', 'a%3Ab', '%7Bx%7D', '*', '%0A%0D',
  'csv', 'json', 'ndjson', 'sent', 'running', 'acme', 'global', 'tab', '%09', ';', ',',
];

function value(r: Rng): string {
  return r.weighted<() => string>([
    [6, () => r.pick(GARBAGE)],
    [3, () => encodeURIComponent(randomString(r, r.int(0, 60)).replace(/[\ud800-\udfff]/g, 'x'))],
    [1, () => 'x'.repeat(r.int(200, 5000))],
    [1, () => Buffer.from(Array.from({ length: r.int(1, 30) }, () => r.int(0, 255))).toString('hex').replace(/(..)/g, '%$1')],
  ])();
}

/** A body that gets the request past its body checks, so the query string is what is judged. */
function requestFor(route: Route, query: string): { url: string; headers: Record<string, string>; payload?: string | object } {
  const path = route.path.replace('{id}', route.path.startsWith('/v1/accounts') ? 'acme' : 'known');
  const url = `${path}?${query}`;
  if (route.path === '/v1/callbacks/kaleyra') {
    return route.method === 'GET'
      ? { url, headers: { 'x-wabulk-callback-secret': CALLBACK_SECRET } }
      : { url, headers: { 'x-wabulk-callback-secret': CALLBACK_SECRET, 'content-type': 'application/json' }, payload: { id: 'x', status: 'read' } };
  }
  if (route.method === 'GET') return { url, headers: bearer() };
  if (route.path === '/v1/campaigns') return { url, headers: { ...bearer(), 'content-type': 'text/csv' }, payload: 'to\n+919876543211\n' };
  if (route.path === '/v1/suppressions/import') return { url, headers: { ...bearer(), 'content-type': 'text/plain' }, payload: '+919876543212\n' };
  if (route.path === '/v1/messages') return { url, headers: json(), payload: { to: '+919876543213', body: 'hi' } };
  if (route.path.startsWith('/v1/suppressions')) return { url, headers: json(), payload: { numbers: ['+919876543214'], account: 'acme' } };
  return { url, headers: bearer() };
}

test(`every query parameter of every route: ${cases} random query strings (seed ${seed}) — never a 5xx, a 400 names the field`, async () => {
  const rng = new Rng(seed ^ 0x9e7);
  const problems: string[] = [];
  const covered = new Set<string>();
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    const route = r.pick(routes);
    const names = [...route.query, ...(r.chance(0.2) ? ['unknown', 'cursor'] : [])];
    const parts: string[] = [];
    for (const name of names) {
      if (!r.chance(0.6)) continue;
      covered.add(`${route.method} ${route.path} ${name}`);
      parts.push(`${name}=${value(r)}`);
      // The same parameter twice: an array where a string is expected.
      if (r.chance(0.1)) parts.push(`${name}=${value(r)}`);
    }
    const req = requestFor(route, parts.join('&'));
    const res = await inject({ method: route.method, ...req });
    const label = `${route.method} ${req.url.slice(0, 200)} (case ${i}, WABULK_FUZZ_SEED=${seed})`;
    problems.push(...answerProblems(label, res, { allowed: [200, 202, 400, 401, 404, 409, 413, 414, 415, 422, 431] }));
    if (res.statusCode === 400) {
      const fields = ((res.json().issues ?? []) as Array<{ field: string }>).map((x) => x.field);
      const known = new Set([...route.query, ...route.pathParams, 'recipients', 'numbers', '(query)', 'body']);
      if (fields.length === 0 || !fields.some((f) => known.has(f.split('.')[0]!))) problems.push(`${label}: a 400 that names no query parameter: ${preview(res.body)}`);
    }
  }
  expect(problems).toEqual([]);
  // Every query parameter of the app was tried at least once (the routes come from the app).
  const all = routes.flatMap((rt) => rt.query.map((q) => `${rt.method} ${rt.path} ${q}`));
  expect(all.filter((k) => !covered.has(k))).toEqual([]);
});

/** A random upload body: random bytes, long lines, bad UTF-8, NULs, mixed line ends. */
function uploadBody(r: Rng): Buffer {
  const pieces: Buffer[] = [];
  const header = r.pick(['to\n', 'phone,name\n', '{"to":"+919876543210"}\n', '', '\ufeffto\r\n', 'to\u0000\n']);
  pieces.push(Buffer.from(header));
  const n = r.int(0, 12);
  for (let k = 0; k < n; k++) {
    pieces.push(
      r.weighted<() => Buffer>([
        [3, () => Buffer.from(Array.from({ length: r.int(0, 200) }, () => r.int(0, 255)))],
        [2, () => Buffer.from(`+9198765${String(r.int(0, 99999)).padStart(5, '0')}\n`)],
        [1, () => Buffer.alloc(r.int(64 * 1024 - 10, 300 * 1024), r.pick([0x39, 0x22, 0x2c, 0x00, 0xff, 0x7b]))],
        [1, () => Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0x0a])],
        [1, () => Buffer.from(r.pick(['\u0000\u0000\n', '"unclosed\n', '\r\r\n\n', '{"to":\u0000}\n', '{"to":"' + 'x'.repeat(70_000) + '"}\n']))],
      ])(),
    );
  }
  return Buffer.concat(pieces);
}

test(`upload bodies: ${Math.ceil(cases / 3)} random byte bodies, long lines, bad UTF-8, NULs (seed ${seed}) — never a 5xx, memory bounded`, async () => {
  const rng = new Rng(seed ^ 0xb0d);
  const problems: string[] = [];
  const start = process.memoryUsage().rss;
  let peak = start;
  let bytes = 0;
  for (let i = 0; i < Math.ceil(cases / 3); i++) {
    const r = rng.fork(i);
    const body = uploadBody(r);
    bytes += body.length;
    const where = r.pick(['csv', 'ndjson', 'suppressions'] as const);
    const url = where === 'suppressions' ? '/v1/suppressions/import?account=acme' : `/v1/campaigns?campaignId=fz-${i}&body=hi&dryRun=${r.pick(['true', 'false'])}`;
    const type = where === 'ndjson' ? 'application/x-ndjson' : r.pick(['text/csv', 'text/plain']);
    const res = await inject({ method: 'POST', url, headers: { ...bearer(), 'content-type': type }, payload: body });
    problems.push(...answerProblems(`${where} upload ${i} of ${body.length} bytes (WABULK_FUZZ_SEED=${seed})`, res, { allowed: [200, 202, 400, 413] }));
    if (res.statusCode === 200 || res.statusCode === 202) {
      for (const x of (res.json().rejected ?? []) as Array<{ input: string }>) if (x.input.length > 100) problems.push(`${where} upload ${i}: a rejected input of ${x.input.length} characters`);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  process.stdout.write(`fuzz uploads: ${Math.round(bytes / 1024)} KiB sent, test process RSS ${Math.round(start / 2 ** 20)} → peak ${Math.round(peak / 2 ** 20)} MiB\n`);
  expect(problems).toEqual([]);
  // Each body is at most a few hundred KiB, read as a stream: the process never grows by much more.
  expect(peak - start).toBeLessThan(256 * 2 ** 20);
});
