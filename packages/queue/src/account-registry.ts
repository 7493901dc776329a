import type { QueueContext } from './context.js';
import { assertAccountId, indexKeys } from './keys.js';

/** Who made an account known: a worker serving it started, or an operator registered it ahead of its workers. */
export type RegistrationSource = 'worker' | 'operator';

export interface AccountRegistration {
  account: string;
  source: RegistrationSource;
  /** When it was registered (ms); for 'worker', the last time a worker serving it started. */
  at: number;
  /** The send rate the last worker serving it started with (a dry run's estimate uses it). */
  ratePerSecond?: number;
}

/**
 * An account nothing serves: no worker for it has started, no operator registered it, and the
 * intake process is not configured for it. Callers match on the class (or `name`), never on the text.
 */
export class UnknownAccountError extends Error {
  override readonly name = 'UnknownAccountError';
  readonly field = 'account';
  constructor(
    readonly account: string,
    readonly known: readonly string[],
  ) {
    super(
      `account: no worker serves account ${JSON.stringify(account)} and no operator registered it; ` +
        `known accounts: ${known.length > 0 ? known.join(', ') : '(none)'}. ` +
        'Start a worker for it or register it with `wabulk accounts add ID`.',
    );
  }
}

/**
 * Records the accounts in the registry. A worker's start overwrites the entry (the time says when a
 * worker last started); an operator's registration never replaces a worker's.
 */
export async function registerAccounts(ctx: QueueContext, accounts: readonly string[], source: RegistrationSource, now = Date.now(), rates: Readonly<Record<string, number>> = {}): Promise<void> {
  if (accounts.length === 0) return;
  const key = indexKeys(ctx.base).accounts;
  const pipeline = ctx.redis.pipeline();
  for (const account of accounts) {
    assertAccountId(account);
    const entry: Omit<AccountRegistration, 'account'> = { source, at: now };
    if (rates[account] !== undefined) entry.ratePerSecond = rates[account];
    const value = JSON.stringify(entry);
    if (source === 'worker') pipeline.hset(key, account, value);
    else pipeline.hsetnx(key, account, value);
  }
  // A pipeline answers each command's error in its results instead of failing: a full Redis (OOM) would otherwise pass for done.
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}

/** Every registered account with who registered it, sorted by id. */
export async function listRegisteredAccounts(ctx: QueueContext): Promise<AccountRegistration[]> {
  const all = await ctx.redis.hgetall(indexKeys(ctx.base).accounts);
  return Object.entries(all)
    .map(([account, raw]) => ({ account, ...parseRegistration(raw) }))
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
}

function parseRegistration(raw: string): Omit<AccountRegistration, 'account'> {
  try {
    const v = JSON.parse(raw) as Partial<AccountRegistration>;
    const r: Omit<AccountRegistration, 'account'> = { source: v.source === 'worker' ? 'worker' : 'operator', at: typeof v.at === 'number' ? v.at : 0 };
    if (typeof v.ratePerSecond === 'number' && v.ratePerSecond > 0) r.ratePerSecond = v.ratePerSecond;
    return r;
  } catch {
    return { source: 'operator', at: 0 };
  }
}

/** How long a positive answer is kept in memory: accounts are never unregistered, so this only bounds a stale cache. */
const KNOWN_TTL_MS = 30_000;

/**
 * The intake's check that an account is known: configured ones need no Redis; a registered one is
 * read once (HEXISTS) and then kept for KNOWN_TTL_MS, so the hot path (POST /v1/messages) costs no
 * Redis command per message. An unknown answer is never cached: a worker may start a moment later.
 */
export class KnownAccounts {
  readonly #configured: ReadonlySet<string>;
  readonly #seen = new Map<string, number>();

  constructor(
    readonly ctx: QueueContext,
    configured: readonly string[] = [],
    readonly ttlMs = KNOWN_TTL_MS,
  ) {
    this.#configured = new Set(configured);
  }

  get configured(): string[] {
    return [...this.#configured].sort();
  }

  async isKnown(account: string, now = Date.now()): Promise<boolean> {
    if (this.#configured.has(account)) return true;
    const until = this.#seen.get(account);
    if (until !== undefined && until > now) return true;
    const known = (await this.ctx.redis.hexists(indexKeys(this.ctx.base).accounts, account)) === 1;
    if (known) this.#seen.set(account, now + this.ttlMs);
    return known;
  }

  /** Throws UnknownAccountError (naming every known account) unless the account is known. */
  async assertKnown(account: string): Promise<void> {
    if (await this.isKnown(account)) return;
    const registered = (await listRegisteredAccounts(this.ctx)).map((r) => r.account);
    throw new UnknownAccountError(account, [...new Set([...this.#configured, ...registered])].sort());
  }
}

/** The rate the last worker serving `account` started with, if one did. */
export async function registeredRate(ctx: QueueContext, account: string): Promise<number | undefined> {
  const raw = await ctx.redis.hget(indexKeys(ctx.base).accounts, account);
  return raw === null ? undefined : parseRegistration(raw).ratePerSecond;
}

/** Meta's default per business number (WABULK_RATE_PER_SECOND's default). */
export const DEFAULT_RATE_PER_SECOND = 80;

export interface SendingEstimate {
  ratePerSecond: number;
  /** Where the rate comes from: the worker serving the account, this process's settings, or the default. */
  rateSource: 'worker' | 'configured' | 'default';
  /** Seconds to send `recipients` at that rate (time outside sending windows not counted). */
  seconds: number;
}

/** How long `recipients` take at the account's rate: the last worker's, else `configuredRate`, else 80/s. */
export async function estimateSending(ctx: QueueContext, account: string, recipients: number, configuredRate?: number): Promise<SendingEstimate> {
  const registered = await registeredRate(ctx, account);
  const [ratePerSecond, rateSource]: [number, SendingEstimate['rateSource']] =
    registered !== undefined ? [registered, 'worker'] : configuredRate !== undefined && configuredRate > 0 ? [configuredRate, 'configured'] : [DEFAULT_RATE_PER_SECOND, 'default'];
  return { ratePerSecond, rateSource, seconds: Math.ceil(recipients / ratePerSecond) };
}
