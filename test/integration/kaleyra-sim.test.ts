// The simulator over real HTTP: every outcome of the send call, the /__sim routes, callbacks, the CLI.
// Expected bodies are copied from the seed (kaleyra/send-text-messages.txt), not from the simulator.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { defaultFaults, startSimulator, type Simulator } from '@wabulk/kaleyra-sim';

const SID = 'HXAP16XXXXXX97IN';
const KEY = 'Axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3'; // the seed's sample api-key
const SENDER = '+919000000000';
const TO = '919876543210';
const ID = expect.stringMatching(/^A[0-9A-Z]{19,}$/);
const SEED = {
  WA202: { code: 'WA202', message: 'Request Accepted', data: { message_id: ID }, error: {} },
  RBC001: { code: 'RBC001', message: 'Incorrect SID or API key.', data: [], error: { error: 'Incorrect SID or API key.' } },
  WA401: { code: 'WA401', message: 'Phone number is not present or does not belong to the account.', data: {},
    error: { phone_number: 'Phone number is not present or does not belong to the account.' } },
  WA400: { code: 'WA400', message: 'Refer to correct payload format', data: {}, error: { payload: 'Incorrect payload format' } },
  WA500: { code: 'WA500', message: 'Please try again later', data: {}, error: { error: 'Internal server error' } },
  E110: { code: 'E110', message: 'Please check your balance, You have a low balance!', data: {},
    error: { balance: 'Please check your balance, You have a low balance!' } },
  RATE: { code: '130429', message: 'Rate limit hit', data: {}, error: { error: 'Rate limit hit' } },
};

let sim: Simulator;
beforeAll(async () => { sim = await startSimulator({ sid: SID, apiKey: KEY, senders: [SENDER, '919000000001'], seed: 1 }); });
afterAll(() => sim.close());
beforeEach(() => { sim.reset(); sim.setFaults(defaultFaults()); sim.setBalance(Infinity); });

const payload = (mo: Record<string, unknown> = {}, text: Record<string, unknown> = {}): string => JSON.stringify({
  messaging_object: { messaging_product: 'whatsapp', recipient_type: 'individual', to: TO, type: 'text', ...mo, text: { body: 'Hello', ...text } },
  extra_info: { ref: 'r0', ref1: 'r1', ref2: 'r2' },
});

