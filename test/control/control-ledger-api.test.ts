import { cancelCampaign, exportCampaign, getCampaignStatus, pauseCampaign, PRIORITY_RANGES, Producer, resumeCampaign } from '@wabulk/queue';
import { bearer, json, startApi, type ApiHarness } from '../api/api-harness.js';

// The ledger's `cancelled` rules and the control routes, against real Redis (no worker: the queue
// itself is read to see which jobs are left).

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => h.close());

const numbers = (n: number, start = 0) => Array.from({ length: n }, (_, i) => `+9198${String(start + i).padStart(8, '0')}`);
const post = (url: string) => h.app.inject({ method: 'POST', url, headers: bearer() });
const jobsOf = async (campaignId: string) => (await h.ctx.queues.get('acme').getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.data.c === campaignId);

async function campaign(id: string, n: number, start = 0) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: id, to: numbers(n, start), body: 'hi' } });
  expect(res.statusCode).toBe(202);
}

test('ledger: cancelled only replaces pending, only sent replaces cancelled; counters keep total = pending + sent + failed + cancelled', async () => {
  await campaign('l1', 5);
  const [a, b, c, d] = numbers(5);
  const now = Date.now();
  const ledger = h.ctx.ledger;
  await ledger.record('l1', a!, { status: 'sent', messageId: 'M1', code: 'WA202', attempts: 1, updatedAt: now });
  await ledger.record('l1', b!, { status: 'failed', code: 'WA400', reason: 'bad', attempts: 1, updatedAt: now });
  expect(await ledger.cancelPending('l1', numbers(5))).toBe(3);
  expect(await ledger.cancelPending('l1', numbers(5))).toBe(0);
  expect((await ledger.get('l1', a!))?.status).toBe('sent');
  expect((await ledger.get('l1', b!))?.status).toBe('failed');
  // A worker recording cancelled over sent or failed changes nothing.
  expect((await ledger.record('l1', a!, { status: 'cancelled', updatedAt: now })).status).toBe('sent');
  expect((await ledger.record('l1', b!, { status: 'cancelled', updatedAt: now })).status).toBe('failed');
  // A request in flight at cancel time: accepted → the truth (sent, with its id); failed → stays cancelled.
  expect(await ledger.record('l1', c!, { status: 'sent', messageId: 'M3', code: 'WA202', attempts: 1, updatedAt: now })).toEqual({ status: 'sent', messageId: 'M3' });
  expect((await ledger.record('l1', d!, { status: 'failed', code: 'WA500', reason: 'x', attempts: 4, updatedAt: now })).status).toBe('cancelled');
  expect((await ledger.record('l1', d!, { status: 'pending', updatedAt: now })).status).toBe('cancelled');
  // retry-failed's reset leaves cancelled alone.
  expect(await ledger.resetFailed('l1', numbers(5))).toEqual([b]);
  const counts = await ledger.counts('l1');
  expect(counts).toMatchObject({ total: 5, pending: 1, sent: 2, failed: 0, cancelled: 2 });
  const s = await getCampaignStatus(h.ctx, 'l1');
  expect(s!.total).toBe(s!.pending + s!.sent + s!.failed + s!.cancelled);
  const rows: string[] = [];
  for await (const line of exportCampaign(h.ctx, 'l1', 'ndjson', { status: 'cancelled' })) rows.push(line);
  expect(new Set(rows.map((l) => (JSON.parse(l) as { to: string }).to))).toEqual(new Set([d, numbers(5)[4]]));
});

