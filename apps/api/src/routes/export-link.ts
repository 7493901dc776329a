import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { archivedCampaign, exportLinkKey, locateCampaign, RECIPIENT_STATUSES } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { mayUse } from '../access.js';
import { ApiError } from '../error-handler.js';
import { campaignParams, errorSchema } from '../schemas.js';
import { notFound, sendExport } from './campaigns.js';

/** How long a download link may wait for its one use. */
export const EXPORT_LINK_TTL_S = 60;

const linkBody = z
  .object({
    format: z.enum(['csv', 'ndjson']).default('csv').describe('the file: csv (default) or ndjson, as `?format=` of GET …/recipients'),
    status: z.enum(RECIPIENT_STATUSES).optional().describe('only recipients in this state'),
  })
  .nullish();

const linkAnswer = z.object({
  url: z.string().describe('GET it within `expiresAt`, once, with no Authorization header: the export as a file (content-disposition: attachment)'),
  expiresAt: z.number().describe('ms since the epoch'),
});

const ticketParams = z.object({ ticket: z.string().regex(/^[A-Za-z0-9_-]{32}$/, 'must be the ticket of a download link') });

interface Link {
  campaignId: string;
  format: 'csv' | 'ndjson';
  status?: (typeof RECIPIENT_STATUSES)[number];
  caller?: string;
}

/**
 * A campaign's export as a plain download: the browser saves the file as it streams (a page that
 * fetched it with its bearer token would hold the whole export in memory first). The token makes a
 * link that works once, within a minute, for that campaign only; the link is not the token.
 */
export function exportLinkRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;

  app.post(
    '/v1/campaigns/:id/export-link',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['campaigns'],
        summary: `a one-time download link (valid ${EXPORT_LINK_TTL_S} s) for the campaign's export, as GET …/recipients?format= gives it`,
        description: 'For browsers and tools that save a file from a URL: the link needs no Authorization header, works once, and expires. Everything else is as GET /v1/campaigns/:id/recipients?format=csv|ndjson.',
        params: campaignParams,
        body: linkBody,
        response: { 200: linkAnswer, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const where = await locateCampaign(ctx, id);
      if (!where || !mayUse(request, where.account)) throw notFound(id);
      // An archived campaign whose archive cannot answer: 503 now, not a broken download later.
      if (where.where === 'archive') await archivedCampaign(ctx, id);
      const ticket = randomBytes(24).toString('base64url');
      const link: Link = { campaignId: id, format: request.body?.format ?? 'csv', status: request.body?.status, caller: request.caller?.name };
      await ctx.redis.set(exportLinkKey(ctx.base, ticket), JSON.stringify(link), 'EX', EXPORT_LINK_TTL_S);
      return { url: `/v1/exports/${ticket}`, expiresAt: Date.now() + EXPORT_LINK_TTL_S * 1000 };
    },
  );

  app.get(
    '/v1/exports/:ticket',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['campaigns'],
        summary: 'download an export through a link of POST /v1/campaigns/:id/export-link (once, no token)',
        security: [],
        params: ticketParams,
        response: { 404: errorSchema },
      },
    },
    async (request, reply) => {
      // GETDEL: the first request takes the link; a second one (or a copy of the URL) finds nothing.
      const raw = await ctx.redis.getdel(exportLinkKey(ctx.base, request.params.ticket));
      if (raw === null) throw new ApiError(404, { error: 'not found', message: `this download link was used already or has expired (links work once, for ${EXPORT_LINK_TTL_S} s): start the download again` });
      const link = JSON.parse(raw) as Link;
      const where = await locateCampaign(ctx, link.campaignId);
      if (!where) throw notFound(link.campaignId);
      if (where.where === 'archive') await archivedCampaign(ctx, link.campaignId);
      request.log.info({ campaignId: link.campaignId, format: link.format, caller: link.caller }, 'export downloaded through a link');
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      return sendExport(reply, ctx, link.campaignId, link.format, link.status);
    },
  );
}
