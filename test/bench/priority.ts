// Benchmark "priority": priorities and fair share at the account's rate limit (1,000/s), with the
// real worker (child process) and the simulator (child process).
//   fifo      a campaign of N queued with no BullMQ priority (all FIFO, as before priorities): the baseline
//   priority  the same campaign queued `normal` (prioritized, rounds of FAIR_SHARE_ROUND), while 100
//             `high` messages go one by one through the HTTP API (buildApi on a port, fetch): each one's
//             wait = the simulator's received_at − the moment the API answered 202
//   share     two equal `normal` campaigns, the second queued once the first is sending: each one's
//             share of the sends in every 3 s window (and every window of 2·FAIR_SHARE_ROUND sends)
//   memory    Redis bytes per queued recipient (job + ledger) without and with a priority
import { Registry } from 'prom-client';
import { buildApi } from '@wabulk/api';
import { createQueueContext, createRedis, FAIR_SHARE_ROUND, Producer, waitForReady, type Priority } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, redisCpuSeconds, settledMemory } from './bench-redis.js';
import { procCpuSeconds, runChild, startSimChild, type SimHandle } from './child-process.js';
import { ACCOUNT, BODY, recipientRows } from './fixtures.js';
import { fmt, log, median, quietestPair, type BenchResult, type Figure } from './report.js';
import type { WorkerChildArg, WorkerChildResult } from './worker-child.js';

const RATE = 1000;
const CONCURRENCY = 100;
const HIGH_MESSAGES = 100;
const TOKEN = 'bench-token-0123456789abcdef';

interface SimMessage { to: string; body: string; received_at: string }

