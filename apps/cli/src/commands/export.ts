import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { archivedCampaign, exportCampaign, locateCampaign } from '@wabulk/queue';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

/** `export --campaign ID [--format csv|ndjson] [--out FILE]`: one row per recipient, streamed. */
export async function exportCommand(o: { campaign: string; format: string; out?: string }): Promise<number> {
  if (o.format !== 'csv' && o.format !== 'ndjson') throw new CliError(`--format: must be csv or ndjson, got ${o.format}`, 2);
  const format = o.format;
  return withContext<number>(async (c) => {
    const where = await locateCampaign(c.ctx, o.campaign);
    if (!where) throw new CliError(`no campaign ${o.campaign}`, 3);
    // An archive that cannot answer fails before the output file is created.
    if (where.where === 'archive') await archivedCampaign(c.ctx, o.campaign);
    const out = o.out ? createWriteStream(o.out) : process.stdout;
    for await (const line of exportCampaign(c.ctx, o.campaign, format)) {
      if (!out.write(line)) await once(out, 'drain');
    }
    if (out !== process.stdout) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(() => r()));
    return 0;
  });
}
