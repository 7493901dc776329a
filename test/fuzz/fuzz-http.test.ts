import { connect } from 'node:net';
import { startApi, TOKEN, type ApiHarness } from '../api/api-harness.js';
import { BAD_UTF8 } from './gen-text.js';
import { fuzzSettings, preview, Rng } from './prng.js';

// Scenario 7 over a real socket: what inject() cannot send — malformed request lines and headers,
// lying Content-Length, broken chunked encoding, invalid UTF-8 on the wire, pipelined requests,
// connections cut mid-body. The server answers (or closes that one connection) and keeps serving.

const { cases, seed } = fuzzSettings(300);
let h: ApiHarness;
let port: number;
beforeAll(async () => {
  h = await startApi();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => h.close());

/** Writes `bytes`, half-closes, and collects every status line the server sends before it closes (or 3 s pass). */
function exchange(bytes: Buffer, options: { halfClose: boolean }): Promise<{ statuses: number[]; raw: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: [...raw.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])), raw });
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d) => (raw += d.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes, () => {
      if (options.halfClose) socket.end();
    });
  });
}

const json = (body: Buffer, extra = '') =>
  Buffer.concat([Buffer.from(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${extra}\r\n`), body]);

test(`${Math.ceil(cases / 3)} malformed HTTP exchanges on a real socket (seed ${seed}): an answer or a closed connection, never a 5xx; the server keeps serving`, async () => {
  const rng = new Rng(seed ^ 0x477);
  const problems: string[] = [];
  const valid = Buffer.from(JSON.stringify({ to: '+919876543210,+447400123456', body: 'Hello 😀' }));
  for (let i = 0; i < Math.ceil(cases / 3); i++) {
    const r = rng.fork(i);
    const kind = r.pick(['bad-utf8-body', 'short-length', 'long-length', 'bad-length', 'chunked', 'bad-chunk', 'request-line', 'header-junk', 'huge-header', 'pipelined', 'cut'] as const);
    let bytes: Buffer;
    // Incomplete requests are followed by the client's FIN (node then closes the socket, so complete ones must not be).
    const halfClose = ['long-length', 'bad-chunk', 'request-line', 'cut'].includes(kind);
    switch (kind) {
      case 'bad-utf8-body': // inside the message text: read as U+FFFD, still JSON
        bytes = json(Buffer.concat([Buffer.from('{"to":"+919876543210","body":"Hello '), r.pick(BAD_UTF8), Buffer.from(' x"}')]));
        break;
      case 'short-length': // Content-Length smaller than the body: the rest is read as the next request
        bytes = Buffer.from(json(valid).toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${r.int(0, valid.length - 1)}`), 'latin1');
        break;
      case 'long-length': // more promised than sent, then the client goes away
        bytes = Buffer.from(json(valid).toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${valid.length + r.int(1, 1000)}`), 'latin1');
        break;
      case 'bad-length':
        bytes = Buffer.from(json(valid).toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${r.pick(['-1', 'abc', '1e3', '', '99999999999999999999', '5, 6'])}`), 'latin1');
        break;
      case 'chunked':
        bytes = Buffer.from(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${valid.length.toString(16)}\r\n${valid.toString('latin1')}\r\n0\r\n\r\n`, 'latin1');
        break;
      case 'bad-chunk':
        bytes = Buffer.from(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${r.pick(['zz', '-1', 'ffffffffffffffffff', '5;' + 'x'.repeat(5000)])}\r\n{}\r\n0\r\n\r\n`, 'latin1');
        break;
      case 'request-line':
        bytes = Buffer.from(r.pick(['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /v1/campaigns/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, '\r\n\r\n\r\n', 'POST /v1/messages HTTP/1.1\r\n', String.fromCharCode(...Array.from({ length: 64 }, () => r.int(0, 255)))]), 'latin1');
        break;
      case 'header-junk':
        bytes = json(valid, r.pick(['X-Bad: a\u0000b\r\n', 'No-Colon\r\n', ' folded: line\r\n', 'Idempotency-Key: \u00ff\u00fe\r\n', 'Content-Type: text/csv\r\n', `X-${'h'.repeat(300)}: 1\r\n`]));
        break;
      case 'huge-header':
        bytes = json(valid, `X-Huge: ${'h'.repeat(r.int(70_000, 120_000))}\r\n`);
        break;
      case 'pipelined':
        bytes = Buffer.concat([json(valid).toString('latin1').replace('Connection: close', 'Connection: keep-alive'), 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'].map((s) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s)));
        break;
      case 'cut':
        bytes = json(valid).subarray(0, r.int(1, json(valid).length - 1));
        break;
    }
    const { statuses, raw } = await exchange(bytes, { halfClose });
    const label = `exchange ${i} (WABULK_FUZZ_SEED=${seed}, ${kind}) ${preview(bytes, 200)}`;
    // 505: node's parser refuses an unknown HTTP version before fastify sees it (an answer, not a failure).
    for (const s of statuses) if (s >= 500 && !(s === 505 && kind === 'request-line')) problems.push(`${label}: answered ${s}: ${preview(raw, 300)}`);
    if (kind === 'bad-utf8-body' && statuses[0] !== 202) problems.push(`${label}: a JSON body with invalid UTF-8 in a string is still JSON: expected 202, got ${statuses[0]}: ${preview(raw, 300)}`);
    if (kind === 'pipelined' && statuses.join() !== '202,200') problems.push(`${label}: pipelined requests answered ${statuses.join()}: ${preview(raw, 2000)}`);
  }
  // Still serving, over HTTP.
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const ok = await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: valid });
  expect(ok.status).toBe(202);
  expect(problems).toEqual([]);
});
