// Benchmark "intake": single-recipient POST /v1/messages through the real API (a child process; as
// shipped, and as before issue 15: fastSingleMessages false on a plain connection, no coalesceWrites),
// loaded by autocannon (in this process) with the same connections and duration as its baseline in
// the same run: a bare fastify route doing one Redis SET per request (intake-child.ts, `bare`).
// Reported per side: req/s, p50/p99 latency, the child's CPU µs per request and Redis commands per
// request (INFO commandstats delta: commands a Lua script runs are counted too, and each script
// call once as evalsha). Every 202 of the API must mean a job in Redis: after each API phase the
// queue's job count is checked against the 2xx answers.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { createQueueContext } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, info, redisCpuSeconds } from './bench-redis.js';
import { procCpuSeconds, startServerChild } from './child-process.js';
import { ACCOUNT } from './fixtures.js';
import type { IntakeChildArg } from './intake-child.js';
import { machineBusyMeter } from './machine-load.js';
import { fmt, log, median, type BenchResult } from './report.js';

const CONNECTIONS = 50;

interface Run {
  mode: IntakeChildArg['mode'];
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  ms: number;
  cpuMs: number;
  redisCpuMs: number;
  /** CPU ms of this process (autocannon). */
  loaderCpuMs: number;
  machineBusyMs: number;
  /** Redis commands by name during the run (commandstats delta). */
  commands: Record<string, number>;
}

const settle = () => new Promise((r) => setTimeout(r, 300));
const otherLoad = (r: Run) => Math.max(0, (100 * (r.machineBusyMs - r.cpuMs - r.redisCpuMs - r.loaderCpuMs)) / r.ms);
const totalCommands = (r: Run) => Object.values(r.commands).reduce((a, b) => a + b, 0);

async function commandCalls(env: BenchEnv): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(await info(env.redis, 'commandstats'))) {
    const m = /calls=(\d+)/.exec(v);
    if (m) out[k.replace(/^cmdstat_/, '')] = Number(m[1]);
  }
  return out;
}

async function load(url: string, token: string, seconds: number, connections = CONNECTIONS) {
  return autocannon({
    url: `${url}/v1/messages`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    // No campaignId: each request is a message of its own (a campaign `msg-…`), as a service sending OTPs does.
    body: JSON.stringify({ to: '+919876543210', body: 'Your OTP is 1234' }),
  });
}

