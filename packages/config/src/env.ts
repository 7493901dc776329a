import { e164Schema, KALEYRA_POD_NAMES } from '@wabulk/kaleyra';
import { z } from 'zod';
import { accountIdSchema, keyPrefixSchema } from './ids.js';
import { parseDuration } from './duration.js';
import { CLUSTER_NODES_RULE, parseClusterNodes, splitClusterNodes } from './redis-nodes.js';

export { parseDuration } from './duration.js';

/** Every setting an app reads, with its rule. Parsed once in each app's main (libraries never read process.env). */
const podSchema = z.enum(KALEYRA_POD_NAMES, { error: `must be one of ${KALEYRA_POD_NAMES.join(', ')}` });

const durationList = z
  .string()
  .trim()
  .regex(/^\d+(\s*,\s*\d+)*$/, 'must be a comma-separated list of milliseconds, e.g. 300000,600000,900000')
  .transform((s) => s.split(',').map((p) => Number(p.trim())));

export const accountSchema = z
  .object({
    id: accountIdSchema,
    sid: z.string().min(1, 'is required'),
    apiKey: z.string().min(1, 'is required'),
    sender: e164Schema(),
    pod: podSchema.optional(),
    baseUrl: z.url({ message: 'must be a URL such as http://127.0.0.1:8089' }).optional(),
    ratePerSecond: z.coerce.number().positive().optional(),
  })
  .refine((a) => a.pod !== undefined || a.baseUrl !== undefined, {
    message: `set pod (${KALEYRA_POD_NAMES.join('|')}) or baseUrl`,
    path: ['pod'],
  });
export type AccountConfig = z.infer<typeof accountSchema>;

/** host:port, [v6]:port, or redis[s]://[[user]:password@]host:port (credentials and TLS apply to every node). */
const clusterNodes = z
  .string()
  .transform(splitClusterNodes)
  .refine((list) => {
    try {
      parseClusterNodes(list);
      return true;
    } catch {
      return false;
    }
  }, CLUSTER_NODES_RULE);

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, c) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        c.addIssue({ code: 'custom', message: 'must be a duration such as 0, 90s, 30m, 1h or 7d (a bare number is seconds)' });
        return z.NEVER;
      }
      return ms;
    });

export const baseEnvSchema = z.object({
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Redis Cluster: some of its primaries (the client discovers the rest). When set, REDIS_URL is not used. */
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The deadline of every Redis command on an intake path (API, CLI, producer), ms: past it the API
   * answers 503 with Retry-After, the CLI exits 1. Workers wait for Redis instead (their /readyz says so).
   */
  WABULK_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  /** Prefix of every Redis key (several installations, or tests, can share one Redis). */
  WABULK_KEY_PREFIX: keyPrefixSchema.default('wabulk'),
  WABULK_ACCOUNT: accountIdSchema.default('default'),
  WABULK_DEFAULT_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 country code such as IN')
    .optional(),
  /** How long a finished single message (sent without a campaign id) is kept: status, export, callbacks. */
  WABULK_MESSAGE_TTL_S: z.coerce.number().int().min(60).max(366 * 86_400).default(2 * 86_400),
  /**
   * The campaign archive: postgres://user:password@host:port/database. Unset: no archive (campaigns stay
   * in Redis). The rule's message never repeats the value (it holds a password).
   */
  WABULK_ARCHIVE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL such as postgres://wabulk:…@127.0.0.1:5432/wabulk')
    .optional(),
  /** How long after it finished a campaign moves to the archive, in milliseconds (from "1h", "30m", "0" = at once). */
  WABULK_ARCHIVE_AFTER: duration('1h'),
  /**
   * How long after its last intake a campaign with nothing pending counts as finished at the
   * earliest, ms (an import between two chunks has nothing pending): archiving waits that long.
   */
  WABULK_ARCHIVE_QUIET_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
});

