import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { MAX_LINE_BYTES, splitLines } from './line-splitter.js';
import { rejectedInput } from './normalise-recipients.js';
import type { SourceRow } from './producer.js';

/** Input that cannot be read at all (exit code 2 in the CLI, 400 in the API); says where and why. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

/** What a reader found at the top of a file: reported once, before the first row. */
export interface SourceHeader {
  /** The header's columns as written (CSV), or the keys of the first object (NDJSON); [] for bare numbers. */
  columns: string[];
  /** The recipient column as written in the header ('' for a file of bare numbers). */
  column: string;
  /** The CSV delimiter used (`,` `;` or a tab); absent for NDJSON. */
  delimiter?: string;
}

export interface SourceOptions {
  /** The recipient column (case-insensitive); default: the first of RECIPIENT_COLUMNS in the header. */
  column?: string;
  /** CSV only: `,` `;` or a tab; default: detected from the header line. */
  delimiter?: string;
  /** Names of the message template's placeholders: each must name a column; every row gets them in `vars`. */
  fields?: readonly string[];
  /** Called once, before the first row, with the column and delimiter used. */
  onHeader?: (info: SourceHeader) => void;
}

/** Recipient column names looked for (case-insensitively, in this order) when no column is named. */
export const RECIPIENT_COLUMNS = ['to', 'phone', 'mobile', 'msisdn', 'phone number', 'phone_number', 'mobile number', 'whatsapp', 'number'] as const;

/** Delimiters a CSV may use. */
export const DELIMITERS = [',', ';', '\t'] as const;

const REF_FIELDS = ['ref', 'ref1', 'ref2'] as const;
const looksLikeNumber = (s: string) => /^\+?[\d\s().-]{6,}$/.test(s.trim());
/** Bytes read from the top of a file to find its header line (a longer header is read as if it were this long). */
const PEEK_BYTES = 64 * 1024;

/** The delimiter that occurs most in `line` outside double quotes; `,` on a tie or when there is none. */
export function detectDelimiter(line: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/** `,` `;` `tab` or `\t` (as typed on a command line or in a query string) to the delimiter; undefined if it is none of them. */
export function parseDelimiter(text: string): string | undefined {
  if (text === ',' || text === ';' || text === '\t') return text;
  if (text.toLowerCase() === 'tab' || text === '\\t') return '\t';
  return undefined;
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function placeholderError(field: string, columns: readonly string[], line?: number): SourceError {
  const shown = columns.length === 0 ? 'no header' : columns.slice(0, 20).join(', ') + (columns.length > 20 ? ', …' : '');
  return new SourceError(`the message's placeholder {{${field}}} names no column of the file (${shown})`, line);
}

/**
 * Reads `input` up to its first line end (or PEEK_BYTES, or its end) and gives back those bytes,
 * `next()` for the whole input's chunks (those bytes first; undefined at its end; the input's errors
 * are thrown) and `release()`, which lets go of the input (called once, when reading stops).
 */
async function peekFirstLine(input: Readable): Promise<{ head: Buffer; next: () => Promise<Buffer | undefined>; release: () => Promise<void> }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a) || chunk.includes(0x0d) || size >= PEEK_BYTES) break;
  }
  const head = Buffer.concat(chunks);
  let peeked = 0;
  const next = async (): Promise<Buffer | undefined> => {
    if (peeked < chunks.length) return chunks[peeked++];
    if (ended) return undefined;
    const r = await it.next();
    if (r.done) {
      ended = true;
      return undefined;
    }
    return typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  };
  return { head, next, release: async () => void (await it.return?.()) };
}

/**
 * csv-parse's parsing core, driven without its Transform stream: `parse` calls `push` synchronously
 * for each record of the bytes given, so `info.lines` read in `push` is the record's line, which the
 * stream would only give by cloning an info object per record (`info: true`), and the records of a
 * chunk are handed over in one array instead of one stream read each. Returns csv-parse's error
 * (CsvError) instead of throwing it.
 */
interface CsvCore {
  info: { lines: number };
  parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): CsvError | undefined;
}

/** The header line of `head` (a BOM dropped), for finding the delimiter. */
const firstLine = (head: Buffer) => head.toString('utf8').replace(/^\ufeff/, '').split(/\r\n|\n|\r/)[0]!;

