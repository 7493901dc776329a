// Benchmark "e2e": messages/s through the real worker (child process) against the simulator (child
// process), from the first job to the ledger showing every recipient sent. At 0 ms simulator
// latency the baseline is a bare BullMQ Worker posting with undici (same concurrency, no ledger);
// at 100 ms it is the bound concurrency ÷ latency.
import { createQueueContext, Producer } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, info, redisCpuSeconds } from './bench-redis.js';
import { procCpuSeconds, runChild, startSimChild, type SimHandle } from './child-process.js';
import { ACCOUNT, BODY, recipientRows } from './fixtures.js';
import { disturbance, fmt, log, median, quietestPair, type BenchResult, type Figure } from './report.js';
import type { WorkerChildArg, WorkerChildResult } from './worker-child.js';

const CONCURRENCY = 100;
/** High enough never to bind (the product's WABULK_RATE_PER_SECOND maximum). */
const UNBOUND_RATE = 100_000;

export interface Phase extends WorkerChildResult {
  mode: WorkerChildArg['mode'];
  latencyMs: number;
  n: number;
  simCpuMs: number;
  redisCpuMs: number;
  simAccepted: number;
  /** Epoch ms when the worker child exited (its window is about the `ms` before it). */
  endedAt: number;
  /**
   * Commands Redis ran over the child's run (INFO commandstats delta: each script counts once as
   * evalsha and once per command it calls), by name; INFO and the bench's HGETALL poll left out.
   */
  redisCommands: Record<string, number>;
}

/** INFO commandstats as name → calls. */
async function commandCalls(redis: BenchEnv['redis']): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(await info(redis, 'commandstats'))) {
    const calls = /(?:^|,)calls=(\d+)/.exec(v);
    if (k.startsWith('cmdstat_') && calls) out[k.slice(8)] = Number(calls[1]);
  }
  return out;
}

function callsDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d > 0 && name !== 'info' && name !== 'hgetall') out[name] = d;
  }
  return out;
}

const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
/** Commands the worker sent per message (client side: one EVALSHA = one). */
export const phaseClientCalls = (p: Phase) => sum(p.commands) / p.done;
/** Socket writes of commands per message (a pipeline of commands is one). */
export const phaseWrites = (p: Phase) => p.writes / p.done;
/** Commands Redis ran per message (server side: a script and every command inside it). */
export const phaseRedisCalls = (p: Phase) => sum(p.redisCommands) / p.done;
const perMessage = (calls: Record<string, number>, done: number) =>
  Object.entries(calls).sort((a, b) => b[1] - a[1]).filter(([, n]) => n / done >= 0.05).map(([name, n]) => `${name} ${fmt(n / done, 2)}`).join(', ');

export const phaseRate = (p: Phase) => p.done / (p.ms / 1000);
/** CPU % (of one core) the rest of the machine used during the phase. */
export const phaseOtherLoad = (p: Phase) => Math.max(0, (100 * (p.machineBusyMs - p.cpuMs - p.simCpuMs - p.redisCpuMs)) / p.ms);

