import { Command, InvalidArgumentError, Option } from 'commander';
import type { CampaignState } from '@wabulk/queue';
import type { DemoOptions } from './commands/demo.js';

// Start-up (issue 15): nothing here imports a command module, the worker, the API or @wabulk/queue.
// Each action loads its command with import() when it runs, so `--help` loads commander only and a
// command loads what it uses (`status`: the Redis layer, never fastify, the worker or the simulator).
// test/cli/lazy-load.test.ts holds this.

/** The campaign states `campaigns --state` accepts: @wabulk/queue's CAMPAIGN_STATES (a unit test keeps them equal). */
export const CAMPAIGN_STATE_CHOICES = ['scheduled', 'running', 'paused', 'cancelled', 'done'] as const satisfies readonly CampaignState[];

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}`);
  return n;
};
const share = (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
};

/** The commands run `exit(code)` with what their action returns. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('wabulk')
    .description('Bulk WhatsApp text messages through Kaleyra, queued on Redis.\nSettings come from the environment: REDIS_URL, WABULK_ACCOUNT, WABULK_KEY_PREFIX, WABULK_DEFAULT_COUNTRY (KALEYRA_* for the worker, WABULK_API_TOKENS / WABULK_API_TOKENS_FILE for the api).')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  const done = (p: Promise<number>) => p.then(exit);

  program
    .command('worker')
    .description('run the sending process (env: KALEYRA_*, WORKER_CONCURRENCY, WABULK_RATE_PER_SECOND, WABULK_RETRY_DELAYS_MS, METRICS_PORT)')
    .action(async () => (await import('@wabulk/worker')).runWorker(process.env));

  program
    .command('api')
    .description(
      'serve the HTTP API (env: API_PORT (8080), WABULK_API_TOKENS (full-access tokens) and/or WABULK_API_TOKENS_FILE (JSON [{name, token, accounts, scopes}], scopes send/read/control/metrics; kill -HUP re-reads it), API_BODY_LIMIT_BYTES, API_UPLOAD_LIMIT_BYTES, WABULK_CALLBACK_SECRET / WABULK_CALLBACK_BASIC_AUTH)',
    )
    .action(async () => (await import('./commands/api.js')).apiCommand(process.env));

  program
    .command('send')
    .description('queue one message for a list of numbers or a CSV/NDJSON file of any size')
    .option('--campaign <id>', 'campaign id (required with --csv: re-running the same import adds nothing twice)')
    .option('--to <numbers>', 'recipients, comma-separated ("+9198…,+9198…")')
    .option('--csv <file>', 'CSV with a header naming the recipient column (and optional ref, ref1, ref2), or NDJSON (.ndjson/.jsonl)')
    .option('--column <name>', 'the recipient column of the file (default: the first of to, phone, mobile, msisdn, phone number, phone_number, mobile number, whatsapp, number in the header, any case)')
    .option('--delimiter <delimiter>', 'the CSV delimiter: , ; or tab (default: the one the header line uses most)')
    .addOption(new Option('--format <format>', 'file format (default: from the file name)').choices(['csv', 'ndjson']))
    .option('--body <text>', 'the message text (1..4096 characters); {{column}} is replaced by the row\'s value of that column, {{column|fallback}} uses fallback when it is empty')
    .option('--body-file <file>', 'read the message text from a file')
    .option('--preview-url', 'ask WhatsApp to render a preview of the first URL')
    .option('--ref <text>', 'ref passed to Kaleyra (reports and callbacks), max 255')
    .option('--ref1 <text>', 'ref1, max 255')
    .option('--ref2 <text>', 'ref2, max 255')
    .option('--account <id>', 'Kaleyra account (default: WABULK_ACCOUNT)')
    .option('--priority <priority>', 'high (before everything queued at normal/low), normal (campaigns share the rate in rounds) or low; an existing campaign keeps its own', 'normal')
    .option('--rejected-out <file>', 'write every rejected row (line, input, reason) to this CSV')
    .option('--at <time>', 'scheduled start, ISO 8601 with an offset or Z (2026-12-24T09:00:00+05:30); at most 90 days ahead, a past time starts now')
    .option('--window <HH:MM-HH:MM>', "send only between these times in each recipient's local time (zone from the number); may cross midnight (21:00-06:00)")
    .option('--tz <zone>', 'read the window in this IANA time zone for every recipient (e.g. Asia/Kolkata)')
    .option('--dry-run', 'read and check everything, write nothing: counts, rejected rows, three rendered samples, estimated sending time')
    .option('--wait', 'show a live summary until the campaign is done')
    .option('--json', 'print one JSON object instead of text')
    .action(async (o) => done((await import('./commands/send.js')).sendCommand(o)));

  program
    .command('status')
    .description('campaign progress: total, pending, sent, failed (by code), paused')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--json', 'print one JSON object and exit')
    .option('--once', 'print one line and exit instead of following the campaign')
    .action(async (o) => done((await import('./commands/status.js')).statusCommand(o)));

  for (const action of ['pause', 'resume'] as const) {
    program
      .command(action)
      .description(action === 'pause' ? 'stop every worker on every host from sending for an account, or for one campaign (--campaign)' : 'restart sending for a paused account (after an E110 top-up, a key fix, …) or campaign (--campaign)')
      .option('--account <id>', 'Kaleyra account (default: WABULK_ACCOUNT)')
      .option('--campaign <id>', 'only this campaign: the account and its other campaigns keep sending')
      .option('--json', 'print the account state (or with --campaign the campaign status) as JSON')
      .action(async (o: { account?: string; campaign?: string; json?: boolean }) =>
        done(o.campaign === undefined ? (await import('./commands/account.js')).accountCommand(action, o) : (await import('./commands/campaign-control.js')).campaignControlCommand(action, { ...o, campaign: o.campaign })),
      );
  }

  program
    .command('cancel')
    .description('cancel a campaign for good: no new send starts, every pending recipient ends `cancelled`')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--json', 'print the campaign status as JSON')
    .action(async (o) => done((await import('./commands/campaign-control.js')).campaignControlCommand('cancel', o)));

  program
    .command('campaigns')
    .description('the campaigns, newest first (single messages sent without a campaign id are not listed)')
    .addOption(new Option('--state <state>', 'only campaigns in this state').choices(CAMPAIGN_STATE_CHOICES))
    .option('--account <id>', 'only campaigns of this account')
    .option('--limit <n>', 'at most this many', int('--limit', 1), 50)
    .option('--json', 'print one JSON array of the objects `status --json` prints')
    .action(async (o) => done((await import('./commands/campaigns.js')).campaignsCommand(o)));

  const accounts = program
    .command('accounts')
    .description('the known accounts (a worker serving them started, an operator added them, or configured here) with their state')
    .option('--json', 'print one JSON array')
    .action(async (o) => done((await import('./commands/accounts.js')).accountsCommand(o)));
  accounts
    .command('add <id>')
    .description('register an account ahead of its workers, so messages for it are accepted')
    .option('--json', 'print the account as a one-element JSON array')
    // `--json` may land on `accounts` (commander reads a parent's options anywhere): take both.
    .action(async (id: string, _o, cmd: Command) => done((await import('./commands/accounts.js')).accountsAddCommand(id, cmd.optsWithGlobals())));

  const suppress = program
    .command('suppress')
    .description('the do-not-message lists: one per account and one global list every account obeys.\nIntake rejects a listed recipient (reason `suppressed`); one listed after it was queued ends `cancelled` (reason `suppressed`).\nNumbers are normalised as recipients are (local numbers need WABULK_DEFAULT_COUNTRY).');
  const scopeHelp = 'Exactly one of --account ID or --global chooses the list.';
  suppress
    .command('add <numbers...>')
    .description(`put numbers on a list (a number already there keeps the time it was first added). ${scopeHelp}`)
    .option('--account <id>', 'the list of this account')
    .option('--global', 'the global list (applies to every account)')
    .option('--json', 'print one JSON object {list, added, alreadyListed, rejected: [{input, reason}]}')
    .action(async (numbers: string[], o) => done((await import('./commands/suppress.js')).suppressChangeCommand('add', numbers, o)));
  suppress
    .command('remove <numbers...>')
    .description(`take numbers off a list. ${scopeHelp}`)
    .option('--account <id>', 'the list of this account')
    .option('--global', 'the global list')
    .option('--json', 'print one JSON object {list, removed, notListed, rejected: [{input, reason}]}')
    .action(async (numbers: string[], o) => done((await import('./commands/suppress.js')).suppressChangeCommand('remove', numbers, o)));
  suppress
    .command('import <file>')
    .description(`add every number of a file of any size (streamed, 1000 numbers per Redis call): CSV with a header naming the number column (to, phone, number, msisdn, mobile, …) or one number per line. Prints added, already listed and the rejected rows with their line numbers; exits 2 when every row was rejected. ${scopeHelp}`)
    .option('--account <id>', 'the list of this account')
    .option('--global', 'the global list (applies to every account)')
    .option('--column <name>', 'the number column of the header (default: the first named to, phone, number, msisdn, mobile, …)')
    .option('--rejected-out <file>', 'write every rejected row (line, input, reason) to this CSV')
    .option('--json', 'print one JSON object {list, read, added, alreadyListed, rejected: [{input, reason, line}] (the first 1000), rejectedTotal}')
    .action(async (file: string, o) => done((await import('./commands/suppress.js')).suppressImportCommand(file, o)));
  suppress
    .command('list')
    .description(`every number on a list with the time it was added, in no particular order (a number may show twice while Redis resizes the list). ${scopeHelp}`)
    .option('--account <id>', 'the list of this account')
    .option('--global', 'the global list')
    .option('--limit <n>', 'at most this many', int('--limit', 1))
    .option('--json', 'print one JSON array of {number, addedAt (ISO 8601)} instead of "number<TAB>addedAt" lines')
    .action(async (o) => done((await import('./commands/suppress.js')).suppressListCommand(o)));
  suppress
    .command('check <number>')
    .description('whether a number is on the account\'s list, the global list, both or neither (exit 0 either way)')
    .option('--account <id>', 'the account whose list is checked (default: WABULK_ACCOUNT); the global list is always checked')
    .option('--json', 'print one JSON object {number (E.164), account, suppressed, lists: {account?, global?} (ISO 8601 times added)}')
    .action(async (number: string, o) => done((await import('./commands/suppress.js')).suppressCheckCommand(number, o)));

  program
    .command('export')
    .description('one row per recipient: to, status, messageId, code, attempts, reason, updatedAt')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o) => done((await import('./commands/export.js')).exportCommand(o)));

  program
    .command('retry-failed')
    .description('queue the failed recipients of a campaign again')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--codes <codes>', 'only recipients that failed with these codes, e.g. WA500,HTTP_503')
    .option('--json', 'print one JSON object')
    .action(async (o) => done((await import('./commands/retry-failed.js')).retryFailedCommand(o)));

  const archive = program
    .command('archive')
    .description(
      'the campaign archive in PostgreSQL (WABULK_ARCHIVE_URL): with --campaign, move a done or cancelled campaign there now (workers do it WABULK_ARCHIVE_AFTER after it finished, default 1h); `archive migrate` creates or upgrades its schema; `archive prune` deletes campaigns past your retention (never DELETE rows by hand: Redis keeps a marker per archived campaign)',
    )
    .option('--campaign <id>', 'the campaign to archive now')
    .option('--batch <n>', 'recipients per COPY batch (default 5000)', int('--batch', 1))
    .option('--json', 'print one JSON object {campaignId, result, rows, ms}')
    .action(async (o: { campaign?: string; json?: boolean; batch?: number }) => {
      if (o.campaign === undefined) {
        archive.outputHelp();
        process.stderr.write('\nerror: give --campaign ID, or run `wabulk archive migrate` or `wabulk archive prune`\n');
        exit(2);
        return;
      }
      return done((await import('./commands/archive.js')).archiveCampaignCommand({ ...o, campaign: o.campaign }));
    });
  archive
    .command('migrate')
    .description('apply the archive schema steps the database lacks (safe to run again, and from several hosts at once); a database newer than this wabulk is refused')
    .option('--json', 'print one JSON object {archive, from, to, applied}')
    .action(async (_o, cmd: Command) => done((await import('./commands/archive.js')).archiveMigrateCommand(cmd.optsWithGlobals())));
  archive
    .command('prune')
    .description(
      'retention: delete the archived campaigns (done or cancelled; not those retry-failed brought back) that finished before a cutoff, from PostgreSQL and Redis ' +
        '(their marker and list entries first, then their rows): `status` then says not found and the ids may be used again. Safe to run again (cron); exactly one of --finished-before or --older-than',
    )
    .option('--finished-before <time>', 'cutoff: an ISO 8601 date (2025-01-01, UTC) or date and time with an offset or Z')
    .option('--older-than <duration>', 'cutoff: this long before now, in days or hours (395d, 36h)')
    .option('--dry-run', 'count and list the campaigns it would delete; delete nothing')
    .option('--batch <n>', 'campaigns per batch (default 100, at most 10000)', int('--batch', 1))
    .option('--orphaned-markers', 'also remove the Redis markers of campaigns created before the cutoff whose archive rows are gone (deleted by hand with SQL): every read of them answers 503 until then. Without it they are only named')
    .option('--json', 'print one JSON object {archive, cutoff, campaigns, recipients, dryRun, ids (the first 1000), orphanedMarkers: {found, removed, ids}, skipped, skippedTotal}')
    // `--json` and `--batch` may land on `archive` (commander reads a parent's options anywhere): take both.
    .action(async (_o, cmd: Command) => done((await import('./commands/archive.js')).archivePruneCommand(cmd.optsWithGlobals())));

  program
    .command('demo')
    .description('Redis + the Kaleyra simulator + workers + a campaign with faults and an E110 pause, ending in a summary')
    .option('--recipients <n>', 'campaign size', int('--recipients', 1), 3000)
    .option('--balance <n>', 'simulator balance before the top-up (messages)', int('--balance', 0), 1200)
    .option('--fail-rate <share>', 'share of requests the simulator answers WA500', share, 0.03)
    .option('--workers <n>', 'worker processes', int('--workers', 1), 2)
    .option('--json', 'print the summary as JSON')
    .option('--console [port]', 'then keep it all running with the API and its operator console (/ui/) on this port (default 8080; 0 = any free one) until Ctrl-C', int('--console', 0))
    .action(async (o: Omit<DemoOptions, 'console'> & { console?: number | true }) => done((await import('./commands/demo.js')).demoCommand({ ...o, console: o.console === true ? 8080 : o.console })));

  return program;
}
