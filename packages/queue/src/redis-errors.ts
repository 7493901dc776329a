import { ReplyError } from 'ioredis';
// ioredis exports no other error class from its entry point; this one it keeps in built/errors.
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';

/**
 * What a failed Redis command means to its caller:
 * - `unavailable`: no Redis could run it: the connection is closed or refused, the retries are used
 *   up, the offline queue is off, the cluster is down or cannot route the key. Retry once Redis is back.
 * - `refused`: Redis answered but takes no such command now: out of memory (OOM), loading its data
 *   (LOADING), a replica (READONLY), its primary is gone (MASTERDOWN), a slot is moving (TRYAGAIN),
 *   a script is running (BUSY), snapshots fail (MISCONF). Retry later.
 * - `other`: anything else (a script's own error, a wrong type, NOSCRIPT — ioredis answers that one
 *   itself by sending the script again — or an error that is not Redis's).
 */
export type RedisErrorKind = 'unavailable' | 'refused' | 'other';

/** The first word of a Redis error reply ("OOM command not allowed …"; Redis 7 keeps it for errors raised inside scripts). */
const UNAVAILABLE_REPLIES = new Set(['CLUSTERDOWN']);
const REFUSED_REPLIES = new Set(['OOM', 'LOADING', 'READONLY', 'MASTERDOWN', 'TRYAGAIN', 'BUSY', 'MISCONF']);

/** Socket failures (Node's `code`) of a connection attempt. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** ioredis's error for a command past its deadline (`commandTimeout`, WABULK_REDIS_COMMAND_TIMEOUT_MS). */
const COMMAND_TIMED_OUT = 'Command timed out';

/** True for a command that passed its deadline: it may still be applied when Redis gets it (the outcome is unknown). */
export function isRedisDeadline(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message === COMMAND_TIMED_OUT || (e as { code?: unknown }).code === 'REDIS_DEADLINE') return true;
  }
  return false;
}

/**
 * ioredis raises these as plain `Error`s: their text is all there is. The cluster ones start the
 * message; "Too many Cluster redirections. Last error: …" is how a CLUSTERDOWN reply reaches a caller.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
  'Cluster is disconnected.',
  'None of startup nodes is available',
  'Failed to refresh slots cache',
  'Too many Cluster redirections',
  COMMAND_TIMED_OUT,
];

/** The one place that reads Redis's and ioredis's error text; callers decide on the kind. */
export function classifyRedisError(err: unknown): RedisErrorKind {
  if (!(err instanceof Error)) return 'other';
  const own = classifyOwn(err);
  // An error that wraps Redis's (a stream's or BullMQ's `cause`) means what the wrapped one means.
  if (own === 'other' && err.cause instanceof Error && err.cause !== err) return classifyRedisError(err.cause);
  return own;
}

function classifyOwn(err: Error): RedisErrorKind {
  // BullMQ's ConnectionClosedError by its name: this module is on the light read path (read.ts), which never loads bullmq.
  if (err instanceof MaxRetriesPerRequestError || err.name === 'ConnectionClosedError') return 'unavailable';
  if (err instanceof ReplyError) {
    const prefix = err.message.split(' ', 1)[0]!;
    if (UNAVAILABLE_REPLIES.has(prefix)) return 'unavailable';
    return REFUSED_REPLIES.has(prefix) ? 'refused' : 'other';
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return 'unavailable';
  return UNAVAILABLE_MESSAGES.some((m) => err.message.startsWith(m)) ? 'unavailable' : 'other';
}

/** Operator's words for the Redis reply codes that mean "not now". */
const REPLY_WORDS: Record<string, string> = {
  OOM: 'is out of memory (maxmemory reached, noeviction)',
  LOADING: 'is loading its data after a restart',
  READONLY: 'is a read-only replica (a failover is under way or REDIS_URL points at a replica)',
  MASTERDOWN: 'lost the link to its primary',
  CLUSTERDOWN: 'is a cluster that is down (a slot has no reachable primary)',
  TRYAGAIN: 'is a cluster moving a slot',
  BUSY: 'is busy running a script',
  MISCONF: 'cannot write its snapshot (MISCONF)',
};

/** The Redis reply code inside `err` (or its cause), e.g. 'OOM'; undefined when it is no reply or an unknown one. */
export function redisReplyCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const m = /^(?:Too many Cluster redirections\. Last error: (?:ReplyError: )?)?([A-Z]+)\b/.exec(e.message);
    if (m && REPLY_WORDS[m[1]!] !== undefined) return m[1];
  }
  return undefined;
}

/**
 * What a Redis failure means, in an operator's words ("is out of memory (…)"), for the API's 503
 * message and the CLI's; undefined when it is not a Redis failure (`classifyRedisError` says 'other').
 */
export function describeRedisFailure(err: unknown): string | undefined {
  const kind = classifyRedisError(err);
  if (kind === 'other') return undefined;
  const code = redisReplyCode(err);
  if (code !== undefined) return REPLY_WORDS[code];
  if (isRedisDeadline(err)) return 'did not answer in time (WABULK_REDIS_COMMAND_TIMEOUT_MS; the connection is open but nothing comes back: a network partition or an overloaded Redis)';
  return kind === 'unavailable' ? 'is not reachable (connection refused, lost or timed out)' : 'refuses commands for now';
}

/** WABULK_REDIS_COMMAND_TIMEOUT_MS's default: the deadline of a producer's Redis command (redis.ts). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;

/** Seconds a client should wait before retrying after a Redis failure (the API's Retry-After). */
export const REDIS_RETRY_AFTER_SECONDS = 5;

/**
 * A Redis command of the producer passed its deadline (WABULK_REDIS_COMMAND_TIMEOUT_MS, the
 * connection's `commandTimeout`): Redis kept the connection open and did not answer in time (a
 * network partition, an overloaded Redis). What the call was doing may still be applied once the
 * bytes get through: retry it (an import re-run adds nothing twice; a message with the same
 * Idempotency-Key through the API neither). `cause` is ioredis's error.
 */
export class RedisDeadlineError extends Error {
  override readonly name = 'RedisDeadlineError';
  readonly code = 'REDIS_DEADLINE';
  constructor(options: { cause: unknown }) {
    super('Redis did not answer in time (WABULK_REDIS_COMMAND_TIMEOUT_MS): the outcome is unknown; retry once Redis answers', options);
  }
}

/** The producer's calls reject with a RedisDeadlineError when a Redis command passed its deadline; other errors as they are. */
export async function withDeadlineError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isRedisDeadline(err) && !(err instanceof RedisDeadlineError)) throw new RedisDeadlineError({ cause: err });
    throw err;
  }
}
