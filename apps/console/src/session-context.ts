import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { request, type Me, type RequestOptions, type Scope } from './api.js';

export interface Session {
  token: string;
  me: Me;
  /** Whether the token has this scope: what it does not allow is not offered. */
  can(scope: Scope): boolean;
  /** The accounts the token may use ("*" = every account). */
  allAccounts: boolean;
  call<T>(path: string, options?: RequestOptions): Promise<T>;
}

export function makeSession(token: string, me: Me): Session {
  const scopes = new Set(me.scopes);
  return {
    token,
    me,
    can: (scope) => scopes.has(scope),
    allAccounts: me.accounts.includes('*'),
    call: (path, options) => request(token, path, options),
  };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

/**
 * The accounts a page offers: the known ones (GET /v1/accounts, which needs `read`) and those the
 * token names (a send-only token reads no list, but may send for its accounts).
 */
export function accountChoices(s: Session, known: readonly { account: string }[] | undefined): string[] {
  return [...new Set([...(known ?? []).map((a) => a.account), ...(s.allAccounts ? [] : s.me.accounts)])].sort();
}
