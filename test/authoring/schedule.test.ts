import { cancelCampaign, pauseCampaign, resumeCampaign, ValidationError } from '@wabulk/queue';
import { json, startApi } from '../api/api-harness.js';
import { cliEnv, killAllClis, runCli } from '../support/proc-cli.js';
import { duplicatesAtSim, expectUnchanged, ledgerRows } from '../support/proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { bodiesAtSim, closedWindow } from './authoring-support.js';

// Scheduled starts: a campaign with a start time ahead has no jobs until then (state `scheduled`),
// a worker process running meanwhile sends nothing, a worker that dies before the time is replaced
// by another that starts it (every recipient sent once, after the time); pause/resume/cancel of a
// scheduled campaign; limits of `at`.

let s: Stack | undefined;
afterEach(async () => {
  await killAllWorkers();
  await killAllClis();
  await s?.close();
  s = undefined;
});

const jobCounts = (st: Stack) => st.ctx.queues.get('acme').getJobCounts('wait', 'delayed', 'prioritized', 'active');
/** The schedule (keys.ts: `<base>:index:{schedule}`, campaign → start ms). */
const scheduleKey = (st: Stack) => `${st.base}:index:{schedule}`;
const NO_JOBS = { wait: 0, delayed: 0, prioritized: 0, active: 0 };

test('nothing is sent before `at`; a worker killed before it is replaced; everything is sent after it exactly once', async () => {
  const st = (s = await startStack());
  const env = workerEnv({ base: st.base, simUrl: st.sim.url });
  const first = await spawnWorker(env);
  const list = numbers(30, 8000);
  const at = Date.now() + 6000;
  const r = await st.producer.enqueueCampaign({ campaignId: 'sch', body: 'Hi {{name}}', at: new Date(at).toISOString(), recipients: list.map((to, i) => ({ to, vars: { name: `S${i}` } })) });
  expect(r.accepted).toBe(30);
  expect(await st.status('sch')).toMatchObject({ state: 'scheduled', startsAt: at, total: 30, pending: 30, done: false });
  expect(await st.redis.zscore(scheduleKey(st), 'sch')).toBe(String(at));
  expect(await jobCounts(st)).toEqual(NO_JOBS);

  // The first worker runs (its scheduler ticks every second) until ~2.5 s before the start: nothing goes out.
  await expectUnchanged(() => st.sim.messages().length, Math.max(0, at - Date.now() - 2500), 'messages at the simulator before the start');
  expect(st.sim.messages()).toHaveLength(0);
  await first.kill('SIGKILL');
  expect(Date.now()).toBeLessThan(at);
  await spawnWorker(env);

  expect(await st.waitDone('sch')).toMatchObject({ state: 'done', total: 30, sent: 30, failed: 0, cancelled: 0 });
  const messages = st.sim.messages();
  expect(messages).toHaveLength(30);
  expect(duplicatesAtSim(st.sim).size).toBe(0);
  for (const m of messages) expect(Date.parse(m.received_at)).toBeGreaterThanOrEqual(at);
  const bodies = bodiesAtSim(st.sim);
  list.forEach((to, i) => expect(bodies.get(to)).toEqual([`Hi S${i}`]));
  expect(await st.redis.zscore(scheduleKey(st), 'sch')).toBeNull();
});

test('pause → paused; resume while ahead → scheduled again; cancel → every recipient cancelled and nothing sent after its time', async () => {
  const st = (s = await startStack());
  await st.startWorker({ schedulerIntervalMs: 100 });
  const at = Date.now() + 2500;
  const list = numbers(8, 9000);
  await st.producer.enqueueText({ campaignId: 'spc', to: list, body: 'later', at: new Date(at).toISOString() });
  expect(await st.status('spc')).toMatchObject({ state: 'scheduled', startsAt: at });

  expect(await pauseCampaign(st.ctx, 'spc')).toMatchObject({ state: 'paused' });
  expect(await st.status('spc')).toMatchObject({ state: 'paused', startsAt: at, pending: 8 });
  expect(await st.redis.zscore(scheduleKey(st), 'spc')).toBeNull();
  expect(await resumeCampaign(st.ctx, 'spc')).toMatchObject({ state: 'scheduled', jobs: 0 });
  expect(await st.status('spc')).toMatchObject({ state: 'scheduled', startsAt: at });
  expect(await st.redis.zscore(scheduleKey(st), 'spc')).toBe(String(at));
  expect(await jobCounts(st)).toEqual(NO_JOBS);

  expect(await cancelCampaign(st.ctx, 'spc')).toMatchObject({ state: 'cancelled', cancelled: 8 });
  expect(await st.status('spc')).toMatchObject({ state: 'cancelled', total: 8, cancelled: 8, pending: 0, sent: 0 });
  // Past its start time, with the worker's scheduler ticking: nothing.
  await waitFor(() => Date.now() > at + 300, { what: 'the start time to pass' });
  await expectUnchanged(() => st.sim.messages().length, 1000, 'messages of a cancelled scheduled campaign');
  expect(st.sim.messages()).toHaveLength(0);
  expect(await jobCounts(st)).toEqual(NO_JOBS);
  const rows = await ledgerRows(st.ctx, 'spc');
  expect([...rows.values()].every((r) => r.status === 'cancelled')).toBe(true);
});

