import { createHash, randomBytes } from 'node:crypto';
import type { QueueContext } from './context.js';
import { idempotencyKey, idempotencyKeysKey } from './keys.js';

/**
 * Answers kept per (caller, Idempotency-Key), so a retried request gets the first answer instead of
 * doing the work twice. A key is first claimed (a short lock), then holds the answer for
 * `ttlSeconds`. A concurrent duplicate finds the claim and waits for the answer; a request that
 * reuses a key with a different body is refused.
 *
 * Bounded storage: an answer is kept compactly (its counts and the first KEPT_REJECTED rejections,
 * with `rejectedTotal` and `rejectedTruncated: true` when cut), and a caller holds at most `maxKeys`
 * live keys (a sorted set per caller, key → expiry): a new key beyond that is refused until one expires.
 */
export interface IdempotencyStoreOptions {
  /** How long an answer is kept (default 24 h). */
  ttlSeconds?: number;
  /** How long a claim lasts if its owner dies before answering (default 30 s). */
  lockMs?: number;
  /** Live keys one caller may hold (default 100,000; WABULK_IDEMPOTENCY_MAX_KEYS). */
  maxKeys?: number;
}

export type IdempotencyBegin =
  | { kind: 'owner'; token: string }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' }
  /** The caller holds `maxKeys` live keys: a new one is refused; the oldest expires in `retryAfterSeconds`. */
  | { kind: 'full'; maxKeys: number; retryAfterSeconds: number };

/** Rejections an answer keeps when stored (the counts are all kept). */
export const KEPT_REJECTED = 100;
export const DEFAULT_IDEMPOTENCY_MAX_KEYS = 100_000;

interface Stored {
  /** Request fingerprint. */
  h: string;
  /** Claim token while in progress; absent once answered. */
  o?: string;
  s?: number;
  b?: unknown;
}

/**
 * KEYS[1] the answer, KEYS[2] the caller's live keys; ARGV: claim value, lock ms, now ms, max keys,
 * member, ttl ms. Returns {1} claimed, {2, stored value} taken, {0, oldest expiry ms} the caller is full.
 */
const CLAIM = `
local raw = redis.call('GET', KEYS[1])
if raw then return {2, raw} end
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not redis.call('ZSCORE', KEYS[2], ARGV[5]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, oldest[2] or tostring(now)}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[5])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return {1}
`;

/** KEYS[1]; ARGV: value, ttl ms, claim token. Replaces the value only while our claim holds it. */
const FINISH = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).o ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** KEYS[1] the answer, KEYS[2] the caller's live keys; ARGV: claim token, member. Drops our claim (the work failed: a retry may run it again). */
const ABANDON = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).o == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 1
`;

export const fingerprint = (value: string) => createHash('sha256').update(value).digest('hex');
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * An answer as stored: the same object with `rejected` cut to its first KEPT_REJECTED entries, and then
 * `rejectedTotal` (kept if the answer has one) and `rejectedTruncated: true`. Anything else as it is.
 */
export function compactAnswer(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as { rejected?: unknown; rejectedTotal?: unknown };
  if (!Array.isArray(b.rejected) || b.rejected.length <= KEPT_REJECTED) return body;
  return { ...b, rejected: b.rejected.slice(0, KEPT_REJECTED), rejectedTotal: typeof b.rejectedTotal === 'number' ? b.rejectedTotal : b.rejected.length, rejectedTruncated: true };
}

export function createIdempotencyStore(ctx: QueueContext, options: IdempotencyStoreOptions = {}) {
  const { redis, base } = ctx;
  const ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
  const lockMs = options.lockMs ?? 30_000;
  const maxKeys = options.maxKeys ?? DEFAULT_IDEMPOTENCY_MAX_KEYS;
  const keysOf = (scope: string, key: string) => {
    const caller = digest(scope);
    const member = digest(`${scope}\n${key}`);
    return { answer: idempotencyKey(base, caller, member), live: idempotencyKeysKey(base, caller), member };
  };

  /** `scope` = the caller's identity (never the raw token); `requestHash` = fingerprint of the request. */
  async function begin(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const k = keysOf(scope, key);
    const token = randomBytes(9).toString('base64url');
    const now = Date.now();
    const [code, value] = (await redis.eval(CLAIM, 2, k.answer, k.live, JSON.stringify({ h: requestHash, o: token } satisfies Stored), String(lockMs), String(now), String(maxKeys), k.member, String(ttlMs))) as [number, string?];
    if (code === 1) return { kind: 'owner', token };
    if (code === 0) return { kind: 'full', maxKeys, retryAfterSeconds: Math.max(1, Math.ceil((Number(value) - now) / 1000)) };
    const stored = JSON.parse(value!) as Stored;
    if (stored.h !== requestHash) return { kind: 'mismatch' };
    if (stored.o !== undefined || stored.s === undefined) return { kind: 'in-progress' };
    return { kind: 'replay', statusCode: stored.s, body: stored.b };
  }

  return {
    begin,
    maxKeys,

    /** Keeps the answer (compactAnswer) for the TTL (only while `token`'s claim is the one held). */
    async finish(scope: string, key: string, requestHash: string, token: string, statusCode: number, body: unknown): Promise<void> {
      await redis.eval(FINISH, 1, keysOf(scope, key).answer, JSON.stringify({ h: requestHash, s: statusCode, b: compactAnswer(body) } satisfies Stored), String(ttlMs), token);
    },

    async abandon(scope: string, key: string, token: string): Promise<void> {
      const k = keysOf(scope, key);
      await redis.eval(ABANDON, 2, k.answer, k.live, token, k.member);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
