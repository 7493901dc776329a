import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * /healthz: the process is alive. /readyz: it can do its work (Redis answers, workers run).
 * /metrics: Prometheus text format. Anything else: 404.
 */
export function startHealthServer(options: { port: number; host?: string; ready: () => boolean | { ready: boolean; reason?: string }; registry: Registry }): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' }).end('{"error":"method not allowed"}');
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (url === '/readyz') {
      const r = options.ready();
      const { ready, reason } = typeof r === 'boolean' ? { ready: r, reason: undefined } : r;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(ready ? { status: 'ready' } : { status: 'not ready', reason }));
    } else if (url === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"metrics unavailable"}'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve(server));
  });
}
