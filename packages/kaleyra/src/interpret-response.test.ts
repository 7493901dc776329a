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
    expect(error).toMatchObject({ code: '131056', status: 400, kind: 'throttled', message: 'm' });
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
