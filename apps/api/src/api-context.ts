import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { CampaignArchive, CountryCode, IdempotencyStore, Producer, QueueContext, RedisClient } from '@wabulk/queue';
import type { Logger, Metrics } from '@wabulk/telemetry';
import type { ApiMetrics } from './api-metrics.js';
import type { ApiScope } from '@wabulk/config';
import type { ApiTokenInput, BearerAuth, CallbackAuthSettings, Caller, createCallbackAuth } from './auth.js';

// What buildApi is given and what it hands every route module: types only, so the routes need not
// import build-api.ts (which imports them).

export interface ApiOptions {
  redis: RedisClient;
  /** Key prefix (WABULK_KEY_PREFIX). */
  base?: string;
  /** Bearer tokens: strings (WABULK_API_TOKENS: full access) and WABULK_API_TOKENS_FILE entries. */
  tokens: readonly ApiTokenInput[];
  /** The token table to check against (default: one made from `tokens`); runApi keeps it to replace the tokens on SIGHUP. */
  bearerAuth?: BearerAuth;
  logger: Logger;
  registry: Registry;
  /** The shared metrics on `registry` (default: created on it). */
  metrics?: Metrics;
  defaultAccount?: string;
  /** Accounts this API is configured for (configuredAccountIds): known without a worker or an operator. */
  configuredAccounts?: readonly string[];
  /** WABULK_MESSAGE_TTL_S: how long a finished single message is kept (default 2 days). */
  singleMessageTtlSeconds?: number;
  defaultCountry?: CountryCode;
  /** Single-message POST /v1/messages in three Redis round trips (default true; Producer's fastSingleMessages). */
  fastSingleMessages?: boolean;
  /** Largest JSON body (default 1 MiB). */
  bodyLimit?: number;
  /** HTTP server timeouts in ms (API_*_TIMEOUT_MS; defaults in HTTP_TIMEOUT_DEFAULTS): a slow or silent client cannot hold a connection for ever. */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** Largest campaign upload in bytes; 0 = no limit (default 1 GiB). */
  uploadLimit?: number;
  callbackAuth?: CallbackAuthSettings;
  idempotencyTtlSeconds?: number;
  /** Live Idempotency-Keys one caller may hold (WABULK_IDEMPOTENCY_MAX_KEYS, default 100,000); a new key beyond that is a 429. */
  idempotencyMaxKeys?: number;
  /** How long an Idempotency-Key's claim holds if its request never answers (default 30 s; tests shorten it). */
  idempotencyLockMs?: number;
  pendingCallbackTtlSeconds?: number;
  /** The built operator console (default: apps/console/dist through the @wabulk/console package). */
  consoleDir?: string;
  /** The campaign archive (WABULK_ARCHIVE_URL): reads of archived campaigns and their callbacks go there. The caller closes it. */
  archive?: CampaignArchive;
}

/** What every route module gets. */
export interface ApiContext {
  ctx: QueueContext;
  producer: Producer;
  idempotency: IdempotencyStore;
  metrics: Metrics;
  apiMetrics: ApiMetrics;
  registry: Registry;
  callbackAuth: ReturnType<typeof createCallbackAuth>;
  options: ApiOptions;
}

export type Api = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** How a route is protected: bearer token (default), nothing (health, docs), or the callback profile's credentials. */
export type RouteAuth = 'bearer' | 'none' | 'callback';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /**
     * The scope a bearer route needs (every bearer route declares one: buildApi refuses a route
     * without). 'none': any valid token may call it (GET /v1/me only: who the token is).
     */
    scope?: ApiScope | 'none';
  }
  interface FastifyRequest {
    /** `tok_…` of the bearer token that authenticated the request ('' otherwise). */
    tokenId: string;
    /** The token's name (file entry `name`, else its `tok_` id), accounts and scopes; null on routes without bearer auth. */
    caller: Caller | null;
  }
}

export interface HttpTimeouts {
  /** Until the request's headers have arrived (408). */
  headersMs: number;
  /** No byte either way for this long: the connection is closed (fastify's connectionTimeout). */
  idleMs: number;
  /** Until the whole request, body included, has arrived (408). */
  requestMs: number;
  /** An idle keep-alive connection. */
  keepAliveMs: number;
}

/** The API's HTTP server timeouts unless configured (API_HEADERS_TIMEOUT_MS and the rest, env.ts). */
export const HTTP_TIMEOUT_DEFAULTS: HttpTimeouts = { headersMs: 10_000, idleMs: 30_000, requestMs: 600_000, keepAliveMs: 72_000 };
