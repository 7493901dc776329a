// Benchmark "archive" (issue 13): moving a finished campaign of N recipients (1M; 100k with --quick)
// from Redis to PostgreSQL. The ledger is written in the ledger's own entry format (packRow) with
// the counters its scripts would hold, plus the message-id index of every accepted message, in the
// run's own redis-server and a fresh database (createTestDatabase + migrate). Measured:
//   - Redis used_memory before / after (the campaign's keys gone), MEMORY USAGE of the ledger;
//   - archiveCampaign in a child process: rows/s, peak RSS, the copy phase vs the final transaction;
//     baselines in the same run: a plain HSCAN of the ledger, and one COPY of the same rows into a
//     table without indexes (the floor PostgreSQL allows); --full also archives 100k, and 1M with
//     V8's old space capped (flat RSS);
//   - the effect on a campaign sending meanwhile: the e2e bench's worker + simulator draining M
//     messages alone, during the archive's copy, during its final transaction, alone again.
import pg from 'pg';
import { migrate } from '@wabulk/archive';
import { campaignKeys, createQueueContext, ensureCampaign, MESSAGE_INDEX_TTL_SECONDS, messageKeys, packRow } from '@wabulk/queue';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import type { BenchEnv, Benchmark } from './bench-env.js';
import { deleteRunKeys, settledMemory } from './bench-redis.js';
import { runChild, startSimChild, type SimHandle } from './child-process.js';
import { archiveCounts, archiveRow } from './archive-rows.js';
import type { ArchiveChildArg, ArchiveChildResult } from './archive-child.js';
import { drainPhase, phaseRate, phaseRows, PHASE_HEADER, type Phase } from './e2e.js';
import { ACCOUNT, VAR_COLUMNS } from './fixtures.js';
import { fmt, log, mib, type BenchResult, type Figure } from './report.js';

/** Entries per HSCAN / COPY batch: the archiver's default (ROW_BATCH). */
const BATCH = 5000;
const INDEX_TTL = MESSAGE_INDEX_TTL_SECONDS;
/** The worker's WRITE_INDEX (SET … EX) for many message ids in one call: KEYS = index keys, ARGV = values, then the TTL. */
const SET_INDEX = `local ttl = ARGV[#ARGV] for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'EX', ttl) end return #KEYS`;
/** --full: V8's old space for the capped run (the default heap limit on this machine is ~2 GiB). */
const CAP_MIB = 64;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Child = ArchiveChildResult & { pid: number };

/**
 * Writes the finished campaign: meta, n entries (HSET of packRow, 1000 a command, pipelined), counters,
 * then the message-id index (`afterLedger` runs between the two: a used_memory reading).
 */
async function populate(env: BenchEnv, base: string, id: string, n: number, t0: number, afterLedger?: () => Promise<void>, index = true): Promise<{ ledgerMs: number; indexMs: number; indexed: number }> {
  const ctx = createQueueContext({ redis: env.redis, base });
  await ensureCampaign(ctx, id, { account: ACCOUNT, body: 'Hi {{name}}, order {{order}} ships to {{city}} today.', vars: [...VAR_COLUMNS], createdAt: t0 - 3_600_000 });
  const k = campaignKeys(base, id);
  let t = performance.now();
  for (let i = 0; i < n; i += 50_000) {
    const p = env.redis.pipeline();
    for (let j = i; j < Math.min(n, i + 50_000); j += 1000) {
      const args: string[] = [];
      for (let m = j; m < Math.min(n, j + 1000); m++) {
        const row = archiveRow(m, t0);
        args.push(row.to, packRow(row));
      }
      p.hset(k.recipients, ...args);
    }
    await p.exec();
  }
  await env.redis.hset(k.counts, archiveCounts(n, t0));
  const ledgerMs = performance.now() - t;
  await afterLedger?.();
  t = performance.now();
  let indexed = 0;
  if (!index) return { ledgerMs, indexMs: 0, indexed };
  for (let i = 0; i < n; i += 50_000) {
    const p = env.redis.pipeline();
    for (let j = i; j < Math.min(n, i + 50_000); j += 1000) {
      const keys: string[] = [];
      const values: string[] = [];
      for (let m = j; m < Math.min(n, j + 1000); m++) {
        const row = archiveRow(m, t0);
        if (row.messageId === undefined) continue;
        keys.push(messageKeys(base, row.messageId).index);
        values.push(`${id}\n${row.to}`);
      }
      p.eval(SET_INDEX, keys.length, ...keys, ...values, String(INDEX_TTL));
      indexed += keys.length;
    }
    await p.exec();
  }
  return { ledgerMs, indexMs: performance.now() - t, indexed };
}

