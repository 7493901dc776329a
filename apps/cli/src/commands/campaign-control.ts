import { cancelCampaign, getCampaignStatus, locateCampaign, pauseCampaign, resumeCampaign } from '@wabulk/queue';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

const RUN = { pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;

/**
 * `pause|resume|cancel --campaign ID [--json]`: one campaign, leaving the account's others alone.
 * `--json` prints the campaign's status object (the fields of `status --json`) after the change.
 */
export async function campaignControlCommand(action: keyof typeof RUN, o: { campaign: string; account?: string; json?: boolean }): Promise<number> {
  // A campaign belongs to one account: naming both is ambiguous (did the operator mean the account?).
  if (o.account !== undefined) throw new CliError('give --campaign or --account, not both', 2);
  return withContext<number>(async (c) => {
    // An archived campaign is finished: nothing to pause, resume or cancel; the answer is its status.
    const archived = (await locateCampaign(c.ctx, o.campaign))?.where === 'archive';
    const result = archived ? { jobs: 0, cancelled: undefined } : await RUN[action](c.ctx, o.campaign);
    if (!result) throw new CliError(`no campaign ${o.campaign}`, 3);
    const s = await getCampaignStatus(c.ctx, o.campaign);
    if (!s) throw new CliError(`no campaign ${o.campaign}`, 3);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    const what = action === 'resume' ? `${result.jobs} pending recipient(s) queued again` : `${result.jobs} queued job(s) removed`;
    const cancelled = result.cancelled === undefined ? '' : `, ${result.cancelled} pending recipient(s) cancelled now`;
    process.stdout.write(`campaign ${o.campaign}: ${s.state}; ${what}${cancelled}. sent ${s.sent}, failed ${s.failed}, cancelled ${s.cancelled}, pending ${s.pending}\n`);
    return 0;
  });
}
