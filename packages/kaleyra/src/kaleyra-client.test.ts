import { KaleyraError } from './kaleyra-error.js';
import type { KaleyraErrorKind } from './kaleyra-error.js';
import { API_KEY, mockKaleyra, SEND_PATH } from './mock-kaleyra.fixture.js';
import type { MockKaleyra } from './mock-kaleyra.fixture.js';
import { SEED_RESPONSES } from './seed-responses.fixture.js';

const message = { to: '+919876543210', body: 'This is the sample message' };

let kaleyra: MockKaleyra;
beforeEach(() => {
  kaleyra = mockKaleyra();
});
afterEach(async () => {
  kaleyra.agent.assertNoPendingInterceptors();
  await kaleyra.close();
});

async function sendFailure(input: Parameters<MockKaleyra['client']['sendText']>[0] = message): Promise<KaleyraError> {
  const error = await kaleyra.client.sendText(input).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KaleyraError);
  return error as KaleyraError;
}

describe('the request', () => {
  test('is the seed sample request: path, headers and body', async () => {
    let seen: { path: string; method: string; headers?: unknown; body?: unknown } | undefined;
    kaleyra.intercept().reply((opts) => {
      seen = opts;
      return { statusCode: 202, data: '{"code":"WA202","data":{"message_id":"m-1"}}' };
    });
    await kaleyra.client.sendText({ ...message, to: '919999999999', ref: 'customer1', ref1: 'marketing', ref2: 'dictionary' });
    expect(seen?.path).toBe(SEND_PATH);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers).toEqual({ 'content-type': 'application/json', 'api-key': API_KEY });
    expect(seen?.body).toBe(
      '{"messaging_object":{"messaging_product":"whatsapp","recipient_type":"individual","to":"+919999999999",'
      + '"type":"text","text":{"preview_url":false,"body":"This is the sample message"}},'
      + '"extra_info":{"ref":"customer1","ref1":"marketing","ref2":"dictionary","wa_source":"api"}}');
  });

  test('omits undefined refs, sends preview_url as a boolean and maps wa_source', async () => {
    let body = '';
    kaleyra.intercept().reply((opts) => {
      if (typeof opts.body === 'string') body = opts.body;
      return { statusCode: 202, data: '{"code":"WA202","data":{"message_id":"m-2"}}' };
    });
    await kaleyra.client.sendText({ ...message, previewUrl: true, ref1: 'r'.repeat(300), waSource: 'mailchimp' });
    const sent = JSON.parse(body) as { messaging_object: { text: unknown }; extra_info: unknown };
    expect(sent.messaging_object.text).toEqual({ preview_url: true, body: message.body });
    expect(sent.extra_info).toEqual({ ref1: 'r'.repeat(255), wa_source: 'api' });
  });

  test('invalid input throws INVALID_REQUEST before any I/O', async () => {
    kaleyra.agent.enableCallHistory();
    const error = await sendFailure({ ...message, body: 'x'.repeat(5000) });
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST', status: 0, kind: 'message', message: 'body: must be 1..4096 characters, got 5000',
    });
    expect(kaleyra.agent.getCallHistory()?.calls() ?? []).toHaveLength(0);
    // Control: a valid send is recorded.
    kaleyra.intercept().reply(202, '{"code":"WA202","data":{"message_id":"m-3"}}');
    await kaleyra.client.sendText(message);
    expect(kaleyra.agent.getCallHistory()?.calls()).toHaveLength(1);
  });
});

