import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { Api } from './api-context.js';
import { ApiError } from './error-handler.js';

/** Where `pnpm build` puts the console (apps/console/dist), found through the workspace package. */
export function defaultConsoleDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@wabulk/console/package.json')), 'dist');
}

/**
 * The page may run only what this API served: scripts, styles and requests to the same origin, no
 * inline script, never framed (a bearer token is typed into it).
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * GET /ui/: the operator console, a single-page app that calls only this API's public routes with
 * the operator's token. No token is needed to load the page itself (it holds no data). Its assets
 * carry a content hash in their names, so they are cached for good; index.html never is. Each is sent
 * brotli- or gzip-compressed when the browser accepts it (compressed at build time).
 */
export async function consoleRoutes(app: Api, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  // preCompressed: the .br / .gz the build wrote beside each file, to browsers that accept them.
  await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });
  const notBuilt = () =>
    new ApiError(503, { error: 'console not built', message: 'the operator console is not built: run `pnpm build` (or `npm run setup`), then restart the API' });
  const hidden = { hide: true };

  app.get('/ui', { config: { auth: 'none' }, schema: hidden }, async (_request, reply) => reply.redirect('/ui/', 301));
  app.get('/ui/', { config: { auth: 'none' }, schema: hidden }, async (_request, reply) => {
    if (!built && !existsSync(join(dir, 'index.html'))) throw notBuilt();
    return reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html', { cacheControl: false, lastModified: false, etag: false });
  });
  app.get('/ui/assets/:file', { config: { auth: 'none' }, schema: hidden }, async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!/^[\w-]+(?:\.[\w-]+)*$/.test(file)) throw new ApiError(404, { error: 'not found', message: `no console asset ${file}` });
    if (!existsSync(join(dir, 'assets', file))) throw new ApiError(404, { error: 'not found', message: `no console asset ${file} (the console was rebuilt: reload the page)` });
    return reply.header('x-content-type-options', 'nosniff').sendFile(join('assets', file), { immutable: true, maxAge: '365d' });
  });
}
