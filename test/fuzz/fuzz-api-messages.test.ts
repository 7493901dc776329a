import { Registry } from 'prom-client';
import { buildApi } from '@wabulk/api';
import { createRedis } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { freePort } from '../support/redis.js';
import { json, startApi, type ApiHarness } from '../api/api-harness.js';
import { answerProblems, messageOutcome, type InjectResponse } from './api-answers.js';
import { FUZZ_ACCOUNTS, messageCase } from './gen-request.js';
import { BAD_UTF8 } from './gen-text.js';
import { MessageOracle } from './oracle.js';
import { fuzzSettings, preview, Rng } from './prng.js';

// Scenario 7, HTTP side: POST /v1/messages with random JSON (wrong types, huge and nested values,
// bad encodings), raw byte bodies, Idempotency-Keys, the documented limits at their edges, and a
// Redis that is down. The app must keep answering, never 5xx (503 only for Redis down), and
// account for every recipient exactly as the library does.

const { cases, seed } = fuzzSettings(300);
const harness: Partial<Record<'none' | 'IN', ApiHarness>> = {};
afterAll(async () => {
  await harness.none?.close();
  await harness.IN?.close();
});

const post = (h: ApiHarness, payload: string | Buffer, headers: Record<string, string> = json()) =>
  h.app.inject({ method: 'POST', url: '/v1/messages', headers, payload }) as Promise<InjectResponse>;

test(`POST /v1/messages: ${cases} random requests (seed ${seed}) — documented answers only, counts add up, nothing dropped`, async () => {
  harness.none = await startApi({ configuredAccounts: FUZZ_ACCOUNTS });
  harness.IN = await startApi({ defaultCountry: 'IN', configuredAccounts: FUZZ_ACCOUNTS });
  const oracles = { none: new MessageOracle('acme'), IN: new MessageOracle('acme') };
  const rng = new Rng(seed ^ 0xa11);
  const problems: string[] = [];
  const pool: string[] = [];
  const reuse: string[] = [];
  const keys: Array<{ key: string; payload: string; country: 'none' | 'IN'; status: number; body: string }> = [];
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    const country = r.chance(0.5) ? ('IN' as const) : ('none' as const);
    const h = harness[country]!;
    const label = `request ${i} (WABULK_FUZZ_SEED=${seed}, default country ${country})`;

    // A retry with an Idempotency-Key seen before: the same answer, replayed, nothing enqueued again.
    if (keys.length > 0 && r.chance(0.08)) {
      const k = r.pick(keys);
      const res = await post(harness[k.country]!, k.payload, { ...json(), 'idempotency-key': k.key });
      problems.push(...answerProblems(label, res));
      if (res.statusCode !== k.status || res.body !== k.body || res.headers['idempotent-replayed'] !== 'true') {
        problems.push(`${label}: a retry with Idempotency-Key ${k.key} got ${res.statusCode} ${preview(res.body)}, not the first answer ${k.status} ${preview(k.body)}`);
      }
      continue;
    }

    const c = messageCase(r, { defaultCountry: country === 'IN' ? 'IN' : undefined, pool, reuse, newCampaignId: () => `fz-${i}` });
    if (c.campaignId !== undefined && !reuse.includes(c.campaignId)) reuse.push(c.campaignId);
    const payload = JSON.stringify(c.input);
    const headers: Record<string, string> = { ...json() };
    const key = r.chance(0.2) ? `key-${r.int(0, 1e9)}` : undefined;
    const badKey = r.chance(0.03) ? r.pick([' spaced key', 'k'.repeat(256), 'ключ']) : undefined;
    if (key) headers['idempotency-key'] = key;
    if (badKey) headers['idempotency-key'] = badKey;
    const res = await post(h, payload, headers);
    problems.push(...answerProblems(label, res));
    if (badKey) {
      // fastify validates the body before the headers: a request with both wrong may name only the body's fields.
      const named = res.statusCode === 400 && (res.body.includes('idempotency-key') || c.broken.size > 0 || Object.hasOwn(c.input, '__proto__'));
      if (!named) problems.push(`${label}: a bad Idempotency-Key must be a 400 naming it: ${res.statusCode} ${preview(res.body)}`);
      continue;
    }
    if (Object.hasOwn(c.input, '__proto__')) {
      // JSON with a "__proto__" key is refused whole by fastify's parser (prototype poisoning).
      if (res.statusCode !== 400) problems.push(`${label}: a body with "__proto__" must be refused: ${res.statusCode}`);
      continue;
    }
    const outcome = messageOutcome(res);
    if (outcome === undefined) problems.push(`${label}: unexpected answer ${res.statusCode} ${preview(res.body)}\n  input: ${preview(c.input)}`);
    else oracles[country].judge(label, c, outcome);
    if (key && (res.statusCode === 202 || res.statusCode === 409)) keys.push({ key, payload, country, status: res.statusCode, body: res.body });
  }
  for (const country of ['none', 'IN'] as const) {
    await oracles[country].verifyStore(harness[country]!.ctx);
    problems.push(...oracles[country].problems);
  }
  expect(problems).toEqual([]);
  expect(oracles.none.tally.ok + oracles.IN.tally.ok).toBeGreaterThan(cases / 4);
  expect(oracles.none.tally.invalid + oracles.IN.tally.invalid).toBeGreaterThan(cases / 10);
  // Still answering.
  const h = harness.none;
  expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  expect((await post(h, JSON.stringify({ to: '+919876543210', body: 'still here' }))).statusCode).toBe(202);
});

