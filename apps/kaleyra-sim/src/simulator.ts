// startSimulator(): one node:http server answering the Kaleyra send route and the /__sim routes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin-routes.js';
import { parseFaults, type SimFaults } from './faults.js';
import { writeJson } from './http-io.js';
import { toSimMessage, type SimMessage } from './message-store.js';
import { createSendRoute } from './send-route.js';
import { SimState, type SimStats } from './sim-state.js';
import { normalisePhone } from './validate-send.js';

export interface SimulatorOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  sid: string;
  apiKey: string;
  /** Business numbers registered on the account (the `:phone` of the URL), with or without '+'. */
  senders: string[];
  /** Units; one per accepted recipient. Default Infinity (unlimited). */
  balance?: number;
  failRate?: number;
  latencyMs?: number;
  callbackUrl?: string;
  rateLimitPerSecond?: number;
  /** Seeds failRate, latency jitter and callbackFailedShare draws. Default: random. */
  seed?: number;
}

export interface Simulator {
  /** Origin, e.g. http://127.0.0.1:43123 — use as the Kaleyra base URL (path /v2/<sid>/…). */
  readonly url: string;
  readonly port: number;
  /** Sets the balance (Infinity = unlimited); also lifts an e110AfterAccepted trigger. */
  setBalance(balance: number): void;
  /** Merges fault settings; throws a RangeError naming the field when one is invalid. Returns the result. */
  setFaults(patch: Partial<SimFaults>): SimFaults;
  faults(): SimFaults;
  /** Accepted messages in arrival order (optionally to one recipient, '+' optional). */
  messages(filter?: { to?: string }): SimMessage[];
  stats(): SimStats;
  /** Clears messages, stats and queued callbacks; keeps faults and balance. */
  reset(): void;
  /** Stops listening, drops hung and delayed requests and pending callbacks. Idempotent. */
  close(): Promise<void>;
}

function checkOptions(o: SimulatorOptions): string[] {
  if (typeof o.sid !== 'string' || o.sid === '' || /[/?#%\s]/.test(o.sid)) throw new RangeError('sid must be a non-empty string without / ? # % or spaces');
  if (typeof o.apiKey !== 'string' || o.apiKey === '') throw new RangeError('apiKey must be a non-empty string');
  if (!Array.isArray(o.senders) || o.senders.length === 0) throw new RangeError('senders must list at least one business number');
  const senders = o.senders.map((s) => {
    const digits = typeof s === 'string' ? normalisePhone(s) : null;
    if (digits === null) throw new RangeError(`senders: "${String(s)}" is not an E.164 number`);
    return digits;
  });
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer 0..65535');
  const balance = o.balance ?? Infinity;
  if (!(balance === Infinity || (Number.isInteger(balance) && balance >= 0))) throw new RangeError('balance must be a non-negative integer or Infinity');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new RangeError('seed must be an integer');
  return senders;
}

function faultsFromOptions(o: SimulatorOptions): Partial<SimFaults> {
  const patch: Partial<SimFaults> = {};
  if (o.failRate !== undefined) patch.failRate = o.failRate;
  if (o.latencyMs !== undefined) patch.latencyMs = o.latencyMs;
  if (o.callbackUrl !== undefined) patch.callbackUrl = o.callbackUrl;
  if (o.rateLimitPerSecond !== undefined) patch.rateLimitPerSecond = o.rateLimitPerSecond;
  return validFaults(patch);
}

function validFaults(patch: Partial<SimFaults>): Partial<SimFaults> {
  const parsed = parseFaults(patch);
  if (!parsed.ok) throw new RangeError(`${parsed.field}: ${parsed.message}`);
  return parsed.value;
}

/** Splits "/v2/<sid>/whatsapp/<phone>/messages" → [sid, phone], else null. */
function matchSendPath(path: string): [string, string] | null {
  const parts = path.split('/');
  if (parts.length !== 6 || parts[3] !== 'whatsapp' || parts[5] !== 'messages') return null;
  return [parts[2]!, parts[4]!];
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const senders = checkOptions(options);
  const state = new SimState({
    sid: options.sid, apiKey: options.apiKey, senders, balance: options.balance ?? Infinity,
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 32), faults: faultsFromOptions(options),
  });
  const send = createSendRoute(state);

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith('/v2/')) {
      const match = matchSendPath(path);
      if (match !== null) {
        if (req.method === 'POST') return send.handle(req, res, match[0], match[1]);
        res.setHeader('allow', 'POST');
        return writeJson(res, 405, { error: 'method not allowed' });
      }
    } else if (path.startsWith('/__sim/')) {
      handleAdmin(state, req, res, path, q === -1 ? '' : url.slice(q + 1)).catch(() => {
        if (!res.headersSent) writeJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
      return;
    }
    writeJson(res, 404, { error: 'not found' });
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    setBalance: (balance) => {
      if (!(balance === Infinity || (Number.isInteger(balance) && balance >= 0))) throw new RangeError('balance must be a non-negative integer or Infinity');
      state.setBalance(balance);
    },
    setFaults: (patch) => {
      Object.assign(state.faults, validFaults(patch));
      return { ...state.faults };
    },
    faults: () => ({ ...state.faults }),
    messages: (filter) => (filter?.to === undefined ? state.store.items : state.store.filterTo(filter.to)).map((m) => toSimMessage(m, state.store.epoch)),
    stats: () => state.stats(),
    reset: () => state.reset(),
    close: () => {
      closing ??= (async () => {
        send.cancelPending();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await state.callbacks.close();
        await closed;
      })();
      return closing;
    },
  };
}
