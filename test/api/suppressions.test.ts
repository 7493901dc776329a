import { Readable } from 'node:stream';
import { addSuppressions, countSuppressions } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

// /v1/suppressions: the do-not-message lists through the API, on a real Redis (unique key prefix).

let h: ApiHarness;
afterEach(async () => h?.close());

const start = async (defaultCountry?: 'IN') => {
  h = await startApi(defaultCountry ? { defaultCountry } : {});
};
const post = (url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: json(), payload: payload as object });
const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer() });
const upload = (query: string, payload: string | Readable, contentType = 'text/csv') =>
  h.app.inject({ method: 'POST', url: `/v1/suppressions/import?${query}`, headers: { ...bearer(), 'content-type': contentType }, payload });

test('add, check, remove on an account list and the global list; a number listed again keeps its first time', async () => {
  await start();
  const added = await post('/v1/suppressions', { numbers: ['+919876543210', '+919876543211', 'bogus', '+919876543210'], account: 'acme' });
  expect(added.statusCode).toBe(200);
  expect(added.json()).toEqual({ list: 'account:acme', added: 2, alreadyListed: 1, rejected: [{ input: 'bogus', reason: 'not a phone number' }] });

  const again = await post('/v1/suppressions', { numbers: ['+919876543210'], account: 'acme' });
  expect(again.json()).toMatchObject({ added: 0, alreadyListed: 1, rejected: [] });
  expect((await post('/v1/suppressions', { numbers: ['+919876543210', '+919876543212'], global: true })).json()).toMatchObject({ list: 'global', added: 2 });

  const both = (await get('/v1/suppressions/check?number=%2B919876543210&account=acme')).json();
  expect(both).toEqual({ number: '+919876543210', account: 'acme', suppressed: true, lists: { account: expect.any(String), global: expect.any(String) } });
  expect(Date.parse(both.lists.account)).toBeLessThanOrEqual(Date.parse(both.lists.global));
  // Default account: the API's WABULK_ACCOUNT (acme in the harness).
  expect((await get('/v1/suppressions/check?number=%2B919876543211')).json()).toMatchObject({ account: 'acme', suppressed: true, lists: { account: expect.any(String) } });
  expect((await get('/v1/suppressions/check?number=%2B919876543211&account=other')).json()).toEqual({ number: '+919876543211', account: 'other', suppressed: false, lists: {} });
  expect((await get('/v1/suppressions/check?number=%2B919876543212&account=other')).json()).toEqual({ number: '+919876543212', account: 'other', suppressed: true, lists: { global: expect.any(String) } });

  const removed = await post('/v1/suppressions/remove', { numbers: ['+919876543210', '+919876543219', 'x'], account: 'acme' });
  expect(removed.statusCode).toBe(200);
  expect(removed.json()).toEqual({ list: 'account:acme', removed: 1, notListed: 1, rejected: [{ input: 'x', reason: 'not a phone number' }] });
  expect((await get('/v1/suppressions/check?number=%2B919876543210&account=acme')).json()).toMatchObject({ suppressed: true, lists: { global: expect.any(String) } });
  expect((await get('/v1/suppressions/check?number=%2B919876543210&account=acme')).json().lists.account).toBeUndefined();
  expect(await countSuppressions(h.ctx, { account: 'acme' })).toBe(1);
  expect(await countSuppressions(h.ctx, 'global')).toBe(2);
});

