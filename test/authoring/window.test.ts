import { addSuppressions, cancelCampaign, ensureCampaign, pauseCampaign, queueRecipients, resumeCampaign, type CampaignMeta } from '@wabulk/queue';
import { expectUnchanged, ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { bodiesAtSim, closedWindow, openWindow, utcWindow } from './authoring-support.js';

// Sending windows (read in UTC here: `tz` is always given, so the result does not depend on the
// numbers' own zones): a window closed now holds every job delayed in BullMQ and sends nothing
// while a worker process runs; an open window sends at once; cancelling (or pausing) a campaign
// that waits for its window takes its counter back to 0.

let s: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await s?.close();
  s = undefined;
});

const delayed = async (st: Stack) => (await st.ctx.queues.get('acme').getJobCounts('delayed')).delayed ?? 0;

test('a window closed now: nothing sent, jobs delayed, waitingForWindow = recipients; cancel → counter 0, all cancelled', async () => {
  const st = (s = await startStack());
  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  const window = closedWindow();
  const list = numbers(12, 11_000);
  const r = await st.producer.enqueueCampaign({ campaignId: 'win-closed', body: 'Hi {{name}}', window, tz: 'UTC', recipients: list.map((to, i) => ({ to, vars: { name: `W${i}` } })) });
  expect(r.accepted).toBe(12);
  expect(await st.status('win-closed')).toMatchObject({ state: 'running', window, tz: 'UTC', pending: 12, waitingForWindow: 12 });
  expect(await delayed(st)).toBe(12);

  // The worker process runs all along: nothing goes out, nothing moves.
  await expectUnchanged(async () => ({ sim: st.sim.messages().length, delayed: await delayed(st), status: await st.status('win-closed') }), 1500, 'a campaign outside its window');
  expect(st.sim.messages()).toHaveLength(0);

  expect(await cancelCampaign(st.ctx, 'win-closed')).toMatchObject({ state: 'cancelled', cancelled: 12, jobs: 12 });
  expect(await st.status('win-closed')).toMatchObject({ state: 'cancelled', total: 12, cancelled: 12, pending: 0, waitingForWindow: 0 });
  expect(Number(await st.redis.hget(`${st.base}:campaign:{win-closed}:counts`, 'window'))).toBe(0);
  expect(await delayed(st)).toBe(0);
  expect([...(await ledgerRows(st.ctx, 'win-closed')).values()].every((row) => row.status === 'cancelled')).toBe(true);
  expect(st.sim.messages()).toHaveLength(0);
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});

test('a window open now: sent at once, counter stays 0', async () => {
  const st = (s = await startStack());
  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  const window = openWindow();
  const list = numbers(12, 12_000);
  await st.producer.enqueueCampaign({ campaignId: 'win-open', body: 'Hi {{name}}', window, tz: 'UTC', recipients: list.map((to, i) => ({ to, vars: { name: `O${i}` } })) });
  expect(await delayed(st)).toBe(0);
  expect(await st.waitDone('win-open')).toMatchObject({ total: 12, sent: 12, waitingForWindow: 0, window, tz: 'UTC' });
  const bodies = bodiesAtSim(st.sim);
  list.forEach((to, i) => expect(bodies.get(to)).toEqual([`Hi O${i}`]));
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});

test('pause of a window-waiting campaign takes the counter to 0; resume delays its jobs again and counts them once', async () => {
  const st = (s = await startStack());
  const window = closedWindow();
  const list = numbers(6, 13_000);
  await st.producer.enqueueText({ campaignId: 'win-pause', to: list, body: 'later', window, tz: 'UTC' });
  expect(await st.status('win-pause')).toMatchObject({ waitingForWindow: 6 });
  expect(await pauseCampaign(st.ctx, 'win-pause')).toMatchObject({ state: 'paused', jobs: 6 });
  expect(await st.status('win-pause')).toMatchObject({ state: 'paused', pending: 6, waitingForWindow: 0 });
  expect(await delayed(st)).toBe(0);
  expect(await resumeCampaign(st.ctx, 'win-pause')).toMatchObject({ state: 'running', jobs: 6 });
  expect(await st.status('win-pause')).toMatchObject({ state: 'running', pending: 6, waitingForWindow: 6 });
  expect(await delayed(st)).toBe(6);
  expect(Number(await st.redis.hget(`${st.base}:campaign:{win-pause}:counts`, 'window'))).toBe(6);
});

test('jobs that waited for their window: sent when it opens, a recipient listed meanwhile is cancelled (suppressed), and the counter ends at 0', async () => {
  const st = (s = await startStack());
  // A window open from the start of the current UTC minute for an hour. The jobs are queued as at
  // one second before that minute began (queueRecipients' `now`): closed then, so each is delayed
  // (w = 1, counted) by one second — as a campaign queued overnight whose window has just opened.
  const now = Date.now();
  const minuteStart = now - (now % 60_000);
  const window = utcWindow(0, 1, minuteStart);
  const meta: CampaignMeta = { account: 'acme', body: 'Morning {{name}}', vars: ['name'], priority: 'normal', createdAt: now, window, tz: 'UTC' };
  await ensureCampaign(st.ctx, 'win-opens', meta);
  const list = numbers(8, 14_000);
  const rows = list.map((to, i) => ({ to, vars: [`M${i}`] }));
  await st.ctx.ledger.register('win-opens', rows);
  expect(await queueRecipients(st.ctx, 'win-opens', meta, rows, { now: minuteStart - 1000 })).toEqual({ jobs: 8, waiting: 8 });
  expect(await st.status('win-opens')).toMatchObject({ pending: 8, waitingForWindow: 8 });

  // Opted out while waiting.
  const optedOut = list[5]!;
  await addSuppressions(st.ctx, 'global', [optedOut]);
  const worker = await spawnWorker(workerEnv({ base: st.base, simUrl: st.sim.url }));
  expect(await st.waitDone('win-opens')).toMatchObject({ total: 8, sent: 7, cancelled: 1, waitingForWindow: 0 });
  const bodies = bodiesAtSim(st.sim);
  list.forEach((to, i) => expect(bodies.get(to)).toEqual(to === optedOut ? undefined : [`Morning M${i}`]));
  expect((await ledgerRows(st.ctx, 'win-opens')).get(optedOut)).toMatchObject({ status: 'cancelled', reason: 'suppressed' });
  // Every job that was counted as waiting was uncounted when it ended, whichever way it ended.
  expect(Number(await st.redis.hget(`${st.base}:campaign:{win-opens}:counts`, 'window'))).toBe(0);
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
});