async function measure(env: BenchEnv, mode: IntakeChildArg['mode'], seconds: number): Promise<Run> {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const child = await startServerChild('intake-child.ts', { mode, redisUrl: env.redisUrl, base: env.base, token } satisfies IntakeChildArg);
  try {
    // Warm-up (JIT, script loading, connections), not measured; its jobs are deleted before the run.
    await load(child.url, token, 1);
    await settle();
    await deleteRunKeys(env.redis, env.base);
    const cmd0 = await commandCalls(env);
    const cpu0 = procCpuSeconds(child.pid);
    const redisCpu0 = await redisCpuSeconds(env.redis);
    const loader0 = process.cpuUsage();
    const busy = machineBusyMeter();
    const t0 = performance.now();
    const r = await load(child.url, token, seconds);
    const ms = performance.now() - t0;
    // autocannon stops at the deadline without waiting for the answers in flight: let them land.
    await settle();
    const loader = process.cpuUsage(loader0);
    const machineBusyMs = busy();
    const cpuMs = (procCpuSeconds(child.pid) - cpu0) * 1000;
    const redisCpuMs = ((await redisCpuSeconds(env.redis)) - redisCpu0) * 1000;
    const cmd1 = await commandCalls(env);
    const commands: Record<string, number> = {};
    for (const [k, v] of Object.entries(cmd1)) {
      // The two INFO calls of this measurement are not the server's.
      const d = v - (cmd0[k] ?? 0) - (k === 'info' ? 2 : 0);
      if (d > 0) commands[k] = d;
    }
    if (mode !== 'bare') {
      // Every 202 must be a job in Redis: at least as many jobs as 2xx answers, and at most one more
      // per connection (a request in flight when autocannon stopped counting).
      const ctx = createQueueContext({ redis: env.redis, base: env.base });
      const counts = await ctx.queues.get(ACCOUNT).getJobCounts('wait', 'prioritized', 'delayed', 'active');
      await ctx.queues.close();
      const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
      if (jobs < r['2xx'] || jobs > r['2xx'] + CONNECTIONS) throw new Error(`${r['2xx']} answers 202 but ${jobs} jobs in the queue`);
    }
    await deleteRunKeys(env.redis, env.base);
    const run: Run = {
      mode, rps: r['2xx'] / (ms / 1000), p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, ms,
      cpuMs, redisCpuMs, loaderCpuMs: (loader.user + loader.system) / 1000, machineBusyMs, commands,
    };
    log(`intake ${mode}: ${fmt(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${fmt((1000 * cpuMs) / Math.max(1, run.ok))} µs CPU/request, ${fmt(totalCommands(run) / Math.max(1, run.ok), 2)} Redis commands/request, other load ${fmt(otherLoad(run))} %`);
    if (run.non2xx > 0 || run.errors > 0) throw new Error(`intake ${mode}: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
    return run;
  } finally {
    await child.stop();
  }
}

interface Duel {
  /** As shipped, then before issue 15: req/s, p99 ms and CPU µs per request of each, measured over the same seconds. */
  sides: Array<{ mode: IntakeChildArg['mode']; rps: number; p99: number; cpuPerReq: number }>;
  otherLoad: number;
}

/**
 * Both APIs at once, each with half the connections, over the same seconds: whatever the rest of the
 * machine does falls on both alike (sequential runs on this shared box differed by 2-4x from one
 * minute to the next). Each side has its own key prefix; every 202 is checked against its queue.
 */
async function duel(env: BenchEnv, seconds: number): Promise<Duel> {
  const modes: Array<IntakeChildArg['mode']> = ['api', 'api-before'];
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const bases = modes.map((_, i) => `${env.base}-d${i}`);
  const children = await Promise.all(modes.map((mode, i) => startServerChild('intake-child.ts', { mode, redisUrl: env.redisUrl, base: bases[i]!, token } satisfies IntakeChildArg)));
  try {
    const half = CONNECTIONS / 2;
    await Promise.all(children.map((c) => load(c.url, token, 1, half)));
    await settle();
    for (const b of bases) await deleteRunKeys(env.redis, b);
    const cpu0 = children.map((c) => procCpuSeconds(c.pid));
    const ours0 = process.cpuUsage();
    const redisCpu0 = await redisCpuSeconds(env.redis);
    const busy = machineBusyMeter();
    const t0 = performance.now();
    const results = await Promise.all(children.map((c) => load(c.url, token, seconds, half)));
    const ms = performance.now() - t0;
    await settle();
    const cpuMs = children.map((c, i) => (procCpuSeconds(c.pid) - cpu0[i]!) * 1000);
    const ours = process.cpuUsage(ours0);
    const redisCpuMs = ((await redisCpuSeconds(env.redis)) - redisCpu0) * 1000;
    const other = Math.max(0, (100 * (busy() - cpuMs[0]! - cpuMs[1]! - redisCpuMs - (ours.user + ours.system) / 1000)) / ms);
    for (let i = 0; i < modes.length; i++) {
      const r = results[i]!;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`intake duel ${modes[i]}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      const ctx = createQueueContext({ redis: env.redis, base: bases[i]! });
      const counts = await ctx.queues.get(ACCOUNT).getJobCounts('wait', 'prioritized', 'delayed', 'active');
      await ctx.queues.close();
      const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
      if (jobs < r['2xx'] || jobs > r['2xx'] + half) throw new Error(`duel ${modes[i]}: ${r['2xx']} answers 202 but ${jobs} jobs in the queue`);
    }
    for (const b of bases) await deleteRunKeys(env.redis, b);
    const d: Duel = {
      sides: modes.map((mode, i) => ({ mode, rps: results[i]!['2xx'] / (ms / 1000), p99: results[i]!.latency.p99, cpuPerReq: (1000 * cpuMs[i]!) / Math.max(1, results[i]!['2xx']) })),
      otherLoad: other,
    };
    log(`intake duel: ${d.sides.map((x) => `${x.mode} ${fmt(x.rps)} req/s (${fmt(x.cpuPerReq)} µs CPU/request, p99 ${x.p99} ms)`).join(' vs ')}, other load ${fmt(other)} %`);
    return d;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    for (const b of bases) await deleteRunKeys(env.redis, b).catch(() => 0);
  }
}

const MODES: Array<IntakeChildArg['mode']> = ['api', 'api-before', 'bare'];

