// Benchmark "authoring": what personalised text and suppression lists cost at intake. One CSV
// (`to,name,order,city`), four imports of it in alternating rounds:
//   plain         Producer.enqueueCampaign with a body without placeholders (the baseline)
//   personalised  the body `Hi {{name}}, order {{order}} ships to {{city}}.` (the reader given the fields)
//   suppressed    the same, with a global suppression list of N numbers loaded first (untimed):
//                 99 % not in the file, 1 % that are, so those rows are rejected as `suppressed`
//   raw           queue.addBulk of the personalised jobs ({c, to, v}), no CSV or ledger: the floor
// Per mode: rows/s, importer CPU and peak RSS, Redis CPU, Redis bytes per queued recipient; and the
// suppression list's own bytes per number (measured before the import, not counted in it).
import { join } from 'node:path';
import { addSuppressions, createQueueContext } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, redisCpuSeconds, settledMemory } from './bench-redis.js';
import { runChild } from './child-process.js';
import type { EnqueueChildArg, EnqueueChildResult } from './enqueue-child.js';
import { recipient, writeRecipientsCsv } from './fixtures.js';
import { disturbance, fmt, log, median, mib, type BenchResult, type Figure } from './report.js';

const CHUNK = 1000;
const IN_FLIGHT = 4;
/** Numbers per addSuppressions call while the list is loaded. */
const LIST_BATCH = 1000;
/** One row in SUPPRESSED_EVERY of the file is on the list. */
const SUPPRESSED_EVERY = 100;
export const PLAIN_BODY = 'Hello from wabulk';
export const TEMPLATE_BODY = 'Hi {{name}}, order {{order}} ships to {{city}}.';

const MODES = ['plain', 'personalised', 'suppressed', 'raw'] as const;
type Mode = (typeof MODES)[number];
/**
 * One letter per mode in the campaign id: every job id, job key, wait-list entry and job data holds
 * the id, so ids of different lengths would show up as different Redis bytes per recipient.
 */
const CODE: Record<Mode, string> = { plain: 'p', personalised: 'v', suppressed: 's', raw: 'r' };

interface Run extends EnqueueChildResult {
  mode: Mode;
  n: number;
  round: number;
  redisCpuMs: number;
  /** used_memory after the import − before (after the list was loaded), per queued recipient. */
  bytesPerRow: number;
  /** used_memory after deleting the run's keys − before the import (and before the list). */
  residual: number;
  list?: ListLoad;
}

interface ListLoad {
  numbers: number;
  ms: number;
  /** used_memory after loading the list − before, per number. */
  bytesPerNumber: number;
}

const rate = (r: Run) => r.rows / (r.ms / 1000);
/** CPU % (of one core) the rest of the machine used during the import. */
const otherLoad = (r: Run) => Math.max(0, (100 * (r.machineBusyMs - r.cpuMs - r.redisCpuMs)) / r.ms);

/**
 * The list for a file of n rows: n numbers, every SUPPRESSED_EVERY-th recipient of the file, the rest
 * numbers after the file's (recipient(i) is one-to-one). Loaded with addSuppressions in batches.
 */
async function loadSuppressionList(env: BenchEnv, n: number): Promise<ListLoad> {
  const ctx = createQueueContext({ redis: env.redis, base: env.base });
  const t0 = performance.now();
  let batch: string[] = [];
  let loaded = 0;
  const flush = async () => {
    loaded += await addSuppressions(ctx, 'global', batch);
    batch = [];
  };
  for (let i = 0; i < n; i += SUPPRESSED_EVERY) {
    batch.push(recipient(i));
    if (batch.length >= LIST_BATCH) await flush();
  }
  const others = n - Math.ceil(n / SUPPRESSED_EVERY);
  for (let j = 0; j < others; j++) {
    batch.push(recipient(n + j));
    if (batch.length >= LIST_BATCH) await flush();
  }
  await flush();
  if (loaded !== n) throw new Error(`suppression list: ${loaded} numbers added of ${n}`);
  return { numbers: n, ms: performance.now() - t0, bytesPerNumber: 0 };
}