/** Queues `n` recipients of a new campaign (untimed), then drains them with a worker child. */
export async function drainPhase(
  env: BenchEnv,
  sim: SimHandle,
  opts: { mode: WorkerChildArg['mode']; latencyMs: number; n: number; label: string; ratePerSecond?: number; durationMs?: number },
): Promise<Phase> {
  await sim.setFaults({ latencyMs: opts.latencyMs });
  await sim.reset();
  const ctx = createQueueContext({ redis: env.redis, base: env.base });
  const campaignId = `e2e-${opts.label}`;
  const producer = new Producer(ctx, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
  const queued = await producer.enqueueCampaign({ campaignId, body: BODY, recipients: recipientRows(opts.n) });
  const counts = await ctx.queues.get(ACCOUNT).getJobCounts('wait', 'active', 'delayed', 'prioritized');
  await ctx.queues.close();
  const inQueue = Object.values(counts).reduce((a, b) => a + b, 0);
  // Anything else in the queue (a crashed earlier phase) would be drained too and skew the figure.
  if (queued.accepted !== opts.n || inQueue !== opts.n) throw new Error(`prefill queued ${queued.accepted} of ${opts.n}; the queue holds ${inQueue}`);

  const simCpu0 = procCpuSeconds(sim.pid);
  const redisCpu0 = await redisCpuSeconds(env.redis);
  const calls0 = await commandCalls(env.redis);
  const arg: WorkerChildArg = {
    mode: opts.mode, redisUrl: env.redisUrl, base: env.base, simUrl: sim.url, campaignId, expect: opts.n,
    concurrency: CONCURRENCY, ratePerSecond: opts.ratePerSecond ?? UNBOUND_RATE, durationMs: opts.durationMs,
  };
  const res = await runChild<WorkerChildResult>('worker-child.ts', arg);
  const endedAt = Date.now();
  // The child's CPU window is first job → done; Redis and the simulator are read around the whole
  // child (startup and close included), a slight overestimate of their share.
  const phase: Phase = {
    ...res, mode: opts.mode, latencyMs: opts.latencyMs, n: opts.n, endedAt,
    simCpuMs: (procCpuSeconds(sim.pid) - simCpu0) * 1000,
    redisCpuMs: ((await redisCpuSeconds(env.redis)) - redisCpu0) * 1000,
    simAccepted: (await sim.stats()).accepted,
    redisCommands: callsDelta(calls0, await commandCalls(env.redis)),
  };
  if (opts.durationMs === undefined) {
    await deleteRunKeys(env.redis, env.base);
    log(`e2e ${opts.mode} ${opts.latencyMs} ms: ${fmt(phaseRate(phase))} msg/s (${phase.done} sent, ${phase.failed} failed, sim accepted ${phase.simAccepted})`);
  }
  return phase;
}

export function phaseRows(phases: Phase[]): Array<Array<string | number>> {
  return phases.map((p) => [
    `${p.mode}, ${p.latencyMs} ms`, p.done, fmt(p.ms / 1000, 2), phaseRate(p),
    `${fmt((100 * p.cpuMs) / p.ms)} %`, `${fmt((100 * p.simCpuMs) / p.ms)} %`, `${fmt((100 * p.redisCpuMs) / p.ms)} %`,
    fmt((1000 * p.cpuMs) / p.done), fmt((1000 * p.simCpuMs) / p.done), fmt((1000 * p.redisCpuMs) / p.done),
    `${fmt(phaseOtherLoad(p))} %`, fmt(phaseClientCalls(p), 2), fmt(phaseWrites(p), 2), fmt(phaseRedisCalls(p), 1),
  ]);
}

export const PHASE_HEADER = ['phase', 'sent', 's', 'msg/s', 'worker CPU', 'sim CPU', 'Redis CPU', 'worker µs/msg', 'sim µs/msg', 'Redis µs/msg', 'other procs', 'calls/msg sent', 'writes/msg', 'Redis cmds/msg'];

/** Per phase, the commands per message by name (≥ 0.05 per message), client side then Redis side. */
export function callRows(phases: Phase[]): Array<Array<string | number>> {
  return phases.map((p) => [`${p.mode}, ${p.latencyMs} ms`, perMessage(p.commands, p.done), perMessage(p.redisCommands, p.done)]);
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const n = env.quick ? 5000 : 20_000;
  const sim = await startSimChild();
  const phases: Phase[] = [];
  /** [bare, wabulk] at 0 ms, back to back. */
  const pairs: Array<[Phase, Phase]> = [];
  try {
    // 0 ms: pairs run back to back, alternating which goes first.
    for (let k = 0; k < (env.quick ? 1 : 3); k++) {
      const order: Array<WorkerChildArg['mode']> = k % 2 === 0 ? ['wabulk', 'bare'] : ['bare', 'wabulk'];
      const pair: Partial<Record<WorkerChildArg['mode'], Phase>> = {};
      for (const mode of order) phases.push((pair[mode] = await drainPhase(env, sim, { mode, latencyMs: 0, n, label: `${mode}-0-${k}` })));
      pairs.push([pair.bare!, pair.wabulk!]);
    }
    for (const mode of ['wabulk', 'bare'] as const) phases.push(await drainPhase(env, sim, { mode, latencyMs: 100, n, label: `${mode}-100` }));
  } finally {
    await sim.stop();
  }
  const at100 = (mode: string) => phases.find((p) => p.mode === mode && p.latencyMs === 100)!;
  const [bare0, wabulk0] = quietestPair(pairs, phaseOtherLoad);
  const bound = CONCURRENCY / 0.1;
  const figures: Figure[] = [
    { measure: `e2e ${fmt(n)} msgs, sim 0 ms`, value: phaseRate(wabulk0), unit: 'msg/s', baseline: { label: 'bare BullMQ + undici', value: phaseRate(bare0) }, target: { min: 0.8, text: '≥ 0.8x bare worker' } },
    { measure: `e2e ${fmt(n)} msgs, sim 100 ms`, value: phaseRate(at100('wabulk')), unit: 'msg/s', baseline: { label: `${CONCURRENCY} / 0.1 s`, value: bound }, target: { min: 0.8, text: '≥ 0.8x concurrency ÷ latency' } },
    { measure: 'bare worker, sim 100 ms', value: phaseRate(at100('bare')), unit: 'msg/s', baseline: { label: `${CONCURRENCY} / 0.1 s`, value: bound }, note: 'reference' },
  ];
  const cpuPerMsg = (mode: string) => median(phases.filter((p) => p.mode === mode && p.latencyMs === 0).map((p) => (1000 * p.cpuMs) / p.done));
  figures.splice(1, 0, { measure: 'worker CPU per message, sim 0 ms (median)', value: cpuPerMsg('wabulk'), unit: 'µs', baseline: { label: 'bare worker', value: cpuPerMsg('bare') }, note: 'lower is better' });
  const callsPerMsg = (mode: string) => median(phases.filter((p) => p.mode === mode && p.latencyMs === 0).map(phaseClientCalls));
  const writesPerMsg = (mode: string) => median(phases.filter((p) => p.mode === mode && p.latencyMs === 0).map(phaseWrites));
  figures.splice(2, 0,
    { measure: 'Redis calls per message sent by the worker, sim 0 ms (median)', value: callsPerMsg('wabulk'), unit: 'calls', baseline: { label: 'bare worker', value: callsPerMsg('bare') }, note: 'lower is better' },
    { measure: 'socket writes of those calls per message (a pipeline is one), sim 0 ms (median)', value: writesPerMsg('wabulk'), unit: 'writes', baseline: { label: 'bare worker', value: writesPerMsg('bare') }, note: 'lower is better' });
  for (const p of phases) if (p.done !== n || p.simAccepted !== n) figures.push({ measure: `WARNING ${p.mode} ${p.latencyMs} ms`, value: p.done, unit: `sent of ${n} (sim accepted ${p.simAccepted})` });
  return {
    name: 'e2e',
    figures,
    notes: disturbance('e2e at 0 ms (headline pair)', [phaseOtherLoad(bare0), phaseOtherLoad(wabulk0)]),
    details: [
      { title: `every phase (concurrency ${CONCURRENCY}; CPU % of one core over the phase; µs of CPU per message; "other procs" = CPU the rest of the machine used, of 200 %)`, header: PHASE_HEADER, rows: phaseRows(phases) },
      { title: 'Redis commands per message: sent by the worker (ioredis, an EVALSHA once) | run by Redis (INFO commandstats: a script and each command in it)', header: ['phase', 'worker sent', 'Redis ran'], rows: callRows(phases) },
      {
        title: 'bare/wabulk pairs at 0 ms, back to back (the headline figure is the pair other processes disturbed least)',
        header: ['pair', 'bare msg/s', 'wabulk msg/s', 'ratio', 'other procs bare / wabulk', ''],
        rows: pairs.map(([b, w], k) => [String(k + 1), phaseRate(b), phaseRate(w), `${fmt(phaseRate(w) / phaseRate(b), 2)}x`, `${fmt(phaseOtherLoad(b))} % / ${fmt(phaseOtherLoad(w))} %`, b === bare0 ? 'headline' : '']),
      },
    ],
  };
}

export const e2eBenchmark: Benchmark = {
  name: 'e2e',
  describe: 'messages/s through startWorker vs a bare BullMQ Worker (sim 0 ms), and vs concurrency ÷ latency (sim 100 ms)',
  run,
};
