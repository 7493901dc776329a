import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { archivedCampaign, campaignRecipientsPage, cancelCampaign, exportCampaign, exportRecord, failureCodeSchema, getCampaignStatus, locateCampaign, pauseCampaign, RECIPIENT_STATUSES, resumeCampaign, type QueueContext } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { mayUse } from '../access.js';
import { ApiError } from '../error-handler.js';
import { campaignParams, campaignStatusSchema, errorSchema, recipientSchema, scanCursorSchema } from '../schemas.js';

const recipientsQuery = z.object({
  status: z.enum(RECIPIENT_STATUSES).optional().describe('only recipients in this state'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('rows per page (about: a page holds whole HSCAN batches)'),
  cursor: scanCursorSchema('must be the nextCursor of the previous page (digits only)').optional(),
  format: z.enum(['json', 'csv', 'ndjson']).default('json').describe('csv or ndjson: every recipient (matching status), streamed; no paging'),
});

const retryBody = z
  .object({
    codes: z.array(failureCodeSchema).max(100, 'at most 100 codes').optional().describe('only recipients that failed with one of these codes (e.g. ["WA500","HTTP_503"]); absent or empty: every failed recipient'),
  })
  .nullish();

const retryAnswer = z.object({
  campaignId: z.string(),
  requeued: z.number().describe('failed recipients put back to pending and queued again'),
  restored: z.literal(true).optional().describe('present (true) when the campaign was brought back from the archive (PostgreSQL) to Redis for the retry'),
});

export const notFound = (id: string) => new ApiError(404, { error: 'not found', message: `no campaign ${id}` });

/** The campaign's export as a streamed file (content-disposition: attachment): GET …/recipients?format= and the export links. */
export function sendExport(reply: FastifyReply, ctx: QueueContext, id: string, format: 'csv' | 'ndjson', status?: (typeof RECIPIENT_STATUSES)[number]) {
  const lines = Readable.from(exportCampaign(ctx, id, format, { status }));
  return reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
    .header('content-disposition', `attachment; filename="${id}.${format}"`)
    .send(lines);
}

const CONTROL = {
  pause: { run: pauseCampaign, summary: 'pause the campaign: no new send starts once this answers (requests in flight finish); its recipients stay pending until resume; other campaigns of the account keep sending' },
  resume: { run: resumeCampaign, summary: 'resume a paused campaign: its pending recipients are queued again (a cancelled campaign stays cancelled)' },
  cancel: { run: cancelCampaign, summary: 'cancel the campaign for good: once this answers, at most the requests already in flight are sent; every pending recipient ends `cancelled` (never retried). Idempotent' },
} as const;

/**
 * GET /v1/campaigns/:id (the fields of `wabulk status --json`), GET /v1/campaigns/:id/recipients,
 * POST /v1/campaigns/:id/pause|resume|cancel (answering the status after the change) and
 * POST /v1/campaigns/:id/retry-failed.
 */
export function campaignRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;
  /** 404 for an unknown campaign and for one of an account outside the token's: the same answer. */
  const assertVisible = async (request: FastifyRequest, id: string) => {
    const where = await locateCampaign(ctx, id);
    if (!where || !mayUse(request, where.account)) throw notFound(id);
    return where;
  };

  app.get(
    '/v1/campaigns/:id',
    { config: { scope: 'read' }, schema: { tags: ['campaigns'], summary: 'campaign progress (same fields as `wabulk status --json`)', params: campaignParams, response: { 200: campaignStatusSchema, 404: errorSchema } } },
    async (request) => {
      // Visibility first: another account's archived campaign is a 404 even while PostgreSQL cannot
      // answer (a 503 would tell the caller the id exists).
      await assertVisible(request, request.params.id);
      const status = await getCampaignStatus(ctx, request.params.id);
      // and on the status read (an id pruned and taken by another account in between)
      if (!status || !mayUse(request, status.account)) throw notFound(request.params.id);
      return status;
    },
  );

  for (const [action, { run, summary }] of Object.entries(CONTROL)) {
    app.post(`/v1/campaigns/:id/${action}`, { config: { scope: 'control' }, schema: { tags: ['campaigns'], summary, params: campaignParams, response: { 200: campaignStatusSchema, 404: errorSchema } } }, async (request) => {
      const { id } = request.params;
      // An archived campaign is finished: pause, resume and cancel change nothing; the answer is its status.
      if ((await assertVisible(request, id)).where === 'archive') return (await getCampaignStatus(ctx, id))!;
      const result = await run(ctx, id);
      if (!result) throw notFound(id);
      request.log.info({ campaignId: id, caller: request.caller?.name, state: result.state, jobs: result.jobs, cancelled: result.cancelled }, `campaign ${action} through the API`);
      const status = await getCampaignStatus(ctx, id);
      if (!status) throw notFound(id);
      return status;
    });
  }

  app.post(
    '/v1/campaigns/:id/retry-failed',
    {
      config: { scope: 'control' },
      schema: {
        tags: ['campaigns'],
        summary: 'queue the failed recipients again (as `wabulk retry-failed --json`), optionally only those of some codes',
        description:
          'Failed recipients (never accepted by Kaleyra) go back to pending and into the queue at the campaign\'s priority; sent ones are never sent again. A cancelled campaign queues nothing (requeued 0). ' +
          'An archived campaign with failed recipients to retry is first brought back from the archive (`restored: true`): 503 while the archive cannot answer, 409 while the campaign is being archived or restored.',
        params: campaignParams,
        body: retryBody,
        response: { 200: retryAnswer, 400: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      await assertVisible(request, id);
      const codes = request.body?.codes?.length ? request.body.codes : undefined;
      const r = await api.producer.retryFailed(id, { codes });
      request.log.info({ campaignId: id, caller: request.caller?.name, codes, requeued: r.requeued, restored: r.restored }, 'campaign retry-failed through the API');
      return { campaignId: id, ...r };
    },
  );

  app.get(
    '/v1/campaigns/:id/recipients',
    {
      config: { scope: 'read' },
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
      // An archived campaign whose archive cannot answer is a 503 before the first byte of a download.
      if ((await assertVisible(request, id)).where === 'archive') await archivedCampaign(ctx, id);
      if (q.format !== 'json') return sendExport(reply, ctx, id, q.format, q.status);
      const page = await campaignRecipientsPage(ctx, id, { cursor: q.cursor, limit: q.limit, status: q.status });
      return { campaignId: id, recipients: page.rows.map(exportRecord), nextCursor: page.cursor === '0' ? null : page.cursor };
    },
  );
}