interface SizeRun {
  n: number;
  populate: { ledgerMs: number; indexMs: number; indexed: number };
  memBefore: number;
  memLedger: number;
  memIndexed: number;
  memAfter: number;
  ledgerBytes: number;
  memoryUsageMs: number;
  hscan: Child;
  copy: Child;
  archive: Child;
  /** Redis commands slower than 5 ms during the archive (SLOWLOG, own redis-server only). */
  slow: Array<{ ms: number; command: string }>;
}

async function checkpoint(pool: pg.Pool): Promise<void> {
  await pool.query('CHECKPOINT');
}

async function slowlogReset(env: BenchEnv): Promise<void> {
  if (!env.ownRedis) return;
  await env.redis.config('SET', 'slowlog-log-slower-than', '5000');
  await env.redis.call('SLOWLOG', 'RESET');
}

async function slowlogRead(env: BenchEnv): Promise<Array<{ ms: number; command: string }>> {
  if (!env.ownRedis) return [];
  const entries = (await env.redis.call('SLOWLOG', 'GET', '50')) as Array<[number, number, number, string[]]>;
  const short = (a: string) => {
    const s = a.replace(/\s+/g, ' ').trim();
    return s.length > 48 ? `${s.slice(0, 45)}…` : s;
  };
  return entries.map((e) => ({ ms: e[2] / 1000, command: e[3].slice(0, 2).map(short).join(' ') })).sort((a, b) => b.ms - a.ms);
}

/** One size: populate, memory, the two baselines, the archive. */
async function measureSize(env: BenchEnv, db: TestDatabase, pool: pg.Pool, n: number): Promise<SizeRun> {
  const base = `${env.base}-arch`;
  const id = `archive-${n}`;
  const t0 = Date.now() - 2 * 3_600_000;
  const common = { redisUrl: env.redisUrl, base, pgUrl: db.url, campaignId: id, n, t0, batch: BATCH };
  const memBefore = await settledMemory(env.redis);
  let memLedger = NaN;
  const pop = await populate(env, base, id, n, t0, async () => void (memLedger = await settledMemory(env.redis)));
  const memIndexed = await settledMemory(env.redis);
  let t = performance.now();
  const ledgerBytes = Number(await env.redis.call('MEMORY', 'USAGE', campaignKeys(base, id).recipients, 'SAMPLES', '0'));
  const memoryUsageMs = performance.now() - t;
  log(`archive ${fmt(n)}: ledger written in ${fmt(pop.ledgerMs / 1000, 1)} s, index in ${fmt(pop.indexMs / 1000, 1)} s; ledger hash ${fmt(mib(ledgerBytes))} MiB (MEMORY USAGE SAMPLES 0 took ${fmt(memoryUsageMs)} ms)`);

  const hscan = await runChild<ArchiveChildResult>('archive-child.ts', { ...common, mode: 'hscan' } satisfies ArchiveChildArg);
  log(`archive ${fmt(n)}: HSCAN baseline ${fmt(hscan.ms / 1000, 2)} s (${fmt(hscan.rows / (hscan.ms / 1000))} rows/s)`);
  await pool.query('DROP TABLE IF EXISTS bench_copy_floor');
  await pool.query('CREATE TABLE bench_copy_floor (LIKE wabulk_archive_staging)');
  await checkpoint(pool);
  const copy = await runChild<ArchiveChildResult>('archive-child.ts', { ...common, mode: 'copy', table: 'bench_copy_floor' } satisfies ArchiveChildArg);
  await pool.query('DROP TABLE bench_copy_floor');
  log(`archive ${fmt(n)}: COPY baseline ${fmt(copy.ms / 1000, 2)} s (${fmt(copy.rows / (copy.ms / 1000))} rows/s)`);
  await checkpoint(pool);

  await slowlogReset(env);
  t = performance.now();
  const archive = await runChild<ArchiveChildResult>('archive-child.ts', { ...common, mode: 'archive' } satisfies ArchiveChildArg);
  const slow = await slowlogRead(env);
  if (archive.result !== 'archived' || archive.rows !== n) throw new Error(`archive of ${n}: ${archive.result}, ${archive.rows} rows`);
  await checkAndClean(env, pool, base, id, n, t0);
  const memAfter = await settledMemory(env.redis);
  log(`archive ${fmt(n)}: archived in ${fmt(archive.ms / 1000, 2)} s (${fmt(n / (archive.ms / 1000))} rows/s), peak RSS ${fmt(mib(archive.peakRss))} MiB; whole step ${fmt((performance.now() - t) / 1000, 1)} s`);
  return { n, populate: pop, memBefore, memLedger, memIndexed, memAfter, ledgerBytes, memoryUsageMs, hscan, copy, archive, slow };
}