test('the documented limits at their edges', async () => {
  const h = (harness.none ??= await startApi({ configuredAccounts: FUZZ_ACCOUNTS }));
  const astral = (n: number) => '😀'.repeat(n);
  const many = (n: number) => Array.from({ length: n }, (_, k) => `+9198${String(k).padStart(8, '0')}`);
  const expectations: Array<[string, string | Buffer, number, string?]> = [
    ['4096 astral characters', JSON.stringify({ to: '+919876543210', body: astral(4096) }), 202],
    ['4097 astral characters', JSON.stringify({ to: '+919876543210', body: astral(4097) }), 400, 'body'],
    ['10000 recipients in an array', JSON.stringify({ to: many(10_000), body: 'x' }), 202],
    ['10001 recipients in an array', JSON.stringify({ to: many(10_001), body: 'x' }), 400, 'to'],
    ['10001 recipients in one string', JSON.stringify({ to: many(10_001).join(','), body: 'x' }), 400, 'to'],
    ['10001 recipients in 2 array items', JSON.stringify({ to: [many(5000).join(','), many(10_001).slice(5000).join(',')], body: 'x' }), 400, 'to'],
    ['200k levels of nesting', `{"to":${'['.repeat(200_000)}${']'.repeat(200_000)},"body":"x"}`, 400, 'to'],
    ['nesting in an unknown field', `{"to":"+919876543210","body":"x","extra":${'{"a":'.repeat(50_000)}{}${'}'.repeat(50_000)}}`, 202],
    ['nesting under "constructor" keys', `{"to":"+919876543210","body":"x","extra":${'{"constructor":'.repeat(50_000)}{}${'}'.repeat(50_000)}}`, 202],
    ['a body over the 1 MiB limit', JSON.stringify({ to: '+919876543210', body: 'x'.repeat(1024 * 1024) }), 413],
    ['an empty body', '', 400],
    ['null', 'null', 400],
    ['an array', '[{"to":"+919876543210","body":"x"}]', 400],
    ['a string', '"+919876543210"', 400],
    ['1e999 as `to`', '{"to":1e999,"body":"x"}', 400, 'to'],
    ['raw NUL in the JSON text', Buffer.from('{"to":"+919876543210",\u0000"body":"x"}'), 400],
    ['raw control characters in a string', Buffer.from('{"to":"+919876543210","body":"a\u0001b\nc"}'), 400],
    ['escaped lone surrogates (PostgreSQL could not archive the body)', '{"to":"+919876543210,\\ud800","body":"\\udfff x"}', 400, 'body'],
    ['a byte-order mark', Buffer.from('\ufeff{"to":"+919876543210","body":"x"}'), 202],
  ];
  const problems: string[] = [];
  for (const [what, payload, status, field] of expectations) {
    const res = await post(h, payload);
    problems.push(...answerProblems(what, res));
    if (res.statusCode !== status) problems.push(`${what}: ${res.statusCode} ${preview(res.body)}, expected ${status}`);
    if (field && !(res.json().issues ?? []).some((i: { field: string }) => i.field.split('.')[0] === field)) problems.push(`${what}: the 400 does not name ${field}: ${preview(res.body)}`);
  }
  expect(problems).toEqual([]);
});