export const intakeBenchmark: Benchmark = {
  name: 'intake',
  describe: `single-recipient POST /v1/messages (API child, autocannon ${CONNECTIONS} connections), as shipped and as before, vs a bare fastify route doing one Redis SET`,
  async run(env: BenchEnv): Promise<BenchResult> {
    const seconds = env.quick ? 4 : 6;
    // Rounds of the three, back to back; the headline is the round the rest of the machine disturbed least.
    const rounds: Run[][] = [];
    for (let i = 0; i < (env.quick ? 1 : 6); i++) {
      // Each round in another order (the first run of a round is not always the same side).
      const order = MODES.map((_, j) => MODES[(i + j) % MODES.length]!);
      const round: Run[] = [];
      for (const mode of order) round.push(await measure(env, mode, seconds));
      rounds.push(MODES.map((m) => round.find((r) => r.mode === m)!));
    }
    const duels: Duel[] = [];
    for (let i = 0; i < (env.quick ? 1 : 3); i++) duels.push(await duel(env, seconds));
    const duelRatio = (d: Duel) => d.sides[0]!.rps / d.sides[1]!.rps;
    const duelCpuRatio = (d: Duel) => d.sides[0]!.cpuPerReq / d.sides[1]!.cpuPerReq;
    const roundLoad = (round: Run[]) => Math.max(...round.map(otherLoad));
    const quietest = [...rounds].sort((a, b) => roundLoad(a) - roundLoad(b))[0]!;
    const [api, single, bare] = quietest as [Run, Run, Run];
    const cpuPerReq = (r: Run) => (1000 * r.cpuMs) / r.ok;
    const perReq = (r: Run) => totalCommands(r) / r.ok;
    const medianRatio = (i: number, j: number) => fmt(median(rounds.map((r) => r[i]!.rps / r[j]!.rps)), 2);
    const title = `quietest of ${rounds.length} round(s)`;
    return {
      name: 'intake',
      figures: [
        { measure: `POST /v1/messages, 1 recipient (${title})`, value: api.rps, unit: 'req/s', baseline: { label: 'bare fastify + SET', value: bare.rps }, note: `median ratio ${medianRatio(0, 2)}` },
        { measure: 'POST /v1/messages as shipped vs before issue 15', value: api.rps, unit: 'req/s', baseline: { label: 'before', value: single.rps }, note: `median ratio ${medianRatio(0, 1)}` },
        {
          measure: `both at once, ${CONNECTIONS / 2} connections each (median of ${duels.length})`,
          value: median(duels.map((d) => d.sides[0]!.rps)),
          unit: 'req/s',
          baseline: { label: 'before, same seconds', value: median(duels.map((d) => d.sides[1]!.rps)) },
          note: `median ratio ${fmt(median(duels.map(duelRatio)), 2)}; CPU/request ratio ${fmt(median(duels.map(duelCpuRatio)), 2)}`,
        },
        { measure: 'API CPU per request, as shipped vs before issue 15', value: cpuPerReq(api), unit: 'µs', baseline: { label: 'before', value: cpuPerReq(single) }, note: `median ratio ${fmt(median(rounds.map((r) => cpuPerReq(r[0]!) / cpuPerReq(r[1]!))), 2)} (lower is better; steadier than req/s on a loaded box)` },
        { measure: 'p50 latency', value: api.p50, unit: 'ms', baseline: { label: 'bare', value: bare.p50 }, note: `before ${fmt(single.p50)} ms` },
        { measure: 'p99 latency', value: api.p99, unit: 'ms', baseline: { label: 'bare', value: bare.p99 }, note: `before ${fmt(single.p99)} ms` },
        { measure: 'API CPU per request', value: cpuPerReq(api), unit: 'µs', baseline: { label: 'bare', value: cpuPerReq(bare) }, note: `before ${fmt(cpuPerReq(single))} µs` },
        { measure: 'Redis commands per request', value: perReq(api), unit: '', baseline: { label: 'bare', value: perReq(bare) }, note: `before ${fmt(perReq(single), 2)} (scripts count their inner commands)` },
      ],
      details: [
        {
          title: `runs (autocannon ${CONNECTIONS} connections, ${seconds} s each; other load = CPU % of one core used by other processes)`,
          header: ['run', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'Redis CPU µs/req', 'loader CPU µs/req', 'Redis cmds/req', 'other load'],
          rows: rounds.flat().map((r) => [r.mode, r.rps, r.p50, r.p99, cpuPerReq(r), (1000 * r.redisCpuMs) / r.ok, (1000 * r.loaderCpuMs) / r.ok, fmt(perReq(r), 2), `${fmt(otherLoad(r))} %`]),
        },
        {
          title: `both at once (${CONNECTIONS / 2} connections each, ${seconds} s; other load = CPU % of one core used by other processes)`,
          header: ['duel', 'as shipped req/s', 'before req/s', 'ratio', 'as shipped CPU µs/req', 'before CPU µs/req', 'as shipped p99 ms', 'before p99 ms', 'other load'],
          rows: duels.map((d, i) => [String(i + 1), d.sides[0]!.rps, d.sides[1]!.rps, fmt(duelRatio(d), 2), d.sides[0]!.cpuPerReq, d.sides[1]!.cpuPerReq, d.sides[0]!.p99, d.sides[1]!.p99, `${fmt(d.otherLoad)} %`]),
        },
        {
          title: `Redis commands per request, ${title} (commandstats)`,
          header: ['command', ...MODES],
          rows: [...new Set(quietest.flatMap((r) => Object.keys(r.commands)))]
            .sort((a, b) => (single.commands[b] ?? 0) - (single.commands[a] ?? 0))
            .map((k) => [k, ...quietest.map((r) => fmt((r.commands[k] ?? 0) / r.ok, 2))]),
        },
      ],
    };
  },
};
