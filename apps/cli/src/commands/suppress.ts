import { createReadStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { ACCOUNT_ID_RULE } from '@wabulk/config';
import {
  ACCOUNT_ID,
  addSuppressionNumbers,
  checkSuppression,
  importSuppressions,
  listSuppressions,
  normaliseRecipient,
  normaliseSuppressionNumbers,
  readSuppressionRows,
  removeSuppressionNumbers,
  SourceError,
  splitRecipients,
  suppressionListName,
  type CountryCode,
  type Rejected,
  type SuppressionImportResult,
  type SuppressionScope,
} from '@wabulk/queue';
import { withContext, type CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { importBar, openRejectsFile } from '../import-output.js';

export interface ScopeOptions {
  account?: string;
  global?: boolean;
}

/** Exactly one of --account ID or --global: the list a command changes or lists. */
export function scopeOf(o: ScopeOptions): SuppressionScope {
  if ((o.account === undefined) === !o.global) throw new CliError('give exactly one of --account ID (that account\'s list) or --global (the list every account obeys)', 2);
  if (o.account === undefined) return 'global';
  checkAccount(o.account);
  return { account: o.account };
}

function checkAccount(account: string) {
  if (!ACCOUNT_ID.test(account)) throw new CliError(`--account: ${ACCOUNT_ID_RULE}, got ${JSON.stringify(account.slice(0, 40))}`, 2);
}

const countryOf = (c: CliContext) => c.env.WABULK_DEFAULT_COUNTRY as CountryCode | undefined;
const iso = (ms: number) => new Date(ms).toISOString();

function printRejected(rejected: readonly Rejected[], total = rejected.length) {
  for (const x of rejected) process.stdout.write(`  rejected${x.line !== undefined ? ` line ${x.line}` : ''}: ${JSON.stringify(x.input)} — ${x.reason}\n`);
  if (total > rejected.length) process.stdout.write(`  … and ${total - rejected.length} more rejected (use --rejected-out FILE for all of them)\n`);
}

/** `wabulk suppress add|remove NUMBER… (--account ID | --global) [--json]`. */
export async function suppressChangeCommand(action: 'add' | 'remove', inputs: string[], o: ScopeOptions & { json?: boolean }): Promise<number> {
  const scope = scopeOf(o);
  const list = suppressionListName(scope);
  return withContext<number>(async (c) => {
    const { numbers, rejected } = normaliseSuppressionNumbers(splitRecipients(inputs), countryOf(c));
    if (numbers.length === 0) {
      if (o.json) process.stdout.write(`${JSON.stringify(action === 'add' ? { list, added: 0, alreadyListed: 0, rejected } : { list, removed: 0, notListed: 0, rejected })}\n`);
      else printRejected(rejected);
      throw new CliError(`nothing to ${action}: no valid number was given`, 2);
    }
    if (action === 'add') {
      const r = await addSuppressionNumbers(c.ctx, scope, numbers);
      if (o.json) process.stdout.write(`${JSON.stringify({ list, ...r, rejected })}\n`);
      else process.stdout.write(`${list}: added ${r.added}, already listed ${r.alreadyListed}, rejected ${rejected.length}\n`);
    } else {
      const r = await removeSuppressionNumbers(c.ctx, scope, numbers);
      if (o.json) process.stdout.write(`${JSON.stringify({ list, ...r, rejected })}\n`);
      else process.stdout.write(`${list}: removed ${r.removed}, not listed ${r.notListed}, rejected ${rejected.length}\n`);
    }
    if (!o.json) printRejected(rejected);
    return 0;
  });
}

export interface ImportOptions extends ScopeOptions {
  column?: string;
  rejectedOut?: string;
  json?: boolean;
}


/** `wabulk suppress import FILE (--account ID | --global)`: a file of any size, streamed, 1000 numbers per Redis call. */
export async function suppressImportCommand(path: string, o: ImportOptions): Promise<number> {
  const scope = scopeOf(o);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  return withContext<number>(async (c) => {
    const stream = createReadStream(path);
    const bar = importBar(o.json, 'added {added} | already listed {alreadyListed} | rejected {rejected}');
    const counts = { read: 0, added: 0, alreadyListed: 0, rejected: 0 };
    bar?.start(Math.max(size, 1), 0, counts);
    const rejectsFile = openRejectsFile(o.rejectedOut);
    let result: SuppressionImportResult;
    try {
      result = await importSuppressions(c.ctx, scope, readSuppressionRows(stream, { column: o.column }), {
        defaultCountry: countryOf(c),
        onRejected: rejectsFile.write,
        onProgress: (p) => {
          Object.assign(counts, p);
          bar?.update(stream.bytesRead, counts);
        },
      });
    } catch (err) {
      if (err instanceof SourceError) throw new CliError(`${path}: ${err.message}`, 2);
      throw err;
    } finally {
      bar?.update(stream.bytesRead, counts);
      bar?.stop();
      stream.destroy();
      await rejectsFile.close();
    }
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`${result.list}: read ${result.read}, added ${result.added}, already listed ${result.alreadyListed}, rejected ${result.rejectedTotal}\n`);
      printRejected(result.rejected, result.rejectedTotal);
    }
    if (result.added + result.alreadyListed === 0) {
      if (!o.json) process.stderr.write('nothing imported: every row was rejected\n');
      return 2;
    }
    return 0;
  });
}