/** The archive holds the campaign's rows and counters, Redis none of its ledger; the index is then deleted (it has a 30-day TTL). */
async function checkAndClean(env: BenchEnv, pool: pg.Pool, base: string, id: string, n: number, t0: number): Promise<void> {
  const k = campaignKeys(base, id);
  const left = await env.redis.exists(k.meta, k.recipients, k.counts, k.state);
  if (left !== 0) throw new Error(`${left} ledger keys of ${id} are still in Redis`);
  const rows = await pool.query<{ status: string; c: string }>('SELECT status, count(*) AS c FROM wabulk_recipients WHERE campaign_id = $1 GROUP BY status', [id]);
  const want = archiveCounts(n, t0);
  for (const r of rows.rows) if (Number(r.c) !== Number(want[r.status])) throw new Error(`archive of ${id}: ${r.c} ${r.status}, the ledger had ${want[r.status]}`);
  const sum = rows.rows.reduce((a, r) => a + Number(r.c), 0);
  if (sum !== n) throw new Error(`archive of ${id}: ${sum} rows, not ${n}`);
}

/** The e2e worker draining `m` messages (sim 0 ms) alone, during the archive's copy, during its final transaction, alone again. */
async function measureConcurrent(env: BenchEnv, db: TestDatabase, pool: pg.Pool, n: number, m: number) {
  const base = `${env.base}-arch`;
  const id = `archive-busy-${n}`;
  const t0 = Date.now() - 2 * 3_600_000;
  // The ledger alone: the message-id index plays no part in archiving.
  await populate(env, base, id, n, t0, undefined, false);
  await checkpoint(pool);
  const sim: SimHandle = await startSimChild();
  const drains: Array<{ label: string; phase: Phase }> = [];
  let archive: Child | undefined;
  try {
    const drain = async (label: string) => drains.push({ label, phase: await drainPhase(env, sim, { mode: 'wabulk', latencyMs: 0, n: m, label: label.replace(/\W+/g, '-') }) });
    await drain('alone (before)');
    const state = campaignKeys(base, id).state;
    let settled = false;
    const child = runChild<ArchiveChildResult>('archive-child.ts', { mode: 'archive', redisUrl: env.redisUrl, base, pgUrl: db.url, campaignId: id, n, t0, batch: BATCH } satisfies ArchiveChildArg);
    void child.then(() => (settled = true), () => (settled = true));
    for (let w = 0; !settled && (await env.redis.hexists(state, 'archiving')) === 0 && w < 600; w++) await sleep(50);
    if (!settled) await drain('during the copy');
    for (let w = 0; !settled && w < 6000; w++) {
      const run = await pool.query<{ cursor: string }>('SELECT cursor FROM wabulk_archive_runs WHERE campaign_id = $1', [id]);
      if (run.rows[0]?.cursor === 'end') break;
      await sleep(50);
    }
    if (!settled) await drain('during the final transaction');
    archive = await child;
    await checkAndClean(env, pool, base, id, n, t0);
    await drain('alone (after)');
  } finally {
    await sim.stop();
  }
  return { drains, archive };
}

