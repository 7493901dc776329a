import { ConfigError } from '@wabulk/config';
import { runApi } from './run-api.js';

runApi().catch((err: unknown) => {
  // Configuration errors name the variable and the rule; anything else is unexpected.
  process.stderr.write(`wabulk api: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
