import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createIdempotencyStore, createQueueContext, Producer } from '@wabulk/queue';
import { createMetrics } from '@wabulk/telemetry';
import { HTTP_TIMEOUT_DEFAULTS, type Api, type ApiContext, type ApiOptions } from './api-context.js';
import { createApiMetrics } from './api-metrics.js';
import { consoleRoutes, defaultConsoleDir } from './console-route.js';
import { API_SCOPES } from '@wabulk/config';
import { createBearerAuth, createCallbackAuth } from './auth.js';
import { markDocsRoute, registerDocs } from './docs.js';
import { installErrorHandlers } from './error-handler.js';
import { errorSchema } from './schemas.js';
import { accountRoutes } from './routes/accounts.js';
import { callbackRoutes } from './routes/callbacks.js';
import { campaignRoutes } from './routes/campaigns.js';
import { exportLinkRoutes } from './routes/export-link.js';
import { campaignUploadRoutes } from './routes/campaign-upload.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { messageRoutes } from './routes/messages.js';
import { campaignListRoutes } from './routes/campaign-list.js';
import { suppressionImportRoutes, suppressionRoutes } from './routes/suppressions.js';

/**
 * The HTTP API as a fastify instance (not listening: `app.listen()` in runApi, `app.inject()` in tests).
 * Closing the app closes the queues it opened; the Redis connection stays the caller's.
 */
export async function buildApi(options: ApiOptions): Promise<Api> {
  const ctx = createQueueContext({ redis: options.redis, base: options.base, archive: options.archive });
  const metrics = options.metrics ?? createMetrics(options.registry);
  const api: ApiContext = {
    ctx,
    producer: new Producer(ctx, { defaultAccount: options.defaultAccount, knownAccounts: options.configuredAccounts, singleMessageTtlSeconds: options.singleMessageTtlSeconds, defaultCountry: options.defaultCountry, fastSingleMessages: options.fastSingleMessages, metrics }),
    idempotency: createIdempotencyStore(ctx, { ttlSeconds: options.idempotencyTtlSeconds, maxKeys: options.idempotencyMaxKeys, lockMs: options.idempotencyLockMs }),
    metrics,
    apiMetrics: createApiMetrics(options.registry),
    registry: options.registry,
    callbackAuth: createCallbackAuth(options.callbackAuth ?? {}),
    options,
  };

  const timeouts = { ...HTTP_TIMEOUT_DEFAULTS, ...options.httpTimeouts };
  const app = Fastify({
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    // Fastify's own request lines would log URLs, whose query strings may hold a callback secret or phone numbers.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A campaign's message text may travel in the query string (up to 4096 characters, percent-encoded).
    // Every wait on a client is bounded: its headers, its whole request (uploads included: raise
    // API_REQUEST_TIMEOUT_MS for slower ones), any silence on the connection, an idle keep-alive.
    // Node checks the headers and request timeouts on a timer (connectionsCheckingInterval, 30 s by default): often enough to keep them.
    http: { maxHeaderSize: 64 * 1024, headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs), connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headersMs / 4))) },
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('tokenId', '');
  app.decorateRequest('caller', null);
  installErrorHandlers(app);

  // Every bearer route names the scope it needs, so a new route cannot be open to every token by omission.
  // The OpenAPI document says which scope each route needs and that it may answer 403. The one
  // exception is declared, not omitted: `scope: 'none'` (GET /v1/me) is for any valid token.
  app.addHook('onRoute', (route) => {
    markDocsRoute(route);
    const config = route.config as { auth?: string; scope?: string } | undefined;
    if ((config?.auth ?? 'bearer') !== 'bearer') return;
    if (config?.scope === undefined) throw new Error(`route ${String(route.method)} ${route.url} needs config.scope (${API_SCOPES.join(' | ')}, or 'none' for any valid token)`);
    const schema = route.schema as { hide?: boolean; description?: string; response?: Record<string, unknown> } | undefined;
    if (schema === undefined || schema.hide === true) return;
    // Once per schema: a GET route's HEAD twin (exposeHeadRoutes) comes here with the same schema object.
    const says = config.scope === 'none' ? 'Any valid token may call this: it needs no scope.' : `Needs a token with the \`${config.scope}\` scope.`;
    if (!schema.description?.startsWith(says)) schema.description = `${says}${schema.description === undefined ? '' : ' ' + schema.description}`;
    if (config.scope === 'none') return;
    schema.response = { 403: errorSchema.describe(`the token lacks the \`${config.scope}\` scope (or may not use the account it names)`), ...schema.response };
  });
  const bearer = options.bearerAuth ?? createBearerAuth(options.tokens);
  app.addHook('onRequest', async (request, reply) => {
    const auth = request.routeOptions.config?.auth ?? 'bearer';
    if (auth !== 'bearer') return;
    const caller = bearer(request.headers.authorization);
    if (caller === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required (Authorization: Bearer <token>)' });
    }
    request.tokenId = caller.id;
    request.caller = caller;
    // No scope: the not-found handler (an unknown route is 404 for any valid token).
    const scope = request.routeOptions.config?.scope;
    if (scope !== undefined && scope !== 'none' && !caller.scopes.has(scope)) {
      return reply.code(403).send({ error: 'forbidden', message: `this token lacks the "${scope}" scope, which ${request.method} ${request.routeOptions.url ?? ''} needs` });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    api.apiMetrics.requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const line = { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, caller: request.caller?.name };
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else if (reply.statusCode >= 400) request.log.info(line, 'request');
    else request.log.debug(line, 'request');
  });
  app.addHook('onClose', async () => ctx.queues.close());

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'wabulk API', version: '1.0.0', description: 'Bulk WhatsApp text messages through Kaleyra, queued on Redis. See apps/api/README.md.' },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A token of WABULK_API_TOKENS (every scope, every account) or of WABULK_API_TOKENS_FILE (its scopes and accounts). Each route names the scope it needs in its description: send, read, control or metrics (GET /v1/me, who the token is, needs none: any valid token). A route outside the token\'s scopes is 403 {"error":"forbidden"}; a campaign or account outside its accounts is 404, exactly as an unknown one.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  // The API reference (Swagger UI) at /docs: public like /openapi.json, every asset served from here.
  await registerDocs(app);

  healthRoutes(app, api);
  meRoutes(app);
  messageRoutes(app, api);
  campaignRoutes(app, api);
  exportLinkRoutes(app, api);
  campaignListRoutes(app, api);
  await app.register(async (scope) => campaignUploadRoutes(scope.withTypeProvider<ZodTypeProvider>(), api));
  accountRoutes(app, api);
  suppressionRoutes(app, api);
  await app.register(async (scope) => suppressionImportRoutes(scope.withTypeProvider<ZodTypeProvider>(), api));
  await app.register(async (scope) => callbackRoutes(scope.withTypeProvider<ZodTypeProvider>(), api));
  // The operator console (/ui/): static files of apps/console, in their own scope.
  await app.register(async (scope) => consoleRoutes(scope.withTypeProvider<ZodTypeProvider>(), options.consoleDir ?? defaultConsoleDir()));
  return app;
}
