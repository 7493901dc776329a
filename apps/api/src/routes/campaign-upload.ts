import { Transform, type Readable } from 'node:stream';
import { z } from 'zod';
import { accountIdSchema } from '@wabulk/config';
import { campaignIdSchema, estimateSending, getCampaignMeta, parseDelimiter, placeholderNames, prioritySchema, readCsvRecipients, readNdjsonRecipients, RECIPIENT_COLUMNS, SourceError, type SourceHeader } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { assertCampaignIdUsable, assertMaySend, mayUse } from '../access.js';
import { ApiError, invalid } from '../error-handler.js';
import { errorSchema, importResultSchema } from '../schemas.js';

/** Content types of an upload, and how each is read. */
const FORMATS: Record<string, 'csv' | 'ndjson'> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/plain': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
};

const uploadQuery = z.object({
  campaignId: campaignIdSchema,
  body: z.string().optional().describe('the message text (1..4096 characters, percent-encoded); required when the campaign does not exist yet, omitted = the existing campaign\'s'),
  previewUrl: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  ref: z.string().optional(),
  ref1: z.string().optional(),
  ref2: z.string().optional(),
  account: accountIdSchema.optional(),
  priority: prioritySchema
    .optional()
    .describe('normal (default) or low: campaigns of one priority share the account\'s rate in rounds; high: before everything queued at normal/low. An existing campaign keeps its own'),
  column: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(`the recipient column of a CSV header, or the field of each NDJSON object (any case); omitted = the first of ${RECIPIENT_COLUMNS.join(', ')} the header has`),
  delimiter: z
    .string()
    .refine((d) => parseDelimiter(d) !== undefined, { message: 'must be , ; or tab' })
    .optional()
    .describe('the CSV delimiter: , ; or tab; omitted = the one the header line uses most (a tie: ,)'),
  at: z.string().optional().describe('scheduled start, ISO 8601 with an offset or Z (percent-encode the +), at most 90 days ahead; a past time starts now'),
  window: z.string().optional().describe("send only between these local times of each recipient, HH:MM-HH:MM (may cross midnight)"),
  tz: z.string().optional().describe('one IANA time zone for every recipient\'s window'),
  dryRun: z.enum(['true', 'false'], { message: 'must be true or false' }).optional().describe('true: read and check the whole upload, write nothing, answer 200 with counts, rejected rows, three rendered samples and the estimated sending time'),
});

const KEEP_REJECTED = 1000;

export class UploadTooLargeError extends Error {
  override readonly name = 'UploadTooLargeError';
}

/** Passes bytes through and fails the stream once more than `limit` went by. */
/**
 * An upload's body, failing with UploadTooLargeError once more than `limit` bytes went by (0 = no
 * limit). Over the limit the rest is never read: the caller answers 413 and closes the connection.
 */
export function limitedUpload(raw: Readable, limit: number): Readable {
  if (limit <= 0) return raw;
  const limiter = limitBytes(limit);
  limiter.on('error', () => raw.unpipe(limiter));
  raw.on('error', (err) => limiter.destroy(err));
  return raw.pipe(limiter);
}

function limitBytes(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new UploadTooLargeError(`the upload is larger than ${limit} bytes`));
      else done(null, chunk);
    },
  });
}

/**
 * POST /v1/campaigns: a campaign from a CSV or NDJSON body of any size. The body is read as a stream
 * (this scope's content-type parsers hand fastify's raw request through), in chunks with a few in
 * flight, so memory stays flat. Campaign fields come in the query string. Re-sending the same upload
 * adds nothing twice (job ids are campaign + recipient), and a later upload may omit `body` to add
 * recipients to an existing campaign.
 */