/** Writes and waits when the pipe is full: a list of millions streams with flat memory. */
async function write(text: string) {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

const isEpipe = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/** `wabulk suppress list (--account ID | --global) [--json] [--limit N]`: every entry, page by page. */
export async function suppressListCommand(o: ScopeOptions & { json?: boolean; limit?: number }): Promise<number> {
  const scope = scopeOf(o);
  return withContext<number>(async (c) => {
    const limit = o.limit ?? Infinity;
    let printed = 0;
    let cursor = '0';
    // The reader went away (`… | head`): stop reading the list; that is no failure of Redis or of the command.
    let closed = false;
    const onError = (err: unknown) => {
      if (isEpipe(err)) closed = true;
    };
    process.stdout.on('error', onError);
    try {
      if (o.json) await write('[');
      do {
        const page = await listSuppressions(c.ctx, scope, { cursor, count: 1000 });
        cursor = page.cursor;
        for (const e of page.entries) {
          if (printed >= limit || closed) break;
          if (o.json) await write(`${printed === 0 ? '' : ','}${JSON.stringify({ number: e.number, addedAt: iso(e.addedAt) })}`);
          else await write(`${e.number}\t${iso(e.addedAt)}\n`);
          printed++;
        }
      } while (cursor !== '0' && printed < limit && !closed);
      if (closed) return 0;
      if (o.json) await write(']\n');
      else if (printed === 0) process.stderr.write(`the ${suppressionListName(scope)} list is empty\n`);
      return 0;
    } catch (err) {
      if (isEpipe(err)) return 0;
      throw err;
    } finally {
      process.stdout.off('error', onError);
    }
  });
}

/** `wabulk suppress check NUMBER [--account ID] [--json]`: on the account's list, the global one, both or neither (exit 0 either way). */
export async function suppressCheckCommand(input: string, o: { account?: string; json?: boolean }): Promise<number> {
  return withContext<number>(async (c) => {
    const account = o.account ?? c.env.WABULK_ACCOUNT;
    checkAccount(account);
    const n = normaliseRecipient(input, countryOf(c));
    if (!n.ok) throw new CliError(`${JSON.stringify(input)} is not a usable number: ${n.reason}`, 2);
    const match = await checkSuppression(c.ctx, account, n.e164);
    const lists: { account?: string; global?: string } = {};
    if (match.account !== undefined) lists.account = iso(match.account);
    if (match.global !== undefined) lists.global = iso(match.global);
    const suppressed = match.account !== undefined || match.global !== undefined;
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ number: n.e164, account, suppressed, lists })}\n`);
      return 0;
    }
    const where = [lists.account !== undefined ? `the ${account} account's list (since ${lists.account})` : undefined, lists.global !== undefined ? `the global list (since ${lists.global})` : undefined].filter((x) => x !== undefined);
    process.stdout.write(suppressed ? `${n.e164}: suppressed for ${account}: on ${where.join(' and ')}\n` : `${n.e164}: not suppressed for ${account}: on neither the ${account} account's list nor the global list\n`);
    return 0;
  });
}