test(`raw bodies: ${cases} mutated byte sequences (seed ${seed}) — invalid UTF-8, truncation, junk, odd content types`, async () => {
  const h = (harness.none ??= await startApi({ configuredAccounts: FUZZ_ACCOUNTS }));
  const rng = new Rng(seed ^ 0xb0d);
  const problems: string[] = [];
  const base = Buffer.from(JSON.stringify({ to: ['+919876543210', '+447400123456', 'bogus'], body: 'Hello 😀', ref: 'r' }));
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    let bytes = Buffer.from(base);
    for (let m = r.int(1, 4); m > 0; m--) {
      const at = r.int(0, bytes.length);
      const op = r.pick(['bad-utf8', 'flip', 'truncate', 'insert', 'nul'] as const);
      if (op === 'bad-utf8') bytes = Buffer.concat([bytes.subarray(0, at), r.pick(BAD_UTF8), bytes.subarray(at)]);
      else if (op === 'flip' && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = r.int(0, 255);
      else if (op === 'truncate') bytes = bytes.subarray(0, at);
      else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(r.pick(['{', '}', '"', ',', '\\', '[', 'null', '\\u', '\\ud800'])), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0]), bytes.subarray(at)]);
    }
    const contentType = r.weighted([[8, 'application/json'], [1, 'application/json; charset=utf-8'], [1, 'application/json; charset=latin1'], [1, 'text/plain'], [1, 'application/xml'], [1, 'APPLICATION/JSON'], [1, '']] as const);
    const headers = contentType === '' ? { authorization: json().authorization } : { ...json(), 'content-type': contentType };
    const label = `raw body ${i} (WABULK_FUZZ_SEED=${seed}, ${contentType || 'no content type'}) ${preview(bytes)}`;
    const res = await post(h, bytes, headers);
    problems.push(...answerProblems(label, res));
    if (res.statusCode === 202) {
      // Accepted: what the API read must be JSON, and every recipient in it accounted for.
      let to: unknown;
      try {
        to = (JSON.parse(bytes.toString('utf8').replace(/^\ufeff/, '')) as { to?: unknown }).to;
      } catch {
        problems.push(`${label}: 202 for a body that is not JSON`);
        continue;
      }
      const parts = (Array.isArray(to) ? to : [to]).flatMap((p) => String(p).split(',')).filter((p) => p.trim() !== '').length;
      const a = res.json();
      if (a.accepted + a.duplicates + a.rejected.length !== Math.max(1, parts)) problems.push(`${label}: counts ${JSON.stringify(a)} do not add up to ${parts} recipients`);
    }
  }
  expect(problems).toEqual([]);
});

test('Redis down: valid requests answer 503, invalid ones still name their fields; never 500', async () => {
  // A producer connection to a port nothing listens on, as runApi opens it (disconnectTimeout: ioredis
  // otherwise keeps a 2 s timer after disconnecting a socket that never connected, and jest waits for it).
  const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, 'producer', { disconnectTimeout: 50 });
  const app = await buildApi({ redis, base: 'wbt-down', tokens: ['fuzz-token-0123456789abcdef'], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry(), defaultAccount: 'acme', configuredAccounts: ['acme'] });
  try {
    const rng = new Rng(seed ^ 0xd0a);
    const problems: string[] = [];
    const headers = { authorization: 'Bearer fuzz-token-0123456789abcdef', 'content-type': 'application/json' };
    let unavailable = 0;
    for (let i = 0; i < Math.min(cases, 100); i++) {
      const r = rng.fork(i);
      const c = messageCase(r, { pool: [], reuse: [], newCampaignId: () => `down-${i}` });
      const res = (await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: JSON.stringify(c.input) })) as InjectResponse;
      const label = `request ${i} with Redis down (WABULK_FUZZ_SEED=${seed})`;
      problems.push(...answerProblems(label, res, { redisDown: true }));
      if (res.statusCode === 503) unavailable++;
      // Without Redis nothing can be queued: a 202 may only report recipients that were all rejected.
      if (res.statusCode === 202 && (res.json().accepted !== 0 || res.json().duplicates !== 0)) problems.push(`${label}: 202 with recipients queued while Redis is down`);
      if (c.broken.size > 0 && res.statusCode !== 400 && !Object.hasOwn(c.input, '__proto__')) problems.push(`${label}: an invalid request must still be a 400: ${res.statusCode}`);
    }
    for (const url of ['/v1/campaigns/c1', '/v1/campaigns/c1/recipients', '/v1/accounts/acme']) {
      problems.push(...answerProblems(`GET ${url} with Redis down`, await app.inject({ method: 'GET', url, headers }), { redisDown: true, allowed: [503] }));
    }
    expect(problems).toEqual([]);
    expect(unavailable).toBeGreaterThan(0);
  } finally {
    await app.close();
    redis.disconnect();
  }
});