/**
 * csv-parse's error as the file's: where and why. A record longer than MAX_LINE_BYTES (csv-parse's
 * max_record_size, in characters) stops the import at its line: csv-parse cannot go on after it
 * (it ends its stream even with skip_records_with_error), so the file is refused there — 400 in the
 * API, exit 2 in the CLI — naming the line. Memory stays bounded: csv-parse holds at most that much.
 */
export function csvSourceError(err: CsvError): SourceError {
  const e = err as CsvError & { lines?: number };
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new SourceError(`a record longer than ${MAX_LINE_BYTES} characters (${MAX_LINE_BYTES / 1024} KiB): the file is read no further (rows queued before it stay queued; a re-run adds nothing twice)`, e.lines);
  }
  return new SourceError(`not valid CSV: ${e.message.replace(/^Invalid [^:]*: /, '')}`, e.lines);
}

/**
 * Recipients from CSV: a header row naming the recipient column (`options.column`, else the first
 * of RECIPIENT_COLUMNS found) and optionally ref, ref1, ref2 and the template's `fields`; or a file
 * of bare numbers, one per line (no header). The delimiter (`,` `;` or tab) is the one the header
 * line uses most unless `options.delimiter` names it. Streams; each row carries its line number.
 */
export async function* readCsvRecipients(input: Readable, options: SourceOptions = {}): AsyncGenerator<SourceRow> {
  const { head, next, release } = await peekFirstLine(input);
  const delimiter = options.delimiter ?? detectDelimiter(firstLine(head));
  const fields = options.fields;
  // Every line end is a record end: csv-parse would otherwise keep only the first kind it meets, and a
  // file with mixed line ends (pieces from Windows and Unix) would merge recipients into one field.
  const csv = (parse({ bom: true, delimiter, skip_empty_lines: true, relax_column_count: true, trim: true, record_delimiter: ['\r\n', '\n', '\r'], max_record_size: MAX_LINE_BYTES }) as unknown as { api: CsvCore }).api;
  /** The records of the bytes parsed last, each with its line: [line, record, line, record, …]. */
  let parsed: Array<number | string[]> = [];
  const push = (record: string[]) => void parsed.push(csv.info.lines, record);
  const close = () => {};
  let header: string[] | undefined;
  let toIndex = -1;
  let columnName = '';
  let fieldIndexes: number[] = [];
  /** Columns of ref, ref1, ref2 in the header (-1: none). */
  let refIndexes: number[] = [];
  try {
    let end = false;
    while (!end) {
      const chunk = await next();
      end = chunk === undefined;
      const err = csv.parse(chunk, end, push, close);
      if (err !== undefined) throw err;
      const records = parsed;
      parsed = [];
      for (let k = 0; k < records.length; k += 2) {
        const line = records[k] as number;
        const record = records[k + 1] as string[];
        if (header === undefined) {
          const first = record.map((h) => h.trim());
          toIndex = options.column !== undefined ? first.findIndex((h) => sameName(h, options.column!)) : findRecipientColumn(first);
          if (toIndex === -1 && first.length === 1 && looksLikeNumber(first[0]!)) {
            if (fields !== undefined && fields.length > 0) throw placeholderError(fields[0]!, []);
            header = [''];
            toIndex = 0;
            options.onHeader?.({ columns: [], column: '', delimiter });
            yield { line, to: first[0]!, ...(fields === undefined ? {} : { vars: {} }) };
            continue;
          }
          if (toIndex === -1) {
            const found = first.slice(0, 10).join(', ') + (first.length > 10 ? ', …' : '');
            if (options.column !== undefined) throw new SourceError(`no "${options.column}" column in the header (${found}); name the column with --column`, line);
            throw new SourceError(`no recipient column in the header (${found}): none is named ${RECIPIENT_COLUMNS.join(', ')}; name it with --column`, line);
          }
          fieldIndexes = (fields ?? []).map((f) => {
            const i = first.findIndex((h) => sameName(h, f));
            if (i === -1) throw placeholderError(f, first);
            return i;
          });
          columnName = first[toIndex]!;
          header = first.map((h) => h.toLowerCase());
          refIndexes = REF_FIELDS.map((f) => header!.indexOf(f));
          options.onHeader?.({ columns: first, column: columnName, delimiter });
          continue;
        }
        const to = record[toIndex];
        if (to === undefined || to === '') {
          yield { line, error: `empty "${columnName}"`, input: rejectedInput(record.join(delimiter)) };
          continue;
        }
        const row: SourceRow = { line, to };
        for (let j = 0; j < REF_FIELDS.length; j++) {
          const i = refIndexes[j]!;
          const v = i >= 0 ? record[i] : undefined;
          if (v !== undefined && v !== '') row[REF_FIELDS[j]!] = v;
        }
        if (fields !== undefined) {
          const vars: Record<string, string> = {};
          for (let j = 0; j < fields.length; j++) vars[fields[j]!] = (record[fieldIndexes[j]!] ?? '').trim();
          row.vars = vars;
        }
        yield row;
      }
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    // csv-parse's errors are the file's (not all their codes start with CSV_: INVALID_OPENING_QUOTE); anything else is the input's own failure.
    if (!(err instanceof CsvError)) throw err;
    throw csvSourceError(err);
  } finally {
    // At the end, and at an early stop (the consumer's break, a refused file): the input is let go.
    await release();
  }
  if (header === undefined) throw new SourceError('the file is empty');
}

/** Index of the first of RECIPIENT_COLUMNS among `columns` (case-insensitive), or -1. */
function findRecipientColumn(columns: readonly string[]): number {
  for (const name of RECIPIENT_COLUMNS) {
    const i = columns.findIndex((h) => sameName(h, name));
    if (i !== -1) return i;
  }
  return -1;
}

/** The key of `obj` named `name`: the exact key, else one that differs only in case (and spaces around it). */
function keyOf(obj: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  return Object.keys(obj).find((k) => sameName(k, name));
}

/**
 * Recipients from NDJSON: one JSON object per line with the recipient (`options.column`, else the
 * first of RECIPIENT_COLUMNS the first object has; exact key first, then any case) and optionally
 * ref, ref1, ref2 and the template's `fields` (the first object must have each of them).
 */
export async function* readNdjsonRecipients(input: Readable, options: SourceOptions = {}): AsyncGenerator<SourceRow> {
  const fields = options.fields;
  let column: string | undefined;
  // Byte-level lines: a line longer than MAX_LINE_BYTES is never held whole; it is a rejected row and the import goes on.
  for await (const split of splitLines(input)) {
    const { line } = split;
    if (split.tooLong) {
      // The first object names the recipient field: without it the file cannot be read at all.
      if (column === undefined) throw new SourceError(`longer than ${MAX_LINE_BYTES / 1024} KiB (${split.bytes} bytes); the first object names the recipient field, so the file is not read`, line);
      yield { line, error: `line longer than ${MAX_LINE_BYTES / 1024} KiB (${split.bytes} bytes)`, input: rejectedInput(split.head) };
      continue;
    }
    const raw = split.text;
    const text = line === 1 ? raw.replace(/^\ufeff/, '') : raw; // a byte-order mark is no part of the first object
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, error: 'not valid JSON', input: rejectedInput(text) };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, error: 'must be a JSON object', input: rejectedInput(text) };
      continue;
    }
    const obj = value as Record<string, unknown>;
    if (column === undefined) {
      // The first object is the header: it names the recipient field and must hold every placeholder.
      const keys = Object.keys(obj);
      column = options.column ?? RECIPIENT_COLUMNS.map((n) => keyOf(obj, n)).find((k) => k !== undefined) ?? 'to';
      for (const f of fields ?? []) if (keyOf(obj, f) === undefined) throw placeholderError(f, keys, line);
      options.onHeader?.({ columns: keys, column: keyOf(obj, column) ?? column });
    }
    const key = keyOf(obj, column);
    const to = key === undefined ? undefined : obj[key];
    if (typeof to !== 'string' && typeof to !== 'number') {
      yield { line, error: `"${column}" must be a string`, input: rejectedInput(text) };
      continue;
    }
    const row: SourceRow = { line, to: String(to) };
    for (const f of REF_FIELDS) if (typeof obj[f] === 'string') row[f] = obj[f];
    if (fields !== undefined) {
      const vars: Record<string, string> = {};
      let bad: string | undefined;
      for (const f of fields) {
        const k = keyOf(obj, f);
        const v = k === undefined ? undefined : obj[k];
        if (v === undefined || v === null) vars[f] = '';
        else if (typeof v === 'string') vars[f] = v;
        else if (typeof v === 'number' || typeof v === 'boolean') vars[f] = String(v);
        else {
          bad = f;
          break;
        }
      }
      if (bad !== undefined) {
        yield { line, error: `field "${bad}" must be text, a number or true/false`, input: rejectedInput(text) };
        continue;
      }
      row.vars = vars;
    }
    yield row;
  }
}
