import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { accountIdSchema } from '@wabulk/config';
import {
  addSuppressionNumbers,
  checkSuppression,
  importSuppressions,
  listSuppressions,
  normaliseRecipient,
  normaliseSuppressionNumbers,
  readSuppressionRows,
  removeSuppressionNumbers,
  SourceError,
  suppressionListName,
  type SuppressionScope,
} from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { assertMayUseList } from '../access.js';
import { ApiError } from '../error-handler.js';
import { errorSchema, rejectedSchema, scanCursorSchema } from '../schemas.js';
import { limitedUpload, UploadTooLargeError } from './campaign-upload.js';

// The do-not-message lists, as `wabulk suppress`: one list per account and one global list every
// account obeys. Numbers are normalised exactly as recipients are (WABULK_DEFAULT_COUNTRY for local ones).

const MAX_NUMBERS = 10_000;
const KEEP_REJECTED = 1000;
const TAG = ['suppressions'];

const listField = z.string().describe("'global' or 'account:<id>'");
const scopeFields = {
  account: accountIdSchema.optional().describe('the list of this account'),
  global: z.literal(true, { message: 'must be true' }).optional().describe('the global list, which applies to every account'),
};
const scopeQueryFields = {
  account: accountIdSchema.optional().describe('the list of this account'),
  global: z.enum(['true'], { message: 'must be true' }).optional().describe('the global list, which applies to every account'),
};

