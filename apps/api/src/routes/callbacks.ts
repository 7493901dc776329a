import { z } from 'zod';
import { applyDeliveryCallback, lookupMessageId, type CallbackOutcome } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { kaleyraCallbackSchema, toCallbackAction, type KaleyraCallback } from '../callback-payload.js';
import { errorSchema } from '../schemas.js';

const answerSchema = z.object({
  received: z.number(),
  applied: z.number().describe('moved a recipient forward'),
  unchanged: z.number().describe('the recipient already had this state or a later one'),
  unknown: z.number().describe('no send recorded with this id (yet): kept for a while and applied if it is recorded'),
  ignored: z.number().describe('a status wabulk does not act on'),
});

const CALLBACK_BODY_LIMIT = 256 * 1024;

/**
 * Kaleyra delivery callbacks: POST (JSON object or array, or form-encoded) and GET (query string) on
 * /v1/callbacks/kaleyra. Protected by the callback profile's basic auth or a shared secret (header
 * X-Wabulk-Callback-Secret or ?secret=), not by bearer tokens. Always 200 once authenticated and
 * valid: an unknown id is kept, not refused, so Kaleyra has nothing to retry.
 */
export function callbackRoutes(app: Api, api: ApiContext): void {
  const { ctx, apiMetrics } = api;
  const pendingTtlSeconds = api.options.pendingCallbackTtlSeconds;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (request, reply) => {
    const secretHeader = request.headers['x-wabulk-callback-secret'];
    const secretQuery = (request.query as Record<string, unknown>).secret;
    const result = api.callbackAuth({
      authorization: request.headers.authorization,
      secretHeader: typeof secretHeader === 'string' ? secretHeader : undefined,
      secretQuery: typeof secretQuery === 'string' ? secretQuery : undefined,
    });
    if (result === 'disabled') {
      return reply.code(503).send({ error: 'callbacks not configured', message: 'set WABULK_CALLBACK_SECRET or WABULK_CALLBACK_BASIC_AUTH' });
    }
    if (result === 'unauthorized') {
      return reply.code(401).header('www-authenticate', 'Basic realm="wabulk-callbacks"').send({ error: 'unauthorized', message: 'callback credentials missing or wrong' });
    }
  });

  async function handle(list: KaleyraCallback[]) {
    const answer = { received: list.length, applied: 0, unchanged: 0, unknown: 0, ignored: 0 };
    for (const cb of list) {
      const action = toCallbackAction(cb);
      let outcome: CallbackOutcome | 'ignored';
      if (action.kind === 'ignored') outcome = 'ignored';
      else if (action.kind === 'sent') outcome = (await lookupMessageId(ctx, action.messageId)) ? 'unchanged' : 'unknown';
      else outcome = (await applyDeliveryCallback(ctx, action.messageId, action.update, { pendingTtlSeconds })).outcome;
      // A deferred callback is applied (to the archive) as soon as its campaign is there: counted applied.
      answer[outcome === 'deferred' ? 'applied' : outcome]++;
      apiMetrics.callbacks.inc({ status: action.label, outcome });
    }
    return answer;
  }

  const config = { auth: 'callback' as const };
  const response = { 200: answerSchema, 400: errorSchema, 401: errorSchema, 503: errorSchema };
  const description = 'Fields of the callback profile: id (message_id, or <uuid>:<n>), status (sent, delivered, read, failed, not-sent), error, error_code, timestamp, mobile, ref, ref1, ref2, …';

  app.post(
    '/v1/callbacks/kaleyra',
    {
      config,
      bodyLimit: CALLBACK_BODY_LIMIT,
      schema: { tags: ['callbacks'], summary: 'Kaleyra delivery status callback (POST)', description, security: [], body: z.union([kaleyraCallbackSchema, z.array(kaleyraCallbackSchema).min(1).max(1000)]), response },
    },
    async (request) => handle(Array.isArray(request.body) ? request.body : [request.body]),
  );

  app.get(
    '/v1/callbacks/kaleyra',
    { config, schema: { tags: ['callbacks'], summary: 'Kaleyra delivery status callback (GET, fields in the query string)', description, security: [], querystring: kaleyraCallbackSchema, response } },
    async (request) => handle([request.query]),
  );
}
