import { CommanderError } from 'commander';
import { ConfigError } from '@wabulk/config';
import { CliError } from './cli-error.js';
import { buildProgram } from './program.js';

// Exit codes: 0 done, 1 failure (e.g. Redis unreachable), 2 bad usage or unusable input, 3 not found.
const program = buildProgram((code) => {
  process.exitCode = code;
});
program.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`wabulk: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`wabulk: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`wabulk: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
