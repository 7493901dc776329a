// Child process of the "archive" benchmark (its RSS is the archiver's alone):
//   archive  archiveCampaign(force) of a finished campaign; the time of each step (onPhase)
//   hscan    baseline: a plain HSCAN + unpack of the whole ledger (Ledger.scan, same batch), nothing written
//   copy     baseline: one COPY … FROM STDIN of the same rows (generated here, the archiver's CSV) into a
//            scratch table without indexes, one transaction: the floor PostgreSQL allows
// RSS is sampled every 200 ms (process.memoryUsage().rss); resourceUsage().maxRSS is the kernel's peak.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { archiveCampaign, PgArchive } from '@wabulk/archive';
import { createQueueContext, createRedis, waitForReady } from '@wabulk/queue';
import { archiveRow, copyLine } from './archive-rows.js';
import { childArg, reportResult } from './child-process.js';

export interface ArchiveChildArg {
  mode: 'archive' | 'hscan' | 'copy';
  redisUrl: string;
  base: string;
  pgUrl: string;
  campaignId: string;
  /** copy: rows 0..n-1 of archiveRow, at t0; the scratch table. */
  n: number;
  t0: number;
  table?: string;
  batch: number;
}

export interface ArchiveChildResult {
  rows: number;
  /** Wall time of the work (after connecting). */
  ms: number;
  cpuMs: number;
  /** RSS once connected, before the work; the highest 200 ms sample; the kernel's peak (maxRSS). */
  startRss: number;
  peakRss: number;
  maxRss: number;
  /** Highest heapUsed of the 200 ms samples; RSS when the copy ended (archive); the highest RSS sample in each step (archive). */
  peakHeap: number;
  rssAfterCopy?: number;
  peakByPhase?: Record<string, number>;
  /** archive: ms from the start to each step (claim → copy → move → release → done), epoch ms of the start. */
  phases?: { copy: number; move: number; release: number; end: number };
  startedAt: number;
  result?: string;
}

const arg = childArg<ArchiveChildArg>();
let peakRss = process.memoryUsage().rss;
let peakHeap = 0;
let phase = 'start';
const peakByPhase: Record<string, number> = {};
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakByPhase[phase] = Math.max(peakByPhase[phase] ?? 0, m.rss);
}, 200);

async function main(): Promise<ArchiveChildResult> {
  const redis = createRedis(arg.redisUrl, 'producer');
  await waitForReady(redis);
  const ctx = createQueueContext({ redis, base: arg.base });
  const startRss = process.memoryUsage().rss;
  peakRss = startRss;
  const cpu0 = process.cpuUsage();
  const startedAt = Date.now();
  const t0 = performance.now();
  let rows = 0;
  let result: string | undefined;
  let phases: ArchiveChildResult['phases'];
  let rssAfterCopy: number | undefined;
  try {
    if (arg.mode === 'hscan') {
      let cursor = '0';
      do {
        const step = await ctx.ledger.scan(arg.campaignId, cursor, arg.batch);
        rows += step.rows.length;
        cursor = step.cursor;
      } while (cursor !== '0');
    } else if (arg.mode === 'copy') {
      const client = new pg.Client({ connectionString: arg.pgUrl });
      await client.connect();
      try {
        await client.query('BEGIN');
        const sink = client.query(copyFrom(`COPY ${arg.table} FROM STDIN WITH (FORMAT csv)`)) as unknown as Writable;
        // Lines joined per batch, as the archiver's stream writes one batch's lines.
        await pipeline(
          (function* () {
            for (let i = 0; i < arg.n; i += arg.batch) {
              let chunk = '';
              for (let j = i; j < Math.min(arg.n, i + arg.batch); j++) chunk += copyLine(arg.campaignId, archiveRow(j, arg.t0));
              yield chunk;
            }
          })(),
          sink,
        );
        await client.query('COMMIT');
        rows = arg.n;
      } finally {
        await client.end();
      }
    } else {
      const archive = new PgArchive({ url: arg.pgUrl });
      const at: Partial<Record<'copy' | 'move' | 'release', number>> = {};
      try {
        const out = await archiveCampaign(ctx, archive, arg.campaignId, { afterMs: 0, quietMs: 0, force: true, batch: arg.batch, onPhase: (p) => {
          at[p] = performance.now() - t0;
          phase = p;
          if (p === 'move') rssAfterCopy = process.memoryUsage().rss;
        } });
        result = out.result;
        if (out.result === 'archived') rows = out.rows;
      } finally {
        await archive.close();
      }
      phases = { copy: at.copy ?? NaN, move: at.move ?? NaN, release: at.release ?? NaN, end: performance.now() - t0 };
    }
  } finally {
    redis.disconnect();
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { rows, ms, cpuMs: (cpu.user + cpu.system) / 1000, startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024, peakHeap, rssAfterCopy, peakByPhase: arg.mode === 'archive' ? peakByPhase : undefined, phases, startedAt, result };
}

reportResult(await main());
