// Child process: one import, timed, with this process's peak RSS and CPU.
//   wabulk         CSV file → readCsvRecipients → Producer.enqueueCampaign (ledger + addBulk)
//   raw            the same numbers, generated in memory → queue.addBulk, same job data, options and
//                  job ids, chunks of `chunkSize`, `inFlight` chunks at once (the floor BullMQ sets)
//   csv            readCsvRecipients alone (no Redis): what parsing costs
//   csv-normalise  readCsvRecipients + normaliseRecipient (no Redis): what libphonenumber adds
import { createReadStream } from 'node:fs';
import { Queue } from 'bullmq';
import {
  createQueueContext, createRedis, JOB_OPTIONS, jobIdFor, normaliseRecipient, Producer, queueName, queuePrefix,
  readCsvRecipients, waitForReady, type SendJobData,
} from '@wabulk/queue';
import { childArg, reportResult } from './child-process.js';
import { machineBusyMeter } from './machine-load.js';
import { ACCOUNT, BODY, recipient } from './fixtures.js';

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
}

export interface EnqueueChildResult {
  ms: number;
  rows: number;
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
      jobs.push({ name: 'send', data: { c: campaignId, to } satisfies SendJobData, opts: { ...JOB_OPTIONS, jobId: jobIdFor(campaignId, to) } });
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
  if (arg.mode === 'wabulk') {
    const producer = new Producer(ctx!, { defaultAccount: ACCOUNT, knownAccounts: [ACCOUNT] });
    const result = await producer.enqueueCampaign({
      campaignId: arg.campaignId,
      body: BODY,
      recipients: readCsvRecipients(createReadStream(arg.csvPath)),
      chunkSize: arg.chunkSize,
      inFlight: arg.inFlight,
    });
    if (result.accepted !== arg.n) throw new Error(`accepted ${result.accepted} of ${arg.n} (rejected ${result.rejectedTotal}, duplicates ${result.duplicates})`);
    rows = result.accepted;
  } else if (arg.mode === 'raw') {
    rows = await rawAddBulk(rawQueue!, arg.campaignId);
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
  reportResult({ ms, rows, startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024, cpuMs: (cpu.user + cpu.system) / 1000, machineBusyMs } satisfies EnqueueChildResult);
}

await main();
