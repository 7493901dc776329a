import { createReadStream, readFileSync, statSync } from 'node:fs';
import { CampaignConflictError, estimateSending, InvalidIdError, parseDelimiter, placeholderNames, prioritySchema, readCsvRecipients, readNdjsonRecipients, SourceError, UnknownAccountError, ValidationError, type CampaignImportResult, type EnqueueResult, type Priority, type SendingEstimate, type SourceHeader } from '@wabulk/queue';
import { withContext, type CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { importBar, openRejectsFile } from '../import-output.js';
import { watchCampaign } from '../live-summary.js';

export interface SendOptions {
  campaign?: string;
  to?: string;
  csv?: string;
  column?: string;
  delimiter?: string;
  format?: 'csv' | 'ndjson';
  body?: string;
  bodyFile?: string;
  previewUrl?: boolean;
  ref?: string;
  ref1?: string;
  ref2?: string;
  account?: string;
  priority: string;
  wait?: boolean;
  json?: boolean;
  rejectedOut?: string;
  at?: string;
  window?: string;
  tz?: string;
  dryRun?: boolean;
}

function readBody(o: SendOptions): string {
  if ((o.body === undefined) === (o.bodyFile === undefined)) throw new CliError('give the message as exactly one of --body TEXT or --body-file FILE', 2);
  if (o.body !== undefined) return o.body;
  try {
    return readFileSync(o.bodyFile!, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliError(`--body-file: cannot read ${o.bodyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}

export async function sendCommand(o: SendOptions): Promise<number> {
  if ((o.to === undefined) === (o.csv === undefined)) throw new CliError('give the recipients as exactly one of --to "a,b,c" or --csv FILE', 2);
  if (o.csv !== undefined && o.campaign === undefined) throw new CliError('--campaign ID is required with --csv (the id makes a re-run add nothing twice)', 2);
  const delimiter = o.delimiter === undefined ? undefined : parseDelimiter(o.delimiter);
  if (o.delimiter !== undefined && delimiter === undefined) throw new CliError(`--delimiter: must be , ; or tab, got ${JSON.stringify(o.delimiter)}`, 2);
  const body = readBody(o);
  const priority = prioritySchema.safeParse(o.priority);
  if (!priority.success) throw new CliError(`--priority: must be high, normal or low, got ${JSON.stringify(o.priority)}`, 2);
  if (o.dryRun && o.wait) throw new CliError('--wait has nothing to follow on a --dry-run', 2);
  const fields = { campaignId: o.campaign, body, previewUrl: o.previewUrl || undefined, ref: o.ref, ref1: o.ref1, ref2: o.ref2, account: o.account, priority: priority.data, at: o.at, window: o.window, tz: o.tz };

  return withContext<number>(async (c) => {
    let result: (EnqueueResult | (CampaignImportResult & { source?: ImportSource })) & { estimate?: SendingEstimate };
    try {
      result = o.to !== undefined ? await c.producer.enqueueText({ ...fields, to: o.to, dryRun: o.dryRun }) : await importFile(c, { ...o, delimiter }, { ...fields, campaignId: o.campaign! });
    } catch (err) {
      if (err instanceof ValidationError || err instanceof SourceError || err instanceof CampaignConflictError || err instanceof InvalidIdError || err instanceof UnknownAccountError) {
        throw new CliError(err instanceof SourceError && o.csv ? `${o.csv}: ${err.message}` : err.message, 2);
      }
      throw err;
    }
    if (result.dryRun) {
      const configured = Number(process.env.WABULK_RATE_PER_SECOND);
      result = { ...result, estimate: await estimateSending(c.ctx, o.account ?? c.env.WABULK_ACCOUNT, result.accepted, Number.isFinite(configured) ? configured : undefined) };
    }
    const rejectedTotal = (result as Partial<CampaignImportResult>).rejectedTotal ?? result.rejected.length;
    if (o.json && !o.wait) process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!o.json) printReport(result, rejectedTotal, { at: o.at, window: o.window, tz: o.tz });
    if (result.accepted === 0 && result.duplicates === 0) {
      if (!o.json) process.stderr.write('nothing to send: every recipient was rejected\n');
      return 2;
    }
    if (o.wait) {
      const final = await watchCampaign(c.ctx, result.campaignId, { out: process.stderr });
      if (o.json) process.stdout.write(`${JSON.stringify({ ...result, status: final })}\n`);
    }
    return 0;
  });
}

/** Which column (and, for CSV, which delimiter) the recipients were read from. */
interface ImportSource {
  column: string;
  delimiter?: string;
}

const showDelimiter = (d: string) => (d === '\t' ? 'tab' : d);

async function importFile(c: CliContext, o: SendOptions, fields: { campaignId: string; body: string; previewUrl?: boolean; ref?: string; ref1?: string; ref2?: string; account?: string; priority: Priority; at?: string; window?: string; tz?: string }): Promise<CampaignImportResult & { source?: ImportSource }> {
  const path = o.csv!;
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new CliError(`--csv: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  const format = o.format ?? (/\.(nd)?jsonl?$/i.test(path) ? 'ndjson' : 'csv');
  const stream = createReadStream(path);
  const bar = importBar(o.json, 'accepted {accepted} | duplicates {duplicates} | rejected {rejected}');
  const counts = { read: 0, accepted: 0, duplicates: 0, rejected: 0 };
  // Started once the header is read: the line naming the column comes first, above the bar.
  let barStarted = false;
  const startBar = () => {
    if (bar && !barStarted) bar.start(Math.max(size, 1), 0, counts);
    barStarted = true;
  };
  const rejectsFile = openRejectsFile(o.rejectedOut);
  let source: ImportSource | undefined;
  const onHeader = (h: SourceHeader) => {
    source = h.delimiter === undefined ? { column: h.column } : { column: h.column, delimiter: h.delimiter };
    const from = h.column === '' ? 'one number per line (no header)' : `from column ${JSON.stringify(h.column)}`;
    if (!o.json) process.stderr.write(`reading recipients ${from}${h.delimiter === undefined || h.column === '' ? '' : ` (delimiter "${showDelimiter(h.delimiter)}")`}\n`);
    startBar();
  };
  // The placeholders of the text name the columns each row must give (checked against the header first).
  const options = { column: o.column, delimiter: o.delimiter, onHeader, fields: placeholderNames(fields.body) };
  try {
    const result = await c.producer.enqueueCampaign({
      ...fields,
      dryRun: o.dryRun,
      recipients: format === 'ndjson' ? readNdjsonRecipients(stream, options) : readCsvRecipients(stream, options),
      onRejected: rejectsFile.write,
      onProgress: (p) => {
        Object.assign(counts, p);
        startBar();
        bar?.update(stream.bytesRead, counts);
      },
    });
    return source === undefined ? result : { ...result, source };
  } finally {
    if (barStarted) {
      bar?.update(stream.bytesRead, counts);
      bar?.stop();
    }
    stream.destroy();
    await rejectsFile.close();
  }
}


function printReport(r: (EnqueueResult | CampaignImportResult) & { estimate?: SendingEstimate }, rejectedTotal: number, schedule: { at?: string; window?: string; tz?: string }) {
  const out = process.stdout;
  const what = r.dryRun ? `dry run of campaign ${r.campaignId} (nothing was written): would accept` : `campaign ${r.campaignId}: accepted`;
  out.write(`${what} ${r.accepted}, duplicates ${r.duplicates}, rejected ${rejectedTotal} (suppressed ${r.suppressed})\n`);
  const reasons = Object.entries(r.rejectedByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) out.write(`  rejected by reason: ${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')}\n`);
  for (const x of r.rejected) out.write(`  rejected${x.line !== undefined ? ` line ${x.line}` : ''}: ${JSON.stringify(x.input)} — ${x.reason}\n`);
  if (rejectedTotal > r.rejected.length) out.write(`  … and ${rejectedTotal - r.rejected.length} more rejected (use --rejected-out FILE for all of them)\n`);
  if (r.samples !== undefined) {
    out.write(r.samples.length > 0 ? 'samples:\n' : 'samples: none (no recipient accepted)\n');
    for (const s of r.samples) out.write(`  ${s.to}: ${JSON.stringify(s.text)}\n`);
  }
  if (schedule.at !== undefined) out.write(`starts at ${schedule.at}${Date.parse(schedule.at) <= Date.now() ? ' (in the past: starts now)' : ''}\n`);
  if (schedule.window !== undefined) out.write(`sending window ${schedule.window} in ${schedule.tz ?? "each recipient's local time"}\n`);
  if (r.estimate) {
    const source = { worker: 'the rate of the worker serving the account', configured: 'WABULK_RATE_PER_SECOND', default: 'the default rate; no worker has registered one' }[r.estimate.rateSource];
    out.write(`estimated sending time: ${formatDuration(r.estimate.seconds)} at ${r.estimate.ratePerSecond}/s (${source}${schedule.window ? '; time outside the window not counted' : ''})\n`);
  }
}

/** "45 s", "12 min", "3 h 28 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