test('`at` more than 90 days ahead is refused everywhere (nothing written); a past `at` starts now', async () => {
  const st = (s = await startStack());
  const far = new Date(Date.now() + 91 * 24 * 3600 * 1000).toISOString();
  const [n0, n1] = numbers(2, 9500) as [string, string];
  await expect(st.producer.enqueueText({ campaignId: 'far', to: n0, body: 'x', at: far })).rejects.toMatchObject({ name: 'ValidationError', issues: [{ field: 'at', message: expect.stringContaining('90 days') }] });
  await expect(st.producer.enqueueCampaign({ campaignId: 'far', body: 'x', at: far, recipients: [{ to: n0 }] })).rejects.toBeInstanceOf(ValidationError);

  const cli = await runCli(['send', '--campaign', 'far', '--to', n0, '--body', 'x', '--at', far], { env: cliEnv(st.base) });
  expect(cli.code).toBe(2);
  expect(cli.stderr).toMatch(/\bat\b.*90 days/);

  const h = await startApi({ base: st.base });
  try {
    const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'far', to: n0, body: 'x', at: far } });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ field: 'at', message: expect.stringContaining('90 days') }]);
  } finally {
    await h.close();
  }
  expect(await st.redis.exists(`${st.base}:campaign:{far}:meta`)).toBe(0);
  expect(await jobCounts(st)).toEqual(NO_JOBS);

  // An hour ago: not scheduled, queued at once, sent.
  await st.producer.enqueueText({ campaignId: 'past', to: [n0, n1], body: 'now', at: new Date(Date.now() - 3600_000).toISOString() });
  expect((await st.status('past')).state).toBe('running');
  expect(await st.redis.zscore(scheduleKey(st), 'past')).toBeNull();
  await st.startWorker();
  expect(await st.waitDone('past')).toMatchObject({ sent: 2 });
});

test('paused while scheduled and resumed after its time: runs at once; a scheduled start outside the window delays its jobs', async () => {
  const st = (s = await startStack());
  await st.startWorker({ schedulerIntervalMs: 100 });
  const at = Date.now() + 1500;
  const list = numbers(5, 9700);
  await st.producer.enqueueText({ campaignId: 'late-resume', to: list, body: 'hi {{x|there}}', at: new Date(at).toISOString() });
  const window = closedWindow();
  await st.producer.enqueueText({ campaignId: 'sched-win', to: list, body: 'later', at: new Date(at).toISOString(), window, tz: 'UTC' });
  expect(await pauseCampaign(st.ctx, 'late-resume')).toMatchObject({ state: 'paused' });

  // sched-win starts at its time, into its closed window: every job delayed and counted.
  await waitFor(async () => (await st.status('sched-win')).state === 'running', { what: 'sched-win started' });
  expect(Date.now()).toBeGreaterThanOrEqual(at);
  expect(await st.status('sched-win')).toMatchObject({ state: 'running', pending: 5, waitingForWindow: 5 });
  expect(await jobCounts(st)).toEqual({ ...NO_JOBS, delayed: 5 });
  // late-resume stayed paused past its time.
  expect(await st.status('late-resume')).toMatchObject({ state: 'paused', pending: 5 });
  expect(st.sim.messages()).toHaveLength(0);

  expect(await resumeCampaign(st.ctx, 'late-resume')).toMatchObject({ state: 'running', jobs: 5 });
  expect(await st.waitDone('late-resume')).toMatchObject({ sent: 5 });
  expect(st.sim.messages().map((m) => m.body)).toEqual(Array(5).fill('hi there'));
  expect(await st.status('sched-win')).toMatchObject({ sent: 0, waitingForWindow: 5 });
});
