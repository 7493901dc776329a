import { listCampaignStatuses, type CampaignState, type CampaignStatus } from '@wabulk/queue/read';
import { withReadContext } from '../read-context.js';

export interface CampaignsOptions {
  state?: CampaignState;
  account?: string;
  limit: number;
  json?: boolean;
}

const line = (s: CampaignStatus) =>
  `${s.campaignId}\t${s.account}\t${s.state}\t${new Date(s.createdAt).toISOString()}\ttotal ${s.total}, pending ${s.pending}, sent ${s.sent}, failed ${s.failed}${s.paused ? ` (account paused: ${s.pauseReason})` : ''}`;

/**
 * `campaigns [--state S] [--account A] [--limit N] [--json]`: newest first; `--json` prints one JSON
 * array of the objects `status --json` prints. Single messages (sent without a campaign id) are not listed.
 */
export async function campaignsCommand(o: CampaignsOptions): Promise<number> {
  // The light read path (start-up, issue 15): read-context.ts, `@wabulk/queue/read`.
  return withReadContext<number>(async (c) => {
    const found: CampaignStatus[] = [];
    const leftOut: string[] = [];
    let why = '';
    let cursor: string | undefined;
    do {
      const page = await listCampaignStatuses(c.ctx, { state: o.state, account: o.account, limit: o.limit - found.length, cursor });
      found.push(...page.campaigns);
      if (page.archiveUnavailable) {
        leftOut.push(...page.archiveUnavailable.campaignIds);
        why = page.archiveUnavailable.message;
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined && found.length < o.limit);
    if (o.json) process.stdout.write(`${JSON.stringify(found)}\n`);
    else if (found.length === 0) process.stdout.write('no campaigns\n');
    else for (const s of found) process.stdout.write(`${line(s)}\n`);
    // The live campaigns are listed; the archived ones PostgreSQL could not give are named, and the exit code says the list is partial.
    if (leftOut.length > 0) {
      process.stderr.write(`left out ${leftOut.length} archived campaign(s) (${leftOut.slice(0, 10).join(', ')}${leftOut.length > 10 ? ', …' : ''}): ${why}\n`);
      return 1;
    }
    return 0;
  });
}
