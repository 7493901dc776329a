// Child process: one import, timed, with this process's peak RSS and CPU.
//   wabulk         CSV file → readCsvRecipients → Producer.enqueueCampaign (ledger + addBulk)
//   raw            the same numbers, generated in memory → queue.addBulk, same job data, options and
//                  job ids, chunks of `chunkSize`, `inFlight` chunks at once (the floor BullMQ sets)
//   csv            readCsvRecipients alone (no Redis): what parsing costs
//   csv-normalise  readCsvRecipients + normaliseRecipient (no Redis): what libphonenumber adds
// Options (the `authoring` and `enqueue` benchmarks): `body` instead of fixtures' BODY, `fields` (the reader gets
// the body's placeholder names, as the CLI and the API call it), `vars` (raw jobs carry the row's
// values `v`, as a personalised campaign's do), `priorities` (raw jobs get a normal campaign's
// BullMQ priorities, as the import's do), `expectSuppressed` (rows a suppression list holds).
import { createReadStream } from 'node:fs';
import { Queue } from 'bullmq';
import {
  createQueueContext, createRedis, FAIR_SHARE_ROUND, JOB_OPTIONS, jobIdFor, PRIORITY_RANGES, normaliseRecipient, Producer, queueName, queuePrefix,
  placeholderNames, readCsvRecipients, waitForReady, type SendJobData,
} from '@wabulk/queue';
import { childArg, reportResult } from './child-process.js';
import { machineBusyMeter } from './machine-load.js';
import { ACCOUNT, BODY, recipient, recipientVars } from './fixtures.js';

export type EnqueueMode = 'wabulk' | 'raw' | 'csv' | 'csv-normalise';

export interface EnqueueChildArg {
  mode: EnqueueMode;
  redisUrl: string;
  base: string;
  campaignId: string;
  csvPath: string;
  n: number;
  chunkSize: number;
  inFlight: number;
  /** The message text (default fixtures' BODY). */
  body?: string;
  /** wabulk: readCsvRecipients gets `fields: placeholderNames(body)` (what the CLI and the API pass). */
  fields?: boolean;
  /** raw: each job's data carries the row's values `v` (recipientVars), as a personalised campaign's jobs do. */
  vars?: boolean;
  /**
   * raw: each job gets the BullMQ priority a `normal` campaign's i-th recipient gets on a queue with
   * nothing else waiting (1 + ⌊i / FAIR_SHARE_ROUND⌋, priority.ts), so the jobs are the same as the
   * import's: in the prioritized sorted set, with `priority` in their options.
   */
  priorities?: boolean;
  /** wabulk: how many rows a suppression list holds (rejected as `suppressed`); default 0. */
  expectSuppressed?: number;
}

export interface EnqueueChildResult {
  ms: number;
  /** Rows read (wabulk, csv) or jobs added (raw). */
  rows: number;
  /** Recipients queued (wabulk: the import's accepted; raw: jobs added). */
  queued: number;
  /** Process RSS just before the import started (modules loaded, Redis connected). */
  startRss: number;
  /** Highest RSS sampled every 50 ms during the import. */
  peakRss: number;
  /** The kernel's high-water mark for the whole process (resourceUsage().maxRSS), bytes. */
  maxRss: number;
  cpuMs: number;
  /** CPU-ms the whole machine spent busy during the import (every process, ours included). */
  machineBusyMs: number;
}

const arg = childArg<EnqueueChildArg>();

async function rawAddBulk(queue: Queue, campaignId: string): Promise<number> {
  const pending = new Set<Promise<unknown>>();
  let added = 0;
  for (let start = 0; start < arg.n; start += arg.chunkSize) {
    const jobs = [];
    for (let i = start; i < Math.min(arg.n, start + arg.chunkSize); i++) {
      const to = recipient(i);
      const data: SendJobData = arg.vars ? { c: campaignId, to, v: recipientVars(i) } : { c: campaignId, to };
      const jobId = jobIdFor(campaignId, to);
      const opts = arg.priorities ? { ...JOB_OPTIONS, jobId, priority: Math.min(PRIORITY_RANGES.normal.lo + Math.floor(i / FAIR_SHARE_ROUND), PRIORITY_RANGES.normal.hi) } : { ...JOB_OPTIONS, jobId };
      jobs.push({ name: 'send', data, opts });
    }
    const p: Promise<unknown> = queue.addBulk(jobs).then((r) => (added += r.length)).finally(() => pending.delete(p));
    pending.add(p);
    while (pending.size >= arg.inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  return added;
}

async function main(): Promise<void> {
  const needsRedis = arg.mode === 'wabulk' || arg.mode === 'raw';
  const redis = needsRedis ? createRedis(arg.redisUrl, 'producer') : undefined;
  if (redis) await waitForReady(redis);
  const ctx = redis ? createQueueContext({ redis, base: arg.base }) : undefined;
  const rawQueue = arg.mode === 'raw' ? new Queue(queueName(ACCOUNT), { connection: redis!, prefix: queuePrefix(arg.base, ACCOUNT) }) : undefined;
  rawQueue?.on('error', () => {});

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const startRss = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  const machineBusy = machineBusyMeter();
  const t0 = performance.now();
  let rows = 0;
  let queued = 0;
  if (arg.mode === 'wabulk') {
    const producer = new Producer(ctx!, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
    const body = arg.body ?? BODY;
    const result = await producer.enqueueCampaign({
      campaignId: arg.campaignId,
      body,
      recipients: readCsvRecipients(createReadStream(arg.csvPath), arg.fields ? { fields: placeholderNames(body) } : {}),
      chunkSize: arg.chunkSize,
      inFlight: arg.inFlight,
    });
    const suppressed = arg.expectSuppressed ?? 0;
    if (result.read !== arg.n || result.accepted !== arg.n - suppressed || result.suppressed !== suppressed) {
      throw new Error(`read ${result.read}, accepted ${result.accepted} of ${arg.n} (rejected ${result.rejectedTotal}: ${JSON.stringify(result.rejectedByReason)}, duplicates ${result.duplicates}; expected ${suppressed} suppressed)`);
    }
    rows = result.read;
    queued = result.accepted;
  } else if (arg.mode === 'raw') {
    rows = queued = await rawAddBulk(rawQueue!, arg.campaignId);
  } else {
    for await (const row of readCsvRecipients(createReadStream(arg.csvPath))) {
      if (arg.mode === 'csv-normalise' && !normaliseRecipient(row.to!).ok) throw new Error(`rejected ${row.to}`);
      rows++;
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machineBusyMs = machineBusy();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  await rawQueue?.close();
  await ctx?.queues.close();
  await redis?.quit();
  reportResult({ ms, rows, queued, startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024, cpuMs: (cpu.user + cpu.system) / 1000, machineBusyMs } satisfies EnqueueChildResult);
}

await main();