export function campaignUploadRoutes(app: Api, api: ApiContext): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(FORMATS), (_request, payload, done) => done(null, payload));
  app.addContentTypeParser('*', (_request, _payload, done) =>
    done(new ApiError(415, { error: 'unsupported media type', message: 'send the recipients as text/csv or application/x-ndjson' }), undefined),
  );
  const uploadLimit = api.options.uploadLimit ?? 1024 * 1024 * 1024;

  app.post(
    '/v1/campaigns',
    {
      config: { scope: 'send' },
      schema: {
        tags: ['campaigns'],
        summary: 'a campaign from a streamed CSV or NDJSON upload',
        description: `Body: CSV (text/csv; delimiter , ; or tab, found from the header line) with a header naming the recipient column (\`column\`, else the first of ${RECIPIENT_COLUMNS.join(', ')}) and optional ref, ref1, ref2 columns, or bare numbers one per line; or NDJSON (application/x-ndjson): one {"to", "ref"?, …} object per line. Campaign fields in the query string. Answers 202 with the counts, the first ${KEEP_REJECTED} rejected rows with their line numbers, and \`source\`: the column (and delimiter) read.`,
        querystring: uploadQuery,
        response: { 200: importResultSchema.describe('dryRun=true: what would be queued, nothing written'), 202: importResultSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema.describe('the token lacks the send scope, or may not send for this account'), 409: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema.describe('unknown account: no worker serves it, no operator registered it, the API is not configured for it') },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const format = FORMATS[contentType];
      if (format === undefined) throw new ApiError(415, { error: 'unsupported media type', message: 'send the recipients as text/csv or application/x-ndjson' });
      // Whatever happens, the rest of an unread upload is not worth reading: close the connection after answering.
      const closeAfter = () => reply.header('connection', 'close');
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (uploadLimit > 0 && declared > uploadLimit) {
        closeAfter();
        throw new ApiError(413, { error: 'payload too large', message: `the upload is larger than ${uploadLimit} bytes` });
      }
      let fields: { body: string; previewUrl?: boolean; account?: string } = { body: q.body ?? '', previewUrl: q.previewUrl === undefined ? undefined : q.previewUrl === 'true', account: q.account };
      const dryRun = q.dryRun === 'true';
      if (q.body === undefined) {
        const meta = await getCampaignMeta(api.ctx, q.campaignId);
        // A campaign of an account outside the token's is answered as one that does not exist.
        if (!meta || !mayUse(request, meta.account)) {
          closeAfter();
          throw invalid('body', 'is required: campaign ' + q.campaignId + ' does not exist yet');
        }
        fields = { body: meta.body, previewUrl: meta.previewUrl, account: q.account ?? meta.account };
      }
      try {
        assertMaySend(request, fields.account ?? api.options.defaultAccount ?? 'default');
        await assertCampaignIdUsable(request, api.ctx, q.campaignId);
      } catch (err) {
        closeAfter();
        throw err;
      }

      const input = limitedUpload(request.body as Readable, uploadLimit);
      let source: { column: string; delimiter?: string } | undefined;
      const onHeader = (h: SourceHeader) => void (source = h.delimiter === undefined ? { column: h.column } : { column: h.column, delimiter: h.delimiter });
      // The placeholders of the text name the columns each row must give (checked against the header first).
      const options = { column: q.column, delimiter: q.delimiter === undefined ? undefined : parseDelimiter(q.delimiter), onHeader, fields: placeholderNames(fields.body) };
      const recipients = format === 'csv' ? readCsvRecipients(input, options) : readNdjsonRecipients(input, options);
      try {
        const result = await api.producer.enqueueCampaign({
          campaignId: q.campaignId,
          ...fields,
          ref: q.ref,
          ref1: q.ref1,
          ref2: q.ref2,
          priority: q.priority,
          at: q.at,
          window: q.window,
          tz: q.tz,
          dryRun,
          recipients,
          keepRejected: KEEP_REJECTED,
        });
        if (result.dryRun) {
          const estimate = await estimateSending(api.ctx, result.account, result.accepted);
          return reply.code(200).send(source === undefined ? { ...result, estimate } : { ...result, estimate, source });
        }
        request.log.info({ campaignId: result.campaignId, read: result.read, accepted: result.accepted, rejected: result.rejectedTotal, caller: request.caller?.name }, 'campaign upload');
        return reply.code(202).send(source === undefined ? result : { ...result, source });
      } catch (err) {
        closeAfter();
        if (err instanceof UploadTooLargeError || (err as Error).cause instanceof UploadTooLargeError) throw new ApiError(413, { error: 'payload too large', message: (err as Error).message });
        if (err instanceof SourceError) {
          const body = { error: 'unusable upload', issues: [{ field: 'recipients', message: err.message, ...(err.line === undefined ? {} : { line: err.line }) }] };
          throw new ApiError(400, body);
        }
        throw err;
      }
    },
  );
}
