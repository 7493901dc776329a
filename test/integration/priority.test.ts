import { FAIR_SHARE_ROUND, fairShareKey, PRIORITY_RANGES, resumeAccount, ValidationError, type SourceRow } from '@wabulk/queue';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Priorities and fair share against the simulator, with an in-process BullMQ worker: the order in
// which the simulator received the messages is the proof (no wall-clock assertions).

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const Q = FAIR_SHARE_ROUND;
const rows = (to: string[]): SourceRow[] => to.map((n, i) => ({ to: n, line: i + 1 }));
/** The simulator's messages in arrival order, each as its body (one body per campaign in these tests). */
const order = (s: Stack) => s.sim.messages().map((m) => m.body);

/** Priorities of the jobs of a queue by job id (prioritized and wait). */
async function prioritiesById(s: Stack, states: Array<'prioritized' | 'wait' | 'completed'>) {
  const jobs = await s.ctx.queues.get('acme').getJobs(states);
  return new Map(jobs.map((j) => [String(j.id), j.priority]));
}

test('a high message overtakes a normal campaign that is draining', async () => {
  const s = (stack = await startStack());
  await s.startWorker({ ratePerSecond: 400, concurrency: 10 });
  const campaign = numbers(2000);
  await s.producer.enqueueCampaign({ campaignId: 'bulk', body: 'bulk', recipients: rows(campaign) });
  expect((await s.status('bulk')).priority).toBe('normal');

  await waitFor(() => s.sim.messages().length >= 200, { what: '200 campaign sends' });
  const sentBefore = s.sim.messages().length;
  const r = await s.producer.enqueueText({ to: '+14155550100', body: 'otp' }); // default: high
  expect((await s.status(r.campaignId)).priority).toBe('high');
  await waitFor(() => order(s).includes('otp'), { what: 'the high message at the simulator' });
  const at = order(s).indexOf('otp');
  // At most what was in flight or already taken in the limiter's window went before it…
  expect(at - sentBefore).toBeLessThan(100);
  // …and most of the campaign came after it.
  expect(campaign.length - at).toBeGreaterThan(1000);
  await s.waitDone('bulk', 30_000);
});

test('two equal normal campaigns started one after the other share the rate in rounds', async () => {
  const s = (stack = await startStack());
  await s.startWorker({ ratePerSecond: 1000, concurrency: 10 });
  await s.producer.enqueueCampaign({ campaignId: 'first', body: 'A', recipients: rows(numbers(3000)) });
  await waitFor(() => s.sim.messages().length >= 300, { what: '300 sends of the first campaign' });
  const enqueuedAt = s.sim.messages().length;
  await s.producer.enqueueCampaign({ campaignId: 'second', body: 'B', recipients: rows(numbers(2000, 5000)) });
  await s.waitDone('first', 30_000);
  await s.waitDone('second', 30_000);

  const seq = order(s);
  const firstB = seq.indexOf('B');
  // The second campaign joins the round being served: it waits for at most that round's rest (and what was in flight).
  expect(firstB - enqueuedAt).toBeLessThan(Q + 60);
  // B's rounds were allocated at the head, then added: what was served meanwhile, B sends in a row
  // (its catch-up, at most its first chunk). From then on, while both have recipients left, every
  // window of 2Q sends holds ≥ 35% of each.
  const catchUp = seq.indexOf('A', firstB);
  expect(catchUp).toBeGreaterThan(firstB);
  expect(catchUp - firstB).toBeLessThan(1000);
  const bothUntil = Math.min(seq.lastIndexOf('A'), seq.lastIndexOf('B'));
  expect(bothUntil - catchUp).toBeGreaterThan(1000);
  let minShare = 1;
  for (let i = catchUp; i + 2 * Q <= bothUntil; i++) {
    const window = seq.slice(i, i + 2 * Q);
    const a = window.filter((b) => b === 'A').length / window.length;
    minShare = Math.min(minShare, a, 1 - a);
  }
  expect(minShare).toBeGreaterThanOrEqual(0.35);
});

test('low waits behind normal, and high goes before both', async () => {
  const s = (stack = await startStack());
  await s.producer.enqueueCampaign({ campaignId: 'later', body: 'L', priority: 'low', recipients: rows(numbers(150)) });
  await s.producer.enqueueCampaign({ campaignId: 'regular', body: 'N', recipients: rows(numbers(150, 1000)) });
  await s.producer.enqueueText({ campaignId: 'urgent', to: numbers(3, 2000), body: 'H' });
  const jobs = await s.ctx.queues.get('acme').getJobs(['prioritized']);
  const low = jobs.filter((j) => j.data.c === 'later').map((j) => j.priority);
  expect(Math.min(...low)).toBe(PRIORITY_RANGES.low.lo);
  // One worker slot: the simulator's order is the order BullMQ handed the jobs out.
  await s.startWorker({ concurrency: 1 });
  await s.waitDone('later');
  expect(order(s).join('')).toBe('HHH' + 'N'.repeat(150) + 'L'.repeat(150));
  expect((await s.status('later')).priority).toBe('low');
});

