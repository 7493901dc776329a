import { connect, createServer, type Socket } from 'node:net';

export interface SlowRedisProxy {
  /** REDIS_URL pointing at the proxy (same credentials and database as the target). */
  url: string;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a Redis that holds every client→Redis chunk for `delayMs` (order kept):
 * a Redis "far away" (another zone, a managed service), so every command takes at least that long.
 */
export async function startSlowRedisProxy(redisUrl: string, delayMs: number): Promise<SlowRedisProxy> {
  const target = new URL(redisUrl);
  const live = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    live.add(client).add(upstream);
    let releaseAt = 0;
    client.on('data', (chunk) => {
      // Each chunk leaves `delayMs` after it arrived, never before the one ahead of it.
      releaseAt = Math.max(Date.now() + delayMs, releaseAt);
      setTimeout(() => upstream.write(chunk), releaseAt - Date.now());
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('slow Redis proxy: no address');
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    async close() {
      for (const s of live) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