interface Sent { status: number; json: unknown; text: string; headers: Headers }
async function send(o: { body?: string; sid?: string; phone?: string; key?: string | null; type?: string | null; signal?: AbortSignal } = {}): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (o.key !== null) headers['api-key'] = o.key ?? KEY;
  if (o.type !== null) headers['content-type'] = o.type ?? 'application/json';
  const res = await fetch(`${sim.url}/v2/${o.sid ?? SID}/whatsapp/${o.phone ?? SENDER}/messages`, {
    method: 'POST', headers, body: Buffer.from(o.body ?? payload()), ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}
async function admin(path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${sim.url}${path}`, body === undefined ? {} : { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type') === 'application/json' ? JSON.parse(text) : undefined, text };
}
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setImmediate(r));
  }
}

describe('202 Accepted', () => {
  test('a valid request: the seed body with a fresh message_id, recorded with its fields', async () => {
    const r = await send();
    expect(r).toMatchObject({ status: 202, json: SEED.WA202 });
    const { json } = await admin('/__sim/messages');
    expect(json).toEqual({ total: 1, offset: 0, limit: null, messages: [{
      message_id: (r.json as { data: { message_id: string } }).data.message_id, to: TO, sender: '919000000000', body: 'Hello',
      preview_url: false, ref: 'r0', ref1: 'r1', ref2: 'r2', received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    }] });
  });

  test('the seed sample request verbatim (masked digits filled in)', async () => {
    const curl = `curl -X POST \\
https://api.in.kaleyra.io/v2/HXAP16XXXXXX97IN/whatsapp/+91XXXXXXXXXX/messages \\
-H 'Content-Type: application/json' \\
-H 'api-key: Axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3' \\
-d '{
"messaging_object": {
"messaging_product": "whatsapp",
"recipient_type": "individual",
"to": "+91XXXXXXXXXX",
"type": "text",
"text": {
"preview_url": "false",
"body": "This is the sample message"
}
},
"extra_info": {
"ref": "customer1",
"ref1": "marketing",
"ref2": "dictionary",
"wa_source": "api"
}
}'`;
    const path = /https:\/\/[^/]+(\S+)/.exec(curl)![1]!.replace('+91XXXXXXXXXX', SENDER);
    const body = /-d '([\s\S]*)'$/.exec(curl)![1]!.replace('+91XXXXXXXXXX', `+${TO}`);
    const res = await fetch(sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'api-key': KEY }, body });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual(SEED.WA202);
    expect(sim.messages()).toEqual([expect.objectContaining({ to: TO, body: 'This is the sample message', ref: 'customer1', ref1: 'marketing', ref2: 'dictionary' })]);
  });

  test('both spellings: preview_url boolean or string, to and path number with or without +', async () => {
    for (const [mo, text, phone] of [[{ to: `+${TO}` }, { preview_url: true }, '919000000000'], [{}, { preview_url: 'true' }, '%2B919000000001']] as const) {
      expect(await send({ body: payload(mo, text), phone, type: 'application/json; charset=utf-8' })).toMatchObject({ status: 202, json: SEED.WA202 });
    }
  });

  test('a multi-recipient to: one message (own id, one unit) each, answered with the first id', async () => {
    sim.setBalance(5);
    const r = await send({ body: payload({ to: `${TO}, +14155550123` }) });
    expect(r).toMatchObject({ status: 202, json: SEED.WA202 });
    const msgs = sim.messages();
    expect(msgs.map((m) => m.to)).toEqual([TO, '14155550123']);
    expect(msgs[0]!.message_id).toBe((r.json as { data: { message_id: string } }).data.message_id);
    expect(msgs[1]!.message_id).not.toBe(msgs[0]!.message_id);
    expect(sim.stats()).toMatchObject({ accepted: 1, messages: 2, balance: 3 });
  });
});