test('an existing campaign keeps its priority, and its rounds continue across intakes', async () => {
  const s = (stack = await startStack());
  await s.producer.enqueueCampaign({ campaignId: 'c', body: 'x', priority: 'low', recipients: rows(numbers(120)) });
  await s.producer.enqueueText({ campaignId: 'c', to: numbers(10, 500), body: 'x', priority: 'high' });
  expect((await s.status('c')).priority).toBe('low');
  const p = await prioritiesById(s, ['prioritized', 'wait']);
  expect(p.size).toBe(130);
  const values = [...p.values()];
  // 120 + 10 recipients in order: rounds of Q from the low class's base.
  expect(Math.min(...values)).toBe(PRIORITY_RANGES.low.lo);
  expect(Math.max(...values)).toBe(PRIORITY_RANGES.low.lo + Math.floor(129 / Q));
  expect(await s.redis.get(fairShareKey(s.base, 'acme', 'c'))).toBe(`${PRIORITY_RANGES.low.lo + 2} 30`);
  // A message without a campaign id is a campaign of one call: it keeps no cursor.
  const single = await s.producer.enqueueText({ to: '+14155550100', body: 'once', priority: 'normal' });
  expect(await s.redis.exists(fairShareKey(s.base, 'acme', single.campaignId))).toBe(0);
});

test('retry-failed puts recipients back in the campaign\'s class, continuing its rounds', async () => {
  const s = (stack = await startStack());
  s.sim.setFaults({ failNext: 10, failCode: 'WA400' });
  await s.startWorker({ concurrency: 1 });
  await s.producer.enqueueCampaign({ campaignId: 'rf', body: 'r', recipients: rows(numbers(60)) });
  expect(await s.waitDone('rf')).toMatchObject({ sent: 50, failed: 10 });
  await s.worker!.close();
  s.worker = undefined;
  expect(await s.producer.retryFailed('rf')).toEqual({ requeued: 10 });
  const retried = await s.ctx.queues.get('acme').getJobs(['prioritized', 'wait']);
  expect(retried).toHaveLength(10);
  // The import took round 1 (50) and 10 slots of round 2; nothing else waits, so the retries continue round 2.
  expect(retried.map((j) => j.priority)).toEqual(Array(10).fill(2));
  await s.startWorker();
  expect(await s.waitDone('rf')).toMatchObject({ sent: 60, failed: 0, priority: 'normal' });
});

test('priorities survive an E110 pause and resume, and retries after a 500', async () => {
  const s = (stack = await startStack());
  const to = numbers(300);
  await s.producer.enqueueCampaign({ campaignId: 'keep', body: 'k', recipients: rows(to) });
  const before = await prioritiesById(s, ['prioritized']);
  expect(before.size).toBe(300);

  s.sim.setFaults({ e110AfterAccepted: 100, failNext: 0 });
  await s.startWorker({ concurrency: 5 });
  await waitFor(async () => (await s.status('keep')).paused, { what: 'account paused by E110' });
  await waitFor(async () => (await s.ctx.queues.get('acme').getJobCounts('active')).active === 0, { what: 'in-flight sends to settle' });
  // The E110 jobs went back to the prioritized set with the priority they had, none to the wait list.
  const paused = await prioritiesById(s, ['prioritized', 'wait']);
  expect(await s.ctx.queues.get('acme').getJobCounts('wait')).toEqual({ wait: 0 });
  expect(paused.size).toBe((await s.status('keep')).pending);
  for (const [id, priority] of paused) expect(priority).toBe(before.get(id));

  // A few 500s: those jobs go through backoff (delayed), are promoted back, and keep their priority.
  s.sim.setFaults({ e110AfterAccepted: null, failNext: 5, failCode: 'WA500' });
  s.sim.setBalance(Infinity);
  await resumeAccount(s.ctx, 'acme');
  await s.waitDone('keep');
  // The ledger records a send before BullMQ completes its job: wait for the last completions too.
  const queue = s.ctx.queues.get('acme');
  await waitFor(async () => (await queue.getJobCounts('completed')).completed! >= 300 || undefined, { what: 'every job completed in BullMQ' });
  const done = await queue.getJobs(['completed']);
  expect(done).toHaveLength(300);
  expect(done.filter((j) => j.attemptsMade > 0).length).toBeGreaterThanOrEqual(5);
  for (const j of done) expect(j.priority).toBe(before.get(String(j.id)));
  expect(await s.status('keep')).toMatchObject({ sent: 300, failed: 0 });
});

test('a bad priority is a ValidationError naming the field; nothing is queued', async () => {
  const s = (stack = await startStack());
  await expect(s.producer.enqueueText({ to: '+14155550100', body: 'x', priority: 'urgent' as never })).rejects.toThrow(ValidationError);
  await expect(s.producer.enqueueText({ to: '+14155550100', body: 'x', priority: 'urgent' as never })).rejects.toThrow(/^priority: must be high, normal or low/);
  await expect(s.producer.enqueueCampaign({ campaignId: 'v', body: 'x', priority: 'urgent' as never, recipients: rows(numbers(2)) })).rejects.toThrow(/^priority: /);
  expect(await s.ctx.queues.get('acme').count()).toBe(0);
});
