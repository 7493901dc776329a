import type { FastifyRequest } from 'fastify';
import { locateCampaign, type QueueContext } from '@wabulk/queue';
import { mayUseAccount } from './auth.js';
import { ApiError } from './error-handler.js';

// What a token may reach beyond its scopes (checked in buildApi's onRequest hook): its accounts.
// A campaign or account outside them is answered exactly as an unknown one (404), so a token never
// learns that it exists. Where the caller names the account itself (a send, an upload, a suppression
// list) there is nothing to hide: 403 says which account the token may not use.

/** Whether the request's token may see or act for the account (requests without a bearer token: no). */
export const mayUse = (request: FastifyRequest, account: string): boolean => request.caller !== null && mayUseAccount(request.caller, account);

/** The accounts the request's token is limited to, or undefined for every account. */
export const accountsOf = (request: FastifyRequest): readonly string[] | undefined =>
  request.caller === null ? [] : request.caller.accounts === '*' ? undefined : [...request.caller.accounts];

/** 403 unless the token may send for the account. */
export function assertMaySend(request: FastifyRequest, account: string): void {
  if (!mayUse(request, account)) throw new ApiError(403, { error: 'forbidden', message: `this token may not send for account ${account}` });
}

/** 403 unless the token may use the suppression list ('global' needs a token for every account). */
export function assertMayUseList(request: FastifyRequest, list: 'global' | { account: string }): void {
  if (list === 'global') {
    if (request.caller?.accounts !== '*') throw new ApiError(403, { error: 'forbidden', message: 'the global suppression list needs a token for every account (accounts ["*"])' });
  } else if (!mayUse(request, list.account)) {
    throw new ApiError(403, { error: 'forbidden', message: `this token may not use the suppression list of account ${list.account}` });
  }
}

/**
 * Campaign ids are one namespace for every account: a new campaign cannot take the id of another
 * account's. The producer's conflict names that account; for a token that may not see it, 409 says
 * only that the id is taken.
 */
export async function assertCampaignIdUsable(request: FastifyRequest, ctx: QueueContext, campaignId: string | undefined): Promise<void> {
  if (campaignId === undefined || request.caller?.accounts === '*') return;
  const meta = await locateCampaign(ctx, campaignId);
  if (meta && !mayUse(request, meta.account)) throw new ApiError(409, { error: 'campaign conflict', message: `campaign id ${campaignId} is taken; use another campaign id` });
}