test('pause removes the campaign\'s queued jobs (not the others\'), resume queues its pending recipients again, cancel sweeps; every answer is the status', async () => {
  await campaign('p1', 1500);
  await campaign('other', 20, 5000);
  await campaign('p1-9', 5, 6000); // its job ids start with "p1-": they are not p1's
  expect((await post('/v1/campaigns/p1/pause')).json()).toMatchObject({ campaignId: 'p1', state: 'paused', pending: 1500, cancelled: 0 });
  expect(await jobsOf('p1')).toHaveLength(0);
  expect(await jobsOf('other')).toHaveLength(20);
  expect(await jobsOf('p1-9')).toHaveLength(5);
  // The removed jobs' hashes are gone too (no orphans).
  expect(await h.redis.exists(h.ctx.queues.get('acme').toKey(`p1-${numbers(1)[0]!.slice(1)}`))).toBe(0);
  // Paused twice: the same state.
  expect((await post('/v1/campaigns/p1/pause')).json()).toMatchObject({ state: 'paused' });

  const resumed = await post('/v1/campaigns/p1/resume');
  expect(resumed.statusCode).toBe(200);
  expect(resumed.json()).toMatchObject({ state: 'running', pending: 1500 });
  const again = await jobsOf('p1');
  expect(again).toHaveLength(1500);
  expect(new Set(again.map((j) => j.data.to)).size).toBe(1500);
  expect(again.every((j) => j.id!.endsWith('-r1'))).toBe(true);
  // Resume of a running campaign adds nothing.
  expect(await resumeCampaign(h.ctx, 'p1')).toMatchObject({ state: 'running', jobs: 0 });
  expect(await jobsOf('p1')).toHaveLength(1500);

  const cancelled = await post('/v1/campaigns/p1/cancel');
  expect(cancelled.statusCode).toBe(200);
  expect(cancelled.json()).toMatchObject({ campaignId: 'p1', state: 'cancelled', total: 1500, pending: 0, cancelled: 1500, done: true });
  expect(await jobsOf('p1')).toHaveLength(0);
  expect(await jobsOf('other')).toHaveLength(20);
  // Idempotent; resume and pause leave a cancelled campaign cancelled.
  expect((await post('/v1/campaigns/p1/cancel')).json()).toMatchObject({ state: 'cancelled', cancelled: 1500 });
  expect(await cancelCampaign(h.ctx, 'p1')).toMatchObject({ state: 'cancelled', cancelled: 0, jobs: 0 });
  expect((await post('/v1/campaigns/p1/resume')).json()).toMatchObject({ state: 'cancelled', pending: 0 });
  expect(await pauseCampaign(h.ctx, 'p1')).toMatchObject({ state: 'cancelled' });
  expect(await jobsOf('p1')).toHaveLength(0);
  // retry-failed leaves a cancelled campaign alone, its failed recipients included.
  await h.ctx.ledger.record('other', numbers(1, 5000)[0]!, { status: 'failed', code: 'WA500', reason: 'x', attempts: 4, updatedAt: Date.now() });
  await cancelCampaign(h.ctx, 'other');
  expect(await new Producer(h.ctx).retryFailed('other')).toEqual({ requeued: 0 });
  expect(await getCampaignStatus(h.ctx, 'other')).toMatchObject({ failed: 1, cancelled: 19, pending: 0, state: 'cancelled' });
});

test('a paused campaign cancelled: every pending recipient cancelled; done campaigns say done', async () => {
  await campaign('pc', 10);
  await pauseCampaign(h.ctx, 'pc');
  expect((await post('/v1/campaigns/pc/cancel')).json()).toMatchObject({ state: 'cancelled', cancelled: 10, pending: 0 });
  await campaign('fin', 1);
  await h.ctx.ledger.record('fin', numbers(1)[0]!, { status: 'sent', messageId: 'X', code: 'WA202', attempts: 1, updatedAt: Date.now() });
  expect(await getCampaignStatus(h.ctx, 'fin')).toMatchObject({ state: 'done', done: true });
});

test('404 for an unknown campaign, 400 for a bad id, 401 without a token', async () => {
  for (const action of ['pause', 'resume', 'cancel']) {
    const res = await post(`/v1/campaigns/nope/${action}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not found' });
    expect((await post(`/v1/campaigns/a:b/${action}`)).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'POST', url: `/v1/campaigns/nope/${action}` })).statusCode).toBe(401);
  }
});

test('resume keeps the campaign\'s priority class: a paused normal campaign comes back prioritized, not ahead of high traffic', async () => {
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: json(), payload: { campaignId: 'n1', to: numbers(120, 7000), body: 'hi', priority: 'normal' } });
  expect(res.statusCode).toBe(202);
  await pauseCampaign(h.ctx, 'n1');
  expect(await jobsOf('n1')).toHaveLength(0);
  expect(await resumeCampaign(h.ctx, 'n1')).toMatchObject({ state: 'running', jobs: 120 });
  const jobs = await jobsOf('n1');
  expect(jobs).toHaveLength(120);
  const { lo, hi } = PRIORITY_RANGES.normal;
  expect(jobs.filter((j) => !(j.opts.priority !== undefined && j.opts.priority >= lo && j.opts.priority <= hi)).map((j) => j.id)).toEqual([]);
  expect(await h.ctx.queues.get('acme').getJobs(['waiting'])).toEqual([]);
});
