// Benchmark "enqueue": recipients/s from a CSV through readCsvRecipients + Producer.enqueueCampaign
// (chunks of 1000, 4 in flight) against raw queue.addBulk of the same jobs, the importer's peak RSS,
// and Redis memory per queued recipient (used_memory before/after, and after deleting the keys).
// Two kinds of campaign, each against its own raw baseline:
//   plain         `to` only; the body without placeholders; jobs {c, to}
//   personalised  `to,name,order,city`; the body `Hi {{name}}, order {{order}} ships to {{city}}.`
//                 (the reader given the fields, as the CLI and the API call it); jobs {c, to, v}
// The raw jobs are the import's jobs: the same data, options (JOB_OPTIONS and the `normal` class's
// fair-share priority), ids and chunks; their numbers are generated in memory (no CSV, no
// normalisation, no ledger): the floor BullMQ sets.
import { join } from 'node:path';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, redisCpuSeconds, settledMemory } from './bench-redis.js';
import { runChild } from './child-process.js';
import type { EnqueueChildArg, EnqueueChildResult, EnqueueMode } from './enqueue-child.js';
import { writeRecipientsCsv } from './fixtures.js';
import { disturbance, fmt, log, median, mib, quietestPair, type BenchResult, type Figure } from './report.js';

const CHUNK = 1000;
const IN_FLIGHT = 4;
const PLAIN_BODY = 'Hello from wabulk';
const TEMPLATE_BODY = 'Hi {{name}}, order {{order}} ships to {{city}}.';

type Kind = 'plain' | 'personalised';
const KINDS: readonly Kind[] = ['plain', 'personalised'];
/** Target of issue 15 for the personalised import (rows/s against raw addBulk of the same jobs). */
const RATE_TARGET = 0.9;
/** Issue 15: peak RSS of the largest import ≤ 1.1× the smaller one's; Redis bytes ≤ 1.1× raw. */
const RSS_TARGET = 1.1;
const BYTES_TARGET = 1.1;

interface Run extends EnqueueChildResult {
  mode: EnqueueMode;
  kind: Kind;
  n: number;
  redisCpuMs: number;
  /** used_memory after the import − before, per recipient. */
  bytesPerRow: number;
  /** used_memory after deleting the run's keys − before the import. */
  residual: number;
  /** used_memory after the import − before. */
  added: number;
}

const rate = (r: Run) => r.rows / (r.ms / 1000);
/** CPU % (of one core) the rest of the machine used during the import. */
const otherLoad = (r: Run) => Math.max(0, (100 * (r.machineBusyMs - r.cpuMs - r.redisCpuMs)) / r.ms);
const usesRedis = (mode: EnqueueMode) => mode === 'wabulk' || mode === 'raw';

/**
 * Campaign ids of one length for every mode and kind (`enq-w-p-…`, `enq-r-v-…`): the id is in every
 * job id, job key, wait-list entry and job data, so ids of different lengths would show up as bytes.
 */
const campaignIdOf = (mode: EnqueueMode, kind: Kind, label: string) => `enq-${mode === 'raw' ? 'r' : 'w'}-${kind === 'plain' ? 'p' : 'v'}-${label}`;

