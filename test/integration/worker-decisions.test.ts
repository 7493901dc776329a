import { createKaleyraClient } from '@wabulk/kaleyra';
import { getAccountState, resumeAccount } from '@wabulk/queue';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Every row of the decision table (docs/architecture.md, "The worker's decision table"), end to
// end: producer → Redis → worker → simulator → ledger.
let stack: Stack;
afterEach(async () => stack?.close());

async function exportRows(campaignId: string) {
  const rows = [];
  for await (const r of stack.ctx.ledger.rows(campaignId)) rows.push(r);
  return rows.sort((a, b) => a.to.localeCompare(b.to));
}

test('202: sent, with the message_id the simulator issued, recorded before the job completes', async () => {
  stack = await startStack();
  await stack.startWorker();
  await stack.producer.enqueueText({ campaignId: 'ok', to: numbers(20), body: 'hello', ref: 'cust' });
  const status = await stack.waitDone('ok');
  expect(status).toMatchObject({ total: 20, sent: 20, failed: 0, pending: 0 });
  const simIds = new Map(stack.sim.messages().map((m) => [m.to, m.message_id]));
  const rows = await exportRows('ok');
  for (const row of rows) {
    expect(row).toMatchObject({ status: 'sent', code: 'WA202', attempts: 1 });
    expect(row.messageId).toBe(simIds.get(row.to.replace('+', '')) ?? simIds.get(row.to));
  }
  expect(stack.sim.messages()[0]).toMatchObject({ body: 'hello', ref: 'cust' });
  expect(stack.sim.stats().accepted).toBe(20);
});

test('WA500 then success: retried on the schedule, sent once', async () => {
  stack = await startStack();
  stack.sim.setFaults({ failNext: 2 });
  await stack.startWorker({ concurrency: 1 });
  await stack.producer.enqueueText({ campaignId: 'retry', to: numbers(1), body: 'x' });
  await stack.waitDone('retry');
  const [row] = await exportRows('retry');
  expect(row).toMatchObject({ status: 'sent', attempts: 3 });
  expect(stack.sim.messages()).toHaveLength(1);
  const retried = await stack.metrics.retried.get();
  expect(retried.values).toEqual([{ labels: { account: 'acme', code: 'WA500' }, value: 2 }]);
});

test('WA500 every time: exactly 1 + retries attempts, then failed with WA500', async () => {
  stack = await startStack({ sim: { failRate: 1 } });
  await stack.startWorker();
  await stack.producer.enqueueText({ campaignId: 'storm', to: numbers(5), body: 'x' });
  const status = await stack.waitDone('storm');
  expect(status).toMatchObject({ failed: 5, sent: 0, byCode: { WA500: 5 } });
  for (const row of await exportRows('storm')) expect(row).toMatchObject({ status: 'failed', code: 'WA500', attempts: 4 });
  expect(stack.sim.stats().requests).toBe(5 * 4);
});

test('WA400: failed at once with the code and the message, no retry', async () => {
  stack = await startStack();
  stack.sim.setFaults({ failNext: 1, failCode: 'WA400' });
  await stack.startWorker({ concurrency: 1 });
  await stack.producer.enqueueText({ campaignId: 'bad', to: numbers(2), body: 'x' });
  const status = await stack.waitDone('bad');
  expect(status).toMatchObject({ failed: 1, sent: 1, byCode: { WA400: 1 } });
  const failed = (await exportRows('bad')).find((r) => r.status === 'failed');
  expect(failed).toMatchObject({ code: 'WA400', attempts: 1, reason: 'Refer to correct payload format (payload: Incorrect payload format)' });
  expect(stack.sim.stats().requests).toBe(2);
});

test('E110: the account pauses, nothing fails, no attempt is used; top-up + resume sends each recipient once', async () => {
  stack = await startStack();
  stack.sim.setFaults({ e110AfterAccepted: 10 });
  await stack.startWorker({ concurrency: 5 });
  await stack.producer.enqueueText({ campaignId: 'e110', to: numbers(50), body: 'x' });
  const state = await waitFor(async () => {
    const s = await getAccountState(stack.ctx, 'acme');
    return s.paused ? s : undefined;
  });
  expect(state).toMatchObject({ paused: true, pauseReason: 'E110' });
  // In-flight requests may also have met E110; none of them failed, and sending stopped.
  const during = await stack.status('e110');
  expect(during).toMatchObject({ sent: 10, failed: 0, pending: 40, paused: true, pauseReason: 'E110' });
  const requestsWhilePaused = stack.sim.stats().requests;
  expect(requestsWhilePaused).toBeLessThanOrEqual(10 + 5);

  stack.sim.setBalance(Infinity);
  await resumeAccount(stack.ctx, 'acme');
  const done = await stack.waitDone('e110');
  expect(done).toMatchObject({ sent: 50, failed: 0, paused: false });
  const perRecipient = new Map<string, number>();
  for (const m of stack.sim.messages()) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
  expect(perRecipient.size).toBe(50);
  expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
  for (const row of await exportRows('e110')) expect(row.attempts).toBe(1);
});