async function simMessages(sim: SimHandle): Promise<Array<{ to: string; body: string; at: number }>> {
  const res = await fetch(`${sim.url}/__sim/messages?format=ndjson`);
  if (!res.ok) throw new Error(`/__sim/messages: HTTP ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = JSON.parse(l) as SimMessage;
      return { to: m.to, body: m.body, at: Date.parse(m.received_at) };
    });
}

/** Sends per second over the run, skipping the first second's worth (warm-up), as rate-limited does. */
function achievedRate(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  if (t.length < RATE + 2) return NaN;
  return (t.length - 1 - RATE) / ((t.at(-1)! - t[RATE]!) / 1000);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function queueCampaign(env: BenchEnv, campaignId: string, body: string, n: number, priority: Priority, start = 0): Promise<void> {
  const ctx = createQueueContext({ redis: env.redis, base: env.base });
  const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
  const r = await producer.enqueueCampaign({ campaignId, body, priority, recipients: recipientRows(n, start) });
  await ctx.queues.close();
  if (r.accepted !== n) throw new Error(`queued ${r.accepted} of ${n} for ${campaignId}`);
}

/** The real worker in a child: until `campaignId` has `until.expect` recipients done, or for `until.durationMs`. */
function worker(env: BenchEnv, sim: SimHandle, campaignId: string, until: { expect: number } | { durationMs: number }) {
  const arg: WorkerChildArg = { mode: 'wabulk', redisUrl: env.redisUrl, base: env.base, simUrl: sim.url, campaignId, expect: 0, concurrency: CONCURRENCY, ratePerSecond: RATE, ...until };
  return runChild<WorkerChildResult>('worker-child.ts', arg);
}

async function waitForSends(sim: SimHandle, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await sim.stats()).accepted < n) {
    if (Date.now() > deadline) throw new Error(`the simulator did not reach ${n} sends`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Drain {
  /** The campaign's sends/s at the simulator (the high messages left out). */
  campaignRate: number;
  /** Every send/s. */
  totalRate: number;
  /** Each high message: simulator received_at − the API's 202, ms. */
  waits: number[];
  /** CPU % (of one core) the rest of the machine used meanwhile (the API in the parent counts here). */
  otherLoad: number;
  /** CPU µs per send: the worker's, and Redis's (moves much less with foreign load than msg/s). */
  workerUsPerMsg: number;
  redisUsPerMsg: number;
}

/**
 * Drains a campaign of n at the limit: FIFO (`high`, no BullMQ priority) when `intervalMs` is
 * undefined, else `normal` with HIGH_MESSAGES `high` messages through the API one every intervalMs.
 */
async function drain(env: BenchEnv, sim: SimHandle, n: number, intervalMs: number | undefined): Promise<Drain> {
  await sim.reset();
  const campaignId = intervalMs === undefined ? 'fifo' : 'bulk';
  await queueCampaign(env, campaignId, BODY, n, intervalMs === undefined ? 'high' : 'normal');
  const simCpu0 = procCpuSeconds(sim.pid);
  const redisCpu0 = await redisCpuSeconds(env.redis);
  const answered = new Map<string, number>();
  const draining = worker(env, sim, campaignId, { expect: n });
  if (intervalMs !== undefined) {
    const apiRedis = createRedis(env.redisUrl, 'producer');
    await waitForReady(apiRedis);
    const app = await buildApi({ redis: apiRedis, base: env.base, tokens: [TOKEN], logger: createLogger({ level: 'silent', destination: process.stderr }), registry: new Registry(), defaultAccount: ACCOUNT });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      await waitForSends(sim, RATE); // the campaign is draining at the limit
      for (let k = 0; k < HIGH_MESSAGES; k++) {
        const to = `+1415555${String(k).padStart(4, '0')}`;
        const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ to, body: `otp ${k}` }) });
        const at = Date.now();
        if (res.status !== 202) throw new Error(`POST /v1/messages: HTTP ${res.status} ${await res.text()}`);
        answered.set(to.slice(1), at);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    } finally {
      await app.close();
      apiRedis.disconnect();
    }
  }
  const w = await draining;
  const simCpuMs = (procCpuSeconds(sim.pid) - simCpu0) * 1000;
  const redisCpuMs = ((await redisCpuSeconds(env.redis)) - redisCpu0) * 1000;
  const sent = await simMessages(sim);
  await deleteRunKeys(env.redis, env.base);
  const waits = sent.filter((m) => answered.has(m.to)).map((m) => m.at - answered.get(m.to)!);
  if (waits.length !== answered.size) throw new Error(`${waits.length} of ${answered.size} high messages reached the simulator`);
  return {
    campaignRate: achievedRate(sent.filter((m) => !answered.has(m.to)).map((m) => m.at)),
    totalRate: achievedRate(sent.map((m) => m.at)),
    waits,
    otherLoad: Math.max(0, (100 * (w.machineBusyMs - w.cpuMs - simCpuMs - redisCpuMs)) / w.ms),
    workerUsPerMsg: (1000 * w.cpuMs) / sent.length,
    redisUsPerMsg: (1000 * redisCpuMs) / sent.length,
  };
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const n = env.quick ? 10_000 : 100_000;
  // The campaign drains whole (n / RATE seconds at the limit, more on a loaded machine); the high
  // messages go one by one over its first half, after its first second at the limit.
  const intervalMs = Math.floor((n / RATE / 2) * 1000 / HIGH_MESSAGES);
  const seconds = env.quick ? 9 : 20;
  const sim = await startSimChild();
  const figures: Figure[] = [];
  const rows: Array<Array<string | number>> = [];
  try {
    // 1. Memory per queued recipient: FIFO (high) vs prioritized (normal), before any worker runs.
    const memN = env.quick ? 10_000 : 100_000;
    const perJob: Partial<Record<Priority, number>> = {};
    for (const p of ['high', 'normal'] as const) {
      await deleteRunKeys(env.redis, env.base);
      const before = await settledMemory(env.redis);
      await queueCampaign(env, `mem-${p}`, BODY, memN, p);
      perJob[p] = ((await settledMemory(env.redis)) - before) / memN;
    }
    await deleteRunKeys(env.redis, env.base);
    log(`priority memory: ${fmt(perJob.high!)} B/recipient FIFO, ${fmt(perJob.normal!)} B/recipient prioritized`);

    // 2. Pairs, back to back in alternating order (the headline is the pair other processes disturbed
    // least): the campaign FIFO (no priorities, as before), and the same campaign `normal` with 100
    // `high` messages through the API.
    const pairs: Array<[Drain, Drain]> = [];
    for (let k = 0; k < 2; k++) {
      const pair: Partial<Record<'fifo' | 'prio', Drain>> = {};
      for (const mode of k % 2 === 0 ? (['fifo', 'prio'] as const) : (['prio', 'fifo'] as const)) {
        pair[mode] = await drain(env, sim, n, mode === 'prio' ? intervalMs : undefined);
        log(`priority ${mode}: campaign ${fmt(pair[mode].campaignRate)} msg/s, other procs ${fmt(pair[mode].otherLoad)} %${pair[mode].waits.length ? `, high wait p50 ${percentile(pair[mode].waits, 50)} ms p99 ${percentile(pair[mode].waits, 99)} ms` : ''}`);
      }
      pairs.push([pair.fifo!, pair.prio!]);
    }
    const [fifo, prio] = quietestPair(pairs, (d) => d.otherLoad);
    const fifoRate = fifo.campaignRate;
    const { campaignRate, totalRate } = prio;
    const waits = pairs.flatMap(([, p]) => p.waits);

    // 4. Two equal campaigns, the second queued once the first sends at the limit.
    await sim.reset();
    const half = env.quick ? 10_000 : 30_000;
    await queueCampaign(env, 'share-a', 'A', half, 'normal');
    const sharing = worker(env, sim, 'share-a', { durationMs: seconds * 1000 });
    await waitForSends(sim, 2 * RATE);
    const bQueueing = { sends: (await sim.stats()).accepted, at: Date.now() };
    await queueCampaign(env, 'share-b', 'B', half, 'normal', half);
    await sharing;
    const seq = (await simMessages(sim)).sort((a, b) => a.at - b.at);
    const firstB = seq.findIndex((m) => m.body === 'B');
    const lastA = seq.findLastIndex((m) => m.body === 'A');
    const lastB = seq.findLastIndex((m) => m.body === 'B');
    const both = seq.slice(firstB, Math.min(lastA, lastB) + 1);
    let minShare3s = 1;
    let windows3s = 0;
    for (let i = 0, j = 0; i < both.length; i++) {
      while (j < both.length && both[j]!.at < both[i]!.at + 3000) j++;
      if (both.at(-1)!.at < both[i]!.at + 3000) break; // only whole 3 s windows
      const a = both.slice(i, j).filter((m) => m.body === 'A').length / (j - i);
      minShare3s = Math.min(minShare3s, a, 1 - a);
      windows3s++;
    }
    // B's first chunk is allocated at the round being served, then added (addBulk): what the queue
    // served meanwhile puts B's first rounds behind the head, and B sends them in a row (catch-up).
    const catchUp = both.findIndex((m) => m.body === 'A');
    const steady = both.slice(catchUp);
    let minShareRound = 1;
    for (let i = 0; i + 2 * FAIR_SHARE_ROUND <= steady.length; i++) {
      const a = steady.slice(i, i + 2 * FAIR_SHARE_ROUND).filter((m) => m.body === 'A').length / (2 * FAIR_SHARE_ROUND);
      minShareRound = Math.min(minShareRound, a, 1 - a);
    }
    await deleteRunKeys(env.redis, env.base);
    log(`priority share: min ${fmt(100 * minShare3s)} % over ${windows3s} 3 s windows, ${fmt(100 * minShareRound)} % over windows of ${2 * FAIR_SHARE_ROUND} sends`);

    figures.push(
      { measure: `high wait p50 (API 202 → simulator), behind ${fmt(n)} normal (${waits.length} messages)`, value: percentile(waits, 50), unit: 'ms', baseline: { label: '1 s + one 100 ms limiter window', value: 1100 }, target: { max: 1, text: '≤ 1 s + one window' } },
      { measure: `high wait p99, behind ${fmt(n)} normal`, value: percentile(waits, 99), unit: 'ms', baseline: { label: '1 s + one 100 ms limiter window', value: 1100 }, target: { max: 1, text: '≤ 1 s + one window' } },
      { measure: `campaign throughput with priorities (normal + ${HIGH_MESSAGES} high) at ${RATE}/s`, value: campaignRate, unit: 'msg/s', baseline: { label: 'same campaign FIFO', value: fifoRate }, target: { min: 0.95, text: '≥ 0.95x' } },
      { measure: 'Redis CPU per send with priorities (median of 2)', value: median(pairs.map(([, p]) => p.redisUsPerMsg)), unit: 'µs', baseline: { label: 'FIFO', value: median(pairs.map(([f]) => f.redisUsPerMsg)) }, note: 'lower is better' },
      { measure: 'worker CPU per send with priorities (median of 2)', value: median(pairs.map(([, p]) => p.workerUsPerMsg)), unit: 'µs', baseline: { label: 'FIFO', value: median(pairs.map(([f]) => f.workerUsPerMsg)) }, note: 'lower is better' },
      { measure: 'all sends with priorities (campaign + high)', value: totalRate, unit: 'msg/s', baseline: { label: 'same campaign FIFO', value: fifoRate }, note: 'reference' },
      { measure: 'min share of two equal campaigns over 3 s windows', value: minShare3s, unit: '', baseline: { label: 'fair (1/2)', value: 0.5 }, target: { min: 0.7, text: '≥ 35% each' } },
      { measure: `min share over windows of ${2 * FAIR_SHARE_ROUND} sends, after B's catch-up`, value: minShareRound, unit: '', baseline: { label: 'fair (1/2)', value: 0.5 }, note: 'reference' },
      { measure: 'Redis bytes per queued recipient (job + ledger), normal', value: perJob.normal!, unit: 'B', baseline: { label: 'FIFO (high)', value: perJob.high! }, note: env.ownRedis ? 'the cost of a priority' : 'shared Redis: noisy' },
    );
    rows.push(
      ['high waits (ms): min / p50 / p90 / p99 / max', `${Math.min(...waits)} / ${percentile(waits, 50)} / ${percentile(waits, 90)} / ${percentile(waits, 99)} / ${Math.max(...waits)}`],
      ['high messages sent, interval', `${HIGH_MESSAGES} per priority phase, one every ${intervalMs} ms`],
      ...pairs.map(([f, p], k): [string, string] => [`pair ${k + 1}: fifo / priority campaign msg/s (other procs)${f === fifo ? ' — headline' : ''}`, `${fmt(f.campaignRate)} (${fmt(f.otherLoad)} %) / ${fmt(p.campaignRate)} (${fmt(p.otherLoad)} %) = ${fmt(p.campaignRate / f.campaignRate, 2)}x`]),
      ['share run: sends while both had recipients left, 3 s windows', `${both.length}, ${windows3s}`],
      ["share run: B's first send after its queueing began (sends, ms)", `${firstB - bQueueing.sends}, ${seq[firstB]!.at - bQueueing.at}`],
      ["share run: B's catch-up (its sends in a row from its first)", catchUp],
    );
  } finally {
    await sim.stop();
  }
  return { name: 'priority', figures, details: [{ title: `priority at ${RATE}/s, campaign ${fmt(n)} drained whole (FIFO, then normal + high), worker concurrency ${CONCURRENCY}; share run ${seconds} s`, header: ['what', 'value'], rows }] };
}

export const priorityBenchmark: Benchmark = {
  name: 'priority',
  describe: `high-priority wait behind a draining normal campaign (100 via the API), campaign throughput with vs without priorities, share of two campaigns, bytes per job`,
  run,
};
