import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { startApi, type ApiHarness } from '../api/api-harness.js';
import { defaultConsoleDir } from '@wabulk/api';

// GET /ui/ serves the built console (apps/console/dist, built by `pnpm build` and by `npm test`
// before jest) from the API itself: nothing from another origin, hashed assets cached for good.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => {
  await h.close();
});

// A URL of another host; www.w3.org's are XML namespace names (SVG, MathML) in Preact, never fetched.
const EXTERNAL = /(?:https?:)?\/\/(?!127\.0\.0\.1|localhost|www\.w3\.org\/)[a-z0-9.-]+\.[a-z]{2,}/i;

test('GET /ui/ answers the page without a token, with a strict content security policy; /ui redirects to it', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/ui/' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['cache-control']).toBeUndefined();
  expect(res.body).toContain('<div id="app"></div>');
  const redirect = await h.app.inject({ method: 'GET', url: '/ui' });
  expect(redirect.statusCode).toBe(301);
  expect(redirect.headers.location).toBe('/ui/');
});

test('every asset the page loads is served by the API under /ui/assets/, immutable, and names no other host', async () => {
  const html = (await h.app.inject({ method: 'GET', url: '/ui/' })).body;
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith('data:'));
  expect(assets.length).toBeGreaterThanOrEqual(2);
  let gzipped = gzipSync(html).length;
  for (const asset of assets) {
    expect(asset).toMatch(/^\/ui\/assets\/[\w.-]+\.(js|css)$/);
    const res = await h.app.inject({ method: 'GET', url: asset });
    expect({ asset, status: res.statusCode }).toEqual({ asset, status: 200 });
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['content-type']).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
    expect(res.body).not.toMatch(EXTERNAL);
    gzipped += gzipSync(res.rawPayload).length;
  }
  expect(html).not.toMatch(EXTERNAL);
  // What a first visit loads stays small (docs/console.md reports the figure).
  expect(gzipped).toBeLessThan(60 * 1024);
});

test('an unknown or malformed asset name is a 404, never a file outside the console', async () => {
  for (const url of ['/ui/assets/nope.js', '/ui/assets/..%2F..%2Fpackage.json', '/ui/assets/..%2Findex.html', '/ui/assets/.gitignore']) {
    const res = await h.app.inject({ method: 'GET', url });
    expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
  }
});

test('an API whose console is not built says how to build it (503), and the rest of the API still works', async () => {
  const other = await startApi({ consoleDir: join(defaultConsoleDir(), 'no-such-dir') });
  try {
    const res = await other.app.inject({ method: 'GET', url: '/ui/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'console not built', message: expect.stringContaining('pnpm build') });
    expect((await other.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  } finally {
    await other.close();
  }
});

test('the built files are the ones served: dist holds index.html and hashed assets only', () => {
  const dir = defaultConsoleDir();
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('/ui/assets/');
  for (const f of readdirSync(join(dir, 'assets'))) expect(f).toMatch(/^[\w-]+-[\w-]{8}\.(js|css)(\.gz|\.br)?$/);
});

test('a browser that accepts brotli or gzip gets the file compressed at build time, the same bytes once decoded', async () => {
  const html = (await h.app.inject({ method: 'GET', url: '/ui/' })).body;
  const js = /src="(\/ui\/assets\/[\w.-]+\.js)"/.exec(html)![1]!;
  const plain = await h.app.inject({ method: 'GET', url: js });
  expect(plain.headers['content-encoding']).toBeUndefined();
  const br = await h.app.inject({ method: 'GET', url: js, headers: { 'accept-encoding': 'br, gzip' } });
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers.vary).toMatch(/accept-encoding/i);
  expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
  expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
  const gz = await h.app.inject({ method: 'GET', url: js, headers: { 'accept-encoding': 'gzip' } });
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
  // The page too, with its security headers.
  const page = await h.app.inject({ method: 'GET', url: '/ui/', headers: { 'accept-encoding': 'gzip' } });
  expect(page.headers['content-encoding']).toBe('gzip');
  expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  expect(gunzipSync(page.rawPayload).toString()).toBe(html);
});
