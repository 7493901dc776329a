import { getCampaignStatus } from '@wabulk/queue/read';
import { CliError } from '../cli-error.js';
import { formatStatusLine, watchCampaign } from '../live-summary.js';
import { withReadContext } from '../read-context.js';

// Start-up (issue 15): the light read path (`@wabulk/queue/read`, ioredis): no bullmq, zod, luxon or
// libphonenumber, and the same answer as the API's (one getCampaignStatus). test/cli/lazy-load.test.ts holds it.

/** `status --campaign ID [--json] [--once]`: one JSON object, or a live summary until done. */
export async function statusCommand(o: { campaign: string; json?: boolean; once?: boolean }): Promise<number> {
  return withReadContext<number>(async (c) => {
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
