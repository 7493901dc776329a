import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Compares against every candidate (no early exit) on fixed-length hashes, so timing tells nothing. */
function matchIndex(presented: string, hashes: readonly Buffer[]): number {
  const h = sha256(presented);
  let found = -1;
  for (let i = 0; i < hashes.length; i++) if (timingSafeEqual(h, hashes[i]!)) found = i;
  return found;
}

/**
 * Bearer tokens (WABULK_API_TOKENS). Returns the caller's token id — `tok_` + 12 hex of the token's
 * hash, safe to log and to scope Idempotency-Keys with — or undefined.
 */
export function createBearerAuth(tokens: readonly string[]) {
  const hashes = tokens.map(sha256);
  const ids = hashes.map((h) => `tok_${h.toString('hex').slice(0, 12)}`);
  return (authorization: string | undefined): string | undefined => {
    if (authorization === undefined) return undefined;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m) return undefined;
    const i = matchIndex(m[1]!, hashes);
    return i >= 0 ? ids[i] : undefined;
  };
}

export interface CallbackAuthSettings {
  /** Shared secret: header X-Wabulk-Callback-Secret, or ?secret= (for profiles that only take a URL). */
  secret?: string;
  /** "user:password" for HTTP basic auth. */
  basic?: string;
}

export type CallbackAuthResult = 'ok' | 'unauthorized' | 'disabled';

/** Kaleyra's callback profile: basic auth or a shared secret, whichever is configured (either passes). */
export function createCallbackAuth(settings: CallbackAuthSettings) {
  const secret = settings.secret === undefined ? [] : [sha256(settings.secret)];
  const basic = settings.basic === undefined ? [] : [sha256(settings.basic)];
  return (req: { authorization?: string; secretHeader?: string; secretQuery?: string }): CallbackAuthResult => {
    if (secret.length === 0 && basic.length === 0) return 'disabled';
    let ok = false;
    if (secret.length > 0) {
      for (const presented of [req.secretHeader, req.secretQuery]) if (presented !== undefined && matchIndex(presented, secret) === 0) ok = true;
    }
    if (basic.length > 0 && req.authorization !== undefined) {
      const m = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(req.authorization);
      if (m && matchIndex(Buffer.from(m[1]!, 'base64').toString('utf8'), basic) === 0) ok = true;
    }
    return ok ? 'ok' : 'unauthorized';
  };
}
