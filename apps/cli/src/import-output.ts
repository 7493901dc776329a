import { createWriteStream } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Rejected } from '@wabulk/queue';

/** What `send --csv` and `suppress import` show and write while a file is read. */

/** The progress bar of a file import, on stderr, only on a terminal and never with --json. `fields` name the counters shown after "read". */
export function importBar(json: boolean | undefined, fields: string): SingleBar | undefined {
  if (json || !process.stderr.isTTY) return undefined;
  return new SingleBar({ format: `importing |{bar}| {percentage}% | read {read} | ${fields} | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr, etaBuffer: 50 });
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** `--rejected-out FILE`: every rejected row as CSV `line,input,reason` (nothing is written without a path). */
export function openRejectsFile(path: string | undefined): { write: (r: Rejected) => void; close: () => Promise<void> } {
  const file = path ? createWriteStream(path) : undefined;
  file?.write('line,input,reason\n');
  return {
    write: (r) => void file?.write(`${r.line ?? ''},${csvField(r.input)},${csvField(r.reason)}\n`),
    close: () => new Promise<void>((resolve) => (file ? file.end(() => resolve()) : resolve())),
  };
}