describe('seed failures', () => {
  test.each([['wrong sid', { sid: 'HXAP16XXXXXX98IN' }], ['wrong api-key', { key: 'nope' }], ['no api-key', { key: null }]] as const)(
    'RBC001 for %s', async (_n, o) => {
      expect(await send(o)).toMatchObject({ status: 401, json: SEED.RBC001 });
    });

  test('WA401 for a business number not on the account', async () => {
    expect(await send({ phone: '+919111111111' })).toMatchObject({ status: 401, json: SEED.WA401 });
    expect(await send({ phone: 'abc%zz' })).toMatchObject({ status: 401, json: SEED.WA401 });
  });

  test.each<[string, Parameters<typeof send>[0]]>([
    ['Content-Type text/plain', { type: 'text/plain' }],
    ['no Content-Type', { type: null }],
    ['invalid JSON', { body: '{"messaging_object":' }],
    ['messaging_object missing', { body: '{"extra_info":{}}' }],
    ['messaging_product not whatsapp', { body: payload({ messaging_product: 'sms' }) }],
    ['to missing', { body: payload({ to: undefined }) }],
    ['to not E.164', { body: payload({ to: '+91XXXXXXXXXX' }) }],
    ['text.body missing', { body: JSON.stringify({ messaging_object: { messaging_product: 'whatsapp', to: TO, text: {} } }) }],
    ['text.body over 4096 characters', { body: payload({}, { body: 'é'.repeat(4097) }) }],
    ['type other than text', { body: payload({ type: 'template' }) }],
    ['recipient_type other than individual', { body: payload({ recipient_type: 'group' }) }],
    ['preview_url not a boolean', { body: payload({}, { preview_url: 'yes' }) }],
    ['a body over 64 KiB', { body: payload({}, { body: 'x'.repeat(70_000) }) }],
  ])('WA400 for %s', async (_n, o) => {
    const r = await send(o);
    expect(r).toMatchObject({ status: 400, json: SEED.WA400 });
    expect(r.headers.get('x-sim-reason')).toEqual(expect.any(String));
  });

  test('E110 when the balance is spent; a top-up via /__sim/balance resumes 202s', async () => {
    expect(await admin('/__sim/balance', { balance: 2 })).toMatchObject({ status: 200, json: { balance: 2 } });
    expect((await send()).status).toBe(202);
    expect(await send({ body: payload({ to: `${TO},14155550123` }) })).toMatchObject({ status: 400, json: SEED.E110 });
    expect((await send()).status).toBe(202);
    expect(await send()).toMatchObject({ status: 400, json: SEED.E110 });
    expect(await admin('/__sim/balance', { add: 1 })).toMatchObject({ json: { balance: 1 } });
    expect(await send()).toMatchObject({ status: 202, json: SEED.WA202 });
    expect(sim.stats()).toMatchObject({ accepted: 3, balance: 0, rejected: { byCode: { E110: 2 } } });
  });

  test('E110 after e110AfterAccepted more; lifted by a balance change', async () => {
    await admin('/__sim/faults', { e110AfterAccepted: 1 });
    expect((await send()).status).toBe(202);
    expect(await send()).toMatchObject({ status: 400, json: SEED.E110 });
    await admin('/__sim/balance', { balance: null });
    expect((await send()).status).toBe(202);
  });

  test('WA500 with failRate 1, and for failNext N then back to 202', async () => {
    await admin('/__sim/faults', { failRate: 1 });
    expect(await send()).toMatchObject({ status: 500, json: SEED.WA500 });
    await admin('/__sim/faults', { failRate: 0, failNext: 2 });
    expect((await send()).status).toBe(500);
    expect(await send()).toMatchObject({ status: 500, json: SEED.WA500 });
    expect((await send()).status).toBe(202);
  });

  test('failCode/failStatus script any code: a seed code keeps its body, others get the envelope', async () => {
    await admin('/__sim/faults', { failNext: 1, failCode: 'RBC001' });
    expect(await send()).toMatchObject({ status: 401, json: SEED.RBC001 });
    await admin('/__sim/faults', { failNext: 1, failCode: 'WAV2101', failStatus: 403 });
    expect(await send()).toMatchObject({ status: 403, json: { code: 'WAV2101', data: {} } });
  });

  // Answers the page does not list (issue 12): each one a /__sim/faults away.
  test('failBody: an HTML 403, a 401 without a code, a 404; failCode/failStatus: 400 with an unlisted code, 429 + WAV2101', async () => {
    const html = '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>';
    await admin('/__sim/faults', { failNext: 1, failStatus: 403, failBody: html });
    const forbidden = await send();
    expect(forbidden).toMatchObject({ status: 403, text: html });
    expect(forbidden.headers.get('content-type')).toMatch(/^text\/html/);
    await admin('/__sim/faults', { failNext: 1, failStatus: 401, failBody: '' });
    expect(await send()).toMatchObject({ status: 401, text: '' });
    await admin('/__sim/faults', { failNext: 1, failStatus: 404, failBody: '{"message":"Not Found"}' });
    const notFound = await send();
    expect(notFound).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(notFound.headers.get('content-type')).toBe('application/json');
    await admin('/__sim/faults', { failNext: 1, failStatus: 400, failCode: 'WA999', failBody: null });
    expect(await send()).toMatchObject({ status: 400, json: { code: 'WA999', data: {} } });
    await admin('/__sim/faults', { failNext: 1, failStatus: 429, failCode: 'WAV2101' });
    expect(await send()).toMatchObject({ status: 429, json: { code: 'WAV2101' } });
    expect(sim.stats().rejected.byCode).toMatchObject({ HTTP_403: 1, HTTP_401: 1, HTTP_404: 1, WA999: 1, WAV2101: 1 });
  });
});