/** --full: the archive of n again with V8's old space capped at `capMiB`: it completes only if what it keeps alive is small (no leak). */
async function measureCapped(env: BenchEnv, db: TestDatabase, pool: pg.Pool, n: number, capMiB: number): Promise<Child> {
  const base = `${env.base}-arch`;
  const id = `archive-capped-${n}`;
  const t0 = Date.now() - 2 * 3_600_000;
  await populate(env, base, id, n, t0, undefined, false);
  await checkpoint(pool);
  const out = await runChild<ArchiveChildResult>('archive-child.ts', { mode: 'archive', redisUrl: env.redisUrl, base, pgUrl: db.url, campaignId: id, n, t0, batch: BATCH } satisfies ArchiveChildArg, { nodeFlags: [`--max-old-space-size=${capMiB}`] });
  if (out.result !== 'archived' || out.rows !== n) throw new Error(`capped archive of ${n}: ${out.result}, ${out.rows} rows`);
  await checkAndClean(env, pool, base, id, n, t0);
  log(`archive ${fmt(n)} with --max-old-space-size=${capMiB}: ${fmt(out.ms / 1000, 1)} s, peak RSS ${fmt(mib(Math.max(out.peakRss, out.maxRss)))} MiB`);
  return out;
}

/** Share of a drain's worker window (about [endedAt − ms, endedAt]) that fell inside [from, to] (epoch ms). */
function overlap(p: Phase, from: number, to: number): number {
  const a = p.endedAt - p.ms;
  const b = p.endedAt;
  return Math.max(0, Math.min(b, to) - Math.max(a, from)) / (b - a);
}

async function run(env: BenchEnv): Promise<BenchResult> {
  const n = env.quick ? 100_000 : 1_000_000;
  const m = env.quick ? 5000 : 10_000;
  const sizes = env.full && !env.quick ? [100_000, n] : [n];
  const db = await createTestDatabase('bench_archive');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrate(pool);
    const runs: SizeRun[] = [];
    for (const size of sizes) runs.push(await measureSize(env, db, pool, size));
    const capped = env.full && !env.quick ? await measureCapped(env, db, pool, n, CAP_MIB) : undefined;
    const busy = await measureConcurrent(env, db, pool, n, m);
    return report(env, runs, busy, m, capped);
  } finally {
    await pool.end();
    await deleteRunKeys(env.redis, `${env.base}-arch`);
    await deleteRunKeys(env.redis, env.base);
    await db.drop();
  }
}

