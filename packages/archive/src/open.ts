import { PgArchive } from './pg-archive.js';
import { isUnavailable } from './pg.js';
import { assertSchema, SchemaMismatchError } from './schema.js';

interface StartLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The archive of a process that serves (worker, api): checked once at start. A database with a
 * newer schema than this build refuses the start (SchemaMismatchError: running old code against it
 * could write what it does not understand). A database that is not reachable, or not migrated yet,
 * is logged and the process starts anyway: sending never waits for PostgreSQL; archiving and reads
 * of archived campaigns wait (and answer 503) until it is there.
 */
export async function openArchive(url: string, logger: StartLogger): Promise<PgArchive> {
  const store = new PgArchive({ url });
  try {
    const version = await assertSchema(store.pool);
    logger.info({ archive: store.where, schema: version }, 'campaign archive ready');
  } catch (err) {
    if (err instanceof SchemaMismatchError && err.found > err.known) {
      await store.close();
      throw err;
    }
    if (err instanceof SchemaMismatchError) logger.error({ archive: store.where }, `campaign archive not usable yet: ${err.message}`);
    else if (isUnavailable(err)) logger.warn({ archive: store.where, err: (err as Error).message }, 'campaign archive (PostgreSQL) not reachable yet: archiving waits, reads of archived campaigns answer 503 until it is');
    else throw err;
  }
  return store;
}