async function importOnce(env: BenchEnv, mode: Mode, n: number, csvPath: string, round: number): Promise<Run> {
  const start = await settledMemory(env.redis);
  let list: ListLoad | undefined;
  if (mode === 'suppressed') {
    list = await loadSuppressionList(env, n);
    list.bytesPerNumber = ((await settledMemory(env.redis)) - start) / n;
  }
  const before = list ? await settledMemory(env.redis) : start;
  const cpu0 = await redisCpuSeconds(env.redis);
  const expectSuppressed = mode === 'suppressed' ? Math.ceil(n / SUPPRESSED_EVERY) : 0;
  const arg: EnqueueChildArg = {
    mode: mode === 'raw' ? 'raw' : 'wabulk', redisUrl: env.redisUrl, base: env.base, campaignId: `auth-${CODE[mode]}-${n}-${round}`, csvPath, n, chunkSize: CHUNK, inFlight: IN_FLIGHT,
    ...(mode === 'raw' ? { vars: true } : { body: mode === 'plain' ? PLAIN_BODY : TEMPLATE_BODY, fields: true, expectSuppressed }),
  };
  const res = await runChild<EnqueueChildResult>('enqueue-child.ts', arg);
  const redisCpuMs = ((await redisCpuSeconds(env.redis)) - cpu0) * 1000;
  const added = (await settledMemory(env.redis)) - before;
  await deleteRunKeys(env.redis, env.base);
  const residual = (await settledMemory(env.redis)) - start;
  const run: Run = { ...res, mode, n, round, redisCpuMs, bytesPerRow: added / res.queued, residual, list };
  log(`authoring ${mode} n=${fmt(n)}: ${fmt(rate(run))} rows/s, peak RSS ${fmt(mib(run.peakRss))} MiB, ${fmt(run.bytesPerRow)} B/recipient in Redis${list ? `; list of ${fmt(n)} loaded in ${fmt(list.ms / 1000, 1)} s, ${fmt(list.bytesPerNumber)} B/number` : ''}`);
  return run;
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const n = env.quick ? 10_000 : env.full ? 1_000_000 : 100_000;
  const rounds = env.quick || env.full ? 1 : 2;
  const csv = join(env.tmpDir, `authoring-${n}.csv`);
  const warmCsv = join(env.tmpDir, 'authoring-1000.csv');
  await writeRecipientsCsv(csv, n, { vars: true });
  await writeRecipientsCsv(warmCsv, 1000, { vars: true });
  // Warm-up: loads BullMQ's, the ledger's and the suppression list's Lua scripts (their cache is
  // never freed, so it must not count as memory of the measured imports) and the OS file cache.
  for (const mode of MODES) await importOnce(env, mode, 1000, warmCsv, 0);

  const runs: Run[] = [];
  for (let k = 0; k < rounds; k++) {
    // Alternate the order so that no mode always runs on a warmer (or busier) machine.
    const order = k % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) runs.push(await importOnce(env, mode, n, csv, k + 1));
  }
  const of = (k: number, mode: Mode) => runs.find((r) => r.round === k && r.mode === mode)!;
  // The headline figures come from the round other processes disturbed least (every round is printed).
  const quietest = Array.from({ length: rounds }, (_, k) => k + 1).sort((a, b) => Math.max(...MODES.map((m) => otherLoad(of(a, m)))) - Math.max(...MODES.map((m) => otherLoad(of(b, m)))))[0]!;
  const [plain, pers, supp, raw] = MODES.map((m) => of(quietest, m)) as [Run, Run, Run, Run];
  const cpuPerRow = (mode: Mode) => median(runs.filter((r) => r.mode === mode).map((r) => (1000 * r.cpuMs) / r.rows));
  const redisPerRow = (mode: Mode) => median(runs.filter((r) => r.mode === mode).map((r) => (1000 * r.redisCpuMs) / r.rows));
  const rows = fmt(n);
  const listText = `${rows}-number suppression list`;
  const figures: Figure[] = [
    { measure: `plain import, ${rows} rows (CSV → Producer)`, value: rate(plain), unit: 'rows/s', baseline: { label: 'raw addBulk', value: rate(raw) }, note: 'informative (enqueue holds ≥ 0.8x)' },
    { measure: `personalised import, ${rows} rows`, value: rate(pers), unit: 'rows/s', baseline: { label: 'plain import', value: rate(plain) }, target: { min: 0.8, text: '≥ 0.8x plain' } },
    { measure: `personalised + ${listText}`, value: rate(supp), unit: 'rows/s', baseline: { label: 'plain import', value: rate(plain) }, target: { min: 0.8, text: '≥ 0.8x plain' } },
    { measure: `personalised + list vs the floor`, value: rate(supp), unit: 'rows/s', baseline: { label: 'raw addBulk {c,to,v}', value: rate(raw) }, note: 'informative' },
    // CPU per row moves far less than rows/s when other processes take the CPU.
    { measure: 'importer CPU per row, personalised (median)', value: cpuPerRow('personalised'), unit: 'µs', baseline: { label: 'plain', value: cpuPerRow('plain') }, note: 'lower is better' },
    { measure: 'importer CPU per row, + list (median)', value: cpuPerRow('suppressed'), unit: 'µs', baseline: { label: 'personalised', value: cpuPerRow('personalised') }, note: 'lower is better' },
    { measure: 'Redis CPU per row, + list (median)', value: redisPerRow('suppressed'), unit: 'µs', baseline: { label: 'personalised', value: redisPerRow('personalised') }, note: 'two HMGETs per chunk' },
    { measure: `importer peak RSS, personalised + list`, value: mib(supp.peakRss), unit: 'MiB', baseline: { label: 'plain import', value: mib(plain.peakRss) }, note: 'informative' },
    { measure: 'Redis memory per personalised recipient', value: pers.bytesPerRow, unit: 'B', baseline: { label: 'plain recipient', value: plain.bytesPerRow }, note: env.ownRedis ? 'job hash + ledger entry' : 'shared Redis: others may add noise' },
    { measure: 'Redis memory per recipient, + list', value: supp.bytesPerRow, unit: 'B', baseline: { label: 'personalised', value: pers.bytesPerRow }, note: 'the list itself not counted' },
    { measure: `suppression list, Redis memory per number`, value: supp.list!.bytesPerNumber, unit: 'B', note: `${listText} (global hash)` },
  ];
  const worst = [...runs].sort((a, b) => Math.abs(b.residual) - Math.abs(a.residual))[0]!;
  figures.push({ measure: `|used_memory after UNLINK − before|, ${rows}`, value: Math.abs(worst.residual) / 1024, unit: 'KiB', baseline: { label: `KiB the ${worst.mode} import added`, value: (worst.bytesPerRow * worst.queued + (worst.list ? worst.list.bytesPerNumber * worst.list.numbers : 0)) / 1024 }, target: { max: 0.01, text: 'back to baseline (≤ 1%)' } });
  const notes = disturbance(`authoring ${rows} rows (headline round)`, MODES.map((m) => otherLoad(of(quietest, m))));

  const detail = runs.map((r) => {
    const p = of(r.round, 'plain');
    const w = of(r.round, 'raw');
    return [
      r.mode, r.round === quietest ? `${r.round} *` : String(r.round), r.rows, r.queued, fmt(r.ms / 1000, 2), rate(r), `${fmt(rate(r) / rate(p), 2)}x`, `${fmt(rate(r) / rate(w), 2)}x`,
      `${fmt((100 * r.cpuMs) / r.ms)} %`, `${fmt((100 * r.redisCpuMs) / r.ms)} %`, fmt((1000 * r.cpuMs) / r.rows, 1), fmt((1000 * r.redisCpuMs) / r.rows, 1),
      fmt(mib(r.peakRss), 1), fmt(mib(r.maxRss), 1), fmt(r.bytesPerRow), fmt(r.residual), `${fmt(otherLoad(r))} %`,
    ];
  });
  const lists = runs.filter((r) => r.list).map((r) => [String(r.round), r.list!.numbers, fmt(r.list!.ms / 1000, 2), (r.list!.numbers / r.list!.ms) * 1000, fmt(r.list!.bytesPerNumber), r.rows - r.queued]);
  return {
    name: 'authoring',
    figures,
    notes,
    details: [{
      title: `every import of the ${rows}-row CSV (to,name,order,city); round * = headline; ratios against the same round's plain and raw; CPU % of one core; µs per row read; RSS in MiB; Redis B per queued recipient; "other procs" = CPU the rest of the machine used meanwhile, of 200 %`,
      header: ['mode', 'round', 'rows', 'queued', 's', 'rows/s', '× plain', '× raw', 'importer CPU', 'Redis CPU', 'importer µs/row', 'Redis µs/row', 'RSS peak', 'maxRSS', 'Redis B/recipient', 'residual B', 'other procs'],
      rows: detail,
    }, {
      title: `the suppression list before each suppressed import (addSuppressions, ${LIST_BATCH} numbers a call; 1 in ${SUPPRESSED_EVERY} of the file's recipients on it; untimed)`,
      header: ['round', 'numbers', 'load s', 'numbers/s', 'Redis B/number', 'suppressed rows'],
      rows: lists,
    }],
  };
}

export const authoringBenchmark: Benchmark = {
  name: 'authoring',
  describe: 'plain vs personalised CSV import vs personalised + N-number suppression list vs raw addBulk: rows/s, importer RSS, Redis bytes and CPU',
  run,
};
