import { createBearerAuth, createCallbackAuth, mayUseAccount } from './auth.js';

test('bearer: WABULK_API_TOKENS tokens have every scope and account, named by their id; file tokens their own; replace swaps them', () => {
  const auth = createBearerAuth(['first-token-0123456789', { name: 'billing', token: 'billing-token-0123456789', accounts: ['acme'], scopes: ['send'] }]);
  const full = auth('Bearer first-token-0123456789')!;
  expect(full.name).toBe(full.id);
  expect(full.accounts).toBe('*');
  expect([...full.scopes]).toEqual(['send', 'read', 'control', 'metrics']);
  const billing = auth('Bearer billing-token-0123456789')!;
  expect(billing).toMatchObject({ name: 'billing', id: expect.stringMatching(/^tok_[0-9a-f]{12}$/) });
  expect([...billing.scopes]).toEqual(['send']);
  expect(mayUseAccount(billing, 'acme')).toBe(true);
  expect(mayUseAccount(billing, 'other')).toBe(false);
  expect(mayUseAccount(full, 'other')).toBe(true);
  expect(auth.size).toBe(2);
  auth.replace([{ name: 'billing', token: 'billing-token-rotated-0123', accounts: '*', scopes: ['read'] }]);
  expect(auth.size).toBe(1);
  expect(auth('Bearer billing-token-0123456789')).toBeUndefined();
  expect(auth('Bearer first-token-0123456789')).toBeUndefined();
  expect(auth('Bearer billing-token-rotated-0123')).toMatchObject({ name: 'billing', accounts: '*' });
});

test('bearer: any configured token, by exact value; the id is derived, never the token', () => {
  const auth = createBearerAuth(['first-token-0123456789', 'second-token-0123456789']);
  const a = auth('Bearer first-token-0123456789')?.id;
  const b = auth('bearer   second-token-0123456789 ')?.id;
  expect(a).toMatch(/^tok_[0-9a-f]{12}$/);
  expect(b).toMatch(/^tok_[0-9a-f]{12}$/);
  expect(a).not.toBe(b);
  expect(a).not.toContain('first');
  for (const header of [undefined, '', 'Bearer', 'Bearer first-token-012345678', 'Bearer first-token-0123456789x', 'Basic first-token-0123456789', 'Bearer a b']) {
    expect(auth(header)).toBeUndefined();
  }
});

test('callbacks: basic auth or the secret (header or query); nothing configured = disabled', () => {
  const both = createCallbackAuth({ secret: 'shared-secret-0123456789', basic: 'kaleyra:pass-word-1' });
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  expect(both({ authorization: basic('kaleyra:pass-word-1') })).toBe('ok');
  expect(both({ secretHeader: 'shared-secret-0123456789' })).toBe('ok');
  expect(both({ secretQuery: 'shared-secret-0123456789' })).toBe('ok');
  expect(both({ authorization: basic('kaleyra:pass-word-2') })).toBe('unauthorized');
  expect(both({ secretHeader: 'shared-secret-012345678' })).toBe('unauthorized');
  expect(both({})).toBe('unauthorized');
  expect(createCallbackAuth({ secret: 'shared-secret-0123456789' })({ authorization: basic('kaleyra:pass-word-1') })).toBe('unauthorized');
  expect(createCallbackAuth({})({ secretHeader: 'x' })).toBe('disabled');
});
