import { z } from 'zod';
import { accountIdSchema } from '@wabulk/config';
import { CAMPAIGN_STATES, InvalidCursorError, listCampaignStatuses } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { accountsOf } from '../access.js';
import { invalid } from '../error-handler.js';
import { campaignStatusSchema, errorSchema } from '../schemas.js';

const listQuery = z.object({
  state: z.enum(CAMPAIGN_STATES).optional().describe('only campaigns in this state'),
  account: accountIdSchema.optional().describe('only campaigns of this account'),
  limit: z.coerce.number().int().min(1).max(500).default(20).describe('campaigns per page'),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the cursor of the previous page').optional().describe('the `cursor` of the previous page'),
});

const listAnswer = z.object({
  campaigns: z.array(campaignStatusSchema).describe('newest first; the same objects as GET /v1/campaigns/:id'),
  cursor: z.string().nullable().describe('pass as `cursor` for the next page; null after the last one (a filtered page may be short and still have one)'),
  archiveUnavailable: z
    .object({ message: z.string(), campaignIds: z.array(z.string()) })
    .optional()
    .describe('present when the campaign archive (PostgreSQL) could not answer: these archived campaigns were left out of the page; live campaigns are listed as usual'),
});

/** GET /v1/campaigns: the campaign list, as `wabulk campaigns`. */
export function campaignListRoutes(app: Api, api: ApiContext): void {
  app.get(
    '/v1/campaigns',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['campaigns'],
        summary: 'the campaigns, newest first, filtered by state and account, paged with a cursor (as `wabulk campaigns`)',
        description:
          'Only the campaigns of the token\'s accounts (an `account` outside them: an empty list). ' +
          'Messages sent through POST /v1/messages without a campaignId are not listed: each keeps the campaignId of its answer for GET /v1/campaigns/:id, recipients and callbacks, and expires WABULK_MESSAGE_TTL_S (default 2 days) after it finished.',
        querystring: listQuery,
        response: { 200: listAnswer, 400: errorSchema },
      },
    },
    async (request) => {
      const { state, account, limit, cursor } = request.query;
      // Only the campaigns of the token's accounts: another account's are not there for it.
      const accounts = accountsOf(request);
      if (accounts !== undefined && account !== undefined && !accounts.includes(account)) return { campaigns: [], cursor: null };
      try {
        return await listCampaignStatuses(api.ctx, { state, account, accounts, limit, cursor });
      } catch (err) {
        if (err instanceof InvalidCursorError) throw invalid('cursor', 'must be the cursor of the previous page');
        throw err;
      }
    },
  );
}
