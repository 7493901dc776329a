import { idempotencyKeysKey } from '@wabulk/queue';
import { json, OTHER_TOKEN, startApi, type ApiHarness } from './api-harness.js';

// Idempotency answers are stored compactly and capped; the live keys of one caller are bounded.

let h: ApiHarness;
afterEach(async () => h?.close());

/** 10,000 recipients: 5,000 copies of one number (duplicates) and 5,000 distinct bad inputs (rejections). */
const TEN_THOUSAND = [...Array.from({ length: 5000 }, () => '+919800000001'), ...Array.from({ length: 5000 }, (_, i) => `not-a-number-${String(i).padStart(5, '0')}`)];

/** Bytes Redis uses for every idempotency key of the harness's prefix (MEMORY USAGE, all samples). */
async function idempotencyBytes(): Promise<{ keys: number; bytes: number; each: Record<string, number> }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  const each: Record<string, number> = {};
  do {
    const [next, found] = await h.redis.scan(cursor, 'MATCH', `${h.base}:idem*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      keys++;
      const n = Number(await h.redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
      const kind = k.slice(h.base.length + 1).split(':')[0]!;
      each[kind] = (each[kind] ?? 0) + n;
      bytes += n;
    }
  } while (cursor !== '0');
  return { keys, bytes, each };
}

test('a 10,000-recipient answer of duplicates and rejections: stored in a few KiB; the replay keeps the counts and the first 100 rejections', async () => {
  h = await startApi();
  const payload = { campaignId: 'idem-big', to: TEN_THOUSAND, body: 'hi' };
  const first = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(), 'idempotency-key': 'big-1' }, payload });
  expect(first.statusCode).toBe(202);
  const answer = first.json();
  expect(answer).toMatchObject({ accepted: 1, duplicates: 4999, rejectedByReason: { 'text beside the number': 5000 } });
  const stored = await idempotencyBytes();
  process.stdout.write(`idempotency: ${stored.keys} key(s), ${stored.bytes} bytes (MEMORY USAGE) for one 10,000-recipient answer ${JSON.stringify(stored.each)}\n`);

  const replay = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(), 'idempotency-key': 'big-1' }, payload });
  expect(replay.statusCode).toBe(202);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  const again = replay.json();
  expect(again).toMatchObject({ campaignId: 'idem-big', accepted: 1, duplicates: 4999, rejectedByReason: answer.rejectedByReason, suppressed: 0, rejectedTotal: 5000, rejectedTruncated: true });
  expect(again.rejected).toEqual(answer.rejected.slice(0, 100));
  expect(stored.bytes).toBeLessThan(32 * 1024);
});

test('a token holds at most WABULK_IDEMPOTENCY_MAX_KEYS live keys: a new one beyond is a 429 with Retry-After; retries of held keys replay; other tokens are not counted', async () => {
  h = await startApi({ idempotencyMaxKeys: 3 });
  const send = (key: string, token?: string, account = 'acme') =>
    h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(token), 'idempotency-key': key }, payload: { account, to: '+919800000001', body: `hi ${key}` } });
  for (const k of ['k1', 'k2', 'k3']) expect((await send(k)).statusCode).toBe(202);
  const over = await send('k4');
  expect(over.statusCode).toBe(429);
  expect(over.json()).toMatchObject({ error: 'too many idempotency keys', message: expect.stringMatching(/holds 3 live Idempotency-Keys \(WABULK_IDEMPOTENCY_MAX_KEYS\)/) });
  // The oldest key expires in about 24 h.
  expect(Number(over.headers['retry-after'])).toBeGreaterThan(86_000);
  // A retry of a held key is no new key: replayed.
  expect((await send('k2')).headers['idempotent-replayed']).toBe('true');
  // Another token has its own bound; without a key nothing is counted.
  expect((await send('k4', OTHER_TOKEN)).statusCode).toBe(202);
  expect((await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { to: '+919800000001', body: 'no key' } })).statusCode).toBe(202);
  // Nothing left behind for the refused key: the bound counts only keys that were claimed.
  let live = 0;
  for (const k of await h.redis.keys(`${h.base}:idem-keys:*`)) live += await h.redis.zcard(k);
  expect(live).toBe(4);
  expect(idempotencyKeysKey(h.base, 'x')).toContain('{x}');
});

test('a claim whose work failed (unknown account: not stored) frees its place', async () => {
  h = await startApi({ idempotencyMaxKeys: 1 });
  const send = (key: string, account: string) =>
    h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(), 'idempotency-key': key }, payload: { account, to: '+919800000001', body: 'hi' } });
  expect((await send('a', 'nobody')).statusCode).toBe(422);
  expect((await send('b', 'acme')).statusCode).toBe(202);
  expect((await send('c', 'acme')).statusCode).toBe(429);
});

test('the per-token bound costs one sorted-set member per live key (measured, printed)', async () => {
  h = await startApi();
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...json(), 'idempotency-key': `small-${i}` }, payload: { to: 'bogus', body: 'hi' } });
    expect(res.statusCode).toBe(202);
  }
  const { each, bytes, keys } = await idempotencyBytes();
  expect(keys).toBe(n + 1);
  const perMember = each['idem-keys']! / n;
  process.stdout.write(`idempotency: ${n} small answers: ${Math.round((bytes - each['idem-keys']!) / n)} bytes per answer key, ${Math.round(perMember)} bytes per member of the token's sorted set\n`);
  expect(perMember).toBeLessThan(200);
});
