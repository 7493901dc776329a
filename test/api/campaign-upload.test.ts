import { Readable } from 'node:stream';
import { getCampaignMeta, getCampaignStatus, registerAccounts } from '@wabulk/queue';
import { bearer, startApi, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const upload = (query: string, payload: string | Readable, contentType = 'text/csv') =>
  h.app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...bearer(), 'content-type': contentType }, payload });

test('CSV: counts, rejected rows with their line numbers, refs per recipient, fields from the query string', async () => {
  const csv = 'name,to,ref\nA,+919876543210,cust-1\nB,not-a-number,\nC,+919876543211,\nD,+919876543210,\n';
  const res = await upload(`campaignId=diwali&body=${encodeURIComponent('Happy Diwali!\nSee you')}&previewUrl=true&ref2=batch-7`, csv);
  expect(res.statusCode).toBe(202);
  expect(res.json()).toEqual({
    campaignId: 'diwali', account: 'acme', read: 4, accepted: 2, duplicates: 1, rejectedTotal: 1, rejectedByReason: { 'not a phone number': 1 }, suppressed: 0,
    rejected: [{ input: 'not-a-number', reason: 'not a phone number', line: 3 }],
    source: { column: 'to', delimiter: ',' },
  });
  expect(await getCampaignMeta(h.ctx, 'diwali')).toMatchObject({ body: 'Happy Diwali!\nSee you', previewUrl: true, ref2: 'batch-7', account: 'acme' });
  const jobs = await h.ctx.queues.get('acme').getJobs(['waiting', 'prioritized']);
  expect(jobs.find((j) => j.data.to === '+919876543210')?.data.r).toBe('cust-1');
});

test('NDJSON, then a second upload without body adds recipients to the existing campaign; re-sending adds nothing', async () => {
  await registerAccounts(h.ctx, ['acme2'], 'operator'); // a second account, known to intake
  const first = await upload('campaignId=nd&body=hello&account=acme2', '{"to":"+919876543210","ref":"x"}\nnot json\n{"phone":"+1"}\n', 'application/x-ndjson');
  expect(first.json()).toMatchObject({ accepted: 1, rejectedTotal: 2, account: 'acme2' });
  expect(first.json().rejected).toEqual([
    { input: 'not json', reason: 'not valid JSON', line: 2 },
    { input: '{"phone":"+1"}', reason: '"to" must be a string', line: 3 },
  ]);
  const more = await upload('campaignId=nd', '{"to":"+919876543211"}\n{"to":"+919876543210"}\n', 'application/x-ndjson; charset=utf-8');
  expect(more.json()).toMatchObject({ accepted: 1, duplicates: 1, account: 'acme2' });
  const column = await upload('campaignId=nd&column=phone', 'phone\n+919876543212\n');
  expect(column.json()).toMatchObject({ accepted: 1 });
  expect(await getCampaignStatus(h.ctx, 'nd')).toMatchObject({ total: 3, account: 'acme2' });
});

test('delimiter: found from the header (an Excel file: BOM, CRLF, semicolons) or named in the query; `source` says what was read', async () => {
  const excel = '\ufeffName;Phone Number\r\nAsha;+919876543210\r\nRavi;+919876543211\r\n';
  const found = await upload('campaignId=xl&body=hi', excel);
  expect(found.statusCode).toBe(202);
  expect(found.json()).toMatchObject({ accepted: 2, rejectedTotal: 0, source: { column: 'Phone Number', delimiter: ';' } });

  // Named: a tab-separated file whose header has more commas than tabs.
  const tabbed = await upload('campaignId=xl-tab&body=hi&delimiter=tab', 'to\tnote\n+919876543212\tx\n');
  expect(tabbed.json()).toMatchObject({ accepted: 1, source: { column: 'to', delimiter: '\t' } });
  const named = await upload(`campaignId=xl-tab2&body=hi&delimiter=${encodeURIComponent(';')}&column=MOBILE`, 'id,x;mobile\n1,2;+919876543213\n');
  expect(named.json()).toMatchObject({ accepted: 1, source: { column: 'mobile', delimiter: ';' } });

  // The wrong delimiter named: the recipient field holds more than a number and is rejected, not cut down.
  const wrong = await upload(`campaignId=xl-wrong&body=hi&delimiter=${encodeURIComponent(',')}&column=${encodeURIComponent('Name;Phone Number')}`, excel);
  expect(wrong.json()).toMatchObject({ accepted: 0, rejectedTotal: 2, source: { column: 'Name;Phone Number', delimiter: ',' } });
  expect(wrong.json().rejected[0]).toEqual({ input: 'Asha;+919876543210', line: 2, reason: 'not a phone number: holds "Asha;" beside the number (is the file\'s delimiter ";"? use --delimiter)' });

  const bad = await upload('campaignId=xl-bad&body=hi&delimiter=%7C', excel);
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues).toEqual([expect.objectContaining({ field: 'delimiter', message: 'must be , ; or tab' })]);

  const nd = await upload('campaignId=xl-nd&body=hi', '{"Mobile":"+919876543214"}\n', 'application/x-ndjson');
  expect(nd.json()).toMatchObject({ accepted: 1, source: { column: 'Mobile' } });
  expect(nd.json().source).not.toHaveProperty('delimiter');
});

