import { readFileSync } from 'node:fs';
import { assertAccountedFor, beginFault, checkDuplicates, classify, endFault, failedTotal } from '../support/fault-ground-truth.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import type { WorkerProcess } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { timeout } from './fault-sizes.js';

// Fault scenario 8 (issue 16): Kaleyra misbehaving on the wire. Three worker processes reach the
// simulator through a TCP proxy (test/support/tcp-proxy.ts): it holds every byte with the
// connections open (Kaleyra silent), or resets every connection again and again; the simulator
// itself answers after 5 s (Kaleyra slow). Each send ends as the decision table says: a timeout
// after the request was written or a reset is ambiguous (retried, counted as a possible
// duplicate), one before it retryable; nothing fails for it (the retries outlast the fault), in-flight
// requests stay bounded by the workers' concurrency, and the rate limit holds.

const WORKERS = 3;
const CONCURRENCY = 10;
const RATE = 200;
const IN_FLIGHT = WORKERS * CONCURRENCY;

let stack: FaultStack | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  proxy?.release();
  await stack?.close();
  await proxy?.close();
  stack = proxy = undefined;
});

interface Run {
  s: FaultStack;
  proxy: TcpProxy;
  workers: Array<{ worker: WorkerProcess; metricsPort: number }>;
  /** The most requests the simulator held unanswered at once, and the most open connections through the proxy (sampled). */
  peaks: { simInFlight: number; proxyOpen: number; workerRssMiB: number };
  stopSampling(): void;
}

async function start(env: Record<string, string> = {}): Promise<Run> {
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const p = (proxy = await startTcpProxy({ port: s.sim.port }));
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const metricsPort = await freePort();
      const [worker] = await s.spawnWorkers(1, {
        KALEYRA_BASE_URL: p.url('http'),
        METRICS_PORT: String(metricsPort),
        WORKER_CONCURRENCY: String(CONCURRENCY),
        WABULK_RATE_PER_SECOND: String(RATE),
        // Retries outlast every fault here: a network fault never fails a recipient.
        WABULK_RETRY_DELAYS_MS: '500,1000,2000',
        ...env,
      });
      return { worker: worker!, metricsPort };
    }),
  );
  const peaks = { simInFlight: 0, proxyOpen: 0, workerRssMiB: 0 };
  let ticks = 0;
  const timer = setInterval(() => {
    peaks.simInFlight = Math.max(peaks.simInFlight, s.sim.stats().inFlight);
    peaks.proxyOpen = Math.max(peaks.proxyOpen, p.stats().open);
    // Each worker's resident memory, every 200 ms (/proc/<pid>/status VmRSS).
    if (ticks++ % 10 === 0) for (const w of workers) peaks.workerRssMiB = Math.max(peaks.workerRssMiB, rssMiB(w.worker.pid));
  }, 20);
  return { s, proxy: p, workers, peaks, stopSampling: () => clearInterval(timer) };
}

