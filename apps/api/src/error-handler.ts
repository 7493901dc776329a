import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ArchiveUnavailableError, CampaignConflictError, classifyRedisError, describeRedisFailure, InvalidIdError, REDIS_RETRY_AFTER_SECONDS, UnknownAccountError, ValidationError } from '@wabulk/queue';

/** Every error answer: `{ error, message?, issues?: [{ field, message }] }`. Never a stack trace. */
export interface ApiErrorBody {
  error: string;
  message?: string;
  issues?: Array<{ field: string; message: string; line?: number }>;
}

/** Retry-After of a 503 because the campaign archive (PostgreSQL) cannot answer. */
export const ARCHIVE_RETRY_AFTER_SECONDS = 30;

/** An error a route raises on purpose, with its status code and body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message ?? body.error);
  }
}

export const invalid = (field: string, message: string) => new ApiError(400, { error: 'invalid request', issues: [{ field, message }] });

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported media type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid request'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid request'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid request'],
};

/** Where a zod issue of the request lies: body fields by name, headers and query parameters by name too. */
function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (path !== '') return path;
  return context === 'body' ? '(body)' : context === 'querystring' ? '(query)' : `(${context ?? 'request'})`;
}

/** A 503 because of Redis: the client retries after this many seconds (`Retry-After`). */
export interface ErrorAnswer {
  statusCode: number;
  body: ApiErrorBody;
  retryAfter?: number;
}

export function toErrorAnswer(err: FastifyError | Error): ErrorAnswer {
  if (err instanceof ApiError) return { statusCode: err.statusCode, body: err.body };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as FastifyError).validationContext;
    const issues = err.validation.flatMap((v) => {
      // A whole body that is "one of" several shapes (a callback or an array of them): report the first shape's issues.
      const options = (v.params as { errors?: Array<Array<{ path: PropertyKey[]; message: string }>> }).errors;
      if (v.keyword === 'invalid_union' && v.instancePath === '/' && options?.[0]?.length) {
        return options[0].map((i) => ({ field: fieldOf(context, `/${i.path.map(String).join('/')}`), message: i.message }));
      }
      return [{ field: fieldOf(context, v.instancePath), message: v.message ?? 'invalid' }];
    });
    return { statusCode: 400, body: { error: 'invalid request', issues } };
  }
  if (err instanceof ValidationError) return { statusCode: 400, body: { error: 'invalid request', issues: err.issues } };
  if (err instanceof InvalidIdError) return { statusCode: 400, body: { error: 'invalid request', issues: [{ field: err.field, message: err.reason }] } };
  if (err instanceof UnknownAccountError) {
    return { statusCode: 422, body: { error: 'unknown account', message: err.message, issues: [{ field: err.field, message: `no worker serves ${err.account} and no operator registered it; known: ${err.known.join(', ') || '(none)'}` }] } };
  }
  if (err instanceof CampaignConflictError) return { statusCode: 409, body: { error: 'campaign conflict', message: err.reason } };
  // An archived campaign while PostgreSQL is down (or not configured here): the rest of the API is unaffected.
  if (err instanceof ArchiveUnavailableError) return { statusCode: 503, retryAfter: ARCHIVE_RETRY_AFTER_SECONDS, body: { error: 'archive unavailable', message: err.message } };
  const code = (err as FastifyError).code;
  const known = code === undefined ? undefined : FASTIFY_CODES[code];
  if (known && known[0] === 415) return { statusCode: 415, body: { error: known[1], message: 'this Content-Type is not accepted here: send application/json (see /openapi.json)' } };
  if (known) return { statusCode: known[0], body: { error: known[1], message: err.message } };
  // OOM, LOADING, READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, BUSY, MISCONF and a lost connection (redis-errors.ts):
  // nothing the client did wrong, and nothing wrong with the API either: 503 with Retry-After on every route.
  const redis = classifyRedisError(err);
  if (redis !== 'other') {
    const what = describeRedisFailure(err) ?? 'refuses commands for now';
    return { statusCode: 503, retryAfter: REDIS_RETRY_AFTER_SECONDS, body: { error: 'service unavailable', message: `the queue store (Redis) ${what}; retry in ${REDIS_RETRY_AFTER_SECONDS} s or later` } };
  }
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return { statusCode: status, body: { error: 'invalid request', message: err.message } };
  return { statusCode: 500, body: { error: 'internal error' } };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { statusCode, body, retryAfter } = toErrorAnswer(err);
    if (statusCode >= 500) request.log.error({ err: { name: err.name, message: err.message, stack: err.stack }, route: request.routeOptions.url }, 'request failed');
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.code(statusCode).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiErrorBody);
  });
}
