import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { startStack, numbers, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { ApiProcess, apiEnv } from './api-process.js';

// The whole loop with real processes: `wabulk api` takes a campaign upload over HTTP, a worker
// process sends it to the simulator, the simulator posts delivery callbacks (basic auth from the
// URL's credentials) to the API, and the API's export shows delivered, read and failed-after-send.

const TOKEN = 'proc-token-0123456789abcdef';
const USER = 'kaleyra';
const PASSWORD = 'callback-pass-123';
const RECIPIENTS = 200;

let stack: Stack | undefined;
let api: ApiProcess | undefined;
afterEach(async () => {
  await killAllWorkers();
  if (api?.running) await api.stop('SIGKILL');
  await stack?.close();
  stack = undefined;
  api = undefined;
});

test('upload → worker → simulator → callbacks → API: the export shows delivered, read and failed-after-send', async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const s = (stack = await startStack({ sim: { seed: 7, callbackUrl: `http://${USER}:${PASSWORD}@127.0.0.1:${port}/v1/callbacks/kaleyra` } }));
  s.sim.setFaults({ callbackDelayMs: 20, callbackFailedShare: 0.2, callbackReadShare: 0.5 });
  api = new ApiProcess(apiEnv(s.base, port, { WABULK_API_TOKENS: TOKEN, WABULK_CALLBACK_BASIC_AUTH: `${USER}:${PASSWORD}` }));
  await api.waitForLog('api listening');
  await spawnWorker(workerEnv({ base: s.base, simUrl: s.sim.url }));
  const auth = { authorization: `Bearer ${TOKEN}` };

  const csv = `to,ref\n${numbers(RECIPIENTS).map((n, i) => `${n},cust-${i}`).join('\n')}\nnot-a-number,x\n`;
  const upload = await fetch(`${origin}/v1/campaigns?campaignId=loop&body=${encodeURIComponent('Your order shipped')}`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
  expect(upload.status).toBe(202);
  expect(await upload.json()).toMatchObject({ campaignId: 'loop', accepted: RECIPIENTS, rejectedTotal: 1, rejected: [{ input: 'not-a-number', line: RECIPIENTS + 2 }] });

  // A callback for a message nobody sent: counted and kept, not refused.
  const basic = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
  const unknown = await fetch(`${origin}/v1/callbacks/kaleyra`, { method: 'POST', headers: basic, body: JSON.stringify({ id: 'NOT-OURS:0', status: 'delivered' }) });
  expect(await unknown.json()).toMatchObject({ unknown: 1 });

  // Every message reaches its last callback: read, delivered (not read), or failed after send.
  const status = await waitFor(
    async () => {
      const st = (await (await fetch(`${origin}/v1/campaigns/loop`, { headers: auth })).json()) as Record<string, number>;
      const sim = s.sim.stats().callbacks;
      return st.pending === 0 && sim.pending === 0 && st.delivered! + st.failedAfterSend! === st.sent ? st : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 100, what: 'every callback applied' },
  );
  expect(status).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, pending: 0 });
  expect(s.sim.stats().callbacks.failed).toBe(0); // the API answered every callback 2xx
  expect(status.failedAfterSend).toBeGreaterThan(0);
  expect(status.read).toBeGreaterThan(0);
  expect(status.delivered! - status.read!).toBeGreaterThan(0);

  // A late, out-of-order callback moves nothing back.
  const simIds = new Map(s.sim.messages().map((m) => [`+${m.to.replace(/^\+/, '')}`, m.message_id]));
  const exported = (await (await fetch(`${origin}/v1/campaigns/loop/recipients?format=ndjson`, { headers: auth })).text()).trim().split('\n').map((l) => JSON.parse(l));
  const aRead = exported.find((r) => r.status === 'read');
  const late = await fetch(`${origin}/v1/callbacks/kaleyra`, { method: 'POST', headers: basic, body: JSON.stringify({ id: aRead.messageId, status: 'delivered' }) });
  expect(await late.json()).toMatchObject({ unchanged: 1 });

  expect(exported).toHaveLength(RECIPIENTS);
  const byStatus: Record<string, number> = {};
  for (const row of exported) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    expect(row.messageId).toBe(simIds.get(row.to)); // joined on the message_id the simulator issued
    if (row.status === 'failed-after-send') expect(row).toMatchObject({ code: '131047', reason: 'Re-engagement message' });
    else expect(row.code).toBe('WA202');
  }
  expect(byStatus).toEqual({ read: status.read, delivered: status.delivered! - status.read!, 'failed-after-send': status.failedAfterSend });
  expect(status.failedAfterSendByCode).toEqual({ '131047': status.failedAfterSend });

  const metrics = await (await fetch(`${origin}/metrics`, { headers: auth })).text();
  expect(metrics).toMatch(/wabulk_callbacks_total\{status="read",outcome="applied"\} [1-9]/);
  // At least our own unknown id; a simulator callback can also beat the worker's index write (and is applied later).
  expect(metrics).toMatch(/wabulk_callbacks_total\{status="delivered",outcome="unknown"\} [1-9]/);

  expect(await api.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  expect(api.messages()).toEqual(expect.arrayContaining(['shutting down: finishing in-flight requests', 'stopped']));
  // No bearer token, callback password or full phone number in the API's logs.
  for (const secret of [TOKEN, PASSWORD, numbers(1)[0]!.slice(1)]) expect(api.stdout() + api.stderr()).not.toContain(secret);
}, 90_000);
