import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { csvSourceError, SourceError } from './campaign-source.js';
import { MAX_LINE_BYTES } from './line-splitter.js';
import type { QueueContext } from './context.js';
import type { SuppressionScope } from './keys.js';
import { normaliseRecipient, rejectedInput, rejection, type CountryCode, type Rejected } from './normalise-recipients.js';
import { addSuppressions, removeSuppressions } from './suppression.js';

// The operator side of the do-not-message lists, shared by `wabulk suppress` and /v1/suppressions:
// naming a list, normalising what an operator typed, and importing a file of any size.

/** How a list is named in answers: 'global' or 'account:<id>'. */
export const suppressionListName = (scope: SuppressionScope): string => (scope === 'global' ? 'global' : `account:${scope.account}`);

export interface NormalisedNumbers {
  /** E.164, in input order (repeats kept: the list counts the second one as already listed). */
  numbers: string[];
  rejected: Rejected[];
}

/** Normalises numbers exactly as recipients are (libphonenumber-js, the default country for local numbers). */
export function normaliseSuppressionNumbers(inputs: readonly string[], defaultCountry?: CountryCode): NormalisedNumbers {
  const out: NormalisedNumbers = { numbers: [], rejected: [] };
  for (const input of inputs) {
    const r = normaliseRecipient(input, defaultCountry);
    if (r.ok) out.numbers.push(r.e164);
    else out.rejected.push(rejection(input, r.reason));
  }
  return out;
}

const CHUNK = 1000;

/** Adds numbers (already E.164) in chunks of 1000; `alreadyListed` counts those that were on the list (or earlier in `numbers`). */
export async function addSuppressionNumbers(ctx: QueueContext, scope: SuppressionScope, numbers: readonly string[]): Promise<{ added: number; alreadyListed: number }> {
  let added = 0;
  for (let i = 0; i < numbers.length; i += CHUNK) added += await addSuppressions(ctx, scope, numbers.slice(i, i + CHUNK));
  return { added, alreadyListed: numbers.length - added };
}

/** Removes numbers (already E.164) in chunks of 1000; `notListed` counts those that were not on the list. */
export async function removeSuppressionNumbers(ctx: QueueContext, scope: SuppressionScope, numbers: readonly string[]): Promise<{ removed: number; notListed: number }> {
  let removed = 0;
  for (let i = 0; i < numbers.length; i += CHUNK) removed += await removeSuppressions(ctx, scope, numbers.slice(i, i + CHUNK));
  return { removed, notListed: numbers.length - removed };
}

/** One row of a suppression file: the number as written, or why the row holds none. */
export type SuppressionRow = { line: number; input: string; error?: undefined } | { line: number; input: string; error: string };

/** Header names taken for the number column (compared lower-case, without spaces, _ and -). */
export const SUPPRESSION_COLUMNS = ['to', 'phone', 'phonenumber', 'number', 'msisdn', 'mobile', 'mobilenumber', 'whatsapp', 'whatsappnumber', 'recipient', 'cell'] as const;
const squash = (s: string) => s.trim().toLowerCase().replace(/[\s_-]/g, '');
const looksLikeNumber = (s: string) => /^\+?[\d\s().-]{6,}$/.test(s.trim());

/**
 * The numbers of a suppression file, streamed: CSV with a header naming the number column (`column`,
 * or else to, phone, number, msisdn, mobile, …), or one number per line without a header. Each row
 * carries its line number; memory stays flat whatever the size.
 */
export async function* readSuppressionRows(input: Readable, options: { column?: string } = {}): AsyncGenerator<SuppressionRow> {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, record_delimiter: ['\r\n', '\n', '\r'], max_record_size: MAX_LINE_BYTES });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let index = -1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (index === -1) {
        const first = record.map((h) => h.trim());
        const wanted = options.column === undefined ? undefined : squash(options.column);
        index = wanted === undefined ? first.findIndex((h) => (SUPPRESSION_COLUMNS as readonly string[]).includes(squash(h))) : first.findIndex((h) => squash(h) === wanted);
        if (index !== -1) continue;
        if (first.length === 1 && looksLikeNumber(first[0]!)) {
          // No header: one number per line.
          index = 0;
          yield { line, input: first[0]! };
          continue;
        }
        if (first.length === 1 && wanted === undefined) {
          // One column under a header of any name.
          index = 0;
          continue;
        }
        const seen = first.slice(0, 10).join(', ');
        if (wanted !== undefined) throw new SourceError(`no "${options.column}" column in the header (${seen})`, line);
        throw new SourceError(`no number column in the header (${seen}): call it ${SUPPRESSION_COLUMNS.slice(0, 6).join(', ')}, …, or give its name (--column, or column= in the API)`, line);
      }
      const value = record[index];
      if (value === undefined || value === '') yield { line, input: rejectedInput(record.join(',')), error: 'empty' };
      else yield { line, input: value };
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    if (!(err instanceof CsvError)) throw err;
    throw csvSourceError(err);
  }
  if (index === -1) throw new SourceError('the file is empty');
}

export interface SuppressionImportProgress {
  read: number;
  added: number;
  alreadyListed: number;
  rejected: number;
}

export interface SuppressionImportResult {
  list: string;
  /** Rows read (a header is not a row). */
  read: number;
  added: number;
  alreadyListed: number;
  /** The first `keepRejected` rejected rows, with their line numbers. */
  rejected: Rejected[];
  rejectedTotal: number;
}

/**
 * Adds every number of `rows` to a list, normalised as recipients are, in batches of `batchSize`
 * (1000) per addSuppressions call, one batch at a time: memory stays flat whatever the file's size.
 */
export async function importSuppressions(
  ctx: QueueContext,
  scope: SuppressionScope,
  rows: AsyncIterable<SuppressionRow>,
  options: { defaultCountry?: CountryCode; batchSize?: number; keepRejected?: number; onRejected?: (r: Rejected) => void; onProgress?: (p: SuppressionImportProgress) => void } = {},
): Promise<SuppressionImportResult> {
  const batchSize = options.batchSize ?? CHUNK;
  const keep = options.keepRejected ?? 1000;
  const result: SuppressionImportResult = { list: suppressionListName(scope), read: 0, added: 0, alreadyListed: 0, rejected: [], rejectedTotal: 0 };
  let batch: string[] = [];
  const progress = () => options.onProgress?.({ read: result.read, added: result.added, alreadyListed: result.alreadyListed, rejected: result.rejectedTotal });
  const flush = async () => {
    if (batch.length === 0) return;
    const n = await addSuppressions(ctx, scope, batch);
    result.added += n;
    result.alreadyListed += batch.length - n;
    batch = [];
    progress();
  };
  const reject = (r: Rejected) => {
    result.rejectedTotal++;
    if (result.rejected.length < keep) result.rejected.push(r);
    options.onRejected?.(r);
  };
  for await (const row of rows) {
    result.read++;
    if (row.error !== undefined) {
      reject(rejection(row.input, row.error, row.line));
      continue;
    }
    const r = normaliseRecipient(row.input, options.defaultCountry);
    if (!r.ok) reject(rejection(row.input, r.reason, row.line));
    else {
      batch.push(r.e164);
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  progress();
  return result;
}
