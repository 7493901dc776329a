import { z } from 'zod';
import type { Api, ApiContext } from '../api-context.js';

const READY_TIMEOUT_MS = 1000;

/** /healthz (alive), /readyz (Redis answers), /metrics (Prometheus; a bearer token with the `metrics` scope). */
export function healthRoutes(app: Api, api: ApiContext): void {
  const status = z.object({ status: z.string() });
  app.get('/healthz', { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'the process is alive', security: [], response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'Redis answers', security: [], response: { 200: status, 503: status } } },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        api.ctx.redis.ping().then(() => true, () => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'redis unreachable' });
    },
  );

  app.get('/metrics', { config: { scope: 'metrics' }, schema: { tags: ['health'], summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const text = await api.registry.metrics();
    return reply.type(api.registry.contentType).send(text);
  });
}
