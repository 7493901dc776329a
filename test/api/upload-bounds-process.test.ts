import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { freePort, uniqueBase } from '../support/redis.js';
import { ApiProcess, apiEnv } from './api-process.js';

// A 10 MiB upload of a single line (CSV and NDJSON) through the real `wabulk api` process: answered
// 4xx, and the process's peak RSS (VmHWM, /proc/<pid>/status) stays under 300 MiB. Sampled VmRSS
// and the peak are printed (docs/benchmarks.md keeps a measured figure).

const TOKEN = 'bounds-token-0123456789abcdef';
const MIB = 1024 * 1024;
const SIZE = 10 * MIB;
const RSS_LIMIT = 300 * MIB;

let api: ApiProcess | undefined;
let origin = '';
afterAll(async () => {
  if (api?.running) await api.stop('SIGKILL');
});

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  api = new ApiProcess(apiEnv(uniqueBase('bounds'), port, { WABULK_API_TOKENS: TOKEN }));
  await api.waitForLog('api listening');
  idle = memory(api.pid).rss;
});

/** VmRSS and VmHWM of the API process, in bytes. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * POSTs `size` bytes made by `make` in 64 KiB chunks, as a client streaming a file would; resolves
 * with the answer as soon as it comes (the server may answer and close before the body is all sent).
 */
function upload(path: string, contentType: string, head: string, fill: number, tail: string): Promise<{ status: number; body: Record<string, unknown>; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request(`${origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType, 'content-length': String(Buffer.byteLength(head) + SIZE + Buffer.byteLength(tail)) } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, sent }));
    });
    // The server closing the connection after its answer is fine; before an answer it is a failure.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, fill);
    const write = () => {
      if (sent === 0) req.write(head);
      while (sent < SIZE && !req.destroyed) {
        const n = Math.min(chunk.length, SIZE - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', write);
      }
      if (!req.destroyed) req.end(tail);
    };
    write();
  });
}

const peaks: Record<string, number> = {};
let idle = 0;

async function measured<T>(label: string, run: () => Promise<T>): Promise<T> {
  const pid = api!.pid;
  let peak = memory(pid).rss;
  const timer = setInterval(() => (peak = Math.max(peak, memory(pid).rss)), 10);
  try {
    return await run();
  } finally {
    clearInterval(timer);
    peaks[label] = Math.max(peak, memory(pid).rss);
  }
}

const q = `campaignId=big&body=${encodeURIComponent('hi')}&account=acme`;

test('CSV: a 10 MiB single line is a 400 naming line 1', async () => {
  const res = await measured('csv', () => upload(`/v1/campaigns?${q}`, 'text/csv', '', 0x37, '\n'));
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'unusable upload', issues: [{ field: 'recipients', line: 1, message: expect.stringMatching(/record longer than 65536 characters/) }] });
});

test('NDJSON: a 10 MiB single line (the first object) is a 400 naming line 1', async () => {
  const res = await measured('ndjson', () => upload(`/v1/campaigns?${q}`, 'application/x-ndjson', '{"to":"', 0x37, '"}\n'));
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'unusable upload', issues: [{ field: 'recipients', line: 1, message: expect.stringMatching(/longer than 64 KiB/) }] });
});

test('NDJSON: a 10 MiB second line is read through (bytes past 64 KiB dropped) and rejected with its line; the rest goes on', async () => {
  const res = await measured('ndjson-line2', () =>
    upload(`/v1/campaigns?${q}&dryRun=true`, 'application/x-ndjson', '{"to":"+919800000001"}\n{"to":"', 0x37, '"}\n{"to":"+919800000002"}\n'),
  );
  expect(res.status).toBe(200);
  expect(res.sent).toBe(SIZE);
  expect(res.body).toMatchObject({ accepted: 2, rejectedTotal: 1, rejected: [{ line: 2, reason: expect.stringMatching(/^line longer than 64 KiB/) }] });
  expect(((res.body.rejected as Array<{ input: string }>)[0]!.input).length).toBeLessThanOrEqual(100);
});

test('the API process stayed under 300 MiB RSS throughout (VmHWM)', () => {
  const { hwm, rss } = memory(api!.pid);
  const mib = (n: number) => Math.round((n / MIB) * 10) / 10;
  process.stdout.write(`upload bounds: idle VmRSS ${mib(idle)} MiB; peak VmRSS sampled per upload (MiB) ${JSON.stringify(Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, mib(v)])))}; VmHWM ${mib(hwm)} MiB; VmRSS now ${mib(rss)} MiB\n`);
  expect(Object.keys(peaks)).toHaveLength(3);
  expect(hwm).toBeLessThan(RSS_LIMIT);
});
