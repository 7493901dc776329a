import { accountPauseReason, classify, isUnlistedAnswer, KaleyraError } from './kaleyra-error.js';

// The failure answers as Kaleyra's send-text page (kaleyra/send-text-messages.txt) prints them: the
// heading's HTTP status, then the body's code. Written out here, not read from ACCOUNT_CODES or
// THROTTLE_CODES, so a code dropped from (or wrongly added to) those constants fails a row below.
describe('classify: the answers on Kaleyra\'s send-text page', () => {
  test.each([
    ['401 Unauthorized (wrong SID or api-key)', 401, 'RBC001'],
    ['401 Unauthorized phone number', 401, 'WA401'],
    ['400 Low balance', 400, 'E110'],
    ['401 Unauthorised Account type', 401, 'WA-401'],
    ['401 Unauthorized phone number version', 401, 'WA-401'],
  ] as const)('%s: HTTP %i %s stops the account', (_title, status, code) => {
    expect(classify(status, code)).toBe('account');
    expect(new KaleyraError(code, status, 'x').kind).toBe('account');
  });

  test('400 Incorrect payload: WA400 fails the message', () => {
    expect(classify(400, 'WA400')).toBe('message');
  });

  test('500 Internal Server Error: WA500 is retried (Kaleyra advises retries at 5, 10, 15 minutes)', () => {
    expect(classify(500, 'WA500')).toBe('retryable');
  });

  // WAV2101 (daily limit) is on Kaleyra's error-code page with no HTTP status: the code decides.
  test.each([400, 401, 403, 200])('WAV2101 (account daily limit) with HTTP %i stops the account', (status) => {
    expect(classify(status, 'WAV2101')).toBe('account');
  });

  // Meta's throttling codes (api-notes.md: 130429 over the number's rate, 131056 same recipient too often).
  test.each([
    [400, '130429'], [429, '130429'], [200, '130429'],
    [400, '131056'], [429, '131056'],
    [429, undefined], [429, 'WA429'], [429, 'HTTP_429'],
  ] as const)('HTTP %i, code %s is throttled', (status, code) => {
    expect(classify(status, code)).toBe('throttled');
  });

  // Near misses: only the documented codes stop an account or hold the queue.
  test.each([
    [400, 'E111'], [400, 'RBC002'], [400, 'WA402'], [400, 'WAV2102'], [400, '130430'], [400, 'WA401 '],
  ] as const)('HTTP %i, code %j is a message failure, not an account or throttling answer', (status, code) => {
    expect(classify(status, code)).toBe('message');
  });
});

describe('classify: answers off the page and client-side failures', () => {
  test.each([
    [202, 'WA202', 'message'],
    [502, undefined, 'retryable'],
    [503, 'HTTP_503', 'retryable'],
    [400, 'WA500', 'retryable'],
    [408, undefined, 'retryable'],
    [404, 'HTTP_404', 'message'],
    [422, 'SOMETHING_NEW', 'message'],
    [0, 'INVALID_REQUEST', 'message'],
    [0, 'INVALID_CONFIG', 'account'],
    [0, 'TIMEOUT', 'ambiguous'],
    [0, 'NETWORK', 'ambiguous'],
    [0, 'BAD_RESPONSE', 'ambiguous'],
    [0, 'CLIENT_CLOSED', 'retryable'],
    [0, 'toString', 'ambiguous'],
    [0, undefined, 'ambiguous'],
  ] as const)('status %i, code %s → %s', (status, code, kind) => {
    expect(classify(status, code)).toBe(kind);
  });
});

// Issue 12: the answers the page does not list. One row per answer: HTTP status, code (as the client
// derives it), kind, the pause reason of an account-level one, and whether the breaker counts it.
describe('classify: answers the page does not list', () => {
  test.each([
    ['a gateway\'s HTML 403', 403, 'HTTP_403', 'account', 'HTTP_403', false],
    ['a 401 without a code (revoked key behind a proxy)', 401, 'HTTP_401', 'account', 'HTTP_401', false],
    ['a 401 with a code the page does not list', 401, 'RBC002', 'account', 'HTTP_401', false],
    ['a 403 with a code the page does not list', 403, 'WA402', 'account', 'HTTP_403', false],
    ['a 403 carrying RBC001', 403, 'RBC001', 'account', 'RBC001', false],
    ['429 + WAV2101: the account code wins over the status', 429, 'WAV2101', 'account', 'WAV2101', false],
    ['429 + E110', 429, 'E110', 'account', 'E110', false],
    ['a 400 with an unlisted code', 400, 'WA999', 'message', null, true],
    ['a 404 (wrong base URL)', 404, 'HTTP_404', 'message', null, true],
    ['a 400 without a code', 400, 'HTTP_400', 'message', null, true],
    ['a 410 with an unlisted code', 410, 'GONE', 'message', null, true],
    ['400 WA400 (listed)', 400, 'WA400', 'message', null, false],
    ['429 without a code', 429, 'HTTP_429', 'throttled', null, false],
    ['429 + 130429', 429, '130429', 'throttled', null, false],
    ['500 with an unlisted code', 500, 'XYZ', 'retryable', null, false],
    ['408', 408, 'HTTP_408', 'retryable', null, false],
    ['a client-side INVALID_REQUEST', 0, 'INVALID_REQUEST', 'message', null, false],
    ['a 3xx BAD_RESPONSE', 302, 'BAD_RESPONSE', 'ambiguous', null, false],
  ] as const)('%s: HTTP %i %s → %s (pause reason %s, breaker %s)', (_title, status, code, kind, reason, unlisted) => {
    expect(classify(status, code)).toBe(kind);
    const error = new KaleyraError(code, status, 'x');
    if (reason !== null) expect(accountPauseReason(status, code)).toBe(reason);
    expect(isUnlistedAnswer(error)).toBe(unlisted);
  });

  test('INVALID_CONFIG keeps its own code as the pause reason', () => {
    expect(accountPauseReason(0, 'INVALID_CONFIG')).toBe('INVALID_CONFIG');
  });
});

describe('KaleyraError', () => {
  test('carries code, status, kind, retryAfterMs and cause', () => {
    const cause = new Error('socket');
    const error = new KaleyraError('HTTP_429', 429, 'slow down', { retryAfterMs: 2000, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KaleyraError');
    expect(String(error.stack)).toMatch(/^KaleyraError: slow down/);
    expect(error).toMatchObject({ code: 'HTTP_429', status: 429, kind: 'throttled', retryAfterMs: 2000, cause });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'KaleyraError', code: 'HTTP_429', status: 429, kind: 'throttled', message: 'slow down', retryAfterMs: 2000,
    });
  });

  test('an explicit kind overrides classify', () => {
    expect(new KaleyraError('NETWORK', 0, 'refused', { kind: 'retryable' }).kind).toBe('retryable');
    expect(new KaleyraError('WA500', 500, 'x').kind).toBe('retryable');
    expect(new KaleyraError('WA500', 500, 'x')).not.toHaveProperty('retryAfterMs');
  });
});