describe('throughput and connection faults', () => {
  test('429 with Retry-After and the 130429 body beyond rateLimitPerSecond', async () => {
    await admin('/__sim/faults', { rateLimitPerSecond: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => send()));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(6); // at most 2 per window, 2 windows at most
    for (const r of limited) {
      expect(r.json).toEqual(SEED.RATE);
      expect(r.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    }
    expect(sim.stats().maxPerSecond).toBeGreaterThanOrEqual(5);
  });

  test('retryAfterSeconds sets the Retry-After of those 429s', async () => {
    await admin('/__sim/faults', { rateLimitPerSecond: 1, retryAfterSeconds: 86_400 });
    const results = await Promise.all(Array.from({ length: 4 }, () => send()));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    for (const r of limited) expect(r.headers.get('retry-after')).toBe('86400');
  });

  test('hangNext: never answered until the client gives up', async () => {
    await admin('/__sim/faults', { hangNext: 1 });
    await expect(send({ signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await until(() => sim.stats(), (s) => s.inFlight === 0)).toMatchObject({ hung: 1, inFlight: 0 });
    expect((await send()).status).toBe(202);
  });

  test('dropNext: the socket is destroyed after the request is read', async () => {
    await admin('/__sim/faults', { dropNext: 1 });
    await expect(send()).rejects.toThrow();
    expect((await send()).status).toBe(202);
    expect(sim.stats()).toMatchObject({ dropped: 1, accepted: 1, requests: 2 });
  });

  test('latencyMs delays the answer; invalidJson202 answers the seed layout', async () => {
    await admin('/__sim/faults', { latencyMs: 150, invalidJson202: true });
    const t0 = Date.now();
    const r = await send();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.json).toBeUndefined();
    expect(r.text).toMatch(/"code":"WA202"\n[\s\S]*"message_id":"A[0-9A-Z]{19}"/);
  });

  test('close() answers nothing more, drops hung requests and resolves', async () => {
    const own = await startSimulator({ sid: SID, apiKey: KEY, senders: [SENDER], latencyMs: 10_000 });
    own.setFaults({ hangNext: 1 });
    const url = `${own.url}/v2/${SID}/whatsapp/${SENDER}/messages`;
    const init = { method: 'POST', headers: { 'api-key': KEY, 'content-type': 'application/json' }, body: payload() };
    const pending = [fetch(url, init), fetch(url, init)].map((p) => p.then(() => 'answered', () => 'dropped'));
    await until(() => own.stats().requests, (n) => n === 2);
    await own.close();
    expect(await Promise.all(pending)).toEqual(['dropped', 'dropped']);
  });
});

describe('/__sim routes', () => {
  test('messages: ?to= filter, paging, ndjson; stats; reset', async () => {
    for (const to of [TO, '14155550123', TO]) await send({ body: payload({ to }) });
    await send({ key: 'bad' });
    expect((await admin(`/__sim/messages?to=%2B${TO}`)).json).toMatchObject({ total: 2, messages: [{ to: TO }, { to: TO }] });
    const page = (await admin('/__sim/messages?offset=1&limit=1')).json;
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1, messages: [{ to: '14155550123' }] });
    const lines = (await admin('/__sim/messages?format=ndjson')).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((m) => m.message_id)).toEqual(sim.messages().map((m) => m.message_id));
    expect(new Set(lines.map((m) => m.message_id)).size).toBe(3);
    expect((await admin('/__sim/stats')).json).toEqual({
      requests: 4, accepted: 3, messages: 3, rejected: { total: 1, byCode: { RBC001: 1 } }, hung: 0, dropped: 0, balance: null,
      maxPerSecond: expect.any(Number), inFlight: 0, startedAt: expect.any(String), callbacks: { sent: 0, failed: 0, pending: 0 },
    });
    expect((await admin('/__sim/reset', {})).status).toBe(200);
    expect((await admin('/__sim/messages')).json).toMatchObject({ total: 0, messages: [] });
    expect(sim.stats()).toMatchObject({ requests: 0, accepted: 0, rejected: { total: 0 }, maxPerSecond: 0 });
  });

  test('faults: GET returns the current settings; bad bodies get 400 naming the field', async () => {
    expect((await admin('/__sim/faults', { failNext: 3, latencyJitterMs: 5 })).json).toMatchObject({ failNext: 3, latencyJitterMs: 5 });
    expect((await admin('/__sim/faults')).json).toEqual({ ...defaultFaults(), failNext: 3, latencyJitterMs: 5 });
    for (const [body, field] of [[{ failRate: 2 }, 'failRate'], [{ hangNext: 'x' }, 'hangNext'], [{ nope: 1 }, 'nope'], ['{oops', 'body']] as const) {
      expect(await admin('/__sim/faults', body)).toMatchObject({ status: 400, json: { field } });
    }
    expect(await admin('/__sim/balance', { balance: -1 })).toMatchObject({ status: 400, json: { field: 'balance' } });
    expect(await admin('/__sim/messages?limit=-1')).toMatchObject({ status: 400, json: { field: 'limit' } });
    expect((await admin('/__sim/nothing')).status).toBe(404);
    expect((await fetch(`${sim.url}/v2/${SID}/whatsapp/${SENDER}/messages`)).status).toBe(405);
  });
});

