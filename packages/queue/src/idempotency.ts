import { createHash, randomBytes } from 'node:crypto';
import type { QueueContext } from './context.js';
import { idempotencyKey } from './keys.js';

/**
 * Answers kept per (caller, Idempotency-Key), so a retried request gets the first answer instead of
 * doing the work twice. A key is first claimed (SET NX with a short lock), then holds the answer for
 * `ttlSeconds`. A concurrent duplicate finds the claim and waits for the answer; a request that
 * reuses a key with a different body is refused.
 */
export interface IdempotencyStoreOptions {
  /** How long an answer is kept (default 24 h). */
  ttlSeconds?: number;
  /** How long a claim lasts if its owner dies before answering (default 30 s). */
  lockMs?: number;
}

export type IdempotencyBegin =
  | { kind: 'owner'; token: string }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

interface Stored {
  /** Request fingerprint. */
  h: string;
  /** Claim token while in progress; absent once answered. */
  o?: string;
  s?: number;
  b?: unknown;
}

/** KEYS[1]; ARGV: value, ttl ms, claim token. Replaces the value only while our claim holds it. */
const FINISH = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).o ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** KEYS[1]; ARGV: claim token. Drops our claim (the work failed: a retry may run it again). */
const ABANDON = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).o == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

export const fingerprint = (value: string) => createHash('sha256').update(value).digest('hex');

export function createIdempotencyStore(ctx: QueueContext, options: IdempotencyStoreOptions = {}) {
  const { redis, base } = ctx;
  const ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
  const lockMs = options.lockMs ?? 30_000;
  const keyOf = (scope: string, key: string) => idempotencyKey(base, fingerprint(`${scope}\n${key}`));

  /** `scope` = the caller's identity (never the raw token); `requestHash` = fingerprint of the request. */
  async function begin(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const k = keyOf(scope, key);
    for (;;) {
      const token = randomBytes(9).toString('base64url');
      const claimed = await redis.set(k, JSON.stringify({ h: requestHash, o: token } satisfies Stored), 'PX', lockMs, 'NX');
      if (claimed === 'OK') return { kind: 'owner', token };
      const raw = await redis.get(k);
      if (raw === null) continue; // expired in between: claim again
      const stored = JSON.parse(raw) as Stored;
      if (stored.h !== requestHash) return { kind: 'mismatch' };
      if (stored.o !== undefined || stored.s === undefined) return { kind: 'in-progress' };
      return { kind: 'replay', statusCode: stored.s, body: stored.b };
    }
  }

  return {
    begin,

    /** Keeps the answer for the TTL (only while `token`'s claim is the one held). */
    async finish(scope: string, key: string, requestHash: string, token: string, statusCode: number, body: unknown): Promise<void> {
      await redis.eval(FINISH, 1, keyOf(scope, key), JSON.stringify({ h: requestHash, s: statusCode, b: body } satisfies Stored), String(ttlMs), token);
    },

    async abandon(scope: string, key: string, token: string): Promise<void> {
      await redis.eval(ABANDON, 1, keyOf(scope, key), token);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
