import pg from 'pg';
import { ArchiveUnavailableError } from '@wabulk/queue';

/**
 * The connection to the archive: one pg.Pool per process. Why `pg` (node-postgres): the most used
 * PostgreSQL driver for Node, with a pool, plain parameterised queries and, through pg-copy-streams
 * (same maintainers' ecosystem), COPY FROM STDIN as a writable stream with back-pressure — the
 * archiver's bulk path. `postgres` (porsager) has COPY too, but tagged-template SQL and its own
 * pool semantics buy nothing here.
 */
export interface ArchiveConnectionOptions {
  /** postgres://user:password@host:port/database (WABULK_ARCHIVE_URL). */
  url: string;
  /** Connections at most (default 4: the archiver uses one, reads the rest). */
  max?: number;
  /** How long to wait for a connection before the archive counts as unavailable (default 3 s). */
  connectTimeoutMs?: number;
}

/** The URL without its password (for logs and error messages): postgres://user@host:port/db. */
export function describeArchiveUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(an invalid PostgreSQL URL)';
  }
}

export function createArchivePool(options: ArchiveConnectionOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: 'wabulk',
    // A read or a callback never waits on PostgreSQL for long (the archiver's bulk move lifts it: SET LOCAL).
    statement_timeout: 30_000,
  });
  // An idle connection that PostgreSQL drops (restart, failover) must not crash the process: the
  // next query gets a fresh connection or an error that becomes ArchiveUnavailableError.
  pool.on('error', () => {});
  return pool;
}

// Connection-level failures: the server is not there, refuses, is shutting down, or the pool timed out;
// and the server out of resources (class 53: disk full, out of memory, too many connections), which no
// campaign of ours causes: the pass waits for PostgreSQL instead of backing off each campaign.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53000', '53100', '53200', '53300', '3D000', '28P01', '28000']);

/** True when the error says PostgreSQL cannot be reached (as opposed to a query it refused). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ArchiveUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|server closed the connection/i.test(err.message);
}

/** Rethrows a connection failure as ArchiveUnavailableError (503), naming the server but never the password. */
export function unavailable(err: unknown, where: string): never {
  if (err instanceof ArchiveUnavailableError) throw err;
  if (isUnavailable(err)) {
    const e = err as Error & { code?: string };
    const detail = e.message && e.message !== e.code ? e.message : (e.code ?? 'unreachable');
    throw new ArchiveUnavailableError(`the campaign archive (PostgreSQL at ${where}) is unavailable: ${detail.split('\n')[0]}`);
  }
  throw err;
}