export const workerEnvSchema = baseEnvSchema.extend({
  KALEYRA_POD: podSchema.optional(),
  KALEYRA_BASE_URL: z.url({ message: 'must be a URL such as http://127.0.0.1:8089' }).optional(),
  KALEYRA_SID: z.string().optional(),
  KALEYRA_API_KEY: z.string().optional(),
  KALEYRA_SENDER: z.string().optional(),
  WABULK_ACCOUNTS_FILE: z.string().optional(),
  /** Connecting to Kaleyra (TCP + TLS): past it the send is retried (nothing was sent). */
  KALEYRA_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Kaleyra's response headers once the request is written: past it the send is ambiguous (retried, counted as a possible duplicate). */
  KALEYRA_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Longest gap between chunks of Kaleyra's response body (ambiguous past it). */
  KALEYRA_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  WABULK_RATE_PER_SECOND: z.coerce.number().positive().max(100_000).default(80),
  WABULK_RETRY_DELAYS_MS: durationList.default([300_000, 600_000, 900_000]),
  /**
   * Attempts a job gets for errors that are not Kaleyra answers (Redis refusing a command, a corrupt
   * campaign, a bug), counted apart from WABULK_RETRY_DELAYS_MS; then it fails WORKER_ERROR.
   */
  WABULK_WORKER_ERROR_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** Delay before the first retry after such an error; it doubles each time, up to 30 s. */
  WABULK_WORKER_ERROR_DELAY_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
  /** Longest a 429's Retry-After may hold an account's queue; a longer one is capped, logged and counted. */
  WABULK_MAX_THROTTLE_HOLD_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * The breaker: this many sends in a row (across every worker) ending failed with the same code
   * Kaleyra's page does not list (a 400 with a new code, a 404 from a wrong base URL) pause the
   * account, reason `BREAKER:<code>`. 0 turns it off.
   */
  WABULK_BREAKER_THRESHOLD: z.coerce.number().int().min(0).max(100_000).default(20),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** How long a worker's lock on a job lasts; a crashed worker's jobs are re-run after it expires. */
  WABULK_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often workers look for jobs whose worker died (stalled jobs). */
  WABULK_STALLED_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  WABULK_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** How often the archiver looks for campaigns due for the archive (ms). */
  WABULK_ARCHIVE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

const tokenList = z
  .string({ message: 'must list at least one bearer token (comma-separated)' })
  .transform((s) => s.split(',').map((t) => t.trim()).filter((t) => t !== ''))
  .refine((list) => list.length > 0, 'must list at least one bearer token (comma-separated)')
  .refine((list) => list.every((t) => t.length >= 16 && /^[\x21-\x7e]+$/.test(t)), 'each token must be at least 16 printable characters without spaces')
  .refine((list) => new Set(list).size === list.length, 'lists a token twice');

const bytes = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/** `wabulk api`: the HTTP API (apps/api). */
export const apiEnvSchema = baseEnvSchema.extend({
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  API_HOST: z.string().default('0.0.0.0'),
  /** Full-access bearer tokens (every scope, every account). This or WABULK_API_TOKENS_FILE is required (see loadApiTokens). */
  WABULK_API_TOKENS: tokenList.optional(),
  /** A JSON file of named tokens with accounts and scopes (loadApiTokensFile); re-read on SIGHUP. */
  WABULK_API_TOKENS_FILE: z.string().optional(),
  /** Largest JSON body (POST /v1/messages and the rest); larger is 413. */
  API_BODY_LIMIT_BYTES: bytes(1024 * 1024).refine((n) => n >= 1024, 'must be at least 1024'),
  /** Largest campaign upload (streamed, never buffered); 0 = no limit. */
  API_UPLOAD_LIMIT_BYTES: bytes(1024 * 1024 * 1024),
  /**
   * Delivery callbacks: a shared secret (header X-Wabulk-Callback-Secret, preferred; or ?secret=, weaker: URLs end up in
   * logs and proxies), and/or basic auth "user:password" (password at least 16 characters).
   */
  WABULK_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WABULK_CALLBACK_BASIC_AUTH: z.string().regex(/^[^:]+:.{16,}$/, 'must be user:password (password at least 16 characters)').optional(),
  /** How long a callback for an unknown message_id waits for its send to be recorded. */
  WABULK_CALLBACK_PENDING_TTL_S: z.coerce.number().int().min(60).default(86_400),
  /** How long an Idempotency-Key's answer is kept. */
  WABULK_IDEMPOTENCY_TTL_S: z.coerce.number().int().min(60).default(86_400),
  /** Live Idempotency-Keys one API token may hold; a new key beyond that is answered 429 until one expires. */
  WABULK_IDEMPOTENCY_MAX_KEYS: z.coerce.number().int().min(1).default(100_000),
  WABULK_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** A client has this long to send a request's headers (then 408 and the connection is closed). */
  API_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** A connection on which no byte moves either way for this long is closed (a silent client, mid-body or idle). */
  API_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** The whole request, body included, must arrive within this (a client trickling bytes); raise it for uploads slower than ~1.6 MB/s of 1 GiB. */
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /** An idle keep-alive connection is closed after this (above a load balancer's own idle timeout, often 60 s). */
  API_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(72_000),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;
export type BaseEnv = z.infer<typeof baseEnvSchema>;

/** Thrown for a bad setting: the message names every bad variable and its rule, never a value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => `${prefix}${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Empty strings mean "not set", as in shells and compose files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(`invalid configuration: ${formatIssues(result.error)}`);
  return result.data;
}
