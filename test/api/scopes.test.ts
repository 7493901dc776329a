import type { ApiScope, ApiTokenConfig } from '@wabulk/config';
import { bearer, json, startApi, TOKEN, type ApiHarness } from './api-harness.js';

// The scope matrix: every bearer route of the OpenAPI document × each single scope × a token for the
// route's account and one for another account. A route the document gains without a line in RULES
// fails here until someone decides which scope it needs and how it treats other accounts.

const SCOPES: readonly ApiScope[] = ['send', 'read', 'control', 'metrics'];
const CAMPAIGN = 'c-acme';
const NUMBER = '+919876543210';

/**
 * What a token for another account gets once its scope fits: 404 (the campaign or account is
 * answered as an unknown one), 403 (the caller named the account: a send, a suppression list),
 * 'filtered' (a list without what is not its), 'none' (the route has no account).
 */
type Outside = 404 | 403 | 'filtered' | 'none';
/** 'none': any valid token (GET /v1/me), whatever its scopes. */
const RULES: Record<string, { scope: ApiScope | 'none'; outside: Outside }> = {
  'GET /v1/me': { scope: 'none', outside: 'none' },
  'POST /v1/messages': { scope: 'send', outside: 403 },
  'POST /v1/campaigns': { scope: 'send', outside: 403 },
  'GET /v1/campaigns': { scope: 'read', outside: 'filtered' },
  'GET /v1/campaigns/{id}': { scope: 'read', outside: 404 },
  'GET /v1/campaigns/{id}/recipients': { scope: 'read', outside: 404 },
  'POST /v1/campaigns/{id}/pause': { scope: 'control', outside: 404 },
  'POST /v1/campaigns/{id}/resume': { scope: 'control', outside: 404 },
  'POST /v1/campaigns/{id}/cancel': { scope: 'control', outside: 404 },
  'POST /v1/campaigns/{id}/retry-failed': { scope: 'control', outside: 404 },
  'POST /v1/campaigns/{id}/export-link': { scope: 'read', outside: 404 },
  'GET /v1/accounts': { scope: 'read', outside: 'filtered' },
  'GET /v1/accounts/{id}': { scope: 'read', outside: 404 },
  'POST /v1/accounts/{id}': { scope: 'control', outside: 404 },
  'POST /v1/accounts/{id}/pause': { scope: 'control', outside: 404 },
  'POST /v1/accounts/{id}/resume': { scope: 'control', outside: 404 },
  'POST /v1/suppressions': { scope: 'control', outside: 403 },
  'POST /v1/suppressions/remove': { scope: 'control', outside: 403 },
  'POST /v1/suppressions/import': { scope: 'control', outside: 403 },
  'GET /v1/suppressions': { scope: 'read', outside: 403 },
  'GET /v1/suppressions/check': { scope: 'read', outside: 403 },
  'GET /metrics': { scope: 'metrics', outside: 'none' },
};

/** A well-formed request for the route, for account acme (campaign c-acme): what differs per route is its input. */
function requestFor(method: string, path: string, token: string) {
  const url = path.replace('/v1/campaigns/{id}', `/v1/campaigns/${CAMPAIGN}`).replace('/v1/accounts/{id}', '/v1/accounts/acme');
  const inputs: Record<string, { query?: string; payload?: string | object; type?: string }> = {
    'POST /v1/messages': { payload: { to: NUMBER, body: 'hi', account: 'acme', dryRun: true } },
    'POST /v1/campaigns': { query: 'campaignId=c-upload&body=hi&account=acme&dryRun=true', payload: `to\n${NUMBER}\n`, type: 'text/csv' },
    'POST /v1/accounts/{id}/pause': { payload: { message: 'matrix' } },
    'POST /v1/suppressions': { payload: { numbers: [NUMBER], account: 'acme' } },
    'POST /v1/suppressions/remove': { payload: { numbers: [NUMBER], account: 'acme' } },
    'POST /v1/suppressions/import': { query: 'account=acme', payload: `${NUMBER}\n`, type: 'text/plain' },
    'GET /v1/suppressions': { query: 'account=acme' },
    'GET /v1/suppressions/check': { query: `number=${encodeURIComponent(NUMBER)}&account=acme` },
  };
  const input = inputs[`${method} ${path}`] ?? {};
  const headers: Record<string, string> = input.payload === undefined ? bearer(token) : { ...bearer(token), 'content-type': input.type ?? 'application/json' };
  const payload = typeof input.payload === 'object' ? JSON.stringify(input.payload) : input.payload;
  return { method: method as 'GET', url: input.query === undefined ? url : `${url}?${input.query}`, headers, payload };
}

