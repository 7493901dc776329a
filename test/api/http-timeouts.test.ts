// The API's HTTP server bounds every wait on a client (issue 16): headers that never finish, a body
// that stops mid-way, a client trickling bytes, an idle keep-alive connection. Raw TCP clients
// against the API listening on a free port; the timeouts are set small so the test is short.
import { connect, type Socket } from 'node:net';
import { bearer, startApi, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
let port: number;

beforeAll(async () => {
  h = await startApi({ httpTimeouts: { headersMs: 600, idleMs: 1500, requestMs: 2500, keepAliveMs: 800 } });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await h.close();
});

/** A raw connection: what the server sent, and when it closed the connection (ms after opening). */
async function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  let text = '';
  socket.on('data', (b: Buffer) => (text += b.toString('latin1')));
  socket.on('error', () => {});
  // Hang detection only: every case below must be closed by the server well before this.
  const closed = new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the server kept the connection open')), 20_000);
    socket.once('close', () => {
      clearTimeout(guard);
      resolve(Date.now() - started);
    });
  });
  return { socket, received: () => text, closed };
}

test('headers that never finish: the server answers 408 and closes', async () => {
  const c = await open();
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
});

test('a body that stops mid-way: the connection is closed, nothing is queued', async () => {
  const c = await open();
  const body = JSON.stringify({ to: '+919876543210', body: 'never finished' });
  const head = `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer().authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  c.socket.write(head + body.slice(0, 10));
  await c.closed;
  expect(c.received()).not.toMatch(/^HTTP\/1\.1 202/);
  expect(await h.redis.keys(`${h.base}:*`)).toEqual([]);
});

test('a client trickling bytes under the idle timeout is cut at the request timeout', async () => {
  const c = await open();
  const body = 'x'.repeat(200);
  c.socket.write(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer().authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  let i = 0;
  const trickle = setInterval(() => {
    if (!c.socket.destroyed && i < body.length) c.socket.write(body[i++]!);
  }, 300);
  try {
    await c.closed;
  } finally {
    clearInterval(trickle);
  }
  // Far fewer bytes than the body: the server did not wait for the rest.
  expect(i).toBeLessThan(body.length);
  expect(c.received()).not.toMatch(/^HTTP\/1\.1 202/);
});

test('an idle keep-alive connection is closed after its answer', async () => {
  const c = await open();
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
});
