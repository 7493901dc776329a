import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getAccountState, getDepthByPriority, listAccounts, listRegisteredAccounts, pauseAccount, registeredRate, registerAccounts, resumeAccount } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { mayUse } from '../access.js';
import { ApiError } from '../error-handler.js';
import { accountParams, accountStateSchema, errorSchema } from '../schemas.js';

const pauseBody = z.object({ message: z.string().max(500, 'must be at most 500 characters').optional().describe('why (shown in status)') }).nullish();

const accountList = z.object({ accounts: z.array(accountStateSchema).describe('sorted by id; the same objects as GET /v1/accounts/:id') });

/** List, pause, resume and look at a Kaleyra account (its queue "wa-<account>"), as `wabulk accounts|pause|resume`. */
export function accountRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;
  /** `rate`: the registration's, when the caller read it already (the list reads every registration at once). */
  const state = async (account: string, rate?: number | null) => {
    const [s, depthByPriority, ratePerSecond] = await Promise.all([
      getAccountState(ctx, account),
      getDepthByPriority(ctx, account),
      rate !== undefined ? rate : registeredRate(ctx, account).then((r) => r ?? null),
    ]);
    const c = s.counts;
    const queueDepth = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c.active ?? 0);
    return { account, paused: s.paused, pauseReason: s.pauseReason, pauseMessage: s.pauseMessage, pausedAt: s.pausedAt, resumedAt: s.resumedAt, queueDepth, depthByPriority, ratePerSecond, counts: c };
  };
  const response = { 200: accountStateSchema, 400: errorSchema, 404: errorSchema };
  /** An account outside the token's accounts is answered as an unknown one. */
  const unknown = (id: string) => new ApiError(404, { error: 'not found', message: `account ${id} is not known: no worker serving it has started and no operator registered it` });
  const assertMayUse = (request: FastifyRequest, id: string) => {
    if (!mayUse(request, id)) throw unknown(id);
  };

  app.get(
    '/v1/accounts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['accounts'],
        summary: 'every known account the token may use, with its state (as GET /v1/accounts/:id)',
        description:
          'Known: a worker serving it has started, an operator registered it (`wabulk accounts add ID`, POST /v1/accounts/:id), or this API is configured for it (KALEYRA_* / WABULK_ACCOUNTS_FILE / WABULK_ACCOUNT). A token limited to some accounts sees only those.',
        response: { 200: accountList },
      },
    },
    async (request) => {
      const registered = await listRegisteredAccounts(ctx);
      const rates = new Map(registered.map((r) => [r.account, r.ratePerSecond ?? null]));
      const known = [...new Set([...(api.options.configuredAccounts ?? []), ...registered.map((r) => r.account)])].filter((a) => mayUse(request, a)).sort();
      return { accounts: await Promise.all(known.map((a) => state(a, rates.get(a) ?? null))) };
    },
  );

  app.get('/v1/accounts/:id', { config: { scope: 'read' }, schema: { tags: ['accounts'], summary: 'paused or running, why and since when, queue depth', params: accountParams, response } }, async (request) => {
    const { id } = request.params;
    assertMayUse(request, id);
    const configured = api.options.configuredAccounts ?? [];
    if (!configured.includes(id) && !(await listAccounts(ctx)).includes(id)) throw unknown(id);
    return state(id);
  });

  app.post(
    '/v1/accounts/:id',
    {
      config: { scope: 'control' },
      schema: {
        tags: ['accounts'],
        summary: 'register an account ahead of its workers (as `wabulk accounts add ID`), so messages for it are accepted',
        description: 'Idempotent. An account is known once a worker serving it has started, an operator registered it, or the API is configured for it (KALEYRA_* / WABULK_ACCOUNTS_FILE / WABULK_ACCOUNT); messages for any other account are refused with 422.',
        params: accountParams,
        response,
      },
    },
    async (request) => {
      const { id } = request.params;
      assertMayUse(request, id);
      await registerAccounts(ctx, [id], 'operator');
      request.log.info({ account: id, caller: request.caller?.name }, 'account registered through the API');
      return state(id);
    },
  );

  app.post(
    '/v1/accounts/:id/pause',
    { config: { scope: 'control' }, schema: { tags: ['accounts'], summary: 'stop every worker on every host from sending for the account', params: accountParams, body: pauseBody, response } },
    async (request) => {
      const { id } = request.params;
      assertMayUse(request, id);
      await pauseAccount(ctx, id, 'manual', { message: request.body?.message ?? 'paused through the API' });
      request.log.info({ account: id, caller: request.caller?.name }, 'account paused through the API');
      return state(id);
    },
  );

  app.post('/v1/accounts/:id/resume', { config: { scope: 'control' }, schema: { tags: ['accounts'], summary: 'restart sending for the account', params: accountParams, response } }, async (request) => {
    const { id } = request.params;
    assertMayUse(request, id);
    await resumeAccount(ctx, id);
    request.log.info({ account: id, caller: request.caller?.name }, 'account resumed through the API');
    return state(id);
  });
}
