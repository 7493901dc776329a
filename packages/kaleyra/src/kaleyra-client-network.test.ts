// The client's own undici Pool against a real local HTTP server: keep-alive, timeouts, refused
// connections and resets, which a MockAgent cannot show.
import { createServer } from 'node:http';
import { inspect } from 'node:util';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKaleyraClient } from './kaleyra-client.js';
import type { KaleyraClient } from './kaleyra-client.js';
import type { KaleyraClientOptions } from './client-options.js';
import { KaleyraError } from './kaleyra-error.js';
import { API_KEY, SEND_PATH, SENDER, SID } from './mock-kaleyra.fixture.js';

const message = { to: '+919876543210', body: 'hello' };
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  connections: () => number;
  requests: Array<{ path: string | undefined; apiKey: string | undefined; body: string }>;
  close: () => Promise<void>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      requests.push({ path: req.url, apiKey: req.headers['api-key'] as string | undefined, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let server: TestServer | undefined;
let client: KaleyraClient | undefined;

function clientFor(url: string, overrides: Partial<KaleyraClientOptions> = {}): KaleyraClient {
  client = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: url, ...overrides });
  return client;
}

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function failure(promise: Promise<unknown>): Promise<KaleyraError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KaleyraError);
  return error as KaleyraError;
}

test('sends over one keep-alive connection, draining large error bodies', async () => {
  let n = 0;
  server = await startServer((_req, res) => {
    n++;
    if (n === 2) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(200_000));
      return;
    }
    res.writeHead(202, { 'content-type': 'application/json' })
      .end(`{"code":"WA202","message":"Request Accepted","data":{"message_id":"m-${n}"},"error":{}}`);
  });
  // One connection allowed: a body left unread or a closed socket would show as a second one.
  const kaleyra = clientFor(server.url, { connections: 1 });
  await expect(kaleyra.sendText(message)).resolves.toEqual({ messageId: 'm-1', code: 'WA202', status: 202 });
  await expect(failure(kaleyra.sendText(message))).resolves.toMatchObject({ code: 'HTTP_500', kind: 'retryable' });
  await expect(kaleyra.sendText(message)).resolves.toMatchObject({ messageId: 'm-3' });
  expect(server.connections()).toBe(1);
  expect(server.requests[0]).toMatchObject({ path: SEND_PATH, apiKey: API_KEY });
  expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ messaging_object: { to: '+919876543210' } });
});

test('no response headers within headersTimeoutMs after the request was written → TIMEOUT, ambiguous', async () => {
  server = await startServer(() => { /* never answers */ });
  const started = Date.now();
  const error = await failure(clientFor(server.url, { headersTimeoutMs: 300 }).sendText(message));
  expect(error).toMatchObject({ code: 'TIMEOUT', status: 0, kind: 'ambiguous' });
  expect((error.cause as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(server.requests).toHaveLength(1); // it did reach the server: a retry may duplicate
  expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(API_KEY);
});

test('the body stalls past bodyTimeoutMs → TIMEOUT, ambiguous', async () => {
  server = await startServer((_req, res) => {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': '1000' }).write('{"code":"WA202"');
  });
  const error = await failure(clientFor(server.url, { bodyTimeoutMs: 300 }).sendText(message));
  expect(error).toMatchObject({ code: 'TIMEOUT', kind: 'ambiguous' });
  expect((error.cause as { code?: string }).code).toBe('UND_ERR_BODY_TIMEOUT');
});

test('connection refused on a closed port → NETWORK, retryable', async () => {
  const closed = await startServer(() => {});
  const url = closed.url;
  await closed.close();
  const error = await failure(clientFor(url, { connectTimeoutMs: 2_000 }).sendText(message));
  expect(error).toMatchObject({ code: 'NETWORK', status: 0, kind: 'retryable' });
  expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  expect(error.message).toContain('before the request was written');
});

test('the socket is reset after the request was written → NETWORK, ambiguous', async () => {
  server = await startServer((req) => { req.socket.destroy(); });
  const error = await failure(clientFor(server.url).sendText(message));
  expect(error).toMatchObject({ code: 'NETWORK', status: 0, kind: 'ambiguous' });
  expect(error.message).toContain('after the request was written');
  expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(API_KEY);
  expect(server.requests).toHaveLength(1);
});

test('close() closes the Pool it created', async () => {
  server = await startServer((_req, res) => {
    res.writeHead(202).end('{"code":"WA202","data":{"message_id":"m"}}');
  });
  const kaleyra = clientFor(server.url);
  await kaleyra.sendText(message);
  await kaleyra.close();
  await expect(failure(kaleyra.sendText(message))).resolves.toMatchObject({ code: 'CLIENT_CLOSED' });
});
