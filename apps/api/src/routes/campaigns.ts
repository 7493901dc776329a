import { Readable } from 'node:stream';
import { z } from 'zod';
import { exportCampaign, exportRecord, getCampaignMeta, getCampaignStatus, RECIPIENT_STATUSES } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { ApiError } from '../error-handler.js';
import { campaignParams, campaignStatusSchema, errorSchema, recipientSchema } from '../schemas.js';

const recipientsQuery = z.object({
  status: z.enum(RECIPIENT_STATUSES).optional().describe('only recipients in this state'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('rows per page (about: a page holds whole HSCAN batches)'),
  cursor: z.string().regex(/^\d+$/, 'must be the nextCursor of the previous page').optional(),
  format: z.enum(['json', 'csv', 'ndjson']).default('json').describe('csv or ndjson: every recipient (matching status), streamed; no paging'),
});

const notFound = (id: string) => new ApiError(404, { error: 'not found', message: `no campaign ${id}` });

/** GET /v1/campaigns/:id (the fields of `wabulk status --json`) and GET /v1/campaigns/:id/recipients. */
export function campaignRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;

  app.get(
    '/v1/campaigns/:id',
    { schema: { tags: ['campaigns'], summary: 'campaign progress (same fields as `wabulk status --json`)', params: campaignParams, response: { 200: campaignStatusSchema, 404: errorSchema } } },
    async (request) => {
      const status = await getCampaignStatus(ctx, request.params.id);
      if (!status) throw notFound(request.params.id);
      return status;
    },
  );

  app.get(
    '/v1/campaigns/:id/recipients',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'recipients with their status, message_id and code: paged JSON, or all as CSV/NDJSON',
        params: campaignParams,
        querystring: recipientsQuery,
        response: { 200: z.object({ campaignId: z.string(), recipients: z.array(recipientSchema), nextCursor: z.string().nullable() }), 404: errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      if (!(await getCampaignMeta(ctx, id))) throw notFound(id);
      if (q.format !== 'json') {
        const lines = Readable.from(exportCampaign(ctx, id, q.format, { status: q.status }));
        return reply
          .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
          .header('content-disposition', `attachment; filename="${id}.${q.format}"`)
          .send(lines as never);
      }
      const page = await ctx.ledger.page(id, { cursor: q.cursor, limit: q.limit, status: q.status });
      return { campaignId: id, recipients: page.rows.map(exportRecord), nextCursor: page.cursor === '0' ? null : page.cursor };
    },
  );
}