const changeBody = z.object({
  numbers: z.array(z.string().max(100, 'must be at most 100 characters'), { message: 'must be an array of strings' }).min(1, 'must hold at least one number').max(MAX_NUMBERS, `must hold at most ${MAX_NUMBERS} numbers`).describe('phone numbers, E.164 or local (WABULK_DEFAULT_COUNTRY)'),
  ...scopeFields,
});
const addAnswer = z.object({
  list: listField,
  added: z.number().describe('numbers that were not on the list'),
  alreadyListed: z.number().describe('numbers already on the list (or earlier in this request); they keep the time they were first added'),
  rejected: z.array(rejectedSchema).describe('inputs that are not usable phone numbers, with the reason'),
});
const removeAnswer = z.object({
  list: listField,
  removed: z.number().describe('numbers taken off the list'),
  notListed: z.number().describe('numbers that were not on it'),
  rejected: z.array(rejectedSchema),
});
const importAnswer = z.object({
  list: listField,
  read: z.number().describe('rows read (a header is not a row)'),
  added: z.number(),
  alreadyListed: z.number(),
  rejected: z.array(rejectedSchema).describe(`the first ${KEEP_REJECTED} rejected rows, with their line numbers`),
  rejectedTotal: z.number(),
});
const listQuery = z.object({
  ...scopeQueryFields,
  cursor: scanCursorSchema('must be the cursor of the previous page (digits only)').optional().describe('the `cursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('about this many entries per page (a hint: a page may hold a few more or fewer)'),
});
const listAnswer = z.object({
  cursor: z.string().nullable().describe('pass as `cursor` for the next page; null after the last one'),
  entries: z.array(z.object({ number: z.string(), addedAt: z.string().describe('ISO 8601') })).describe('in no particular order; a number may appear twice while Redis resizes the list'),
});
const checkQuery = z.object({
  number: z.string().min(1, 'is required').max(100, 'must be at most 100 characters').describe('a phone number, E.164 or local'),
  account: accountIdSchema.optional().describe("the account whose list is checked (default: the API's WABULK_ACCOUNT); the global list is always checked"),
});
const checkAnswer = z.object({
  number: z.string().describe('the number normalised (E.164)'),
  account: z.string(),
  suppressed: z.boolean().describe('on the account\'s list or the global one: intake rejects it, a queued message to it ends cancelled'),
  lists: z.object({ account: z.string().optional(), global: z.string().optional() }).describe('the lists it is on, with the time it was added (ISO 8601)'),
});

/** Exactly one of account and global: the list a request changes or reads (403 when the token may not use it). */
function scopeOf(request: FastifyRequest, q: { account?: string; global?: true | 'true' }): SuppressionScope {
  if ((q.account === undefined) === (q.global === undefined)) {
    const message = 'give exactly one of account (that account\'s list) or global: true (the list every account obeys)';
    throw new ApiError(400, { error: 'invalid request', issues: [{ field: 'account', message }, { field: 'global', message }] });
  }
  const scope: SuppressionScope = q.account === undefined ? 'global' : { account: q.account };
  assertMayUseList(request, scope);
  return scope;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** POST /v1/suppressions, POST /v1/suppressions/remove, GET /v1/suppressions, GET /v1/suppressions/check (JSON). */
export function suppressionRoutes(app: Api, api: ApiContext): void {
  const { ctx } = api;
  const country = api.options.defaultCountry;

  app.post(
    '/v1/suppressions',
    {
      config: { scope: 'control' },
      schema: {
        tags: TAG,
        summary: 'put numbers on a do-not-message list (as `wabulk suppress add`)',
        description: `Body: {numbers: [1..${MAX_NUMBERS}], account} or {numbers, global: true}. Intake rejects a listed recipient with the reason \`suppressed\`; a message queued before the number was listed ends \`cancelled\` with the reason \`suppressed\`. A number listed again keeps the time it was first added.`,
        body: changeBody,
        response: { 200: addAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => {
      const scope = scopeOf(request, request.body);
      const { numbers, rejected } = normaliseSuppressionNumbers(request.body.numbers, country);
      const r = await addSuppressionNumbers(ctx, scope, numbers);
      request.log.info({ list: suppressionListName(scope), added: r.added, rejected: rejected.length, caller: request.caller?.name }, 'suppressions added');
      return { list: suppressionListName(scope), ...r, rejected };
    },
  );

  app.post(
    '/v1/suppressions/remove',
    {
      config: { scope: 'control' },
      schema: {
        tags: TAG,
        summary: 'take numbers off a do-not-message list (as `wabulk suppress remove`)',
        description: 'Body as POST /v1/suppressions. Messages already cancelled as `suppressed` stay cancelled.',
        body: changeBody,
        response: { 200: removeAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => {
      const scope = scopeOf(request, request.body);
      const { numbers, rejected } = normaliseSuppressionNumbers(request.body.numbers, country);
      const r = await removeSuppressionNumbers(ctx, scope, numbers);
      request.log.info({ list: suppressionListName(scope), removed: r.removed, rejected: rejected.length, caller: request.caller?.name }, 'suppressions removed');
      return { list: suppressionListName(scope), ...r, rejected };
    },
  );

  app.get(
    '/v1/suppressions',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAG,
        summary: 'the numbers on a list with the time each was added, paged with a cursor (as `wabulk suppress list`)',
        querystring: listQuery,
        response: { 200: listAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => {
      const scope = scopeOf(request, request.query);
      const page = await listSuppressions(ctx, scope, { cursor: request.query.cursor ?? '0', count: request.query.limit });
      return { cursor: page.cursor === '0' ? null : page.cursor, entries: page.entries.map((e) => ({ number: e.number, addedAt: iso(e.addedAt) })) };
    },
  );

  app.get(
    '/v1/suppressions/check',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAG,
        summary: "whether a number is on an account's list, the global list, both or neither (as `wabulk suppress check`)",
        querystring: checkQuery,
        response: { 200: checkAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => {
      const account = request.query.account ?? api.options.defaultAccount ?? 'default';
      assertMayUseList(request, { account });
      const n = normaliseRecipient(request.query.number, country);
      if (!n.ok) throw new ApiError(400, { error: 'invalid request', issues: [{ field: 'number', message: n.reason }] });
      const match = await checkSuppression(ctx, account, n.e164);
      const lists: { account?: string; global?: string } = {};
      if (match.account !== undefined) lists.account = iso(match.account);
      if (match.global !== undefined) lists.global = iso(match.global);
      return { number: n.e164, account, suppressed: match.account !== undefined || match.global !== undefined, lists };
    },
  );
}

const IMPORT_TYPES = ['text/csv', 'application/csv', 'text/plain'];
const importQuery = z.object({
  ...scopeQueryFields,
  column: z.string().min(1).max(64).optional().describe('the number column of a CSV header (default: the first named to, phone, number, msisdn, mobile, …)'),
});

/**
 * POST /v1/suppressions/import: a list from a streamed text/csv or text/plain body of any size (its
 * own scope: the content-type parsers hand the raw request through), 1000 numbers per Redis call.
 */
export function suppressionImportRoutes(app: Api, api: ApiContext): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(IMPORT_TYPES, (_request, payload, done) => done(null, payload));
  app.addContentTypeParser('*', (_request, _payload, done) => done(new ApiError(415, { error: 'unsupported media type', message: 'send the numbers as text/csv or text/plain' }), undefined));
  const uploadLimit = api.options.uploadLimit ?? 1024 * 1024 * 1024;

  app.post(
    '/v1/suppressions/import',
    {
      config: { scope: 'control' },
      schema: {
        tags: TAG,
        summary: 'add every number of a streamed CSV or text upload to a list (as `wabulk suppress import`)',
        description: `Body: CSV (text/csv) with a header naming the number column (to, phone, number, msisdn, mobile, …, or \`column\`), or one number per line (text/plain). The list in the query string: account=ID or global=true. Answers 200 with the counts and the first ${KEEP_REJECTED} rejected rows with their line numbers.`,
        querystring: importQuery,
        response: { 200: importAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema, 413: errorSchema, 415: errorSchema },
      },
    },
    async (request, reply) => {
      const closeAfter = () => reply.header('connection', 'close');
      let scope: SuppressionScope;
      try {
        scope = scopeOf(request, request.query);
      } catch (err) {
        closeAfter();
        throw err;
      }
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (uploadLimit > 0 && declared > uploadLimit) {
        closeAfter();
        throw new ApiError(413, { error: 'payload too large', message: `the upload is larger than ${uploadLimit} bytes` });
      }
      const input = limitedUpload(request.body as Readable, uploadLimit);
      try {
        const result = await importSuppressions(api.ctx, scope, readSuppressionRows(input, { column: request.query.column }), { defaultCountry: api.options.defaultCountry, keepRejected: KEEP_REJECTED });
        request.log.info({ list: result.list, read: result.read, added: result.added, rejected: result.rejectedTotal, caller: request.caller?.name }, 'suppression import');
        return result;
      } catch (err) {
        closeAfter();
        if (err instanceof UploadTooLargeError || (err as Error).cause instanceof UploadTooLargeError) throw new ApiError(413, { error: 'payload too large', message: (err as Error).message });
        if (err instanceof SourceError) throw new ApiError(400, { error: 'unusable upload', issues: [{ field: 'numbers', message: err.message, ...(err.line === undefined ? {} : { line: err.line }) }] });
        throw err;
      }
    },
  );
}