function rssMiB(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** wabulk_possible_duplicates_total by reason, summed over every worker's /metrics. */
async function possibleDuplicates(run: Run): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const w of run.workers) {
    const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
    for (const m of text.matchAll(/^wabulk_possible_duplicates_total\{[^}]*reason="([^"]+)"[^}]*\} (\d+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

async function finish(run: Run, campaignId: string, to: string[], marks: Parameters<typeof checkDuplicates>[2], scenario: string, startedAt: number, extra: Record<string, unknown>) {
  const { s } = run;
  await s.waitDone(campaignId, timeout(60_000), 'the campaign did not finish after the fault');
  run.stopSampling();
  const c = await classify(s.ctx, s.sim, campaignId, to);
  assertAccountedFor(c);
  expect(failedTotal(c)).toBe(0);
  expect(checkDuplicates(c, s.sim, marks)).toEqual({ recordedBeforeFault: [], notInFlight: [] });
  const counted = await possibleDuplicates(run);
  const countedTotal = Object.values(counted).reduce((a, b) => a + b, 0);
  expect(countedTotal).toBeGreaterThanOrEqual(c.duplicated.size);
  for (const w of run.workers) expect(w.worker.running).toBe(true);
  // Memory stays bounded whatever the network does (a worker process at rest is ~150-250 MiB here).
  expect(run.peaks.workerRssMiB).toBeGreaterThan(0);
  expect(run.peaks.workerRssMiB).toBeLessThan(600);
  report(figures(scenario, c, s.sim, startedAt, { ...extra, possibleDuplicates: counted, peakSimInFlight: run.peaks.simInFlight, peakProxyConnections: run.peaks.proxyOpen, peakWorkerRssMiB: run.peaks.workerRssMiB }));
  return c;
}

const sentAtLeast = (s: FaultStack, campaignId: string, n: number) =>
  waitFor(async () => (await s.ctx.ledger.counts(campaignId)).sent >= n, { intervalMs: 10, timeoutMs: timeout(30_000), what: `${n} of ${campaignId} sent` });

test('8a. Kaleyra silent for 3 s (connections open, nothing answers): the sends time out as ambiguous, are retried and counted; nothing fails; the rate holds', async () => {
  const startedAt = Date.now();
  const run = await start({ KALEYRA_HEADERS_TIMEOUT_MS: '1000' });
  const to = numbers(600);
  await run.s.producer.enqueueText({ campaignId: 'silent', to, body: 'fault 8a: Kaleyra silent' });
  await sentAtLeast(run.s, 'silent', 150);
  const mark = await beginFault(run.s.ctx, 'silent', 'Kaleyra silent for 3 s');
  run.proxy.hold();
  const acceptedAtHold = run.s.sim.stats().accepted;
  await new Promise((r) => setTimeout(r, 3000));
  const acceptedDuringHold = run.s.sim.stats().accepted - acceptedAtHold;
  run.proxy.release();
  endFault(mark);
  const c = await finish(run, 'silent', to, [mark], '8a Kaleyra silent for 3 s (headers timeout 1 s)', startedAt, { acceptedDuringHold });
  expect(acceptedDuringHold).toBe(0);
  // As on a real network, the bytes of requests whose worker gave up (headers timeout, 1 s) reach
  // Kaleyra when the path heals, with the FIN behind them: Kaleyra may accept them, and their retries
  // too. Each such duplicate was counted as ambiguous when it timed out (checked in finish); there
  // are at most the workers' in-flight requests per headers timeout of the silence (3 s / 1 s + 1).
  const orphansBound = IN_FLIGHT * 4;
  expect(run.peaks.simInFlight).toBeLessThanOrEqual(orphansBound);
  expect(run.peaks.proxyOpen).toBeLessThanOrEqual(orphansBound);
  expect(c.duplicated.size).toBeLessThanOrEqual(orphansBound);
  // Those delivered at once may put one clock second above the rate, by at most that many.
  expect(run.s.sim.stats().maxPerSecond).toBeLessThanOrEqual(RATE + orphansBound);
}, timeout(120_000));

test('8b. Kaleyra answering after 5 s: sends are slow, not failed or duplicated; in-flight requests stay bounded by concurrency', async () => {
  const startedAt = Date.now();
  // The production headers timeout (30 s): a 5 s answer is slow, not lost.
  const run = await start();
  const to = numbers(600);
  await run.s.producer.enqueueText({ campaignId: 'slow', to, body: 'fault 8b: Kaleyra slow' });
  await sentAtLeast(run.s, 'slow', 100);
  const mark = await beginFault(run.s.ctx, 'slow', 'Kaleyra answers after 5 s for 3 s');
  run.s.sim.setFaults({ latencyMs: 5000, latencyJitterMs: 0 });
  await new Promise((r) => setTimeout(r, 3000));
  run.s.sim.setFaults({ latencyMs: 40, latencyJitterMs: 20 });
  endFault(mark);
  const c = await finish(run, 'slow', to, [mark], '8b Kaleyra answers after 5 s for 3 s', startedAt, {});
  expect(c.duplicated.size).toBe(0);
  // Every worker's slots were taken by slow answers: the peak is the concurrency, no more.
  expect(run.peaks.simInFlight).toBeGreaterThan(CONCURRENCY);
  expect(run.peaks.simInFlight).toBeLessThanOrEqual(IN_FLIGHT);
  // The workers' connections stay bounded by concurrency.
  expect(run.peaks.proxyOpen).toBeLessThanOrEqual(IN_FLIGHT);
  expect(run.s.sim.stats().maxPerSecond).toBeLessThanOrEqual(RATE);
}, timeout(120_000));

test('8c. Kaleyra resetting every connection again and again for 2 s: ambiguous sends retried and counted, nothing fails, the rate holds', async () => {
  const startedAt = Date.now();
  const run = await start();
  const to = numbers(600);
  await run.s.producer.enqueueText({ campaignId: 'reset', to, body: 'fault 8c: resets' });
  await sentAtLeast(run.s, 'reset', 150);
  const mark = await beginFault(run.s.ctx, 'reset', 'every connection reset every 100 ms for 2 s');
  let resets = 0;
  const storm = setInterval(() => {
    run.proxy.reset();
    resets++;
  }, 100);
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(storm);
  endFault(mark);
  const c = await finish(run, 'reset', to, [mark], '8c Kaleyra connections reset every 100 ms for 2 s', startedAt, { resets });
  // A reset after Kaleyra read the request may come after it accepted it: each such send is
  // ambiguous, retried and counted (finish checks counted ≥ duplicated); at most the requests in flight per reset.
  expect(c.duplicated.size).toBeLessThanOrEqual(IN_FLIGHT * resets);
  expect(run.peaks.proxyOpen).toBeLessThanOrEqual(IN_FLIGHT);
  expect(run.s.sim.stats().maxPerSecond).toBeLessThanOrEqual(RATE);
}, timeout(120_000));

test('8d. Kaleyra\'s name does not resolve (DNS): nothing sent, nothing failed, no attempt used, the queue held and counted; after the fix each sent once', async () => {
  const startedAt = Date.now();
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  const metricsPort = await freePort();
  // A name under .invalid never resolves (RFC 2606).
  const [broken] = await s.spawnWorkers(1, { KALEYRA_BASE_URL: `http://wabulk-kaleyra.invalid:${s.sim.port}`, METRICS_PORT: String(metricsPort), WABULK_RETRY_DELAYS_MS: '50,100,150' });
  const to = numbers(200);
  await s.producer.enqueueText({ campaignId: 'dns', to, body: 'fault 8d: DNS' });
  const unreachable = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return [...text.matchAll(/^wabulk_kaleyra_unreachable_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  await waitFor(async () => (await unreachable()) > 0, { timeoutMs: timeout(20_000), what: 'sends held as unreachable' });
  // Three seconds of a name that does not resolve: with retries of 50-150 ms, the schedule would have
  // failed every recipient by now; held instead (1 s, 2 s…), nothing failed and no attempt was used.
  await new Promise((r) => setTimeout(r, 3000));
  const tries = await unreachable();
  expect(await s.ctx.ledger.counts('dns')).toMatchObject({ total: 200, pending: 200, failed: 0, sent: 0 });
  expect(s.sim.stats().requests).toBe(0);
  const jobs = await s.ctx.queues.get('acme').getJobs(['wait', 'prioritized', 'active', 'delayed']);
  expect(jobs.filter((j) => j.attemptsMade > 0).map((j) => j.id)).toEqual([]);
  // The operator fixes the base URL: a worker with the right one sends everything, once each.
  expect(await broken!.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  await s.spawnWorkers(1);
  await s.waitDone('dns', timeout(30_000), 'the fixed worker did not finish');
  const c = await classify(s.ctx, s.sim, 'dns', to);
  assertAccountedFor(c);
  expect({ sentOnce: c.sentOnce, duplicated: c.duplicated.size, failed: failedTotal(c) }).toEqual({ sentOnce: 200, duplicated: 0, failed: 0 });
  report(figures('8d Kaleyra name does not resolve for 3 s, then the base URL fixed', c, s.sim, startedAt, { unreachableTries: tries }));
}, timeout(90_000));