/** A filtered list: the ids it answers, and whether they are what a token for acme / for other may see (acme and other are configured). */
const LISTED: Record<string, { ids: (body: Record<string, Array<Record<string, string>>>) => string[]; acme: (ids: string[]) => boolean; other: (ids: string[]) => boolean }> = {
  '/v1/campaigns': { ids: (b) => b.campaigns!.map((c) => c.campaignId!), acme: (ids) => ids.includes(CAMPAIGN), other: (ids) => ids.length === 0 },
  '/v1/accounts': { ids: (b) => b.accounts!.map((a) => a.account!), acme: (ids) => ids.join() === 'acme', other: (ids) => ids.join() === 'other' },
};

const tokenFor = (scope: ApiScope, accounts: string[]): ApiTokenConfig => ({ name: `${scope}-${accounts.join('+')}`, token: `tok-${scope}-${accounts.join('-')}-0123456789`, accounts, scopes: [scope] });
const TOKENS = SCOPES.flatMap((s) => [tokenFor(s, ['acme']), tokenFor(s, ['other'])]);

let h: ApiHarness;
let routes: Array<[string, string]>;
beforeAll(async () => {
  h = await startApi({ tokens: [TOKEN, ...TOKENS], configuredAccounts: ['acme', 'other'] });
  const created = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: CAMPAIGN, to: NUMBER, body: 'hi', account: 'acme' } });
  expect(created.statusCode).toBe(202);
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
  // Bearer routes: those that do not say `security: []` (health, callbacks).
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0)).map(([m]): [string, string] => [m.toUpperCase(), path]));
});
afterAll(async () => h.close());

test('every bearer route of the OpenAPI document has a rule, and every rule a route', () => {
  expect(routes.length).toBeGreaterThan(10);
  expect(routes.map(([m, p]) => `${m} ${p}`).sort()).toEqual(Object.keys(RULES).sort());
});

test('the matrix: a scope the route does not need is 403; the one it needs passes for its account, and for another account is 404 / 403 / filtered', async () => {
  const failures: string[] = [];
  for (const [method, path] of routes) {
    const rule = RULES[`${method} ${path}`]!;
    for (const scope of SCOPES) {
      for (const accounts of [['acme'], ['other']]) {
        const token = tokenFor(scope, accounts);
        const res = await h.app.inject(requestFor(method, path, token.token));
        const where = `${method} ${path} with ${token.name}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (rule.scope !== 'none' && scope !== rule.scope) {
          if (res.statusCode !== 403 || res.json().error !== 'forbidden' || !String(res.json().message).includes(`"${rule.scope}" scope`)) failures.push(`${where} (want 403 naming "${rule.scope}")`);
          continue;
        }
        const inside = accounts[0] === 'acme' || rule.outside === 'none' || rule.outside === 'filtered';
        if (inside) {
          if (res.statusCode === 403 || res.statusCode === 404 || res.statusCode >= 500) failures.push(`${where} (want neither 403 nor 404)`);
          if (rule.outside === 'filtered') {
            const list = LISTED[path]!;
            const ids = list.ids(res.json());
            if (!(accounts[0] === 'acme' ? list.acme(ids) : list.other(ids))) failures.push(`${where} (want only what the token's accounts hold)`);
          }
        } else if (res.statusCode !== rule.outside || (res.statusCode === 403 && res.json().error !== 'forbidden') || (res.statusCode === 404 && res.json().error !== 'not found')) {
          failures.push(`${where} (want ${rule.outside})`);
        }
      }
    }
  }
  expect(failures).toEqual([]);
});

