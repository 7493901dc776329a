import { isStorableText } from '@wabulk/queue';
import type { Rng } from './prng.js';
import { BAD_UTF8, randomString } from './gen-text.js';
import { invalidNumber, validNumber, type RecipientPart } from './gen-phone.js';

/**
 * A campaign file (CSV or NDJSON) and what must come of it. `wellFormed` files must be read whole:
 * `records` rows, each accepted, a duplicate or rejected with its line. Odd ones (broken quoting,
 * mixed garbage) may be refused as unusable (400 / SourceError with a line), but if they are read,
 * their counts must still add up.
 */
export interface SourceCase {
  format: 'csv' | 'ndjson';
  bytes: Buffer;
  /** Rows a reader must yield (blank lines are not rows). */
  records?: number;
  /** The recipient of each row, where the row has one. */
  parts: RecipientPart[];
  /** The file has no recipient column: it must be refused. */
  noColumn?: boolean;
  wellFormed: boolean;
  note: string;
}

const csvQuote = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** Quoted when it must be (or at random when it need not). */
const csvField = (rng: Rng, s: string) => (/[",\r\n]/.test(s) || /^\s|\s$/.test(s) || rng.chance(0.2) ? csvQuote(s) : s);

function recipient(rng: Rng, defaultCountry: string | undefined, pool: string[]): RecipientPart {
  const r = rng.weighted([[6, 'valid'], [2, 'invalid'], [2, 'junk'], [1, 'empty']] as const);
  if (r === 'valid') return validNumber(rng, defaultCountry, pool);
  if (r === 'invalid') return invalidNumber(rng);
  if (r === 'empty') return { text: '', expect: 'reject', kind: 'empty-field' };
  return { text: randomString(rng, rng.int(1, 30)), expect: 'either', kind: 'junk' };
}

export function csvCase(rng: Rng, defaultCountry: string | undefined, pool: string[]): SourceCase {
  const eol = rng.pick(['\n', '\r\n', '\r']);
  const rows = rng.chance(0.05) ? rng.int(200, 1500) : rng.int(0, 25);
  const bom = rng.chance(0.2) ? '\ufeff' : '';
  const parts: RecipientPart[] = [];
  const lines: string[] = [];
  const bare = rng.chance(0.2);
  let columns: string[] = ['to'];
  if (bare) {
    // No header: the first line must look like a number for the reader to take the file as bare numbers.
    const e164 = validNumber(rng, defaultCountry, pool).e164 ?? '+919876543210';
    parts.push({ text: e164, expect: 'accept', e164, kind: 'plain' });
    lines.push(e164);
  } else {
    columns = [...rng.pick([['to'], ['name', 'to'], ['to', 'ref'], ['ref2', 'name', 'to', 'ref1', 'ref']])];
    const header = columns.map((c) => (c === 'to' ? rng.pick(['to', 'TO', ' to ', '"to"', 'To']) : c));
    lines.push(header.join(','));
  }
  for (let i = 0; i < rows; i++) {
    if (rng.chance(0.05)) lines.push(''); // blank lines are skipped, not rows
    const p = recipient(rng, defaultCountry, pool);
    parts.push(p);
    // An empty recipient alone on its line would be a blank line (skipped): quoted, it is a row.
    if (columns.length === 1 && p.text.trim() === '') {
      lines.push(csvQuote(p.text));
      continue;
    }
    const cells = columns.map((c) => (c === 'to' ? p.text : c === 'name' ? randomString(rng, rng.int(0, 12)) : rng.chance(0.5) ? '' : randomString(rng, rng.int(0, 300))));
    lines.push(cells.map((cell) => csvField(rng, cell)).join(','));
    // A ref holding a NUL is refused with its row (PostgreSQL cannot store it; a lone surrogate is written as U+FFFD's bytes, read back well-formed).
    if (columns.some((c, k) => c.startsWith('ref') && cells[k]!.includes('\u0000')) && p.expect === 'accept') parts[parts.length - 1] = { ...p, expect: 'reject' };
  }
  let text = `${bom}${lines.join(eol)}${rng.chance(0.7) ? eol : ''}`;
  let wellFormed = true;
  let noColumn = false;
  let note = `${bare ? 'bare' : columns.join('|')} rows=${rows} eol=${JSON.stringify(eol)}${bom ? ' bom' : ''}`;
  const odd = rng.weighted([[12, 'none'], [1, 'unclosed-quote'], [1, 'quote-inside'], [1, 'no-column'], [1, 'bad-utf8'], [1, 'nul'], [1, 'mixed-eol'], [1, 'empty-file'], [1, 'short-rows']] as const);
  if (odd !== 'none') {
    note += ` odd=${odd}`;
    wellFormed = false;
    if (odd === 'unclosed-quote') text += `"${randomString(rng, 5)}${eol}+919876543210${eol}`;
    if (odd === 'quote-inside') text += `+91"98765"43210${eol}`;
    if (odd === 'no-column' && !bare) {
      text = text.replace(/^(\ufeff)?[^\r\n]*/, '$1name,contact');
      noColumn = true;
    }
    if (odd === 'nul') text = text.replace(/\d(?=\d{4}\b)/, '\u0000');
    if (odd === 'mixed-eol') text = `${bare ? '' : 'to\r\n'}+919876543210\n+919876543211\r\n+919876543212\r+919876543213\n`;
    if (odd === 'empty-file') text = rng.pick(['', bom, eol, `${eol}${eol}`]);
    if (odd === 'short-rows') text += `x${eol}${eol},${eol}`;
  }
  let bytes = Buffer.from(text, 'utf8');
  if (odd === 'bad-utf8') {
    const at = rng.int(0, bytes.length);
    bytes = Buffer.concat([bytes.subarray(0, at), rng.pick(BAD_UTF8), bytes.subarray(at)]);
  }
  if (odd === 'mixed-eol') {
    // Four recipients, whatever the line ends: each must be read as its own row.
    const four = ['+919876543210', '+919876543211', '+919876543212', '+919876543213'].map((t) => ({ text: t, expect: 'accept' as const, e164: t, kind: 'mixed-eol' }));
    return { format: 'csv', bytes, records: 4, parts: four, wellFormed: true, note };
  }
  return { format: 'csv', bytes, records: wellFormed ? rows + (bare ? 1 : 0) : undefined, parts: wellFormed ? parts : [], noColumn, wellFormed, note };
}

export function ndjsonCase(rng: Rng, defaultCountry: string | undefined, pool: string[]): SourceCase {
  const eol = rng.pick(['\n', '\r\n']);
  const rows = rng.chance(0.05) ? rng.int(200, 1500) : rng.int(0, 25);
  const parts: RecipientPart[] = [];
  const lines: string[] = [];
  let records = 0;
  for (let i = 0; i < rows; i++) {
    if (rng.chance(0.05)) lines.push(rng.pick(['', '  ', '\t'])); // blank: skipped
    records++;
    const kind = rng.weighted([[8, 'object'], [1, 'number-to'], [1, 'wrong-type'], [1, 'not-json'], [1, 'not-object'], [1, 'deep']] as const);
    if (kind === 'object' || kind === 'deep') {
      const p = recipient(rng, defaultCountry, pool);
      const obj: Record<string, unknown> = { to: p.text };
      if (rng.chance(0.3)) obj.ref = randomString(rng, rng.int(0, 300));
      // An empty recipient, or a ref PostgreSQL cannot store (NUL, a lone surrogate: JSON carries both), is refused with its row.
      parts.push(p.text.trim() === '' || (typeof obj.ref === 'string' && !isStorableText(obj.ref)) ? { ...p, expect: 'reject' } : p);
      if (rng.chance(0.2)) obj.extra = { nested: [1, { x: null }] };
      lines.push(kind === 'deep' ? JSON.stringify(obj).replace(/}$/, `,"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`) : JSON.stringify(obj));
    } else if (kind === 'number-to') {
      lines.push(`{"to": ${rng.pick(['919876543210', '4915123456789', '1e3', '-5', '0'])}}`);
    } else if (kind === 'wrong-type') {
      lines.push(JSON.stringify({ to: rng.pick([null, true, [], {}, ['+919876543210']]) }));
    } else if (kind === 'not-json') {
      lines.push(rng.pick(['{to:"+919876543210"}', '{"to":"+919876543210"', 'not json', "{'to':'+919876543210'}", '{"to":"\\ud800"}x', `{"to":"${randomString(rng, 10).replace(/[\r\n"\\\u2028\u2029]/g, '')}`]));
    } else {
      lines.push(rng.pick(['[1,2]', '"+919876543210"', 'null', '42', 'true']));
    }
  }
  const bom = rng.chance(0.1) ? '\ufeff' : '';
  return { format: 'ndjson', bytes: Buffer.from(`${bom}${lines.join(eol)}${rng.chance(0.5) ? eol : ''}`, 'utf8'), records, parts, wellFormed: true, note: `rows=${rows} eol=${JSON.stringify(eol)}${bom ? ' bom' : ''}` };
}
