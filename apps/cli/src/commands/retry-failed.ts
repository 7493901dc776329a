import { CampaignConflictError, FAILURE_CODE, locateCampaign } from '@wabulk/queue';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

/** `retry-failed --campaign ID [--codes WA500,HTTP_503]`: failed recipients back to pending and into the queue. */
export async function retryFailedCommand(o: { campaign: string; codes?: string; json?: boolean }): Promise<number> {
  const codes = o.codes?.split(',').map((s) => s.trim()).filter(Boolean);
  if (codes?.some((code) => !FAILURE_CODE.test(code))) throw new CliError('--codes: a comma-separated list of codes such as WA500,E110', 2);
  return withContext<number>(async (c) => {
    if (!(await locateCampaign(c.ctx, o.campaign))) throw new CliError(`no campaign ${o.campaign}`, 3);
    const r = await c.producer.retryFailed(o.campaign, { codes }).catch((err: unknown) => {
      // Being archived or restored by another process right now (the API's 409): try again later.
      if (err instanceof CampaignConflictError) throw new CliError(err.reason, 1);
      throw err;
    });
    if (o.json) process.stdout.write(`${JSON.stringify({ campaignId: o.campaign, ...r })}\n`);
    else process.stdout.write(`campaign ${o.campaign}: ${r.restored ? 'brought back from the archive; ' : ''}${r.requeued} failed recipient(s) queued again${codes ? ` (codes ${codes.join(', ')})` : ''}\n`);
    return 0;
  });
}
