import { Registry } from 'prom-client';
import { buildApi } from '@wabulk/api';
import { connectRedis } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { assertAccountedFor, beginFault, checkDuplicates, classify, endFault, failedTotal, type FaultMark } from '../support/fault-ground-truth.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import type { WorkerProcess } from '../support/proc-worker.js';
import { freePort, REDIS_URL } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { SIZES, timeout } from './fault-sizes.js';

// Fault scenario 7 (issue 16): worker processes cut off from Redis by a quiet network. Each worker
// reaches Redis through a TCP proxy of its own (test/support/tcp-proxy.ts); a cut holds every byte
// both ways with the connections open, as TCP does during a partition, then heals (the held bytes
// are delivered). A cut longer than the lock duration lets the other workers re-run the cut-off
// worker's jobs: those whose request had reached Kaleyra are sent twice (at most its in-flight
// sends), each counted in wabulk_possible_duplicates_total. Judged like every scenario: nothing lost,
// nothing misrecorded, nothing failed.

const WORKERS = 3;
const CONCURRENCY = 10;
const { ratePerSecond, lockMs, cutsMs, allCutMs } = SIZES.partition;
// The worker's PING deadline (WABULK_REDIS_COMMAND_TIMEOUT_MS): /readyz is 503 within about this.
const DEADLINE_MS = 500;
const API_TOKEN = 'partition-api-token-0123456789';

let stack: FaultStack | undefined;
let proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies) p.release();
  await stack?.close();
  await Promise.all(proxies.map((p) => p.close()));
  stack = undefined;
  proxies = [];
});

interface CutWorker {
  worker: WorkerProcess;
  proxy: TcpProxy;
  metricsPort: number;
}

async function startCutWorkers(s: FaultStack): Promise<CutWorker[]> {
  const target = new URL(REDIS_URL);
  const out: CutWorker[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const metricsPort = await freePort();
    out.push({ proxy, metricsPort, worker: undefined as unknown as WorkerProcess });
  }
  const workers = await Promise.all(
    out.map((c) =>
      s.spawnWorkers(1, {
        REDIS_URL: c.proxy.url('redis'),
        METRICS_PORT: String(c.metricsPort),
        WABULK_RATE_PER_SECOND: String(ratePerSecond),
        WABULK_LOCK_DURATION_MS: String(lockMs),
        WABULK_STALLED_INTERVAL_MS: String(Math.max(500, lockMs / 2)),
        WABULK_REDIS_COMMAND_TIMEOUT_MS: String(DEADLINE_MS),
        // Retries outlast every cut: a partition never fails a recipient.
        WABULK_RETRY_DELAYS_MS: '500,1000,2000',
      }),
    ),
  );
  workers.forEach((w, i) => (out[i]!.worker = w[0]!));
  return out;
}

async function readyz(port: number): Promise<{ status: number; reason?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { reason?: string };
    return { status: res.status, reason: body.reason };
  } catch (err) {
    return { status: 0, reason: (err as Error).message };
  }
}

