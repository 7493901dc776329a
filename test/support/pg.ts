import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the suites share (this project's machines run one; `.ci/run` and `npm test` make
 * sure it answers). Each suite creates a database of its own and drops it at the end.
 */
export const PG_ADMIN_URL = process.env.WABULK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  /** postgres://…/<name>: what WABULK_ARCHIVE_URL gets. */
  url: string;
  drop(): Promise<void>;
}

async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL.replace(/:[^:@/]*@/, '@')} (${(err as Error).message}); the archive suites need a real one: ` +
        'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (Debian), or set WABULK_TEST_PG_URL',
      { cause: err },
    );
  }
  return client;
}

/** A fresh, empty database for one suite. */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `wbt_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const client = await admin();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = await admin();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