function report(env: BenchEnv, runs: SizeRun[], busy: Awaited<ReturnType<typeof measureConcurrent>>, m: number, capped?: Child): BenchResult {
  const big = runs.at(-1)!;
  const small = runs.length > 1 ? runs[0] : undefined;
  const a = big.archive;
  const ph = a.phases!;
  const copyMs = ph.move - ph.copy;
  const moveMs = ph.release - ph.move;
  const releaseMs = ph.end - ph.release;
  const rate = (rows: number, ms: number) => rows / (ms / 1000);
  const n = big.n;
  const perRecipient = (bytes: number) => bytes / n;
  const alone = busy.drains.filter((d) => d.label.startsWith('alone')).map((d) => phaseRate(d.phase));
  const aloneRate = alone.reduce((x, y) => x + y, 0) / alone.length;
  const ba = busy.archive;
  const bph = ba.phases!;
  const window = (d: { label: string; phase: Phase }) =>
    d.label === 'during the copy' ? overlap(d.phase, ba.startedAt + bph.copy, ba.startedAt + bph.move) : d.label === 'during the final transaction' ? overlap(d.phase, ba.startedAt + bph.move, ba.startedAt + bph.end) : NaN;

  const figures: Figure[] = [
    { measure: `archive ${fmt(n)} recipients (whole run)`, value: rate(n, a.ms), unit: 'rows/s', baseline: { label: 'one COPY, no indexes', value: rate(big.copy.rows, big.copy.ms) }, note: `${fmt(a.ms / 1000, 1)} s vs ${fmt(big.copy.ms / 1000, 1)} s` },
    { measure: 'copy phase (HSCAN → COPY staging, batches)', value: rate(n, copyMs), unit: 'rows/s', baseline: { label: 'HSCAN alone', value: rate(big.hscan.rows, big.hscan.ms) }, note: `${fmt(copyMs / 1000, 1)} s; HSCAN ${fmt(big.hscan.ms / 1000, 1)} s + COPY ${fmt(big.copy.ms / 1000, 1)} s = ${fmt((big.hscan.ms + big.copy.ms) / 1000, 1)} s` },
    { measure: 'final transaction (INSERT … SELECT DISTINCT ON, count, clear staging)', value: moveMs / 1000, unit: 's', baseline: { label: 'copy phase', value: copyMs / 1000 }, note: `then the Redis side (UNLINK, marker) ${fmt(releaseMs / 1000, 2)} s` },
    { measure: `archiver peak RSS at ${fmt(n)}`, value: mib(Math.max(a.peakRss, a.maxRss)), unit: 'MiB', baseline: { label: 'its RSS before it started', value: mib(a.startRss) }, note: 'maxRSS and 200 ms samples' },
  ];
  const peakOf = (c: Child) => mib(Math.max(c.peakRss, c.maxRss));
  if (small) {
    // Uncapped, V8 lets its heap grow with the garbage of a longer run (heapUsed peaks higher at 1M);
    // the capped run below is the test of what the archiver keeps alive.
    figures.push({ measure: `archiver peak RSS, ${fmt(n)} vs ${fmt(small.n)}`, value: peakOf(a), unit: 'MiB', baseline: { label: `at ${fmt(small.n)}`, value: peakOf(small.archive) }, note: 'V8 heap sizing; see the capped run' });
    if (capped) {
      figures.push({
        measure: `archiver peak RSS at ${fmt(n)}, old space capped at ${CAP_MIB} MiB`, value: peakOf(capped), unit: 'MiB',
        baseline: { label: `${fmt(small.n)}, uncapped`, value: peakOf(small.archive) }, target: { max: 1.2, text: `flat: ≤ 1.2x (completed, ${fmt(rate(n, capped.ms))} rows/s)` },
      });
    }
  }
  figures.push(
    { measure: 'Redis used_memory per recipient, ledger', value: perRecipient(big.memLedger - big.memBefore), unit: 'B', note: `MEMORY USAGE of the hash: ${fmt(perRecipient(big.ledgerBytes))} B` },
    { measure: 'Redis used_memory per recipient, + message-id index', value: perRecipient(big.memIndexed - big.memBefore), unit: 'B', note: `${fmt(big.populate.indexed)} index keys (30-day TTL)` },
    { measure: 'Redis used_memory per recipient, after archiving', value: perRecipient(big.memAfter - big.memBefore), unit: 'B', baseline: { label: 'before', value: perRecipient(big.memIndexed - big.memBefore) }, note: 'ledger and message-id index gone (the archive serves callbacks)' },
  );
  for (const d of busy.drains.filter((x) => x.label.startsWith('during'))) {
    figures.push({ measure: `sending ${fmt(m)} msgs ${d.label} of ${fmt(n)}`, value: phaseRate(d.phase), unit: 'msg/s', baseline: { label: 'alone, mean of before/after', value: aloneRate }, note: `${fmt(100 * window(d))} % of the drain overlapped` });
  }
  figures.push({ measure: 'archive while that campaign sends', value: rate(n, ba.ms), unit: 'rows/s', baseline: { label: 'archive alone', value: rate(n, a.ms) } });
  const notes: string[] = [];
  if (!env.ownRedis) notes.push('shared Redis: used_memory includes other clients; the per-recipient figures are approximate');
  for (const d of busy.drains) if (d.phase.done !== m) notes.push(`${d.label}: ${d.phase.done} of ${m} sent`);
  const slowest = big.slow[0];
  return {
    name: 'archive',
    figures,
    notes,
    details: [
      {
        title: 'each size: populate (untimed for the figures), baselines, the archive (child processes; RSS in MiB)',
        header: ['recipients', 'populate s', 'HSCAN s', 'COPY floor s', 'archive s', 'copy s', 'final txn s', 'Redis release s', 'rows/s', 'archiver CPU s', 'RSS start', 'RSS peak (200 ms)', 'maxRSS', 'RSS copy end', 'RSS peak copy / final', 'heapUsed peak', 'slowest Redis cmd'],
        rows: runs.map((r) => {
          const p = r.archive.phases!;
          return [
            r.n, fmt((r.populate.ledgerMs + r.populate.indexMs) / 1000, 1), fmt(r.hscan.ms / 1000, 2), fmt(r.copy.ms / 1000, 2), fmt(r.archive.ms / 1000, 2),
            fmt((p.move - p.copy) / 1000, 2), fmt((p.release - p.move) / 1000, 2), fmt((p.end - p.release) / 1000, 2), rate(r.n, r.archive.ms), fmt(r.archive.cpuMs / 1000, 1),
            fmt(mib(r.archive.startRss)), fmt(mib(r.archive.peakRss)), fmt(mib(r.archive.maxRss)), fmt(mib(r.archive.rssAfterCopy ?? NaN)), `${fmt(mib(r.archive.peakByPhase?.copy ?? NaN))} / ${fmt(mib(r.archive.peakByPhase?.move ?? NaN))}`, fmt(mib(r.archive.peakHeap)), r.slow[0] ? `${fmt(r.slow[0].ms)} ms ${r.slow[0].command}` : '-',
          ];
        }),
      },
      {
        title: `Redis memory (used_memory, settled; MiB) at ${fmt(n)}`,
        header: ['before', 'ledger written', '+ message-id index', 'after archiving', 'MEMORY USAGE ledger hash', 'its time (SAMPLES 0)'],
        rows: [[fmt(mib(big.memBefore)), fmt(mib(big.memLedger)), fmt(mib(big.memIndexed)), fmt(mib(big.memAfter)), fmt(mib(big.ledgerBytes)), `${fmt(big.memoryUsageMs)} ms`]],
      },
      {
        title: `a campaign of ${fmt(m)} sending (e2e worker, concurrency 100, sim 0 ms) alone and while ${fmt(n)} recipients are archived (${fmt(ba.ms / 1000, 1)} s: copy ${fmt((bph.move - bph.copy) / 1000, 1)} s, final ${fmt((bph.release - bph.move) / 1000, 1)} s)`,
        header: ['drain', ...PHASE_HEADER.slice(1), 'window s (0 = archive start)', 'overlap'],
        rows: phaseRows(busy.drains.map((d) => d.phase)).map((row, i) => {
          const d = busy.drains[i]!;
          const from = (d.phase.endedAt - d.phase.ms - ba.startedAt) / 1000;
          return [d.label, ...row.slice(1), `${fmt(from, 1)} … ${fmt(from + d.phase.ms / 1000, 1)}`, Number.isNaN(window(d)) ? '' : `${fmt(100 * window(d))} %`];
        }),
      },
      ...(slowest
        ? [{ title: `Redis commands slower than 5 ms during the ${fmt(n)} archive (SLOWLOG)`, header: ['ms', 'command'], rows: big.slow.slice(0, 8).map((s) => [fmt(s.ms, 1), s.command]) }]
        : []),
    ],
  };
}

export const archiveBenchmark: Benchmark = {
  name: 'archive',
  describe: 'issue 13: archive a finished 1M-recipient campaign (100k --quick; + 100k for flat RSS --full) to PostgreSQL: rows/s vs COPY/HSCAN floors, RSS, Redis memory, a sending campaign meanwhile',
  run,
};