test('a large upload streams through in chunks (50,000 rows)', async () => {
  const rows = 50_000;
  async function* lines() {
    yield 'to\n';
    for (let i = 0; i < rows; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `+9198${String(j).padStart(8, '0')}\n`;
      yield chunk;
    }
  }
  const res = await upload('campaignId=big&body=hi', Readable.from(lines()));
  expect(res.statusCode).toBe(202);
  expect(res.json()).toMatchObject({ read: rows, accepted: rows, rejectedTotal: 0 });
  expect(await h.ctx.queues.get('acme').count()).toBe(rows);
}, 60_000);

test('priority: normal by default, low on request; GET /v1/campaigns/:id reports it', async () => {
  expect((await upload('campaignId=p-default&body=hi', 'to\n+919876543210\n')).statusCode).toBe(202);
  expect((await upload('campaignId=p-low&body=hi&priority=low', 'to\n+919876543211\n')).statusCode).toBe(202);
  const status = async (id: string) => (await h.app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: bearer() })).json();
  expect(await status('p-default')).toMatchObject({ priority: 'normal', total: 1 });
  expect(await status('p-low')).toMatchObject({ priority: 'low', total: 1 });
  const jobs = await h.ctx.queues.get('acme').getJobs(['prioritized']);
  expect(jobs.map((j) => j.priority).sort((a, b) => a - b)).toEqual([1, 2 ** 20]);
});

test('400 naming the field: missing campaignId, missing body for a new campaign, bad options', async () => {
  const cases: Array<[string, string]> = [
    ['body=hi', 'campaignId'],
    ['campaignId=a:b&body=hi', 'campaignId'],
    ['campaignId=new-one', 'body'],
    ['campaignId=c&body=hi&previewUrl=maybe', 'previewUrl'],
    ['campaignId=c&body=hi&account=a%20b', 'account'],
    ['campaignId=c&body=', 'body'],
    ['campaignId=c&body=hi&priority=urgent', 'priority'],
  ];
  for (const [query, field] of cases) {
    const res = await upload(query, 'to\n+919876543210\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().issues.map((i: { field: string }) => i.field)).toContain(field);
  }
});

test('an unusable file: 400 with the line; a wrong content type: 415; over the upload limit: 413', async () => {
  const noColumn = await upload('campaignId=bad&body=x', 'contact,name\n1,2\n');
  expect(noColumn.statusCode).toBe(400);
  expect(noColumn.json()).toEqual({ error: 'unusable upload', issues: [{ field: 'recipients', message: expect.stringContaining('no recipient column in the header (contact, name)'), line: 1 }] });
  const quoting = await upload('campaignId=bad2&body=x', 'to\n+919876543210\n"unterminated\n');
  expect(quoting.statusCode).toBe(400);
  expect(quoting.json().issues[0].message).toMatch(/not valid CSV/);
  for (const type of ['application/json', 'multipart/form-data; boundary=x']) {
    const res = await upload('campaignId=c&body=x', '{}', type);
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'unsupported media type', message: expect.stringContaining('text/csv') });
  }
  const small = await startApi({ uploadLimit: 1000 });
  try {
    const payload = `to\n${Array.from({ length: 200 }, (_, i) => `+9198${String(i).padStart(8, '0')}`).join('\n')}\n`;
    const declared = await small.app.inject({ method: 'POST', url: '/v1/campaigns?campaignId=lim&body=x', headers: { ...bearer(), 'content-type': 'text/csv' }, payload });
    expect(declared.statusCode).toBe(413);
    // Streamed without a length: stopped once the limit is passed.
    const streamed = await small.app.inject({ method: 'POST', url: '/v1/campaigns?campaignId=lim2&body=x', headers: { ...bearer(), 'content-type': 'text/csv' }, payload: Readable.from([payload.slice(0, 600), payload.slice(600)]) });
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json()).toMatchObject({ error: 'payload too large' });
  } finally {
    await small.close();
  }
});