async function importOnce(env: BenchEnv, mode: EnqueueMode, kind: Kind, n: number, csvPath: string, label: string): Promise<Run> {
  const before = usesRedis(mode) ? await settledMemory(env.redis) : 0;
  const cpu0 = await redisCpuSeconds(env.redis);
  const arg: EnqueueChildArg = {
    mode, redisUrl: env.redisUrl, base: env.base, campaignId: campaignIdOf(mode, kind, label), csvPath, n, chunkSize: CHUNK, inFlight: IN_FLIGHT,
    ...(mode === 'raw' ? { vars: kind === 'personalised', priorities: true } : { body: kind === 'plain' ? PLAIN_BODY : TEMPLATE_BODY, fields: true }),
  };
  const res = await runChild<EnqueueChildResult>('enqueue-child.ts', arg);
  const redisCpuMs = ((await redisCpuSeconds(env.redis)) - cpu0) * 1000;
  let bytesPerRow = 0;
  let residual = 0;
  let added = 0;
  if (usesRedis(mode)) {
    const after = await settledMemory(env.redis);
    added = after - before;
    bytesPerRow = added / n;
    await deleteRunKeys(env.redis, env.base);
    residual = (await settledMemory(env.redis)) - before;
  }
  const run: Run = { ...res, mode, kind, n, redisCpuMs, bytesPerRow, residual, added };
  log(`enqueue ${kind} ${mode} n=${fmt(n)}: ${fmt(rate(run))} rows/s, ${fmt((1000 * run.cpuMs) / run.rows, 1)} µs CPU/row, peak RSS ${fmt(mib(run.peakRss))} MiB${usesRedis(mode) ? `, ${fmt(bytesPerRow)} B/row in Redis` : ''}`);
  return run;
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const sizes = env.quick ? [10_000] : env.full ? [100_000, 1_000_000] : [100_000];
  const small = sizes[0]!;
  const runs: Run[] = [];
  /** [raw, wabulk] run back to back, per kind and size. */
  const pairs = new Map<string, Array<[Run, Run]>>();
  const key = (kind: Kind, n: number) => `${kind} ${n}`;
  const csv = new Map<string, string>();
  for (const n of [1000, ...sizes]) {
    for (const kind of KINDS) {
      const path = join(env.tmpDir, `recipients-${kind}-${n}.csv`);
      await writeRecipientsCsv(path, n, { vars: kind === 'personalised' });
      csv.set(key(kind, n), path);
    }
  }
  // Warm-up: loads BullMQ's and the ledger's Lua scripts into Redis (their cache is never freed,
  // so it must not count as memory of the measured imports) and warms the OS file cache.
  for (const kind of KINDS) for (const mode of ['raw', 'wabulk'] as const) await importOnce(env, mode, kind, 1000, csv.get(key(kind, 1000))!, 'warm');

  for (const n of sizes) {
    const repeats = env.quick || n > 100_000 ? 1 : 2;
    for (let k = 0; k < repeats; k++) {
      for (const kind of KINDS) {
        // Alternate the order so that neither mode always runs on a warmer (or busier) machine.
        const order: Array<'raw' | 'wabulk'> = k % 2 === 0 ? ['raw', 'wabulk'] : ['wabulk', 'raw'];
        const pair: Partial<Record<'raw' | 'wabulk', Run>> = {};
        for (const mode of order) runs.push((pair[mode] = await importOnce(env, mode, kind, n, csv.get(key(kind, n))!, `${n}-${k}`)));
        pairs.set(key(kind, n), [...(pairs.get(key(kind, n)) ?? []), [pair.raw!, pair.wabulk!]]);
      }
    }
  }
  // Where the importer's time goes, without Redis: parsing, then parsing + libphonenumber.
  for (const mode of ['csv', 'csv-normalise'] as const) runs.push(await importOnce(env, mode, 'plain', small, csv.get(key('plain', small))!, `${small}`));

  const chosen = new Map([...pairs].map(([k, p]) => [k, quietestPair(p, otherLoad)]));
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    for (const kind of KINDS) {
      const [r, w] = chosen.get(key(kind, n))!;
      const target = kind === 'personalised' ? { target: { min: RATE_TARGET, text: `≥ ${RATE_TARGET}x raw addBulk` } } : { note: 'informative' };
      figures.push({ measure: `${kind} import ${fmt(n)} rows (CSV → Producer)`, value: rate(w), unit: 'rows/s', baseline: { label: 'raw addBulk, same jobs', value: rate(r) }, ...target });
      notes.push(...disturbance(`${kind} ${fmt(n)} rows (headline pair)`, [r, w].map(otherLoad)));
    }
  }
  for (const n of sizes) {
    for (const kind of KINDS) {
      const cpuPerRow = (mode: EnqueueMode) => median(runs.filter((r) => r.mode === mode && r.kind === kind && r.n === n).map((r) => (1000 * r.cpuMs) / r.rows));
      // Both importers are CPU-bound on a quiet machine: µs of CPU per row decides their rates and
      // moves far less than rows/s when other processes take the CPU.
      figures.push({ measure: `importer CPU per row, ${kind} ${fmt(n)} (median)`, value: cpuPerRow('wabulk'), unit: 'µs', baseline: { label: 'raw addBulk', value: cpuPerRow('raw') }, note: 'lower is better' });
    }
  }
  for (const kind of KINDS) {
    const [r0, w0] = chosen.get(key(kind, small))!;
    figures.push({ measure: `importer peak RSS, ${kind} ${fmt(small)} rows`, value: mib(w0.peakRss), unit: 'MiB', baseline: { label: 'raw addBulk process', value: mib(r0.peakRss) }, note: 'informative' });
    if (sizes.length > 1) {
      const big = sizes.at(-1)!;
      const wb = chosen.get(key(kind, big))![1];
      // Held against the lowest of the smaller imports: the strictest reading of the target.
      const lowest = Math.min(...runs.filter((r) => r.mode === 'wabulk' && r.kind === kind && r.n === small).map((r) => r.peakRss));
      figures.push({ measure: `importer peak RSS, ${kind} ${fmt(big)} rows`, value: mib(wb.peakRss), unit: 'MiB', baseline: { label: `lowest ${fmt(small)}-row run`, value: mib(lowest) }, target: { max: RSS_TARGET, text: `≤ ${RSS_TARGET}x ${fmt(small)} rows` } });
    }
  }
  for (const n of sizes) {
    for (const kind of KINDS) {
      const [r, w] = chosen.get(key(kind, n))!;
      figures.push({
        measure: `Redis memory per queued recipient, ${kind} ${fmt(n)}`, value: w.bytesPerRow, unit: 'B', baseline: { label: 'raw addBulk job, same data', value: r.bytesPerRow },
        target: { max: BYTES_TARGET, text: `≤ ${BYTES_TARGET}x raw job${env.ownRedis ? '' : ' (shared Redis: noisy)'}` },
      });
    }
  }
  for (const n of sizes) {
    // The import's run with the largest leftover after its keys were deleted.
    const worst = runs.filter((r) => r.mode === 'wabulk' && r.n === n).sort((a, b) => Math.abs(b.residual) - Math.abs(a.residual))[0]!;
    figures.push({ measure: `|used_memory after UNLINK − before|, ${fmt(n)}`, value: Math.abs(worst.residual) / 1024, unit: 'KiB', baseline: { label: 'KiB the import added', value: worst.added / 1024 }, target: { max: 0.01, text: 'back to baseline (≤ 1%)' } });
  }

  const rows = runs.map((r) => [
    r.mode, r.kind, r.n, fmt(r.ms / 1000, 2), rate(r), `${fmt((100 * r.cpuMs) / r.ms)} %`, `${fmt((100 * r.redisCpuMs) / r.ms)} %`,
    fmt((1000 * r.cpuMs) / r.rows, 1), fmt((1000 * r.redisCpuMs) / r.rows, 1),
    fmt(mib(r.startRss), 1), fmt(mib(r.peakRss), 1), fmt(mib(r.maxRss), 1),
    usesRedis(r.mode) ? fmt(r.bytesPerRow) : '', usesRedis(r.mode) ? fmt(r.residual) : '',
    `${fmt(otherLoad(r))} %`,
  ]);
  const pairRows = [...pairs].flatMap(([k, list]) => list.map(([r, w], i) => [
    k, String(i + 1), rate(r), rate(w), `${fmt(rate(w) / rate(r), 2)}x`, `${fmt((w.cpuMs / w.rows) / (r.cpuMs / r.rows), 2)}x`, `${fmt(otherLoad(r))} % / ${fmt(otherLoad(w))} %`, chosen.get(k)![0] === r ? 'headline' : '',
  ]));
  return {
    name: 'enqueue',
    figures,
    notes,
    details: [{
      title: 'every import (CPU % of one core over the import; µs per row; RSS in MiB; Redis bytes; "other procs" = CPU the rest of the machine used meanwhile, of 200 %)',
      header: ['mode', 'kind', 'rows', 's', 'rows/s', 'importer CPU', 'Redis CPU', 'importer µs/row', 'Redis µs/row', 'RSS start', 'RSS peak', 'maxRSS', 'Redis B/row', 'residual B', 'other procs'],
      rows,
    }, {
      title: 'raw/wabulk pairs run back to back (the headline figure is the pair other processes disturbed least)',
      header: ['kind rows', 'pair', 'raw rows/s', 'wabulk rows/s', 'ratio', 'CPU/row wabulk ÷ raw', 'other procs raw / wabulk', ''],
      rows: pairRows,
    }],
  };
}

export const enqueueBenchmark: Benchmark = {
  name: 'enqueue',
  describe: 'plain and personalised CSV → Producer.enqueueCampaign vs raw queue.addBulk of the same jobs: rows/s, CPU per row, importer RSS, Redis bytes per recipient',
  run,
};
