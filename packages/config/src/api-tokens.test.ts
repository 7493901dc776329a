import { ConfigError, loadApiTokens, loadApiTokensFile, parseApiTokensFile } from './index.js';

const SECRET = 'billing-token-0123456789';
const entry = (over: Record<string, unknown> = {}) => ({ name: 'billing', token: SECRET, accounts: ['acme'], scopes: ['send', 'read'], ...over });
const text = (entries: unknown) => JSON.stringify(entries);

/** The ConfigError a call throws (fails when it throws nothing). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('a valid file: entries with their accounts ("*" = every account) and scopes', () => {
  const tokens = parseApiTokensFile(text([entry(), entry({ name: 'ops', token: 'ops-token-0123456789abc', accounts: ['*'], scopes: ['control', 'metrics', 'control'] })]));
  expect(tokens).toEqual([
    { name: 'billing', token: SECRET, accounts: ['acme'], scopes: ['send', 'read'] },
    { name: 'ops', token: 'ops-token-0123456789abc', accounts: '*', scopes: ['control', 'metrics'] },
  ]);
});

test.each([
  ['a short token', [entry({ token: 'short-secret' })], /\[0\]\.token: must be at least 16 printable characters/],
  ['a token with a space', [entry(), entry({ name: 'b', token: 'has a space in it 0123' })], /\[1\]\.token: must be at least 16/],
  ['an unknown scope', [entry({ scopes: ['send', 'admin'] })], /\[0\]\.scopes\.1: must be one of send, read, control, metrics/],
  ['no scopes', [entry({ scopes: [] })], /\[0\]\.scopes: must list at least one scope/],
  ['no accounts', [entry({ accounts: [] })], /\[0\]\.accounts: must list at least one account/],
  ['a bad account id', [entry({ accounts: ['a:b'] })], /\[0\]\.accounts\.0: must be an account id/],
  ['"*" beside an account', [entry({ accounts: ['*', 'acme'] })], /\[0\]\.accounts: "\*" \(every account\) stands alone/],
  ['a missing name', [entry({ name: undefined })], /\[0\]\.name: is required/],
  ['an unknown field', [entry({ scope: ['read'] })], /\[0\]: .*scope/],
  ['a duplicate name', [entry(), entry({ token: 'another-token-0123456789' })], /\[1\]\.name: "billing" is also the name of entry \[0\]/],
  ['a duplicate token', [entry(), entry({ name: 'other' })], /\[1\]\.token: the same token as entry \[0\]/],
  ['not an array', entry(), /\(file\): must be a JSON array/],
  ['an empty array', [], /must list at least one token/],
])('refused with the entry index and field, never the token: %s', (_what, entries, message) => {
  const error = errorOf(() => parseApiTokensFile(text(entries)));
  expect(error).toMatch(/^invalid WABULK_API_TOKENS_FILE: /);
  expect(error).toMatch(message);
  for (const secret of [SECRET, 'short-secret', 'another-token-0123456789', 'has a space']) expect(error).not.toContain(secret);
});

test('a file that is not JSON: its position only, never its text', () => {
  const error = errorOf(() => parseApiTokensFile(`[{"name":"x","token":"${SECRET}",`));
  expect(error).toMatch(/^invalid WABULK_API_TOKENS_FILE: not valid JSON/);
  expect(error).not.toContain(SECRET);
});

test('an unreadable file names the path and the error code', () => {
  expect(errorOf(() => loadApiTokensFile('/nonexistent/tokens.json'))).toBe('WABULK_API_TOKENS_FILE: cannot read /nonexistent/tokens.json (ENOENT)');
});

test('loadApiTokens: WABULK_API_TOKENS (full access) then the file; at least one; a token in both is refused', () => {
  const read = () => text([entry()]);
  expect(loadApiTokens({ WABULK_API_TOKENS: ['plain-token-0123456789'], WABULK_API_TOKENS_FILE: 'tokens.json' }, read)).toEqual(['plain-token-0123456789', expect.objectContaining({ name: 'billing' })]);
  expect(loadApiTokens({ WABULK_API_TOKENS_FILE: 'tokens.json' }, read)).toHaveLength(1);
  expect(errorOf(() => loadApiTokens({}))).toMatch(/WABULK_API_TOKENS or WABULK_API_TOKENS_FILE must be set/);
  const both = errorOf(() => loadApiTokens({ WABULK_API_TOKENS: [SECRET], WABULK_API_TOKENS_FILE: 'tokens.json' }, read));
  expect(both).toMatch(/\[0\]\.token: also listed in WABULK_API_TOKENS/);
  expect(both).not.toContain(SECRET);
});
