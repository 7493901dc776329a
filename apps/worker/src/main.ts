import { ConfigError } from '@wabulk/config';
import { runWorker } from './run-worker.js';

runWorker().catch((err: unknown) => {
  // Configuration errors name the variable and the rule, an archive schema newer than this build
  // says to upgrade (SchemaMismatchError); anything else is unexpected.
  const known = err instanceof ConfigError || (err instanceof Error && err.name === 'SchemaMismatchError');
  process.stderr.write(`wabulk worker: ${known ? (err as Error).message : (err as Error).stack ?? String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
