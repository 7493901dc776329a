import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { SourceRow } from './producer.js';

/** Input that cannot be read at all (exit code 2 in the CLI, 400 in the API); says where and why. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

const REF_FIELDS = ['ref', 'ref1', 'ref2'] as const;
const looksLikeNumber = (s: string) => /^\+?[\d\s().-]{6,}$/.test(s.trim());

/**
 * Recipients from CSV: a header row naming `column` (default "to") and optionally ref, ref1, ref2;
 * or a file of bare numbers, one per line (no header). Streams; each row carries its line number.
 */
export async function* readCsvRecipients(input: Readable, options: { column?: string; fields?: readonly string[] } = {}): AsyncGenerator<SourceRow> {
  const column = options.column ?? 'to';
  // Every line end is a record end: csv-parse would otherwise keep only the first kind it meets, and a
  // file with mixed line ends (pieces from Windows and Unix) would merge recipients into one field.
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, record_delimiter: ['\r\n', '\n', '\r'] });
  // pipe() does not pass a source's error on: without this a failing input (an aborted upload) would leave the parser waiting.
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let header: string[] | undefined;
  let toIndex = -1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (header === undefined) {
        const first = record.map((h) => h.trim());
        toIndex = first.findIndex((h) => h.toLowerCase() === column.toLowerCase());
        if (toIndex === -1 && first.length === 1 && looksLikeNumber(first[0]!)) {
          header = [column];
          toIndex = 0;
          yield { line, to: first[0]! };
          continue;
        }
        if (toIndex === -1) throw new SourceError(`no "${column}" column in the header (${first.slice(0, 10).join(', ')}); name the column with --column`, line);
        header = first.map((h) => h.toLowerCase());
        continue;
      }
      const to = record[toIndex];
      if (to === undefined || to === '') {
        yield { line, error: `empty "${column}"`, input: record.join(',') };
        continue;
      }
      const row: SourceRow = { line, to };
      for (const f of REF_FIELDS) {
        const i = header.indexOf(f);
        const v = i >= 0 ? record[i] : undefined;
        if (v !== undefined && v !== '') row[f] = v;
      }
      yield row;
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    // csv-parse's errors are the file's (not all their codes start with CSV_: INVALID_OPENING_QUOTE); anything else is the input's own failure.
    if (!(err instanceof CsvError)) throw err;
    const e = err as CsvError & { lines?: number };
    throw new SourceError(`not valid CSV: ${e.message.replace(/^Invalid [^:]*: /, '')}`, e.lines);
  }
  if (header === undefined) throw new SourceError('the file is empty');
}

/** Recipients from NDJSON: one JSON object per line with `to` (and optionally ref, ref1, ref2). */
export async function* readNdjsonRecipients(input: Readable, options: { column?: string; fields?: readonly string[] } = {}): AsyncGenerator<SourceRow> {
  const column = options.column ?? 'to';
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\ufeff/, '') : raw; // a byte-order mark is no part of the first object
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, error: 'not valid JSON', input: text.slice(0, 100) };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, error: 'must be a JSON object', input: text.slice(0, 100) };
      continue;
    }
    const obj = value as Record<string, unknown>;
    const to = obj[column];
    if (typeof to !== 'string' && typeof to !== 'number') {
      yield { line, error: `"${column}" must be a string`, input: text.slice(0, 100) };
      continue;
    }
    const row: SourceRow = { line, to: String(to) };
    for (const f of REF_FIELDS) if (typeof obj[f] === 'string') row[f] = obj[f];
    yield row;
  }
}
