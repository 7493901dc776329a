import { Readable } from 'node:stream';
import { detectDelimiter, parseDelimiter, readCsvRecipients, readNdjsonRecipients, SourceError, type SourceHeader, type SourceOptions } from './campaign-source.js';
import type { SourceRow } from './producer.js';

/** Every row of `text` (or of its bytes in `chunk`-byte pieces), and the header the reader reported. */
async function read(reader: typeof readCsvRecipients, text: string | Buffer, options: SourceOptions = {}, chunk?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk ?? bytes.length) pieces.push(bytes.subarray(at, at + (chunk ?? bytes.length)));
  const headers: SourceHeader[] = [];
  const rows: SourceRow[] = [];
  for await (const row of reader(Readable.from(pieces), { ...options, onHeader: (h) => headers.push(h) })) rows.push(row);
  return { rows, headers };
}
const csv = (text: string | Buffer, options?: SourceOptions, chunk?: number) => read(readCsvRecipients, text, options, chunk);
const ndjson = (text: string, options?: SourceOptions) => read(readNdjsonRecipients, text, options);

describe('detectDelimiter', () => {
  test.each([
    ['to,name', ','],
    ['to;name;city', ';'],
    ['to\tname', '\t'],
    ['to', ','],
    ['', ','],
    ['a;b,c', ','], // a tie: comma
    ['"x,y,z";to;name', ';'], // commas inside quotes do not count
    ['"Phone Number";"Name, full"', ';'],
  ])('%j → %j', (line, d) => expect(detectDelimiter(line)).toBe(d));

  test('parseDelimiter takes , ; tab and \\t', () => {
    expect([',', ';', 'tab', 'TAB', '\\t', '\t', '|', ''].map(parseDelimiter)).toEqual([',', ';', '\t', '\t', '\t', '\t', undefined, undefined]);
  });
});

describe('readCsvRecipients', () => {
  test('an Excel file: BOM, CRLF, semicolons, "to;name" — delimiter found, column found, header reported', async () => {
    const file = Buffer.from('\ufeffto;name\r\n+919876543210;Asha\r\n+919876543211;Ravi\r\n', 'utf8');
    for (const chunk of [undefined, 1, 3]) {
      const { rows, headers } = await csv(file, {}, chunk);
      expect(rows).toEqual([{ line: 2, to: '+919876543210' }, { line: 3, to: '+919876543211' }]);
      expect(headers).toEqual([{ columns: ['to', 'name'], column: 'to', delimiter: ';' }]);
    }
  });

  test('tab-separated, with a quoted field holding tabs and commas', async () => {
    const { rows, headers } = await csv('name\tMobile\tref\n"A\tB, C"\t+919876543210\tr1\n');
    expect(rows).toEqual([{ line: 2, to: '+919876543210', ref: 'r1' }]);
    expect(headers[0]).toEqual({ columns: ['name', 'Mobile', 'ref'], column: 'Mobile', delimiter: '\t' });
  });

  test('quoted fields holding the delimiter are one field', async () => {
    const { rows } = await csv('"Name; full";phone\n"Kumar; Asha";+919876543210\n', { fields: ['name; full'] });
    expect(rows).toEqual([{ line: 2, to: '+919876543210', vars: { 'name; full': 'Kumar; Asha' } }]);
  });

  test('options.delimiter wins over detection', async () => {
    const { rows, headers } = await csv('to;name\n+919876543210;Asha\n', { delimiter: ',', column: 'to;name' });
    expect(headers[0]).toEqual({ columns: ['to;name'], column: 'to;name', delimiter: ',' });
    expect(rows).toEqual([{ line: 2, to: '+919876543210;Asha' }]);
  });

  test.each([
    ['Phone Number', 'name,Phone Number\nA,+919876543210\n'],
    ['MSISDN', 'MSISDN\n+919876543210\n'],
    ['whatsapp', 'id,whatsapp,number\n1,+919876543210,x\n'], // whatsapp comes before number in the list
    ['to', 'phone,to\n+919876543299,+919876543210\n'], // to comes before phone
    ['phone_number', ' phone_number ,x\n+919876543210,y\n'],
  ])('no column given: the common name %j is found', async (column, text) => {
    const { rows, headers } = await csv(text);
    expect(headers[0]!.column).toBe(column);
    expect(rows[0]!.to).toBe('+919876543210');
  });

  test('options.column is matched case-insensitively and trimmed', async () => {
    const { rows, headers } = await csv('Name,Cell \nA,+919876543210\n', { column: ' cell' });
    expect(headers[0]!.column).toBe('Cell');
    expect(rows).toEqual([{ line: 2, to: '+919876543210' }]);
  });

  test('no recipient column: refused naming the columns found (and --column)', async () => {
    await expect(csv('name,contact\nA,+919876543210\n')).rejects.toThrow(
      new SourceError('no recipient column in the header (name, contact): none is named to, phone, mobile, msisdn, phone number, phone_number, mobile number, whatsapp, number; name it with --column', 1),
    );
    await expect(csv('name,phone\nA,+919876543210\n', { column: 'to' })).rejects.toThrow(new SourceError('no "to" column in the header (name, phone); name the column with --column', 1));
  });

  test('bare numbers, one per line, without a header still work', async () => {
    const { rows, headers } = await csv('+919876543210\r\n919876543211\r\n');
    expect(rows).toEqual([{ line: 1, to: '+919876543210' }, { line: 2, to: '919876543211' }]);
    expect(headers).toEqual([{ columns: [], column: '', delimiter: ',' }]);
  });

  test('an empty recipient: the row (joined with the file\'s delimiter) is an error row naming the column', async () => {
    const { rows } = await csv('Phone;name\n;Asha\n');
    expect(rows).toEqual([{ line: 2, error: 'empty "Phone"', input: ';Asha' }]);
  });

  test('fields: each row gets vars by the names asked for (any case in the header; short rows give "")', async () => {
    const { rows } = await csv('to,Name,ORDER,city\n+919876543210, Asha ,A-1,Pune\n+919876543211,Ravi\n', { fields: ['name', 'order'] });
    expect(rows).toEqual([
      { line: 2, to: '+919876543210', vars: { name: 'Asha', order: 'A-1' } },
      { line: 3, to: '+919876543211', vars: { name: 'Ravi', order: '' } },
    ]);
  });

  test('fields: a placeholder that names no column is refused before any row is read', async () => {
    const rows: SourceRow[] = [];
    const reading = (async () => {
      for await (const row of readCsvRecipients(Readable.from(['to,city\n+919876543210,Pune\n']), { fields: ['city', 'name'] })) rows.push(row);
    })();
    await expect(reading).rejects.toThrow(new SourceError("the message's placeholder {{name}} names no column of the file (to, city)"));
    expect(rows).toEqual([]);
    await expect(csv('+919876543210\n', { fields: ['name'] })).rejects.toThrow("the message's placeholder {{name}} names no column of the file (no header)");
  });

  test('an empty file is refused', async () => {
    await expect(csv('')).rejects.toThrow('the file is empty');
    await expect(csv('\ufeff\r\n')).rejects.toThrow('the file is empty');
  });

  test('a header longer than a chunk, split anywhere, is read whole', async () => {
    const header = [...Array.from({ length: 50 }, (_, i) => `column number ${i}`), 'phone'].join(';');
    const { rows, headers } = await csv(`${header}\n${';'.repeat(50)}+919876543210\n`, {}, 7);
    expect(headers[0]!.delimiter).toBe(';');
    expect(rows).toEqual([{ line: 2, to: '+919876543210' }]);
  });

  test('a failing input fails the reader with its own error', async () => {
    const input = new Readable({ read() {} });
    input.push('to\n+919876543210\n');
    setTimeout(() => input.destroy(new Error('aborted')), 10);
    await expect((async () => { for await (const _ of readCsvRecipients(input)); })()).rejects.toThrow('aborted');
  });
});

