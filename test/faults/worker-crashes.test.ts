import { assertAccountedFor, beginFault, checkDuplicates, classify, endFault, failedTotal, type FaultMark } from '../support/fault-ground-truth.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import { activeJobs } from '../support/proc-ground-truth.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { SIZES, timeout } from './fault-sizes.js';

// Fault scenarios 1 and 2: worker processes that die (SIGKILL: no shutdown, locks left to expire)
// or are stopped (SIGTERM: the operator's way) in the middle of a campaign. test/e2e covers one
// kill of two workers and one SIGTERM of one worker; these break several of three, and judge every
// recipient against the simulator's record.

const WORKERS = 3;
const CONCURRENCY = 10;

let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const sentAtLeast = (s: FaultStack, campaignId: string, n: number) =>
  waitFor(async () => (await s.ctx.ledger.counts(campaignId)).sent >= n, { intervalMs: 5, timeoutMs: timeout(30_000), what: `${n} of ${campaignId} sent` });

test('1. SIGKILL one of three workers at ~30%, another at ~60%: the third finishes; nothing lost; duplicates only from requests in flight at a kill', async () => {
  const startedAt = Date.now();
  const N = SIZES.kills.recipients;
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const workers = await s.spawnWorkers(WORKERS);
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'kills', to, body: 'fault 1: kill -9' });

  const marks: FaultMark[] = [];
  for (const [victim, share] of [[0, 0.3], [1, 0.6]] as const) {
    await sentAtLeast(s, 'kills', Math.ceil(N * share));
    const mark = await beginFault(s.ctx, 'kills', `SIGKILL worker ${victim + 1} at ${share * 100}%`);
    expect(await workers[victim]!.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    marks.push(endFault(mark));
    // Really mid-campaign, and the victim was busy.
    expect((await s.ctx.ledger.counts('kills')).pending).toBeGreaterThan(0);
  }
  const survivor = workers[2]!;
  await s.waitDone('kills', timeout(30_000), "the surviving worker did not finish: were the killed workers' jobs re-run?");
  expect(survivor.running).toBe(true);

  const c = await classify(s.ctx, s.sim, 'kills', to);
  assertAccountedFor(c);
  expect(failedTotal(c)).toBe(0);
  // Duplicates: only recipients whose request was at the simulator when a worker died, never one
  // whose message_id was recorded before the kill; at most one per request in flight.
  expect(checkDuplicates(c, s.sim, marks)).toEqual({ recordedBeforeFault: [], notInFlight: [] });
  expect(c.duplicated.size).toBeLessThanOrEqual(marks.length * CONCURRENCY);
  for (const times of c.duplicated.values()) expect(times).toBeLessThanOrEqual(1 + marks.length);

  // The stalled path ran: the victims' active jobs were re-run (at most their concurrency each),
  // and every duplicate is one of them.
  const completed = await s.ctx.queues.get('acme').getJobs(['completed']);
  expect(completed).toHaveLength(N);
  const rerun = completed.filter((j) => j.stalledCounter > 0);
  expect(rerun.length).toBeGreaterThanOrEqual(1);
  expect(rerun.length).toBeLessThanOrEqual(marks.length * CONCURRENCY);
  const rerunTo = new Set(rerun.map((j) => j.data.to));
  for (const recipient of c.duplicated.keys()) expect(rerunTo).toContain(recipient);

  report(figures('1 sigkill 2 of 3 workers', c, s.sim, startedAt, { rerunJobs: rerun.length, faults: marks.map((m) => m.label) }));
  expect(await survivor.kill('SIGTERM')).toEqual({ code: 0, signal: null });
}, timeout(90_000));

test('2. SIGTERM all three workers mid-campaign, start three again: each exits 0, 0 stalled jobs, 0 duplicates', async () => {
  const startedAt = Date.now();
  const N = SIZES.terms.recipients;
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const first = await s.spawnWorkers(WORKERS);
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'terms', to, body: 'fault 2: deploy' });

  await sentAtLeast(s, 'terms', Math.ceil(N * 0.4));
  const inFlightAtSignal = s.sim.stats().inFlight;
  const exits = await Promise.all(first.map((w) => w.kill('SIGTERM', timeout(15_000))));
  expect(exits).toEqual(first.map(() => ({ code: 0, signal: null })));
  for (const w of first) expect(w.stderr()).toBe('');

  // Nothing active for a stalled check to find; every accepted request has its message_id recorded.
  expect(await activeJobs(s.ctx)).toBe(0);
  const between = await s.ctx.ledger.counts('terms');
  expect(between.pending).toBeGreaterThan(0);
  expect(between.failed).toBe(0);
  expect(s.sim.stats().inFlight).toBe(0);
  expect(s.sim.messages()).toHaveLength(between.sent);

  const second = await s.spawnWorkers(WORKERS);
  await s.waitDone('terms', timeout(30_000));

  const c = await classify(s.ctx, s.sim, 'terms', to);
  assertAccountedFor(c);
  expect({ sentOnce: c.sentOnce, duplicated: c.duplicated.size, failed: failedTotal(c) }).toEqual({ sentOnce: N, duplicated: 0, failed: 0 });
  // 0 stalled: no job was ever re-run, and every recipient took exactly one attempt.
  const completed = await s.ctx.queues.get('acme').getJobs(['completed']);
  expect(completed).toHaveLength(N);
  expect(completed.filter((j) => j.stalledCounter > 0).map((j) => j.id)).toEqual([]);
  expect([...c.attempts.values()].every((a) => a === 1)).toBe(true);

  report(figures('2 sigterm all 3 workers, restart', c, s.sim, startedAt, { inFlightAtSignal, sentBeforeRestart: between.sent, stalledJobs: 0 }));
  const exitsAgain = await Promise.all(second.map((w) => w.kill('SIGTERM', timeout(15_000))));
  expect(exitsAgain).toEqual(second.map(() => ({ code: 0, signal: null })));
  // Shutdown had in-flight sends to wait for (otherwise this shows nothing).
  expect(inFlightAtSignal).toBeGreaterThan(0);
}, timeout(90_000));
