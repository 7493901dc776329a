import { ACCOUNT_CODES } from './kaleyra-codes.js';
import { classify, KaleyraError } from './kaleyra-error.js';

describe('classify', () => {
  test.each([
    [202, 'WA202', 'message'],
    [500, 'WA500', 'retryable'],
    [502, undefined, 'retryable'],
    [503, 'HTTP_503', 'retryable'],
    [400, 'WA500', 'retryable'],
    [408, undefined, 'retryable'],
    [429, undefined, 'throttled'],
    [429, 'WA429', 'throttled'],
    [400, '130429', 'throttled'],
    [400, '131056', 'throttled'],
    [400, 'E110', 'account'],
    [401, 'RBC001', 'account'],
    [401, 'WA401', 'account'],
    [401, 'WA-401', 'account'],
    [403, 'WAV2101', 'account'],
    [200, 'WAV2101', 'account'],
    [400, 'WA400', 'message'],
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

  test('ACCOUNT_CODES holds exactly the account-stopping codes', () => {
    expect([...ACCOUNT_CODES].sort()).toEqual(['E110', 'RBC001', 'WA-401', 'WA401', 'WAV2101']);
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