describe('every response row of the seed, byte for byte', () => {
  const expected: Record<string, { code: string; kind: KaleyraErrorKind; message: string }> = {
    '401 Unauthorized': { code: 'RBC001', kind: 'account', message: 'Incorrect SID or API key.' },
    '401 Unauthorized phone number': {
      code: 'WA401', kind: 'account', message: 'Phone number is not present or does not belong to the account.',
    },
    '400 Incorrect payload': { code: 'WA400', kind: 'message', message: 'Refer to correct payload format' },
    '500 Internal Server Error': { code: 'WA500', kind: 'retryable', message: 'Please try again later' },
    '400 Low balance': { code: 'E110', kind: 'account', message: 'Please check your balance, You have a low balance!' },
    '401 Unauthorised Account type': {
      code: 'WA-401', kind: 'account',
      message: 'API is not available for given customer.Please contact support for more info',
    },
    '401 Unauthorized phone number version': {
      code: 'WA-401', kind: 'account',
      message: "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.",
    },
  };

  test('covers all eight rows', () => {
    expect(SEED_RESPONSES.map((row) => row.title).sort())
      .toEqual(['202 Accepted', ...Object.keys(expected)].sort());
  });

  test('202 Accepted (not valid JSON: commas missing) → the message_id', async () => {
    const row = SEED_RESPONSES.find((r) => r.title === '202 Accepted');
    expect(() => JSON.parse(row?.body ?? '')).toThrow();
    kaleyra.intercept().reply(202, row?.body ?? '', { headers: { 'content-type': 'application/json' } });
    await expect(kaleyra.client.sendText(message))
      .resolves.toEqual({ messageId: 'AXXXXXXXXXXXXXXXXXXX', code: 'WA202', status: 202 });
  });

  test.each(SEED_RESPONSES.filter((row) => row.status !== 202).map((row) => [row.title, row] as const))(
    '%s', async (title, row) => {
      kaleyra.intercept().reply(row.status, row.body, { headers: { 'content-type': 'application/json' } });
      const error = await sendFailure();
      const { message: text, ...rest } = expected[title]!;
      expect(error).toMatchObject({ name: 'KaleyraError', status: row.status, ...rest });
      // The server's message first, then Kaleyra's `error` detail when it says something more.
      expect(error.message === text || error.message.startsWith(`${text} (`)).toBe(true);
      expect(error.retryAfterMs).toBeUndefined();
    });
});

describe('other answers', () => {
  test('WAV2101 (daily limit) stops the account', async () => {
    kaleyra.intercept().reply(403, '{"code":"WAV2101","message":"Daily limit reached","data":{},"error":{}}');
    expect(await sendFailure()).toMatchObject({ code: 'WAV2101', status: 403, kind: 'account', message: 'Daily limit reached' });
  });

  test('429 with Retry-After in seconds is throttled', async () => {
    kaleyra.intercept().reply(429, '{"message":"Too many requests"}', { headers: { 'retry-after': '7' } });
    const error = await sendFailure();
    expect(error).toMatchObject({ code: 'HTTP_429', status: 429, kind: 'throttled', retryAfterMs: 7000 });
    expect(error.message).toContain('HTTP 429');
  });

  test('429 with Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    kaleyra.intercept().reply(429, '', { headers: { 'retry-after': at } });
    const error = await sendFailure();
    expect(error).toMatchObject({ code: 'HTTP_429', kind: 'throttled' });
    expect(error.retryAfterMs).toBeGreaterThan(55_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  test('503 with an HTML body → HTTP_503, retryable, status and a short body in the message', async () => {
    const html = `<html><head><title>503 Service Temporarily Unavailable</title></head>\n<body>${'<p>down</p>'.repeat(50)}</body></html>`;
    kaleyra.intercept().reply(503, html, { headers: { 'content-type': 'text/html', 'retry-after': '30' } });
    const error = await sendFailure();
    expect(error).toMatchObject({ code: 'HTTP_503', status: 503, kind: 'retryable', retryAfterMs: 30_000 });
    expect(error.message).toMatch(/^Kaleyra answered HTTP 503 without a code; body: <html><head><title>503 Service/);
    expect(error.message.length).toBeLessThan(300);
  });

  test('an empty error body → HTTP_<status>', async () => {
    kaleyra.intercept().reply(502, '');
    expect(await sendFailure()).toMatchObject({
      code: 'HTTP_502', status: 502, kind: 'retryable', message: 'Kaleyra answered HTTP 502 without a code; an empty body',
    });
  });

  test('an empty 202 → BAD_RESPONSE, ambiguous (accepted, id lost)', async () => {
    kaleyra.intercept().reply(202, '');
    const error = await sendFailure();
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', status: 202, kind: 'ambiguous' });
    expect(error.message).toBe('Kaleyra answered HTTP 202 (HTTP_202) but no message_id could be read; an empty body');
  });

  test('a Meta throttling code in the body is throttled', async () => {
    kaleyra.intercept().reply(400, '{"code":"130429","message":"Rate limit hit"}');
    expect(await sendFailure()).toMatchObject({ code: '130429', status: 400, kind: 'throttled' });
  });

  test('an unknown 4xx code is kept and fails the message', async () => {
    kaleyra.intercept().reply(404, '{"code":"WA404","message":"Not found"}');
    expect(await sendFailure()).toMatchObject({ code: 'WA404', status: 404, kind: 'message', message: 'Not found' });
  });

  test('a connection error before anything was written → NETWORK, retryable', async () => {
    kaleyra.intercept().replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = await sendFailure();
    expect(error).toMatchObject({ code: 'NETWORK', status: 0, kind: 'retryable' });
    expect(error.message).toContain('ECONNREFUSED');
    expect((error.cause as Error).message).toBe('connect ECONNREFUSED');
  });
});
