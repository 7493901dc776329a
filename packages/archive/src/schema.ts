import type pg from 'pg';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

const MIGRATIONS_TABLE = 'wabulk_schema_migrations';
/** pg_advisory_xact_lock key: two `archive migrate` at once apply each step once. */
const MIGRATE_LOCK = 0x77616275; // "wabu"

/** The database's schema is not the one this build knows: newer (upgrade wabulk) or not created / older (run `wabulk archive migrate`). */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      found > known
        ? `the archive database has schema version ${found}, newer than this wabulk knows (${known}): upgrade wabulk before running it against this database`
        : found === 0
          ? `the archive database has no wabulk schema yet: run \`wabulk archive migrate\` (it applies version${known > 1 ? 's 1–' : ' '}${known})`
          : `the archive database has schema version ${found}; this wabulk needs ${known}: run \`wabulk archive migrate\``,
    );
  }
}

/** The highest migration applied (0: none, or no migrations table). */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
  if (exists.rows[0]?.t == null) return 0;
  const r = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`);
  return r.rows[0]?.v ?? 0;
}

/** Refuses a database whose schema is not exactly this build's (SchemaMismatchError). */
export async function assertSchema(pool: pg.Pool): Promise<number> {
  const found = await schemaVersion(pool);
  if (found !== LATEST_SCHEMA_VERSION) throw new SchemaMismatchError(found, LATEST_SCHEMA_VERSION);
  return found;
}

export interface MigrateResult {
  /** The version before and after. */
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

/**
 * Applies the migrations the database lacks, each in its own transaction with its row in
 * wabulk_schema_migrations (a failed step leaves the ones before it applied). Refuses a database
 * newer than this build. Safe to run from several processes at once (an advisory lock).
 */
export async function migrate(pool: pg.Pool): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const from = (await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`)).rows[0]?.v ?? 0;
    if (from > LATEST_SCHEMA_VERSION) throw new SchemaMismatchError(from, LATEST_SCHEMA_VERSION);
    const applied: MigrateResult['applied'] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`archive migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push({ version: m.version, name: m.name });
    }
    return { from, to: Math.max(from, LATEST_SCHEMA_VERSION), applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
    client.release();
  }
}