test('numbers are normalised as recipients are: with WABULK_DEFAULT_COUNTRY=IN a local number is its +91 form', async () => {
  await start('IN');
  expect((await post('/v1/suppressions', { numbers: ['98765 43210'], global: true })).json()).toMatchObject({ added: 1 });
  expect((await post('/v1/suppressions', { numbers: ['+91 98765-43210'], global: true })).json()).toMatchObject({ added: 0, alreadyListed: 1 });
  expect((await get('/v1/suppressions/check?number=9876543210')).json()).toMatchObject({ number: '+919876543210', suppressed: true });
  expect((await get('/v1/suppressions?global=true')).json().entries).toEqual([{ number: '+919876543210', addedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
});

test('400s name the field: scope missing or both, bad numbers array, bad cursor, bad check number; 401 without a token', async () => {
  await start();
  const neither = await post('/v1/suppressions', { numbers: ['+919876543210'] });
  expect(neither.statusCode).toBe(400);
  expect(neither.json().issues.map((i: { field: string }) => i.field)).toEqual(['account', 'global']);
  const both = await post('/v1/suppressions/remove', { numbers: ['+919876543210'], account: 'acme', global: true });
  expect(both.statusCode).toBe(400);
  expect(both.json().issues[0].message).toMatch(/exactly one of account .* or global/);
  const empty = await post('/v1/suppressions', { numbers: [], global: true });
  expect(empty.statusCode).toBe(400);
  expect(empty.json().issues).toEqual([expect.objectContaining({ field: 'numbers' })]);
  const tooMany = await post('/v1/suppressions', { numbers: Array.from({ length: 10_001 }, () => '+919876543210'), global: true });
  expect(tooMany.statusCode).toBe(400);
  expect(tooMany.json().issues[0]).toMatchObject({ field: 'numbers', message: expect.stringContaining('10000') });
  expect((await post('/v1/suppressions', { numbers: '+919876543210', global: true })).json().issues[0].field).toBe('numbers');
  expect((await post('/v1/suppressions', { numbers: ['+919876543210'], global: false })).json().issues[0].field).toBe('global');
  expect((await post('/v1/suppressions', { numbers: ['+919876543210'], account: 'a b' })).json().issues[0].field).toBe('account');

  for (const cursor of ['abc', '-1', '1'.repeat(21), '1e5']) {
    const res = await get(`/v1/suppressions?global=true&cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].field).toBe('cursor');
  }
  const listNoScope = await get('/v1/suppressions');
  expect(listNoScope.statusCode).toBe(400);
  expect(listNoScope.json().issues.map((i: { field: string }) => i.field)).toEqual(['account', 'global']);
  expect((await get('/v1/suppressions?global=false')).json().issues[0].field).toBe('global');

  const badNumber = await get('/v1/suppressions/check?number=hello');
  expect(badNumber.statusCode).toBe(400);
  expect(badNumber.json().issues).toEqual([{ field: 'number', message: 'not a phone number' }]);
  expect((await get('/v1/suppressions/check')).json().issues[0].field).toBe('number');

  const importNoScope = await upload('', 'to\n+919876543210\n');
  expect(importNoScope.statusCode).toBe(400);
  expect(importNoScope.json().issues.map((i: { field: string }) => i.field)).toEqual(['account', 'global']);
  expect((await upload('global=true', '{"to":"+919876543210"}', 'application/json')).statusCode).toBe(415);
  const noColumn = await upload('global=true', 'name,city\nA,B\n');
  expect(noColumn.statusCode).toBe(400);
  expect(noColumn.json().issues[0]).toMatchObject({ field: 'numbers', line: 1 });

  const anon = await h.app.inject({ method: 'GET', url: '/v1/suppressions?global=true' });
  expect(anon.statusCode).toBe(401);
  expect(await countSuppressions(h.ctx, 'global')).toBe(0);
});

test('list pages through the whole list with the cursor', async () => {
  await start();
  const numbers = Array.from({ length: 2500 }, (_, i) => `+9198${String(i).padStart(8, '0')}`);
  await addSuppressions(h.ctx, { account: 'acme' }, numbers, Date.UTC(2026, 0, 2));
  const seen = new Set<string>();
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const res = await get(`/v1/suppressions?account=acme&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json<{ cursor: string | null; entries: Array<{ number: string; addedAt: string }> }>();
    for (const e of page.entries) {
      expect(e.addedAt).toBe('2026-01-02T00:00:00.000Z');
      seen.add(e.number);
    }
    cursor = page.cursor;
    pages++;
  } while (cursor !== null && pages < 100);
  expect(pages).toBeGreaterThan(1);
  expect([...seen].sort()).toEqual(numbers);
  expect((await get('/v1/suppressions?global=true')).json()).toEqual({ cursor: null, entries: [] });
});

test('import: a CSV with a header, a bad row with its line number, one number per line as text/plain; the OpenAPI document lists the routes', async () => {
  await start('IN');
  const csv = 'name,Phone Number\nA,+919876543210\nB,not-a-number\nC,\nD,09876543211\n';
  const res = await upload('account=acme', csv);
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({
    list: 'account:acme', read: 4, added: 2, alreadyListed: 0, rejectedTotal: 2,
    rejected: [{ input: 'not-a-number', reason: 'not a phone number', line: 3 }, { input: 'C,', reason: 'empty', line: 4 }],
  });
  const plain = await upload('global=true', '+919876543210\r\n9876543212\n', 'text/plain; charset=utf-8');
  expect(plain.json()).toMatchObject({ list: 'global', read: 2, added: 2, rejectedTotal: 0 });
  const column = await upload('global=true&column=alt', 'to,alt\n+919876543299,+919876543213\n');
  expect(column.json()).toMatchObject({ added: 1 });
  expect((await get('/v1/suppressions/check?number=9876543213')).json()).toMatchObject({ suppressed: true });

  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
  for (const path of ['/v1/suppressions', '/v1/suppressions/remove', '/v1/suppressions/import', '/v1/suppressions/check']) expect(doc.paths[path]).toBeDefined();
});

test('a streamed import of 50,000 numbers goes in batches; the count matches', async () => {
  await start();
  const rows = 50_000;
  async function* lines() {
    yield 'phone\n';
    for (let i = 0; i < rows; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `+9198${String(j).padStart(8, '0')}\n`;
      yield chunk;
    }
  }
  const res = await upload('global=true', Readable.from(lines()));
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ read: rows, added: rows, alreadyListed: 0, rejectedTotal: 0 });
  expect(await countSuppressions(h.ctx, 'global')).toBe(rows);
}, 60_000);

test('an import larger than the upload limit is 413', async () => {
  h = await startApi({ uploadLimit: 1000 });
  const body = `to\n${Array.from({ length: 200 }, (_, i) => `+9198${String(i).padStart(8, '0')}`).join('\n')}\n`;
  const res = await h.app.inject({ method: 'POST', url: '/v1/suppressions/import?global=true', headers: { ...bearer(), 'content-type': 'text/csv' }, payload: Readable.from([body.slice(0, 600), body.slice(600)]) });
  expect(res.statusCode).toBe(413);
});
