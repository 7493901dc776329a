import { Readable } from 'node:stream';
import { MAX_LINE_BYTES, splitLines, type SplitLine } from './line-splitter.js';
import { readCsvRecipients, readNdjsonRecipients, SourceError } from './campaign-source.js';
import { readSuppressionRows } from './suppression-import.js';
import { normaliseRecipients, REJECTED_INPUT_MAX, rejectedInput } from './normalise-recipients.js';

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const chunks = (...parts: Array<string | Buffer>) => Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
const texts = (lines: SplitLine[]) => lines.map((l) => (l.tooLong ? `<${l.bytes}>` : l.text));

test('splits on \\n, \\r\\n and a lone \\r, across chunk edges, a last line without an end', async () => {
  expect(texts(await collect(splitLines(chunks('a\nb\r', '\nc\rd\r\n\ne'))))).toEqual(['a', 'b', 'c', 'd', '', 'e']);
  expect(texts(await collect(splitLines(chunks('ab', 'c', '\n'))))).toEqual(['abc']);
  expect(texts(await collect(splitLines(chunks(''))))).toEqual([]);
  // Bad UTF-8 and a character split across chunks: decoded as one line.
  const e = Buffer.from('é');
  expect(texts(await collect(splitLines(chunks(Buffer.from([0x61, 0xff]), e.subarray(0, 1), e.subarray(1), '\n'))))).toEqual(['a\ufffdé']);
});

test('a line past the bound comes out tooLong with its size and head; the next lines are read', async () => {
  const lines = await collect(splitLines(chunks('ok\n', 'x'.repeat(10), 'y'.repeat(10), '\nnext\n'), 15));
  expect(lines).toEqual([
    { line: 1, text: 'ok' },
    { line: 2, tooLong: true, bytes: 20, head: 'x'.repeat(10) + 'y'.repeat(6) },
    { line: 3, text: 'next' },
  ]);
  // Exactly the bound: kept.
  expect(await collect(splitLines(chunks('x'.repeat(15)), 15))).toEqual([{ line: 1, text: 'x'.repeat(15) }]);
});

test('NDJSON: a line over 64 KiB is a rejected row naming its line (input cut to 100 characters); the import goes on', async () => {
  const long = `{"to":"+919800000002","name":"${'z'.repeat(MAX_LINE_BYTES)}"}`;
  const rows = await collect(readNdjsonRecipients(chunks('{"to":"+919800000001"}\n', long, '\n{"to":"+919800000003"}\n')));
  expect(rows).toEqual([
    { line: 1, to: '+919800000001' },
    { line: 2, error: expect.stringMatching(/^line longer than 64 KiB/), input: rejectedInput(long) },
    { line: 3, to: '+919800000003' },
  ]);
  expect((rows[1] as { input: string }).input.length).toBe(REJECTED_INPUT_MAX);
});

test('CSV: a record over 64 KiB stops the file at its line with a SourceError (csv-parse cannot go on)', async () => {
  const text = `to,name\n+919800000001,a\n+919800000002,${'z'.repeat(MAX_LINE_BYTES + 10)}\n+919800000003,c\n`;
  const seen: unknown[] = [];
  const err = await (async (): Promise<unknown> => {
    try {
      for await (const r of readCsvRecipients(chunks(text))) seen.push(r);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  // Rows before it may or may not have come out (csv-parse drops what it had parsed when it fails).
  expect(seen.length).toBeLessThanOrEqual(1);
  expect(err).toBeInstanceOf(SourceError);
  expect((err as SourceError).line).toBe(3);
  expect((err as SourceError).message).toMatch(/^line 3: a record longer than 65536 characters/);
  // The suppression import reads CSV the same way.
  await expect(collect(readSuppressionRows(chunks(text)))).rejects.toThrow(/line 3: a record longer than 65536/);
});

test('rejected inputs are cut to 100 characters, whole code points', async () => {
  expect(rejectedInput('a'.repeat(100))).toBe('a'.repeat(100));
  expect(rejectedInput('a'.repeat(101))).toBe('a'.repeat(99) + '…');
  // A surrogate pair across the cut is not split.
  const cut = rejectedInput('a'.repeat(98) + '😀' + 'b'.repeat(10));
  expect(cut).toBe('a'.repeat(98) + '…');
  expect(cut.length).toBeLessThanOrEqual(REJECTED_INPUT_MAX);
  expect(normaliseRecipients(['x'.repeat(5000)]).rejected[0]!.input.length).toBe(REJECTED_INPUT_MAX);
});

test('NDJSON: a first object over 64 KiB refuses the file at line 1 (it names the recipient field)', async () => {
  await expect(collect(readNdjsonRecipients(chunks(`{"to":"${'9'.repeat(MAX_LINE_BYTES)}"}\n{"to":"+919800000001"}\n`)))).rejects.toThrow(/^line 1: longer than 64 KiB/);
});
