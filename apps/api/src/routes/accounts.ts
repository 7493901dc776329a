import { z } from 'zod';
import { getAccountState, listAccounts, pauseAccount, resumeAccount } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { ApiError } from '../error-handler.js';
import { accountParams, accountStateSchema, errorSchema } from '../schemas.js';

const pauseBody = z.object({ message: z.string().max(500, 'must be at most 500 characters').optional().describe('why (shown in status)') }).nullish();

/** Pause, resume and look at a Kaleyra account (its queue "wa-<account>"), as `wabulk pause|resume`. */
export function accountRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;
  const state = async (account: string) => {
    const s = await getAccountState(ctx, account);
    const c = s.counts;
    const queueDepth = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c.active ?? 0);
    return { account, paused: s.paused, pauseReason: s.pauseReason, pauseMessage: s.pauseMessage, pausedAt: s.pausedAt, resumedAt: s.resumedAt, queueDepth, counts: c };
  };
  const response = { 200: accountStateSchema, 400: errorSchema, 404: errorSchema };

  app.get('/v1/accounts/:id', { schema: { tags: ['accounts'], summary: 'paused or running, why and since when, queue depth', params: accountParams, response } }, async (request) => {
    const { id } = request.params;
    if (!(await listAccounts(ctx)).includes(id)) throw new ApiError(404, { error: 'not found', message: `no account ${id} has been used yet` });
    return state(id);
  });

  app.post(
    '/v1/accounts/:id/pause',
    { schema: { tags: ['accounts'], summary: 'stop every worker on every host from sending for the account', params: accountParams, body: pauseBody, response } },
    async (request) => {
      const { id } = request.params;
      await pauseAccount(ctx, id, 'manual', { message: request.body?.message ?? 'paused through the API' });
      request.log.info({ account: id, caller: request.tokenId }, 'account paused through the API');
      return state(id);
    },
  );

  app.post('/v1/accounts/:id/resume', { schema: { tags: ['accounts'], summary: 'restart sending for the account', params: accountParams, response } }, async (request) => {
    const { id } = request.params;
    await resumeAccount(ctx, id);
    request.log.info({ account: id, caller: request.tokenId }, 'account resumed through the API');
    return state(id);
  });
}
