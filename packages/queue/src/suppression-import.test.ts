import { Readable } from 'node:stream';
import { SourceError } from './campaign-source.js';
import { normaliseSuppressionNumbers, readSuppressionRows, suppressionListName, type SuppressionRow } from './suppression-import.js';

const rows = async (text: string, column?: string) => {
  const out: SuppressionRow[] = [];
  for await (const r of readSuppressionRows(Readable.from([text]), { column })) out.push(r);
  return out;
};

test('a header naming the number column (to, phone, Phone Number, msisdn, …), case and spacing aside', async () => {
  expect(await rows('name,Phone Number\nA,+919876543210\nB,\n')).toEqual([
    { line: 2, input: '+919876543210' },
    { line: 3, input: 'B,', error: 'empty' },
  ]);
  expect(await rows('\ufeffMSISDN,x\n+919876543210,1\n')).toEqual([{ line: 2, input: '+919876543210' }]); // a byte-order mark is no part of the header
  expect(await rows('id,to,phone\n1,+911,+912\n')).toEqual([{ line: 2, input: '+911' }]); // the first named column wins
  expect(await rows('a,alt\n1,+919876543210\n', 'ALT')).toEqual([{ line: 2, input: '+919876543210' }]);
});

test('one number per line without a header; a one-column header of any name; blank lines skipped; mixed line ends', async () => {
  expect(await rows('+919876543210\r\n98765 43211\n\n+919876543212\r')).toEqual([
    { line: 1, input: '+919876543210' },
    { line: 2, input: '98765 43211' },
    { line: 4, input: '+919876543212' },
  ]);
  expect(await rows('Do not contact\n+919876543210\n')).toEqual([{ line: 2, input: '+919876543210' }]);
});

test('unusable files: no number column, a named column missing, empty, broken quoting', async () => {
  await expect(rows('name,city\nA,B\n')).rejects.toThrow(/^line 1: no number column in the header \(name, city\)/);
  await expect(rows('to\n+919876543210\n', 'phone')).rejects.toThrow('line 1: no "phone" column in the header (to)');
  await expect(rows('')).rejects.toThrow(new SourceError('the file is empty'));
  await expect(rows('to\n"+9198765\n')).rejects.toThrow(/not valid CSV/);
});

test('normalising and naming lists', () => {
  expect(normaliseSuppressionNumbers(['98765 43210', '+919876543210', 'x'], 'IN')).toEqual({ numbers: ['+919876543210', '+919876543210'], rejected: [{ input: 'x', reason: 'not a phone number' }] });
  expect(suppressionListName('global')).toBe('global');
  expect(suppressionListName({ account: 'acme' })).toBe('account:acme');
});