/** wabulk_possible_duplicates_total summed over every worker's /metrics (both reasons). */
async function possibleDuplicates(cut: readonly CutWorker[]): Promise<number> {
  let total = 0;
  for (const c of cut) {
    const text = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    for (const m of text.matchAll(/^wabulk_possible_duplicates_total\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

/** Accepted requests at the simulator in the last `ms`. */
const acceptedInLast = (s: FaultStack, ms: number) => {
  const since = Date.now() - ms;
  return s.sim.messages().filter((m) => Date.parse(m.received_at) >= since).length;
};

/**
 * Cuts `victims` off for `cutMs`, then heals; returns the fault mark and the figures of the cut:
 * when /readyz of each victim went 503 and back, how long after the heal the simulator saw sends at
 * 90% of the configured rate again.
 */
async function cut(s: FaultStack, campaignId: string, all: readonly CutWorker[], victims: readonly CutWorker[], cutMs: number, during?: () => Promise<void>) {
  // The rate before the cut (what "full rate" means on this machine now): accepted in the last second.
  const rateBefore = acceptedInLast(s, 1000);
  const mark = await beginFault(s.ctx, campaignId, `${victims.length} of ${all.length} workers cut off from Redis for ${cutMs} ms`);
  const cutAt = Date.now();
  for (const v of victims) v.proxy.hold();
  const notReadyAfterMs = await Promise.all(
    victims.map(async (v) => {
      const r = await waitFor(async () => {
        const z = await readyz(v.metricsPort);
        return z.status === 503 ? z : undefined;
      }, { timeoutMs: timeout(15_000), intervalMs: 100, what: `worker ${v.worker.pid} /readyz 503 while cut off` });
      expect(r.reason).toMatch(/Redis has not answered a PING/);
      return Date.now() - cutAt;
    }),
  );
  // Sends the victims had started before the cut may still end at the simulator; then none starts.
  await new Promise((r) => setTimeout(r, 300));
  const requestsWhenSettled = s.sim.stats().requests;
  await during?.();
  const remaining = cutMs - (Date.now() - cutAt);
  if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
  const requestsDuringCut = s.sim.stats().requests - requestsWhenSettled;
  const healedAt = Date.now();
  for (const v of victims) v.proxy.release();
  endFault(mark);
  const readyAfterHealMs = Math.max(
    ...(await Promise.all(
      victims.map(async (v) => {
        await waitFor(async () => (await readyz(v.metricsPort)).status === 200, { timeoutMs: timeout(15_000), intervalMs: 100, what: `worker ${v.worker.pid} /readyz 200 after the heal` });
        return Date.now() - healedAt;
      }),
    )),
  );
  // Back to full rate: in the last 500 ms, 90% of the rate of the second before the cut (or the campaign is done).
  let fullRateAfterHealMs: number | null = null;
  await waitFor(async () => {
    if ((await s.ctx.ledger.counts(campaignId)).pending === 0) return true;
    if (acceptedInLast(s, 500) >= rateBefore * 0.5 * 0.9) {
      fullRateAfterHealMs = Date.now() - healedAt;
      return true;
    }
    return false;
  }, { timeoutMs: timeout(20_000), intervalMs: 50, what: 'sending at 90% of the rate after the heal' });
  return { mark, cutMs: healedAt - cutAt, rateBefore, requestsDuringCut, notReadyAfterMs: Math.max(...notReadyAfterMs), readyAfterHealMs, fullRateAfterHealMs };
}

const cases: Array<[string, number]> = cutsMs.map((ms) => [ms < lockMs ? `shorter than the lock (${lockMs} ms)` : `longer than the lock (${lockMs} ms)`, ms]);

test.each(cases)('7. one worker of three cut off from Redis for %s: /readyz 503 within seconds, nothing lost, duplicates only from its in-flight sends, all counted', async (_what, cutMs) => {
  const startedAt = Date.now();
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const workers = await startCutWorkers(s);
  // Enough recipients that the campaign is still sending when the cut heals.
  const N = Math.ceil((ratePerSecond * (cutMs + 4000)) / 1000);
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'cut', to, body: 'fault 7: partition' });
  await waitFor(async () => (await s.ctx.ledger.counts('cut')).sent >= N * 0.2, { intervalMs: 10, timeoutMs: timeout(30_000), what: '20% sent' });

  const f = await cut(s, 'cut', workers, [workers[0]!], cutMs);
  await s.waitDone('cut', timeout(60_000), 'the campaign did not finish after the heal');
  for (const w of workers) expect(w.worker.running).toBe(true);

  const c = await classify(s.ctx, s.sim, 'cut', to);
  assertAccountedFor(c);
  expect(failedTotal(c)).toBe(0);
  expect(checkDuplicates(c, s.sim, [f.mark])).toEqual({ recordedBeforeFault: [], notInFlight: [] });
  expect(c.duplicated.size).toBeLessThanOrEqual(CONCURRENCY);
  if (cutMs < lockMs) expect(c.duplicated.size).toBe(0);
  const counted = await possibleDuplicates(workers);
  expect(counted).toBeGreaterThanOrEqual(c.duplicated.size);
  report(figures(`7 one of 3 workers cut off from Redis for ${cutMs} ms (lock ${lockMs} ms)`, c, s.sim, startedAt, { cutMs: f.cutMs, lockMs, notReadyAfterMs: f.notReadyAfterMs, readyAfterHealMs: f.readyAfterHealMs, rateBeforePerS: f.rateBefore, fullRateAfterHealMs: f.fullRateAfterHealMs, possibleDuplicatesCounted: counted }));
}, timeout(120_000));

test('7. every worker cut off from Redis: no send during the cut, all resume by themselves, nothing lost', async () => {
  const startedAt = Date.now();
  const s = (stack = await startFaultStack({ sim: { latencyMs: 40 } }));
  s.sim.setFaults({ latencyJitterMs: 20 });
  const workers = await startCutWorkers(s);
  const N = Math.ceil((ratePerSecond * 4000) / 1000);
  const to = numbers(N);
  await s.producer.enqueueText({ campaignId: 'cut-all', to, body: 'fault 7: partition of every worker' });
  await waitFor(async () => (await s.ctx.ledger.counts('cut-all')).sent >= N * 0.2, { intervalMs: 10, timeoutMs: timeout(30_000), what: '20% sent' });

  // Requests in flight at the cut still reach Kaleyra; once they have ended, nothing more may arrive.
  // Intake during the cut: an API whose Redis is behind a proxy cut at the same time. Every answer
  // comes at its deadline (503, Retry-After); the client retries each with the same Idempotency-Key
  // after the heal and gets 202; each of those messages is then sent once.
  const apiProxy = await startTcpProxy({ host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) });
  proxies.push(apiProxy);
  const apiRedis = connectRedis({ url: apiProxy.url('redis'), commandTimeoutMs: DEADLINE_MS }, 'producer');
  const app = await buildApi({ redis: apiRedis, base: s.base, tokens: [API_TOKEN], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry(), defaultAccount: 'acme', configuredAccounts: ['acme'], idempotencyLockMs: 1000 });
  const otps = numbers(5, 90_000);
  const post = (i: number) => app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': `otp-${i}` }, payload: { to: otps[i], body: `OTP ${i}` } });
  const intake: Array<{ status: number; retryAfter: unknown; ms: number }> = [];
  let f: Awaited<ReturnType<typeof cut>>;
  try {
    f = await cut(s, 'cut-all', workers, workers, allCutMs, async () => {
      apiProxy.hold();
      for (let i = 0; i < otps.length; i++) {
        const t0 = Date.now();
        const r = await post(i);
        intake.push({ status: r.statusCode, retryAfter: r.headers['retry-after'], ms: Date.now() - t0 });
      }
    });
  } finally {
    apiProxy.release();
  }
  // Every intake answer at its deadline (a generous bound: this detects a hang, it is not a speed).
  expect(intake.map((a) => ({ status: a.status, retryAfter: a.retryAfter, inTime: a.ms < DEADLINE_MS * 4 + 1000 }))).toEqual(otps.map(() => ({ status: 503, retryAfter: '5', inTime: true })));
  for (let i = 0; i < otps.length; i++) {
    const r = await waitFor(async () => {
      const a = await post(i);
      return a.statusCode === 409 ? undefined : a;
    }, { timeoutMs: timeout(15_000), intervalMs: 200, what: `the retry of otp-${i}` });
    expect({ status: r.statusCode, accepted: r.json<{ accepted: number }>().accepted }).toEqual({ status: 202, accepted: 1 });
  }
  await waitFor(() => otps.every((n) => s.sim.messages({ to: n }).length > 0), { timeoutMs: timeout(20_000), what: 'every OTP sent' });
  expect(otps.map((n) => s.sim.messages({ to: n }).length)).toEqual(otps.map(() => 1));
  await app.close();
  apiRedis.disconnect();
  const marks: FaultMark[] = [f.mark];
  expect(f.requestsDuringCut).toBe(0);
  await s.waitDone('cut-all', timeout(60_000), 'the campaign did not finish after the heal');

  const c = await classify(s.ctx, s.sim, 'cut-all', to);
  // The intake messages are not the campaign's: judged above (each sent once).
  c.strays = c.strays.filter((n) => !otps.includes(n));
  assertAccountedFor(c);
  expect(failedTotal(c)).toBe(0);
  expect(checkDuplicates(c, s.sim, marks)).toEqual({ recordedBeforeFault: [], notInFlight: [] });
  expect(c.duplicated.size).toBeLessThanOrEqual(WORKERS * CONCURRENCY);
  expect(await possibleDuplicates(workers)).toBeGreaterThanOrEqual(c.duplicated.size);
  report(figures(`7 all 3 workers cut off from Redis for ${allCutMs} ms (lock ${lockMs} ms)`, c, s.sim, startedAt, { cutMs: f.cutMs, lockMs, intakeDuringCut: intake, requestsDuringCut: f.requestsDuringCut, notReadyAfterMs: f.notReadyAfterMs, readyAfterHealMs: f.readyAfterHealMs, rateBeforePerS: f.rateBefore, fullRateAfterHealMs: f.fullRateAfterHealMs }));
}, timeout(120_000));
