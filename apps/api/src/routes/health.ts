import { z } from 'zod';
import { checkRedisReadiness } from '@wabulk/queue';
import type { Api, ApiContext } from '../api-context.js';

const READY_TIMEOUT_MS = 1000;

/** /healthz (alive), /readyz (Redis answers), /metrics (Prometheus; a bearer token with the `metrics` scope). */
export function healthRoutes(app: Api, api: ApiContext): void {
  const status = z.object({ status: z.string() });
  app.get('/healthz', { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'the process is alive', security: [], response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'Redis answers (a Redis Cluster: cluster_state:ok, no failing slot, every primary answers)', security: [], response: { 200: status, 503: status } } },
    async (_request, reply) => {
      // Standalone: PING. Cluster: CLUSTER INFO ok (no failing slot) and every primary answers (redis-readiness.ts).
      const r = await checkRedisReadiness(api.ctx.redis, READY_TIMEOUT_MS);
      return reply.code(r.ready ? 200 : 503).send({ status: r.status });
    },
  );

  app.get('/metrics', { config: { scope: 'metrics' }, schema: { tags: ['health'], summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const text = await api.registry.metrics();
    return reply.type(api.registry.contentType).send(text);
  });
}