describe('delivery callbacks', () => {
  test('sent → delivered → read (or sent → failed) POSTed in order to the callback URL', async () => {
    const got: Array<Record<string, string>> = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { got.push(JSON.parse(body)); res.end(); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
      await admin('/__sim/faults', { callbackUrl, callbackDelayMs: 5 });
      await send({ body: payload({ to: `${TO},14155550123` }) });
      await admin('/__sim/faults', { callbackFailedShare: 1 });
      await send({ body: payload({ to: '447700900123' }) });
      await until(() => got.length, (n) => n >= 8);
      const statuses = (mobile: string): string[] => got.filter((c) => c.mobile === mobile).map((c) => c.status!);
      expect(statuses(TO)).toEqual(['sent', 'delivered', 'read']);
      expect(statuses('14155550123')).toEqual(['sent', 'delivered', 'read']);
      expect(statuses('447700900123')).toEqual(['sent', 'failed']);
      const [first] = sim.messages();
      expect(got.find((c) => c.status === 'read' && c.mobile === TO)).toEqual({ id: first!.message_id, status: 'read', mobile: TO,
        ref: 'r0', ref1: 'r1', ref2: 'r2', timestamp: expect.stringMatching(/^\d{10}$/), error: '', error_code: '' });
      expect(got.find((c) => c.status === 'failed')).toMatchObject({ error_code: expect.stringMatching(/^\d+$/) });
      expect(await until(() => sim.stats().callbacks, (c) => c.pending === 0)).toEqual({ sent: 8, failed: 0, pending: 0 });
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  test('an unreachable callback URL is counted as failed, never fatal', async () => {
    await admin('/__sim/faults', { callbackUrl: 'http://127.0.0.1:9/cb', callbackDelayMs: 0 });
    expect((await send()).status).toBe(202);
    expect(await until(() => sim.stats().callbacks, (c) => c.pending === 0)).toMatchObject({ sent: 0, failed: 3 });
  });
});

describe('pnpm sim (main.ts)', () => {
  const root = resolve(__dirname, '..', '..');
  const run = (args: string[]) => spawn(process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', 'apps/kaleyra-sim/src/main.ts', ...args], { cwd: root });
  const exited = (child: ReturnType<typeof run>) => new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  test('a bad flag: a message naming it, exit code 2', async () => {
    const child = run(['--fail-rate', '1.5']);
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    expect(await exited(child)).toBe(2);
    expect(err).toContain('--fail-rate');
  });

  test('prints one line with the URL (not the key), serves, exits 0 on SIGTERM', async () => {
    const child = run(['--port', '0', '--api-key', 'secret-key-123', '--balance', '1']);
    const done = exited(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const line = await until(() => out, (o) => o.includes('\n'), 20_000);
    expect(line).not.toContain('secret-key-123');
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    expect((await fetch(`${url}/__sim/stats`).then((r) => r.json()))).toMatchObject({ balance: 1 });
    child.kill('SIGTERM');
    expect(await done).toBe(0);
  });
});
