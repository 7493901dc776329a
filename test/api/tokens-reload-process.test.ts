import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createRedis, waitForReady } from '@wabulk/queue';
import { deleteKeys, freePort, REDIS_URL, uniqueBase } from '../support/redis.js';
import { ApiProcess, apiEnv } from './api-process.js';

// WABULK_API_TOKENS_FILE with the real `wabulk api` process: SIGHUP re-reads it without dropping
// connections (a keep-alive connection opened before goes on serving), a bad file keeps the old
// tokens, and no token ever reaches a log line or a config error.

const FIRST = 'first-token-0123456789abcdef';
const SECOND = 'second-token-0123456789abcdef';
const SHORT = 'short-secret';

let dir: string;
let base: string;
let api: ApiProcess | undefined;
let agent: http.Agent | undefined;
let redis: Redis;
beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
});
afterAll(async () => redis.quit());
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wabulk-tokens-'));
  base = uniqueBase('tokproc');
});
afterEach(async () => {
  agent?.destroy();
  if (api?.running) await api.stop('SIGKILL');
  api = undefined;
  rmSync(dir, { recursive: true, force: true });
  await deleteKeys(redis, base);
});

const writeTokens = (file: string, entries: unknown) => writeFileSync(file, JSON.stringify(entries));

/** One request on the agent: status and the local port of the connection it went over. */
function get(port: number, urlPath: string, token: string, via: http.Agent, method = 'GET'): Promise<{ status: number; localPort: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: via, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, localPort: req.socket?.localPort ?? -1, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('SIGHUP: the new file\'s token works and the old one stops, on the same keep-alive connection; a bad file keeps the tokens', async () => {
  const file = path.join(dir, 'tokens.json');
  writeTokens(file, [{ name: 'first', token: FIRST, accounts: ['*'], scopes: ['read', 'metrics'] }]);
  const port = await freePort();
  api = new ApiProcess(apiEnv(base, port, { WABULK_API_TOKENS: undefined, WABULK_API_TOKENS_FILE: file }));
  const listening = await api.waitForLog('api listening');
  expect(listening).toMatchObject({ tokens: 1, tokenNames: ['first'] });

  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const before = await get(port, '/metrics', FIRST, agent);
  expect(before.status).toBe(200);

  writeTokens(file, [{ name: 'second', token: SECOND, accounts: ['acme'], scopes: ['read'] }]);
  api.child.kill('SIGHUP');
  await api.waitForLog('api tokens reloaded');

  const now = await get(port, '/v1/accounts/acme', SECOND, agent);
  expect(now.status).toBe(200);
  expect(now.localPort).toBe(before.localPort); // the connection opened before the reload
  expect((await get(port, '/metrics', FIRST, agent)).status).toBe(401);
  // The new token's scopes apply: no metrics scope, no control scope.
  expect((await get(port, '/metrics', SECOND, agent)).status).toBe(403);
  const paused = await get(port, '/v1/accounts/acme/pause', SECOND, agent, 'POST');
  expect(paused.status).toBe(403);
  expect(JSON.parse(paused.body)).toEqual({ error: 'forbidden', message: expect.stringContaining('"control" scope') });

  // An invalid file: logged as an error, the tokens stay as they were.
  writeTokens(file, [{ name: 'third', token: SHORT, accounts: ['*'], scopes: ['read'] }]);
  api.child.kill('SIGHUP');
  const refused = await api.waitForLog('api tokens not reloaded: keeping the previous tokens');
  expect(refused).toMatchObject({ level: 50, err: { message: expect.stringContaining('[0].token: must be at least 16') } });
  const still = await get(port, '/v1/accounts/acme', SECOND, agent);
  expect(still.status).toBe(200);
  expect(still.localPort).toBe(before.localPort);

  // Logs name the caller by its name; no token is in any of them.
  const lines = api.logs();
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', status: 403, caller: 'second' }));
  for (const secret of [FIRST, SECOND, SHORT]) expect(api.stdout() + api.stderr()).not.toContain(secret);
  expect((await api.stop('SIGTERM')).code).toBe(0);
});

test('a short token refuses to start with a config error naming the entry and field, never the token', async () => {
  const file = path.join(dir, 'tokens.json');
  writeTokens(file, [{ name: 'ok', token: FIRST, accounts: ['*'], scopes: ['read'] }, { name: 'weak', token: SHORT, accounts: ['acme'], scopes: ['send'] }]);
  const port = await freePort();
  api = new ApiProcess(apiEnv(base, port, { WABULK_API_TOKENS: undefined, WABULK_API_TOKENS_FILE: file }));
  const exit = await api.waitExit();
  expect(exit.code).toBe(2);
  const output = api.stdout() + api.stderr();
  expect(output).toMatch(/WABULK_API_TOKENS_FILE: \[1\]\.token: must be at least 16/);
  expect(output).not.toContain(SHORT);
  expect(output).not.toContain(FIRST);

  api = new ApiProcess(apiEnv(base, port, { WABULK_API_TOKENS: `${FIRST},${SHORT}` }));
  expect((await api.waitExit()).code).toBe(2);
  expect(api.stdout() + api.stderr()).toMatch(/WABULK_API_TOKENS: each token must be at least 16/);
  expect(api.stdout() + api.stderr()).not.toContain(SHORT);
});
