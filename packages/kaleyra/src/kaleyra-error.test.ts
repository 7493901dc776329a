import { classify, KaleyraError } from './kaleyra-error.js';

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
    [400, 'E111'], [401, 'RBC002'], [401, 'WA402'], [400, 'WAV2102'], [400, '130430'], [400, 'WA401 '],
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
