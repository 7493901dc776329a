import { inspect } from 'node:util';
import { MockAgent } from 'undici';
import { createKaleyraClient, KaleyraClient } from './kaleyra-client.js';
import type { KaleyraPod } from './client-options.js';
import { KaleyraError } from './kaleyra-error.js';
import { API_KEY, mockKaleyra, SEND_PATH, SENDER, SID } from './mock-kaleyra.fixture.js';

const message = { to: '919876543210', body: 'hi' };
const accepted = '{"code":"WA202","message":"Request Accepted","data":{"message_id":"m-1"},"error":{}}';

/** Every way an object can end up in a log line. */
function renderings(value: unknown): string[] {
  return [
    inspect(value), inspect(value, { showHidden: true, depth: Infinity }), JSON.stringify(value), String(value),
    `${value as string}`,
  ];
}

describe('the api-key never leaks', () => {
  test('not from the client', async () => {
    const kaleyra = mockKaleyra();
    for (const text of renderings(kaleyra.client)) expect(text).not.toContain(API_KEY);
    expect(inspect(kaleyra.client)).toContain('[redacted]');
    expect(JSON.parse(JSON.stringify(kaleyra.client))).toEqual({
      baseUrl: 'https://api.in.kaleyra.io', sid: SID, sender: SENDER, apiKey: '[redacted]',
    });
    expect(Object.values(kaleyra.client)).not.toContain(API_KEY);
    await kaleyra.close();
  });

  test('not from errors, even when the server echoes it', async () => {
    const kaleyra = mockKaleyra();
    kaleyra.intercept().reply(401, `{"code":"RBC001","message":"Incorrect SID or API key ${API_KEY}."}`);
    kaleyra.intercept().reply(500, `<html>key=${API_KEY}</html>`);
    kaleyra.intercept().replyWithError(new Error('socket hang up'));
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) errors.push(await kaleyra.client.sendText(message).catch((e: unknown) => e));
    errors.push(await kaleyra.client.sendText({ ...message, to: 'x' }).catch((e: unknown) => e));
    expect(errors.map((e) => (e as KaleyraError).code)).toEqual(['RBC001', 'HTTP_500', 'NETWORK', 'INVALID_REQUEST']);
    for (const error of errors) {
      for (const text of renderings(error)) expect(text).not.toContain(API_KEY);
      expect(String((error as Error).stack)).not.toContain(API_KEY);
    }
    expect((errors[0] as Error).message).toBe('Incorrect SID or API key [redacted].');
    await kaleyra.close();
  });

  test('not from configuration errors', () => {
    const badKey = 'has a space SECRET';
    const error = (() => {
      try {
        createKaleyraClient({ sid: SID, apiKey: badKey, sender: SENDER });
      } catch (e) {
        return e as KaleyraError;
      }
      throw new Error('expected INVALID_CONFIG');
    })();
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', status: 0, message: 'apiKey: must be non-empty visible ASCII' });
    for (const text of renderings(error)) expect(text).not.toContain('SECRET');
  });
});

describe('configuration', () => {
  test.each([
    [{ sender: '12' }, "sender: must be E.164 (optional '+', then 7..15 digits, first digit not 0), got 2 digits"],
    [{ sid: '' }, 'sid: must be a non-empty SID of letters, digits, _ or -'],
    [{ pod: 'us' }, 'pod: must be one of in, sg, eu, na'],
    [{ connections: 0 }, 'connections: must be a positive integer'],
    [{ headersTimeoutMs: 1.5 }, 'headersTimeoutMs: must be a positive integer'],
    [{ baseUrl: 'not a url' }, 'baseUrl: must be an absolute http(s) URL'],
    [{ baseUrl: 'ftp://example.com' }, 'baseUrl: must use http or https'],
    [{ baseUrl: 'http://example.com/?x=1' }, 'baseUrl: must be an origin with an optional path prefix (no credentials, query or fragment)'],
    [{ dispatcher: {} }, 'dispatcher: must be an undici Dispatcher'],
  ])('%j is rejected', (override, message) => {
    expect(() => createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, ...(override as object) }))
      .toThrow(new KaleyraError('INVALID_CONFIG', 0, message));
  });

  test('a sender without + is sent with one', () => {
    const client = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: '919800000001', dispatcher: new MockAgent() });
    expect(client.sender).toBe(SENDER);
    expect(client).toBeInstanceOf(KaleyraClient);
  });

  // The pods' hosts as Kaleyra documents them (kaleyra/api-notes.md), not read back from KALEYRA_PODS.
  test.each([
    ['in', 'https://api.in.kaleyra.io'],
    ['sg', 'https://api.ap.kaleyra.io'],
    ['eu', 'https://api.eu.kaleyra.io'],
    ['na', 'https://api.na.kaleyra.ai'],
  ] as const)('pod %s posts to %s', async (pod, origin) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get(origin).intercept({ path: SEND_PATH, method: 'POST' }).reply(202, accepted);
    const client = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, pod: pod satisfies KaleyraPod, dispatcher: agent });
    expect(client.baseUrl).toBe(origin);
    await expect(client.sendText(message)).resolves.toMatchObject({ messageId: 'm-1' });
    await agent.close();
  });

  test('baseUrl overrides the pod and may carry a path prefix', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('http://127.0.0.1:8089').intercept({ path: `/proxy${SEND_PATH}`, method: 'POST' }).reply(202, accepted);
    const client = createKaleyraClient({
      sid: SID, apiKey: API_KEY, sender: SENDER, pod: 'eu', baseUrl: 'http://127.0.0.1:8089/proxy/', dispatcher: agent,
    });
    expect(client.baseUrl).toBe('http://127.0.0.1:8089/proxy');
    await expect(client.sendText(message)).resolves.toEqual({ messageId: 'm-1', code: 'WA202', status: 202 });
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});

describe('lifecycle', () => {
  test('close() leaves an injected dispatcher open; later sends fail CLIENT_CLOSED without I/O', async () => {
    const kaleyra = mockKaleyra();
    await kaleyra.client.close();
    await kaleyra.client.close(); // idempotent
    await expect(kaleyra.client.sendText(message)).rejects.toMatchObject({ code: 'CLIENT_CLOSED', kind: 'retryable' });
    kaleyra.intercept().reply(202, accepted);
    const other = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, dispatcher: kaleyra.agent });
    await expect(other.sendText(message)).resolves.toMatchObject({ messageId: 'm-1' });
    await kaleyra.close();
  });

  test('an already aborted signal fails ABORTED, retryable, with nothing sent', async () => {
    const kaleyra = mockKaleyra();
    kaleyra.agent.enableCallHistory();
    const error = await kaleyra.client.sendText(message, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ABORTED', status: 0, kind: 'retryable' });
    expect(kaleyra.agent.getCallHistory()?.calls() ?? []).toHaveLength(0);
    await kaleyra.close();
  });

  test('aborting while waiting for the answer fails ABORTED, ambiguous', async () => {
    const kaleyra = mockKaleyra();
    kaleyra.intercept().reply(202, accepted).delay(5_000);
    const controller = new AbortController();
    const sending = kaleyra.client.sendText(message, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    expect(await sending).toMatchObject({ code: 'ABORTED', kind: 'ambiguous' });
    expect(((await sending) as Error).message).toContain('shutting down');
    await kaleyra.close();
  });
});
