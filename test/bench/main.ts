// `pnpm bench [names…] [--quick] [--full] [--shared-redis] [--cpu-prof]`: runs the benchmarks one
// at a time (the machine has 2 cores), prints a table per benchmark and a summary. Every figure
// stands beside a baseline measured in the same run. See docs/benchmarks.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis, waitForReady } from '@wabulk/queue';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, openBenchRedis, runBase } from './bench-redis.js';
import { stopChildren } from './child-process.js';
import { archiveBenchmark } from './archive.js';
import { authoringBenchmark } from './authoring.js';
import { cancelBenchmark } from './cancel.js';
import { cliStartBenchmark } from './cli-start.js';
import { consoleBenchmark } from './console.js';
import { e2eBenchmark } from './e2e.js';
import { enqueueBenchmark } from './enqueue.js';
import { intakeBenchmark } from './intake.js';
import { priorityBenchmark } from './priority.js';
import { rateLimitedBenchmark } from './rate-limited.js';
import { FIGURE_HEADER, figureRows, log, printResult, table, verdict, type BenchResult } from './report.js';

const BENCHMARKS: Benchmark[] = [enqueueBenchmark, e2eBenchmark, rateLimitedBenchmark, priorityBenchmark, authoringBenchmark, cancelBenchmark, archiveBenchmark, consoleBenchmark, cliStartBenchmark, intakeBenchmark];

const USAGE = `usage: pnpm bench [${BENCHMARKS.map((b) => b.name).join('|')} …] [--quick] [--full] [--shared-redis] [--cpu-prof]
  --quick          small sizes (10k rows, 5k messages, shorter rate windows): a smoke run
  --full           also import 1M rows (importer RSS at 1M vs 100k); authoring: 1M rows, 1M-number list
  --shared-redis   measure against REDIS_URL instead of a redis-server of the run's own
  --cpu-prof       write V8 CPU profiles of every child process (printed directory)
${BENCHMARKS.map((b) => `  ${b.name.padEnd(15)}  ${b.describe}`).join('\n')}
  cancel, authoring, archive and console run only when named; console needs Chromium (/usr/bin/chromium
  or WABULK_CHROMIUM) and the built console (cd apps/console && pnpm build)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    'shared-redis': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknown = positionals.filter((p) => !BENCHMARKS.some((b) => b.name === p));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}
// `cancel` (a million-recipient import before it is measured), `authoring` (eight 100k-row
// imports, ~3 min on this shared box), `archive` (two 1M-recipient archives), `console` (Chromium,
// 1M-row uploads) and `cli-start` (about 100 process starts, npx among them: 2–10 min on this shared
// box) run only when named.
const ONLY_WHEN_NAMED = new Set<Benchmark>([cancelBenchmark, authoringBenchmark, archiveBenchmark, consoleBenchmark, cliStartBenchmark]);
const selected = positionals.length === 0 ? BENCHMARKS.filter((b) => !ONLY_WHEN_NAMED.has(b)) : BENCHMARKS.filter((b) => positionals.includes(b.name));

const tmpDir = mkdtempSync(join(tmpdir(), 'wabulk-bench-'));
if (values['cpu-prof']) process.env.BENCH_CPU_PROF_DIR = join(tmpDir, 'profiles');
const benchRedis = await openBenchRedis(values['shared-redis']);
const redis = createRedis(benchRedis.url, 'producer');
await waitForReady(redis);
const env: BenchEnv = { quick: values.quick, full: values.full, redisUrl: benchRedis.url, ownRedis: benchRedis.own, redis, base: runBase(), tmpDir };

let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    stopChildren();
    const deleted = await deleteRunKeys(redis, env.base).catch(() => 0);
    if (deleted > 0) log(`deleted ${deleted} leftover keys of ${env.base}`);
    redis.disconnect();
    await benchRedis.stop();
    if (!values['cpu-prof']) rmSync(tmpDir, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().then(() => process.exit(130)));
}

process.stdout.write(
  `wabulk benchmarks: ${selected.map((b) => b.name).join(', ')}${env.quick ? ' (quick)' : ''}${env.full ? ' (full)' : ''}\n` +
    `node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${benchRedis.describe}, key prefix ${env.base}\n`,
);

const results: BenchResult[] = [];
let failed = false;
try {
  for (const bench of selected) {
    const started = Date.now();
    log(`${bench.name}: ${bench.describe}`);
    try {
      const result = await bench.run(env);
      results.push(result);
      printResult(result);
      log(`${bench.name} took ${((Date.now() - started) / 1000).toFixed(0)} s (load average now ${loadavg()[0]!.toFixed(2)})`);
    } catch (err) {
      failed = true;
      process.stderr.write(`[bench] ${bench.name} failed: ${(err as Error).stack ?? String(err)}\n`);
      await deleteRunKeys(redis, env.base).catch(() => {});
    }
  }
} finally {
  await cleanup();
}

const all = results.flatMap((r) => r.figures.map((f) => ({ ...f, measure: `${r.name}: ${f.measure}` })));
const missed = all.filter((f) => verdict(f) !== '' && verdict(f) !== 'ok');
process.stdout.write(`\n== summary ==\n${table(FIGURE_HEADER, figureRows(all))}\n`);
for (const note of results.flatMap((r) => r.notes ?? [])) process.stdout.write(`note: ${note}\n`);
process.stdout.write(missed.length === 0 ? '\nall figures with a target meet it\n' : `\n${missed.length} figure(s) miss their target: ${missed.map((f) => f.measure).join('; ')}\n`);
if (values['cpu-prof']) process.stdout.write(`CPU profiles: ${process.env.BENCH_CPU_PROF_DIR} (summarise: node --import tsx test/bench/profile-summary.ts <file> [top] [skipMs])\n`);
process.exitCode = failed ? 1 : 0;
