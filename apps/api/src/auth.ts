import { createHash, timingSafeEqual } from 'node:crypto';
import { API_SCOPES, type ApiScope, type ApiTokenConfig } from '@wabulk/config';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Compares against every candidate (no early exit) on fixed-length hashes, so timing tells nothing. */
function matchIndex(presented: string, hashes: readonly Buffer[]): number {
  const h = sha256(presented);
  let found = -1;
  for (let i = 0; i < hashes.length; i++) if (timingSafeEqual(h, hashes[i]!)) found = i;
  return found;
}

/** A request's caller: the token that authenticated it and what that token may do. */
export interface Caller {
  /** `tok_` + 12 hex of the token's hash: safe to log, scopes Idempotency-Keys. */
  id: string;
  /** The token file's `name`; for a WABULK_API_TOKENS token its `tok_` id. Logged as `caller`. */
  name: string;
  /** '*': every account. */
  accounts: '*' | ReadonlySet<string>;
  scopes: ReadonlySet<ApiScope>;
}

/** A token as configured: a bare string (WABULK_API_TOKENS: every scope, every account) or a file entry. */
export type ApiTokenInput = string | ApiTokenConfig;

const tokenId = (hash: Buffer) => `tok_${hash.toString('hex').slice(0, 12)}`;

export interface BearerAuth {
  /** The caller an Authorization header names, or undefined. */
  (authorization: string | undefined): Caller | undefined;
  /** Swaps the accepted tokens at once (SIGHUP): requests after it see only the new ones. */
  replace(tokens: readonly ApiTokenInput[]): void;
  /** How many tokens are accepted. */
  readonly size: number;
}

/**
 * Bearer tokens (WABULK_API_TOKENS and WABULK_API_TOKENS_FILE): the presented token's SHA-256 is
 * compared with every configured one in constant time. Only hashes are kept.
 */
export function createBearerAuth(tokens: readonly ApiTokenInput[]): BearerAuth {
  let table: { hashes: Buffer[]; callers: Caller[] } = build(tokens);
  const auth = ((authorization: string | undefined): Caller | undefined => {
    if (authorization === undefined) return undefined;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m) return undefined;
    const { hashes, callers } = table;
    const i = matchIndex(m[1]!, hashes);
    return i >= 0 ? callers[i] : undefined;
  }) as BearerAuth;
  auth.replace = (next) => void (table = build(next));
  Object.defineProperty(auth, 'size', { get: () => table.hashes.length });
  return auth;
}

function build(tokens: readonly ApiTokenInput[]): { hashes: Buffer[]; callers: Caller[] } {
  const hashes: Buffer[] = [];
  const callers: Caller[] = [];
  for (const t of tokens) {
    const hash = sha256(typeof t === 'string' ? t : t.token);
    const id = tokenId(hash);
    hashes.push(hash);
    callers.push(
      typeof t === 'string'
        ? { id, name: id, accounts: '*', scopes: new Set(API_SCOPES) }
        : { id, name: t.name, accounts: t.accounts === '*' ? '*' : new Set(t.accounts), scopes: new Set(t.scopes) },
    );
  }
  return { hashes, callers };
}

/** Whether the caller may act for (or see) the account. */
export const mayUseAccount = (caller: Pick<Caller, 'accounts'>, account: string): boolean => caller.accounts === '*' || caller.accounts.has(account);

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
