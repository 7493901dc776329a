import { getCampaignMeta, STORABLE_TEXT_RULE } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from './api-harness.js';

// Text PostgreSQL cannot store (U+0000, unpaired UTF-16 surrogates) would make the finished campaign
// impossible to archive: the API refuses it at intake, naming the field (a file's row: alone, with its line).

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const RULE = STORABLE_TEXT_RULE;
/** JSON text as a client writes it: escapes stay escapes (`\u0000`, `\ud800`), as JSON.stringify would write them. */
const post = (payload: string) => h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload });
const upload = (query: string, payload: string, contentType = 'text/csv') => h.app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...bearer(), 'content-type': contentType }, payload });

test('POST /v1/messages: 400 naming body, a ref, a variable (the call\'s or a recipient\'s); nothing is queued', async () => {
  const cases: Array<[string, string]> = [
    ['{"to":"+919876543210","campaignId":"nul-body","body":"Hello\\u0000"}', 'body'],
    ['{"to":"+919876543210","campaignId":"sur-body","body":"Hello \\ud800"}', 'body'],
    ['{"to":"+919876543210","campaignId":"nul-ref","body":"Hello","ref1":"order\\u0000"}', 'ref1'],
    ['{"to":"+919876543210","campaignId":"sur-var","body":"Hi {{name}}","variables":{"name":"A\\udc00"}}', 'variables.name'],
    ['{"to":[{"to":"+919876543210","variables":{"name":"\\u0000"}}],"campaignId":"nul-rvar","body":"Hi {{name}}"}', 'to.0.variables.name'],
  ];
  for (const [payload, field] of cases) {
    const res = await post(payload);
    expect({ payload, status: res.statusCode }).toEqual({ payload, status: 400 });
    expect(res.json().issues).toEqual([{ field, message: RULE }]);
    expect(await getCampaignMeta(h.ctx, JSON.parse(payload).campaignId)).toBeUndefined();
  }
  // A single message (no campaign id) takes the same schema.
  const single = await post('{"to":"+919876543210","body":"\\ud83d"}');
  expect(single.statusCode).toBe(400);
  expect(single.json()).toEqual({ error: 'invalid request', issues: [{ field: 'body', message: RULE }] });
  // Well-formed text is untouched: an astral character is a surrogate pair.
  expect((await post('{"to":"+919876543210","body":"Hi \\ud83d\\ude00","ref":"\\u0001"}')).statusCode).toBe(202);
});

test('POST /v1/campaigns: a campaign field (body, ref) in the query: 400, nothing written', async () => {
  for (const [query, field] of [
    ['campaignId=q-body&body=Hello%00', 'body'],
    ['campaignId=q-ref&body=Hello&ref2=x%00y', 'ref2'],
  ] as const) {
    const res = await upload(query, 'to\n+919876543210\n');
    expect({ query, status: res.statusCode }).toEqual({ query, status: 400 });
    expect(res.json().issues).toEqual([{ field, message: RULE }]);
  }
  expect(await getCampaignMeta(h.ctx, 'q-body')).toBeUndefined();
  expect(await getCampaignMeta(h.ctx, 'q-ref')).toBeUndefined();
});

test('POST /v1/campaigns: a row whose ref or placeholder value is not storable is rejected with its line; the other rows are queued', async () => {
  const csv = ['to,name,ref', '+919876543210,Asha,o-1', '+919876543211,Ra\u0000vi,o-2', '+919876543212,Meena,o-\u00003', '+919876543213,Kiran,o-4', ''].join('\n');
  const res = await upload(`campaignId=rows-csv&body=${encodeURIComponent('Hi {{name}}')}`, csv);
  expect(res.statusCode).toBe(202);
  expect(res.json()).toMatchObject({ accepted: 2, rejectedTotal: 2, rejectedByReason: { 'text not storable': 2 } });
  expect(res.json().rejected).toEqual([
    { input: '+919876543211', reason: `the value of {{name}}: ${RULE}`, line: 3 },
    { input: '+919876543212', reason: `ref: ${RULE}`, line: 4 },
  ]);

  const ndjson = ['{"to":"+919876543220","name":"A"}', '{"to":"+919876543221","name":"B\\ud800"}', '{"to":"+919876543222","name":"C","ref1":"\\u0000"}', ''].join('\n');
  const nd = await upload(`campaignId=rows-nd&body=${encodeURIComponent('Hi {{name}}')}`, ndjson, 'application/x-ndjson');
  expect(nd.statusCode).toBe(202);
  expect(nd.json()).toMatchObject({ accepted: 1, rejectedTotal: 2 });
  expect(nd.json().rejected).toEqual([
    { input: '+919876543221', reason: `the value of {{name}}: ${RULE}`, line: 2 },
    { input: '+919876543222', reason: `ref1: ${RULE}`, line: 3 },
  ]);
  // What was queued is storable: the ledger holds the good rows only.
  expect(await h.redis.hkeys(`${h.base}:campaign:{rows-nd}:recipients`)).toEqual(['+919876543220']);
});
