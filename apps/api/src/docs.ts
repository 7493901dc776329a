import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Api } from './api-context.js';

/** Where the API reference is served: Swagger UI rendering /openapi.json's document. */
export const DOCS_PREFIX = '/docs';

/**
 * @fastify/swagger-ui declares its routes without our `config`: the ones under /docs are public,
 * like /openapi.json (buildApi's onRoute hook calls this before it asks a route for its scope).
 */
export function markDocsRoute(route: { prefix?: string; config?: object }): void {
  if (route.prefix === DOCS_PREFIX) route.config = { ...route.config, auth: 'none' };
}

/**
 * The API reference at /docs, fully offline: the page, its scripts, styles and icons are served by
 * the API itself (the swagger-ui-dist files inside @fastify/swagger-ui), the document comes from
 * /docs/json (the same as /openapi.json), and no validator badge calls validator.swagger.io.
 * Its own routes are hidden from the OpenAPI document.
 */
export async function registerDocs(app: Api): Promise<void> {
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    // false: the page's config says validatorUrl: null (no badge, no call to validator.swagger.io).
    validatorUrl: false,
    uiConfig: { deepLinking: true, tryItOutEnabled: false, persistAuthorization: false },
    theme: { title: 'wabulk API reference' },
    // A Content-Security-Policy on every /docs answer (the plugin's, with the hashes of its inline
    // scripts), tightened: only this origin, never framed, no validator, and no upgrade to
    // https (which would break the page on a plain-http API). The console's token is typed on this
    // origin, so a third-party bundle here gets no more than it needs.
    staticCSP: true,
    transformStaticCSP: (header: string) =>
      header
        .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        .replace(' validator.swagger.io', '')
        .replace(/ https:/g, '')
        .replace(/\s*upgrade-insecure-requests;?/, '')
        // Swagger UI sets style attributes from its script: styles may be inline (a hash in the
        // directive would make browsers ignore 'unsafe-inline'); scripts stay 'self' + hashes.
        .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';")
        .trim(),
  });
}
