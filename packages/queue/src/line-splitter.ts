import type { Readable } from 'node:stream';

/** The longest CSV record or NDJSON line read (64 KiB); a longer one is refused with its line number. */
export const MAX_LINE_BYTES = 64 * 1024;

/** One line of an input: its text, or `tooLong` (its bytes past `max` were dropped unread; `head`: its first 400 bytes, decoded). */
export type SplitLine = { line: number; text: string; tooLong?: undefined } | { line: number; tooLong: true; bytes: number; head: string };

/**
 * The lines of a byte stream (line ends: \n, \r\n or a lone \r, as readline reads them), never
 * holding more than `max` bytes of one line: the rest of a longer line is counted and dropped, and the
 * line comes out as `tooLong`. Text is decoded as UTF-8 (bad bytes become U+FFFD); a last line without
 * a line end counts.
 */
export async function* splitLines(input: Readable, max = MAX_LINE_BYTES): AsyncGenerator<SplitLine> {
  let parts: Buffer[] = [];
  let kept = 0;
  let total = 0;
  let line = 0;
  // A \r ended the last line: a \n right after it belongs to the same line end.
  let afterCR = false;
  const end = (): SplitLine => {
    line++;
    const all = Buffer.concat(parts, kept);
    const out: SplitLine = total > max ? { line, tooLong: true, bytes: total, head: all.subarray(0, 400).toString('utf8') } : { line, text: all.toString('utf8') };
    parts = [];
    kept = 0;
    total = 0;
    return out;
  };
  for await (const raw of input) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    let start = 0;
    if (afterCR && chunk.length > 0 && chunk[0] === 0x0a) start = 1;
    afterCR = false;
    while (start < chunk.length) {
      let i = start;
      while (i < chunk.length && chunk[i] !== 0x0a && chunk[i] !== 0x0d) i++;
      const piece = chunk.subarray(start, i);
      total += piece.length;
      if (kept < max && piece.length > 0) {
        const take = piece.subarray(0, Math.min(piece.length, max - kept + 1));
        // Copied: a kept slice must not pin the whole (possibly large) chunk.
        parts.push(Buffer.from(take));
        kept += take.length;
      }
      if (i === chunk.length) break;
      yield end();
      if (chunk[i] === 0x0d) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === 0x0a) i++;
        } else afterCR = true;
      }
      start = i + 1;
    }
  }
  if (total > 0) yield end();
}
