import { bodySnippet, interpretResponse, parseRetryAfter } from './interpret-response.js';
import type { RawResponse } from './interpret-response.js';
import { KaleyraError } from './kaleyra-error.js';
import { parseResponseBody } from './parse-response-body.js';

function failure(response: RawResponse, redact?: (text: string) => string): KaleyraError {
  try {
    interpretResponse(response, redact);
  } catch (error) {
    expect(error).toBeInstanceOf(KaleyraError);
    return error as KaleyraError;
  }
  throw new Error('expected interpretResponse to throw');
}

describe('parseResponseBody', () => {
  test('reads valid JSON', () => {
    expect(parseResponseBody('{"code":"WA202","message":"ok","data":{"message_id":"m-1"}}'))
      .toEqual({ json: true, code: 'WA202', message: 'ok', messageId: 'm-1' });
  });

  test('falls back to regular expressions for broken JSON, unescaping strings', () => {
    expect(parseResponseBody('{"code" : "WA202" "message":"say \\"hi\\"" "data":{"message_id":"m-2"}'))
      .toEqual({ json: false, code: 'WA202', message: 'say "hi"', messageId: 'm-2' });
  });

  test('finds Meta throttling codes anywhere, as numbers or strings', () => {
    expect(parseResponseBody('{"code":"WA400","error":{"code":130429,"title":"Rate limit hit"}}').throttleCode)
      .toBe('130429');
    expect(parseResponseBody('{"errors":[{"code":"131056"}]}').throttleCode).toBe('131056');
    expect(parseResponseBody('{"code":131056 "x"').throttleCode).toBe('131056');
    expect(parseResponseBody('{"code":1304290}').throttleCode).toBeUndefined();
  });

  test('accepts data as an array and a numeric id', () => {
    expect(parseResponseBody('{"data":[{"message_id":12}]}').messageId).toBe('12');
  });

  test('never throws', () => {
    for (const text of ['', '   ', '<html>', 'null', '[]', '"str"', '{"data":null}', '{"code":{}}']) {
      expect(() => parseResponseBody(text)).not.toThrow();
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  test('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['5', '9'], now)).toBe(5000);
  });
});

describe('interpretResponse', () => {
  test('a 202 without a code still returns the id', () => {
    expect(interpretResponse({ status: 202, headers: {}, body: '{"data":{"message_id":"x"}}' }))
      .toEqual({ messageId: 'x', code: 'HTTP_202', status: 202 });
  });

  test('a 200 WA200 is an acceptance too', () => {
    expect(interpretResponse({ status: 200, headers: {}, body: '{"code":"WA200","data":{"message_id":"y"}}' }))
      .toEqual({ messageId: 'y', code: 'WA200', status: 200 });
  });

  test('a 202 whose id cannot be read is BAD_RESPONSE, ambiguous', () => {
    const error = failure({ status: 202, headers: {}, body: '{"code":"WA202","data":{}}' });
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', status: 202, kind: 'ambiguous' });
    expect(error.message).toContain('HTTP 202 (WA202)');
  });

  test('an error with a code but no message gets a readable one', () => {
    expect(failure({ status: 400, headers: {}, body: '{"code":"WA400"}' }).message)
      .toBe('Kaleyra answered HTTP 400 with code WA400');
  });

  test('a Meta throttling code in a 400 body makes the error throttled', () => {
    const error = failure({ status: 400, headers: {}, body: '{"code":"WA400","message":"m","error":{"code":131056}}' });
    expect(error).toMatchObject({ code: '131056', status: 400, kind: 'throttled', message: 'm (code: 131056)' });
  });

  test('an account code at the top wins over a 429 and a nested throttling code', () => {
    const error = failure({ status: 429, headers: {}, body: '{"code":"WAV2101","message":"Daily limit reached","error":{"code":130429}}' });
    expect(error).toMatchObject({ code: 'WAV2101', status: 429, kind: 'account' });
  });

  test('a gateway\'s HTML 403 is account-level, HTTP_403, with the page in the message', () => {
    const error = failure({ status: 403, headers: {}, body: '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>' });
    expect(error).toMatchObject({ code: 'HTTP_403', status: 403, kind: 'account' });
    expect(error.message).toContain('403 Forbidden');
  });

  test('a 401 without a code is account-level, HTTP_401', () => {
    expect(failure({ status: 401, headers: {}, body: '' })).toMatchObject({ code: 'HTTP_401', kind: 'account' });
  });

  test('a 404 and a 400 with an unlisted code fail the message', () => {
    expect(failure({ status: 404, headers: {}, body: 'Not Found' })).toMatchObject({ code: 'HTTP_404', kind: 'message' });
    expect(failure({ status: 400, headers: {}, body: '{"code":"WA999","message":"New rule"}' })).toMatchObject({ code: 'WA999', kind: 'message' });
  });

  test('Kaleyra\'s error object is kept in the message and in detail', () => {
    const e110 = failure({ status: 400, headers: {}, body: '{"code":"E110","message":"Please check your balance, You have a low balance!","data":{},"error":{"balance":"Balance is 0.00 INR"}}' });
    expect(e110.message).toBe('Please check your balance, You have a low balance! (balance: Balance is 0.00 INR)');
    expect(e110.detail).toBe('balance: Balance is 0.00 INR');
    const wa400 = failure({ status: 400, headers: {}, body: '{"code":"WA400","message":"Refer to correct payload format","error":{"payload":"Incorrect payload format","n":3,"nested":{"x":1}}}' });
    expect(wa400.message).toBe('Refer to correct payload format (payload: Incorrect payload format; n: 3)');
    // The same text twice is not repeated.
    const rbc = failure({ status: 401, headers: {}, body: '{"code":"RBC001","message":"Incorrect SID or API key.","error":{}}' });
    expect(rbc.message).toBe('Incorrect SID or API key.');
  });

  test('the message with its detail stays bounded (500 characters), and the detail is redacted', () => {
    const long = failure({ status: 400, headers: {}, body: JSON.stringify({ code: 'WA400', message: 'm'.repeat(400), error: { payload: 'SECRET '.repeat(200) } }) },
      (text) => text.replaceAll('SECRET', '*'));
    expect(long.message.length).toBeLessThanOrEqual(500);
    expect(long.message).not.toContain('SECRET');
    expect(long.detail!.length).toBeLessThanOrEqual(300);
  });

  test('an unexpected 3xx without a code is BAD_RESPONSE with status and body', () => {
    const error = failure({ status: 302, headers: { 'retry-after': '1' }, body: 'Moved' });
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', status: 302, kind: 'message', retryAfterMs: 1000 });
    expect(error.message).toBe('Kaleyra answered an unexpected HTTP 302 without a code; body: Moved');
  });

  test('server text passes through redact before it reaches an error', () => {
    const error = failure({ status: 401, headers: {}, body: '{"code":"RBC001","message":"bad key SECRET"}' },
      (text) => text.replaceAll('SECRET', '[redacted]'));
    expect(error.message).toBe('bad key [redacted]');
    const noCode = failure({ status: 500, headers: {}, body: 'oops SECRET' }, (text) => text.replaceAll('SECRET', '*'));
    expect(noCode.message).not.toContain('SECRET');
  });

  test('bodySnippet collapses whitespace and cuts at 200 characters', () => {
    expect(bodySnippet(' a\n\n b ')).toBe('a b');
    expect(bodySnippet('x'.repeat(500))).toBe(`${'x'.repeat(200)}…`);
  });
});

describe('accepted answers are read for their code and message_id only', () => {
  test('a 202 whose body names a throttle code is still a send with its message_id', () => {
    const res = interpretResponse({ status: 202, headers: {}, body: '{"code":"WA202","data":[{"message_id":"m-1","errors":[{"code":"130429"}]}],"error":{"x":"y"}}' });
    expect(res).toEqual({ messageId: 'm-1', code: 'WA202', status: 202 });
  });

  test('parseResponseBody with errorFields: false leaves out throttleCode and detail, keeps the rest', () => {
    const body = '{"code":"WA400","message":"bad","data":{"message_id":"m-2"},"error":{"code":130429,"payload":"wrong"}}';
    expect(parseResponseBody(body, { errorFields: false })).toEqual({ json: true, code: 'WA400', message: 'bad', messageId: 'm-2' });
    expect(parseResponseBody(body)).toMatchObject({ throttleCode: '130429', detail: 'code: 130429; payload: wrong' });
    expect(parseResponseBody('{"code":131056 "message_id":"m-3"', { errorFields: false })).toEqual({ json: false, messageId: 'm-3' });
  });
});
