import { getCampaignStatus } from '@wabulk/queue';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { formatStatusLine, watchCampaign } from '../live-summary.js';

/** `status --campaign ID [--json] [--once]`: one JSON object, or a live summary until done. */
export async function statusCommand(o: { campaign: string; json?: boolean; once?: boolean }): Promise<number> {
  return withContext<number>(async (c) => {
    const s = await getCampaignStatus(c.ctx, o.campaign);
    if (!s) throw new CliError(`no campaign ${o.campaign}`, 3);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    if (o.once || s.done) {
      process.stdout.write(`${formatStatusLine(s)}\n`);
      return 0;
    }
    await watchCampaign(c.ctx, o.campaign, { out: process.stdout });
    return 0;
  });
}