test.each([
  ['RBC001', { account: { apiKey: 'wrong-key' } }],
  ['WA401', { account: { sender: '+919111111111' } }],
  ['WA-401', { fault: 'WA-401' }],
  ['WAV2101', { fault: 'WAV2101' }],
] as const)('%s: the account pauses with that reason, the job goes back, nothing fails', async (code, how) => {
  stack = await startStack('account' in how ? { account: how.account } : {});
  if ('fault' in how) stack.sim.setFaults({ failNext: 1000, failCode: how.fault, failStatus: 401 });
  await stack.startWorker({ concurrency: 2 });
  await stack.producer.enqueueText({ campaignId: 'auth', to: numbers(10), body: 'x' });
  const state = await waitFor(async () => {
    const s = await getAccountState(stack.ctx, 'acme');
    return s.paused ? s : undefined;
  });
  expect(state.pauseReason).toBe(code);
  const status = await stack.status('auth');
  expect(status).toMatchObject({ failed: 0, sent: 0, pending: 10, pauseReason: code });
  expect(stack.sim.stats().requests).toBeLessThanOrEqual(2);
});

test('429: the queue is held for Retry-After, no attempt used, all sent', async () => {
  stack = await startStack({ sim: { rateLimitPerSecond: 10 } });
  await stack.startWorker({ concurrency: 20 });
  await stack.producer.enqueueText({ campaignId: 'throttle', to: numbers(40), body: 'x' });
  const status = await stack.waitDone('throttle', 30_000);
  expect(status).toMatchObject({ sent: 40, failed: 0 });
  expect(stack.sim.stats().rejected.byCode['130429']).toBeGreaterThan(0);
  for (const row of await exportRows('throttle')) expect(row.attempts).toBe(1);
  expect(stack.sim.messages()).toHaveLength(40);
});

test('timeout after the request was written: retried and counted as a possible duplicate', async () => {
  stack = await startStack();
  stack.sim.setFaults({ hangNext: 1 });
  await stack.startWorker({ concurrency: 1, createClient: (a) => createKaleyraClient({ ...a, headersTimeoutMs: 300 }) });
  await stack.producer.enqueueText({ campaignId: 'hang', to: numbers(1), body: 'x' });
  await stack.waitDone('hang');
  const [row] = await exportRows('hang');
  expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  const dup = await stack.metrics.possibleDuplicates.get();
  expect(dup.values.find((v) => v.labels.reason === 'ambiguous-timeout')?.value).toBe(1);
});

test('worker logs carry no api-key and no full phone number', async () => {
  const { Writable } = await import('node:stream');
  const { createLogger } = await import('@wabulk/telemetry');
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } });
  stack = await startStack();
  stack.sim.setFaults({ failNext: 2, failCode: 'WA400' });
  await stack.startWorker({ logger: createLogger({ level: 'debug', destination }) });
  const to = numbers(5);
  await stack.producer.enqueueText({ campaignId: 'logs', to, body: 'x' });
  await stack.waitDone('logs');
  stack.sim.setFaults({ e110AfterAccepted: 0 });
  await stack.producer.enqueueText({ campaignId: 'logs2', to: numbers(2, 100), body: 'x' });
  await waitFor(async () => (await stack.status('logs2')).paused);
  const text = lines.join('');
  expect(text).toContain('account paused');
  expect(text).not.toContain(stack.account.apiKey);
  for (const n of [...to, ...numbers(2, 100)]) expect(text).not.toContain(n.slice(1));
});

test('the breaker: a run of an unlisted 400 code pauses the account once, counted with a bounded code label', async () => {
  stack = await startStack();
  stack.sim.setFaults({ failRate: 1, failStatus: 400, failCode: 'WAV9999-new' });
  await stack.startWorker({ concurrency: 4, breakerThreshold: 3 });
  await stack.producer.enqueueText({ campaignId: 'brk', to: numbers(12), body: 'x' });
  const state = await waitFor(async () => {
    const st = await getAccountState(stack.ctx, 'acme');
    return st.paused ? st : undefined;
  }, { what: 'account paused by the breaker' });
  expect(state).toMatchObject({ pauseReason: 'BREAKER:WAV9999-new' });
  await waitFor(async () => stack.sim.stats().inFlight === 0 && (await stack.ctx.queues.get('acme').getActiveCount()) === 0, { what: 'in-flight sends to settle' });
  expect(await stack.status('brk')).toMatchObject({ failed: 3, pending: 9, byCode: { 'WAV9999-new': 3 } });
  const rows = (await exportRows('brk')).filter((r) => r.status === 'failed');
  for (const row of rows) expect(row).toMatchObject({ code: 'WAV9999-new', reason: 'Simulated failure' });
  // The exact code is in the ledger; the metrics carry `other`.
  const values = async (name: 'breakerTrips' | 'failed' | 'requeued') => (await stack.metrics[name].get()).values.filter((v) => v.value > 0).map((v) => [v.labels.code, v.value]);
  expect(await values('breakerTrips')).toEqual([['other', 1]]);
  expect(await values('failed')).toEqual([['other', 3]]);
  for (const [code] of await values('requeued')) expect(code).toBe('other');
});
