#!/usr/bin/env node
import { CommanderError, type Command } from 'commander';
import { CliError } from './cli-error.js';
import { buildProgram } from './program.js';

/** The option that carries each id field (InvalidIdError.field). */
const OPTION_OF: Record<string, string> = { campaignId: '--campaign', account: '--account' };

// Exit codes: 0 done, 1 failure (e.g. Redis unreachable), 2 bad usage or unusable input, 3 not found.
const program = buildProgram((code) => {
  process.exitCode = code;
});
// On every subcommand too (commander copies settings to subcommands only when they are created):
// a bad choice or a missing required option is bad usage, exit 2, whichever command it is.
const overrideExit = (cmd: Command): void => {
  cmd.exitOverride();
  cmd.commands.forEach(overrideExit);
};
overrideExit(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`wabulk: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof (await import('@wabulk/config')).ConfigError) {
    // Loaded only here: @wabulk/config (zod, undici through @wabulk/kaleyra) is not what `--help` should pay for.
    process.stderr.write(`wabulk: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof Error && err.name === 'InvalidIdError') {
    // A campaign or account id that breaks the id rule (keys.ts), from any command: bad input, named by its option.
    const { field, reason } = err as Error & { field: string; reason: string };
    process.stderr.write(`wabulk: ${OPTION_OF[field] ?? field}: ${reason}\n`);
    process.exitCode = 2;
  } else if (err instanceof Error && err.name === 'SchemaMismatchError') {
    // The archive database's schema is not this build's (`wabulk api` at start): the message says what to do.
    process.stderr.write(`wabulk: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`wabulk: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
