import { z } from 'zod';
import { classifyRedisError, enqueueTextSchema, estimateSending, fingerprint, UnknownAccountError, type EnqueueResult, type EnqueueTextInput, type EnqueueTextOptions } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';
import { assertCampaignIdUsable, assertMaySend } from '../access.js';
import { ApiError, toErrorAnswer } from '../error-handler.js';
import { enqueueResultSchema, errorSchema } from '../schemas.js';

const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('a retried request with the same key (and the same body) gets the first answer instead of enqueuing again; kept 24 h'),
});

/** How long a concurrent duplicate waits for the first request's answer before it is told to retry. */
const WAIT_FOR_FIRST_MS = 5000;

/** POST /v1/messages: one message to one or many recipients, exactly as Producer.enqueueText. */
export function messageRoutes(app: Api, api: ApiContext): void {
  const enqueue = async (body: EnqueueTextInput, options?: EnqueueTextOptions): Promise<EnqueueResult & { estimate?: Awaited<ReturnType<typeof estimateSending>> }> => {
    const result = await api.producer.enqueueText(body, options);
    if (!result.dryRun) return result;
    return { ...result, estimate: await estimateSending(api.ctx, body.account ?? api.options.defaultAccount ?? 'default', result.accepted) };
  };
  app.post(
    '/v1/messages',
    {
      config: { scope: 'send' },
      schema: {
        tags: ['messages'],
        summary: 'queue one message for one or many recipients',
        description: '`to` is one number, "a,b,c", or an array (at most 10000) of numbers or of `{to, variables}` objects; `{{name}}` / `{{name|fallback}}` in `body` take each recipient\'s `variables` (or the call\'s). `at` schedules the start, `window` (+ `tz`) limits sending to local hours; `dryRun: true` answers 200 with what would be queued, three rendered samples and the estimated sending time, writing nothing. Answers 202 with what was queued, duplicates, and every rejected input with its reason. 422 when `account` is unknown (no worker serving it has started, no operator registered it, the API is not configured for it: nothing is queued) or an Idempotency-Key is reused with another body. A replayed answer (same Idempotency-Key and body) keeps the counts and the first 100 rejections, with `rejectedTotal` and `rejectedTruncated: true` when cut. 429 (with Retry-After) when the token already holds WABULK_IDEMPOTENCY_MAX_KEYS live keys.',
        headers: idempotencyHeaders,
        body: enqueueTextSchema,
        response: { 200: enqueueResultSchema.describe('a dry run (`dryRun: true`): what would be queued, nothing written'), 202: enqueueResultSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema.describe('the token lacks the send scope, or may not send for this account'), 409: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      assertMaySend(request, request.body.account ?? api.options.defaultAccount ?? 'default');
      await assertCampaignIdUsable(request, api.ctx, request.body.campaignId);
      const key = request.headers['idempotency-key'];
      // A dry run writes nothing, so it needs no idempotency: it answers 200 with what would be queued.
      if (request.body.dryRun === true) return reply.code(200).send(await enqueue(request.body));
      if (key === undefined) return reply.code(202).send(await enqueue(request.body));

      const hash = fingerprint(JSON.stringify(request.body));
      const deadline = Date.now() + WAIT_FOR_FIRST_MS;
      for (;;) {
        const begin = await api.idempotency.begin(request.tokenId, key, hash);
        if (begin.kind === 'replay') return reply.code(begin.statusCode as 202).header('idempotent-replayed', 'true').send(begin.body as never);
        if (begin.kind === 'full') {
          void reply.header('retry-after', String(begin.retryAfterSeconds));
          throw new ApiError(429, {
            error: 'too many idempotency keys',
            message: `this token holds ${begin.maxKeys} live Idempotency-Keys (WABULK_IDEMPOTENCY_MAX_KEYS); a new key is accepted once one expires (in about ${begin.retryAfterSeconds} s): reuse keys only for retries, or send without one`,
          });
        }
        if (begin.kind === 'mismatch') {
          throw new ApiError(422, { error: 'idempotency key reused', message: 'this Idempotency-Key was used with a different request body; use a new key' });
        }
        if (begin.kind === 'owner') {
          try {
            // A message without a campaign id gets one derived from the token and the key, not a random
            // one: a request that timed out (Redis silent past WABULK_REDIS_COMMAND_TIMEOUT_MS) may still
            // have been applied, and its retry must queue into the same campaign, adding nothing twice.
            // The body's fingerprint is part of it: a key reused with another message never joins the first one's campaign.
            const result = await enqueue(request.body, { retryKey: `${request.tokenId}\n${key}\n${hash}` });
            await api.idempotency.finish(request.tokenId, key, hash, begin.token, 202, result);
            return reply.code(202).send(result);
          } catch (err) {
            const answer = toErrorAnswer(err as Error);
            // Input errors are answers too (the same request would get them again); anything else may succeed on a
            // retry, an unknown account too (a worker serving it may start, an operator may register it).
            if (answer.statusCode >= 400 && answer.statusCode < 500 && !(err instanceof UnknownAccountError)) await api.idempotency.finish(request.tokenId, key, hash, begin.token, answer.statusCode, answer.body);
            else {
              const abandoning = api.idempotency.abandon(request.tokenId, key, begin.token).catch(() => {});
              // Redis failing (silent, down, refusing): the 503 goes now, not after the abandon's own deadline too.
              if (classifyRedisError(err) === 'other') await abandoning;
            }
            throw err;
          }
        }
        // in progress: a concurrent duplicate waits for the first answer.
        if (Date.now() > deadline) {
          throw new ApiError(409, { error: 'request in progress', message: 'a request with this Idempotency-Key is still being processed; retry shortly' });
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  );
}