describe('readNdjsonRecipients', () => {
  test('the recipient field: a common name (exact key first, then any case) or options.column', async () => {
    expect((await ndjson('{"Mobile":"+919876543210"}\n')).rows).toEqual([{ line: 1, to: '+919876543210' }]);
    expect((await ndjson('{"phone":"+919876543299","to":"+919876543210"}\n')).rows).toEqual([{ line: 1, to: '+919876543210' }]);
    const { rows, headers } = await ndjson('{"Cell":"+919876543210"}\n{"cell":"+919876543211"}\n', { column: 'cell' });
    expect(rows).toEqual([{ line: 1, to: '+919876543210' }, { line: 2, to: '+919876543211' }]);
    expect(headers).toEqual([{ columns: ['Cell'], column: 'Cell' }]);
  });

  test('fields: vars from each object; numbers and true/false as text, null and absent as ""', async () => {
    const { rows } = await ndjson(
      ['{"to":"+919876543210","name":"Asha","Order":7}', '{"to":"+919876543211","name":null,"order":true}', '{"to":"+919876543212"}'].join('\n'),
      { fields: ['name', 'order'] },
    );
    expect(rows).toEqual([
      { line: 1, to: '+919876543210', vars: { name: 'Asha', order: '7' } },
      { line: 2, to: '+919876543211', vars: { name: '', order: 'true' } },
      { line: 3, to: '+919876543212', vars: { name: '', order: '' } },
    ]);
  });

  test('fields: an object or array value makes the row an error row', async () => {
    const { rows } = await ndjson('{"to":"+919876543210","name":"A"}\n{"to":"+919876543211","name":{"first":"A"}}\n', { fields: ['name'] });
    expect(rows[1]).toEqual({ line: 2, error: 'field "name" must be text, a number or true/false', input: '{"to":"+919876543211","name":{"first":"A"}}' });
  });

  test('fields: the first object is the header: a placeholder it lacks is refused with its line', async () => {
    await expect(ndjson('not json\n{"to":"+919876543210","city":"Pune"}\n', { fields: ['name'] })).rejects.toThrow(
      new SourceError("the message's placeholder {{name}} names no column of the file (to, city)", 2),
    );
  });
});
