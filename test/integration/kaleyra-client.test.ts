// @wabulk/kaleyra against the real simulator (@wabulk/kaleyra-sim) over HTTP: the client's own
// undici Pool, the simulator's seed answers, and nothing mocked.
import { createKaleyraClient, KaleyraError } from '@wabulk/kaleyra';
import type { KaleyraClient, KaleyraClientOptions } from '@wabulk/kaleyra';
import { startSimulator } from '@wabulk/kaleyra-sim';
import type { Simulator, SimulatorOptions } from '@wabulk/kaleyra-sim';

const SID = 'HXAP16INTEG97IN';
const API_KEY = 'Aintegration0123456789abcdefKEY3';
const SENDER = '+919800000001';
const message = { to: '+919876543210', body: 'Hello from the integration test 😀' };

let sim: Simulator | undefined;
const clients: KaleyraClient[] = [];

async function start(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  sim = await startSimulator({ port: 0, sid: SID, apiKey: API_KEY, senders: [SENDER], ...options });
  return sim;
}

function clientFor(target: Simulator, overrides: Partial<KaleyraClientOptions> = {}): KaleyraClient {
  const client = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: target.url, ...overrides });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<KaleyraError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KaleyraError);
  return error as KaleyraError;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await sim?.close();
  sim = undefined;
});

test('success: 202 WA202, and the simulator recorded to, body and refs', async () => {
  const target = await start();
  const result = await clientFor(target).sendText({
    ...message, ref: 'customer1', ref1: 'marketing', ref2: 'r'.repeat(300),
  });
  expect(result).toEqual({ messageId: expect.any(String), code: 'WA202', status: 202 });
  const recorded = target.messages();
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({
    message_id: result.messageId,
    to: '919876543210', // the simulator stores digits without '+'
    body: message.body,
    ref: 'customer1',
    ref1: 'marketing',
    ref2: 'r'.repeat(255), // truncated by the client, as Kaleyra would
  });
});

test('success without refs: the simulator sees none', async () => {
  const target = await start();
  await clientFor(target).sendText(message);
  expect(target.messages()[0]).toMatchObject({ ref: null, ref1: null, ref2: null, preview_url: false });
});

test('the seed-layout 202 (not valid JSON) still yields the message_id', async () => {
  const target = await start();
  target.setFaults({ invalidJson202: true });
  const result = await clientFor(target).sendText(message);
  expect(result.messageId).toBe(target.messages()[0]?.message_id);
});

test('RBC001: a wrong api-key stops the account', async () => {
  const target = await start();
  const error = await failure(clientFor(target, { apiKey: 'Awrong-key' }).sendText(message));
  expect(error).toMatchObject({ code: 'RBC001', status: 401, kind: 'account', message: 'Incorrect SID or API key.' });
  expect(target.messages()).toHaveLength(0);
});

test('WA401: a sender not on the account stops the account', async () => {
  const target = await start();
  const error = await failure(clientFor(target, { sender: '+919800000099' }).sendText(message));
  expect(error).toMatchObject({ code: 'WA401', status: 401, kind: 'account' });
  expect(target.messages()).toHaveLength(0);
});

test('E110: balance 0 stops the account; a top-up lets the next send through', async () => {
  const target = await start({ balance: 0 });
  const client = clientFor(target);
  const error = await failure(client.sendText(message));
  expect(error).toMatchObject({
    code: 'E110', status: 400, kind: 'account', message: 'Please check your balance, You have a low balance!',
  });
  expect(target.messages()).toHaveLength(0);
  target.setBalance(1);
  await expect(client.sendText(message)).resolves.toMatchObject({ code: 'WA202' });
});

test('WA500: failRate 1 is retryable', async () => {
  const target = await start({ failRate: 1 });
  const error = await failure(clientFor(target).sendText(message));
  expect(error).toMatchObject({ code: 'WA500', status: 500, kind: 'retryable', message: 'Please try again later (error: Internal server error)', detail: 'error: Internal server error' });
  expect(target.messages()).toHaveLength(0);
});

test('WAV2101 (injected) stops the account', async () => {
  const target = await start();
  target.setFaults({ failNext: 1, failCode: 'WAV2101', failStatus: 403 });
  expect(await failure(clientFor(target).sendText(message))).toMatchObject({ code: 'WAV2101', status: 403, kind: 'account' });
});

test('429 with code 130429 is throttled with Retry-After', async () => {
  const target = await start();
  target.setFaults({ rateLimitPerSecond: 1 });
  const client = clientFor(target);
  const outcomes = await Promise.allSettled([client.sendText(message), client.sendText(message), client.sendText(message)]);
  const throttled = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as KaleyraError] : []));
  expect(throttled.length).toBeGreaterThanOrEqual(1);
  for (const error of throttled) {
    expect(error).toMatchObject({ code: '130429', status: 429, kind: 'throttled' });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1000);
  }
});

test('no answer after the request was written is TIMEOUT, ambiguous', async () => {
  const target = await start();
  target.setFaults({ hangNext: 1 });
  const error = await failure(clientFor(target, { headersTimeoutMs: 300 }).sendText(message));
  expect(error).toMatchObject({ code: 'TIMEOUT', status: 0, kind: 'ambiguous' });
  expect(target.stats().hung).toBe(1);
});

test('a dropped connection after the request was written is NETWORK, ambiguous', async () => {
  const target = await start();
  target.setFaults({ dropNext: 1 });
  expect(await failure(clientFor(target).sendText(message))).toMatchObject({ code: 'NETWORK', kind: 'ambiguous' });
});

test('WA400 cannot be produced through the typed client: INVALID_REQUEST, and nothing reaches the simulator', async () => {
  const target = await start();
  const client = clientFor(target);
  const before = target.stats();
  const invalid = [
    { ...message, body: '' },
    { ...message, body: 'x'.repeat(4097) },
    { ...message, to: '12345' },
    { ...message, to: '+0919876543210' },
  ];
  for (const input of invalid) {
    expect(await failure(client.sendText(input))).toMatchObject({ code: 'INVALID_REQUEST', status: 0, kind: 'message' });
  }
  const after = target.stats();
  expect(after.requests).toBe(before.requests);
  expect(after.rejected.total).toBe(0);
  expect(target.messages()).toHaveLength(0);
});