test('a campaign or account of another account answers exactly as an unknown one', async () => {
  const other = tokenFor('read', ['other']).token;
  const foreign = await h.app.inject({ method: 'GET', url: `/v1/campaigns/${CAMPAIGN}`, headers: bearer(other) });
  const unknown = await h.app.inject({ method: 'GET', url: '/v1/campaigns/no-such-campaign', headers: bearer(other) });
  expect(foreign.statusCode).toBe(404);
  expect(foreign.body).toBe(unknown.body.replace('no-such-campaign', CAMPAIGN));
  const account = await h.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(other) });
  const nobody = await h.app.inject({ method: 'GET', url: '/v1/accounts/nobody', headers: bearer(other) });
  expect(account.statusCode).toBe(404);
  expect(account.body).toBe(nobody.body.replace('nobody', 'acme'));
  // Adding recipients to it (an upload without body) is answered as for a campaign that does not exist.
  const send = tokenFor('send', ['other']).token;
  const upload = (id: string) => h.app.inject({ method: 'POST', url: `/v1/campaigns?campaignId=${id}&account=other`, headers: { ...bearer(send), 'content-type': 'text/csv' }, payload: `to\n${NUMBER}\n` });
  const [a, b] = [await upload(CAMPAIGN), await upload('no-such-campaign')];
  expect(a.statusCode).toBe(400);
  expect(a.body).toBe(b.body.replace('no-such-campaign', CAMPAIGN));
});

test('sends name the account the token may not use; the default account counts', async () => {
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(tokenFor('send', ['other']).token), payload: { to: NUMBER, body: 'hi' } });
  expect(res.statusCode).toBe(403);
  expect(res.json()).toEqual({ error: 'forbidden', message: 'this token may not send for account acme' });
});

test('another account\'s campaign id: 409 "taken", never naming its account', async () => {
  const send = tokenFor('send', ['other']).token;
  const msg = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(send), payload: { campaignId: CAMPAIGN, to: NUMBER, body: 'hi', account: 'other' } });
  const up = await h.app.inject({ method: 'POST', url: `/v1/campaigns?campaignId=${CAMPAIGN}&body=hi&account=other`, headers: { ...bearer(send), 'content-type': 'text/csv' }, payload: `to\n${NUMBER}\n` });
  for (const res of [msg, up]) {
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: 'campaign conflict', message: `campaign id ${CAMPAIGN} is taken; use another campaign id` });
  }
});

test('the global suppression list needs a token for every account', async () => {
  const acmeOnly = tokenFor('control', ['acme']).token;
  const res = await h.app.inject({ method: 'POST', url: '/v1/suppressions', headers: json(acmeOnly), payload: { numbers: [NUMBER], global: true } });
  expect(res.statusCode).toBe(403);
  expect(res.json()).toEqual({ error: 'forbidden', message: expect.stringContaining('global suppression list') });
  const listed = await h.app.inject({ method: 'GET', url: '/v1/suppressions?global=true', headers: bearer(tokenFor('read', ['acme']).token) });
  expect(listed.statusCode).toBe(403);
  expect((await h.app.inject({ method: 'POST', url: '/v1/suppressions', headers: json(), payload: { numbers: [NUMBER], global: true } })).statusCode).toBe(200);
});

test('the OpenAPI document names the scope of each route and its 403', async () => {
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  expect(doc.paths['/v1/campaigns/{id}/cancel'].post.description).toMatch(/`control` scope/);
  expect(doc.paths['/metrics'].get.description).toMatch(/`metrics` scope/);
  expect(Object.keys(doc.paths['/v1/messages'].post.responses)).toContain('403');
  expect(doc.components.securitySchemes.bearer.description).toMatch(/WABULK_API_TOKENS_FILE/);
  // Said once, also on GET routes (whose HEAD twin shares the schema).
  const twice = Object.entries(doc.paths as Record<string, Record<string, { description?: string }>>).flatMap(([path, ops]) =>
    Object.entries(ops).filter(([, op]) => /(Needs a token|Any valid token)[\s\S]*(Needs a token|Any valid token)/.test(op.description ?? '')).map(([m]) => `${m} ${path}`),
  );
  expect(twice).toEqual([]);
  expect(doc.paths['/v1/campaigns/{id}'].get.description).toBe('Needs a token with the `read` scope.');
});
