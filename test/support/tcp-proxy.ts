// A TCP proxy for network faults made for real on this machine (issue 16): it sits between a
// process and Redis (or the Kaleyra simulator) and can do what a misbehaving network does.
//   hold()     — a partition as TCP sees it: every connection stays open, no byte moves either way
//                (the proxy stops reading, so the kernel's buffers fill and the sender blocks), and a
//                new connection is accepted but carries nothing; release() delivers what was held.
//   latency(ms) — every chunk, each way, is delivered `ms` later (order kept).
//   reset()    — every open connection is reset (RST), as a middlebox that dropped its state does.
// Nothing is mocked: the processes on either side talk TCP to the proxy's port.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** `scheme://127.0.0.1:<port>`, for REDIS_URL and the like. */
  url(scheme: string): string;
  hold(): void;
  /**
   * Holds (as hold()) right after forwarding the first chunk from a client that contains `marker`:
   * that command reaches the server and is applied, its answer and everything after it are held (a
   * partition that strikes between a request and its reply).
   */
  holdAfter(marker: string): void;
  release(): void;
  readonly held: boolean;
  latency(ms: number): void;
  /** Resets (RST) every open connection; new ones are accepted as before. */
  reset(): void;
  /** Open connection pairs right now, and every one accepted so far. */
  stats(): { open: number; accepted: number; bytesUp: number; bytesDown: number };
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** `listenPort`: the port to listen on (default: a free one), e.g. one a client was already refused on. */
export async function startTcpProxy(target: { host?: string; port: number }, options: { listenPort?: number } = {}): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  let held = false;
  let delayMs = 0;
  let holdMarker: string | undefined;
  let accepted = 0;
  let bytesUp = 0;
  let bytesDown = 0;

  // One direction of a pair: read from `from`, write to `to`, paused while held, delayed by latency.
  const pump = (from: Socket, to: Socket, count: (n: number) => void, up = false) => {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (up && holdMarker !== undefined && chunk.includes(holdMarker)) {
        holdMarker = undefined;
        // This chunk goes through; nothing after it (either way) until release().
        to.write(chunk);
        proxy.hold();
        return;
      }
      const deliver = () => {
        if (to.destroyed) return;
        // Back-pressure: a slow side slows the other, as on a real connection.
        if (!to.write(chunk)) from.pause();
      };
      if (delayMs > 0) setTimeout(deliver, delayMs);
      else deliver();
    });
    to.on('drain', () => {
      if (!held) from.resume();
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted += 1;
    const upstream = connect({ host, port: target.port });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    upstream.pause();
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    pump(client, upstream, (n) => (bytesUp += n), true);
    pump(upstream, client, (n) => (bytesDown += n));
    if (!held) {
      client.resume();
      upstream.resume();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const proxy: TcpProxy = {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    get held() {
      return held;
    },
    holdAfter(marker) {
      holdMarker = marker;
    },
    hold() {
      held = true;
      for (const p of pairs) {
        p.client.pause();
        p.upstream.pause();
      }
    },
    release() {
      held = false;
      for (const p of pairs) {
        p.client.resume();
        p.upstream.resume();
      }
    },
    latency(ms) {
      delayMs = Math.max(0, ms);
    },
    reset() {
      for (const p of pairs) {
        pairs.delete(p);
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    stats: () => ({ open: pairs.size, accepted, bytesUp, bytesDown }),
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
