import { startApi, type ApiHarness } from './api-harness.js';

// /docs: the API reference (Swagger UI rendering the OpenAPI document), public like /openapi.json
// and fully offline: every asset the page loads is served by the API itself.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url });
/** http(s) URLs outside comments (the initializer's one comment links to a Q&A; it is never loaded). */
const urlsIn = (js: string) => js.replace(/^\s*\/\/.*$/gm, '').match(/https?:\/\/[^\s'"`)]+/g) ?? [];

test('GET /docs/: the reference page without a token; every asset it loads comes from the API, none from another host', async () => {
  const page = await get('/docs/');
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.body).toContain('<div id="swagger-ui">');
  // Its own origin only, never framed, nothing upgraded to https (a plain-http API keeps working).
  const csp = String(page.headers['content-security-policy']);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/https:|validator\.swagger\.io|upgrade-insecure-requests/);
  expect(page.body).not.toMatch(/https?:\/\//);
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(refs).toEqual(expect.arrayContaining(['./static/swagger-ui-bundle.js', './static/swagger-initializer.js', './static/swagger-ui.css']));
  for (const ref of refs) {
    expect(ref).toMatch(/^\.\/static\//);
    const asset = await get(`/docs/${ref.slice(2)}`);
    expect({ ref, status: asset.statusCode }).toEqual({ ref, status: 200 });
    // The vendored bundle holds URL strings (XML namespaces, RFC links in comments, swagger-ui's
    // default validator, disabled below) but loads nothing from a CDN or a font host.
    expect({ ref, cdn: /(fonts\.googleapis|fonts\.gstatic|unpkg\.com|jsdelivr|cdnjs|@import url)/.exec(asset.body)?.[0] }).toEqual({ ref, cdn: undefined });
  }
  // /docs (no slash) answers the page too, its assets under /docs/static.
  const bare = await get('/docs');
  expect(bare.statusCode).toBe(200);
  expect(bare.body).toContain('src="/docs/static/swagger-ui-bundle.js"');

  // The page's own script: the document from /docs/json (this API's), no validator badge (validator.swagger.io).
  const init = await get('/docs/static/swagger-initializer.js');
  expect(init.headers['content-type']).toMatch(/javascript/);
  expect(init.body).toContain('validatorUrl: null');
  expect(init.body).toContain("resolveUrl('./json')");
  expect(urlsIn(init.body)).toEqual([]);
  const spec = await get('/docs/json');
  expect(spec.statusCode).toBe(200);
  expect(spec.json().paths).toEqual((await get('/openapi.json')).json().paths);
});

test('its own routes are not in the OpenAPI document', async () => {
  const doc = (await get('/openapi.json')).json<{ paths: Record<string, unknown> }>();
  expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs'))).toEqual([]);
  expect(doc.paths).toHaveProperty(['/v1/me']);
});
