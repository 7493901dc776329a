import type { Redis } from 'ioredis';
import { startSimulator, type Simulator, type SimulatorOptions } from '@wabulk/kaleyra-sim';
import { createQueueContext, createRedis, getCampaignStatus, Producer, waitForReady, type CampaignStatus, type QueueContext } from '@wabulk/queue';
import { activeJobs } from './proc-ground-truth.js';
import { killAllWorkers, spawnWorker, workerEnv, type WorkerProcess } from './proc-worker.js';
import { deleteKeys, REDIS_URL, uniqueBase } from './redis.js';
import { API_KEY, SENDER, SID } from './stack.js';
import { waitFor } from './wait.js';

/** Worker settings every fault scenario starts from: crashed workers' jobs re-run within ~3 s, retries in ms. */
export const FAULT_WORKER_ENV = {
  WORKER_CONCURRENCY: '10',
  WABULK_LOCK_DURATION_MS: '2000',
  WABULK_STALLED_INTERVAL_MS: '1000',
  WABULK_RETRY_DELAYS_MS: '50,100,150',
  WABULK_SHUTDOWN_TIMEOUT_MS: '10000',
  // Nothing of the surrounding shell may point the workers at another Redis.
  REDIS_CLUSTER_NODES: undefined,
} as const;

/**
 * The simulator, a Redis (the suite's shared one, or a test's own), a producer and its ledger on a
 * unique key prefix, and worker processes: the pipeline a fault scenario breaks.
 */
export interface FaultStack {
  sim: Simulator;
  base: string;
  redisUrl: string;
  redis: Redis;
  ctx: QueueContext;
  producer: Producer;
  /** Worker environment for this stack (FAULT_WORKER_ENV, then `overrides`). */
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  spawnWorkers(n: number, overrides?: Record<string, string | undefined>): Promise<WorkerProcess[]>;
  status(campaignId: string): Promise<CampaignStatus>;
  /** Polls until no recipient is pending; on timeout the error says what was left and where. */
  waitDone(campaignId: string, timeoutMs: number, why?: string): Promise<CampaignStatus>;
  close(): Promise<void>;
}

export async function startFaultStack(options: { redisUrl?: string; sim?: Partial<SimulatorOptions> } = {}): Promise<FaultStack> {
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const sim = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], ...options.sim });
  const base = uniqueBase('fault');
  const redis = createRedis(redisUrl, 'producer');
  await waitForReady(redis);
  const ctx = createQueueContext({ redis, base });
  const producer = new Producer(ctx, { defaultAccount: 'acme', knownAccounts: ['acme'] });
  const stack: FaultStack = {
    sim,
    base,
    redisUrl,
    redis,
    ctx,
    producer,
    env: (overrides = {}) => workerEnv({ base, simUrl: sim.url }, { ...FAULT_WORKER_ENV, REDIS_URL: redisUrl, ...overrides }),
    spawnWorkers: (n, overrides) => Promise.all(Array.from({ length: n }, () => spawnWorker(stack.env(overrides)))),
    async status(campaignId) {
      const s = await getCampaignStatus(ctx, campaignId);
      if (!s) throw new Error(`no campaign ${campaignId}`);
      return s;
    },
    async waitDone(campaignId, timeoutMs, why = '') {
      try {
        return await waitFor(async () => {
          const s = await stack.status(campaignId);
          return s.done ? s : undefined;
        }, { timeoutMs, what: `campaign ${campaignId} done` });
      } catch (err) {
        const s = await stack.status(campaignId).catch(() => undefined);
        const counts = await ctx.queues.get('acme').getJobCounts('wait', 'active', 'delayed', 'failed', 'completed').catch(() => ({}));
        const active = await activeJobs(ctx).catch(() => -1);
        throw new Error(
          `${(err as Error).message}${why ? `\n${why}` : ''}\nledger: ${JSON.stringify(s && { total: s.total, pending: s.pending, sent: s.sent, failed: s.failed, paused: s.paused })}` +
            `\njobs: ${JSON.stringify(counts)} (active ${active})\nsimulator: ${JSON.stringify(sim.stats())}`,
        );
      }
    },
    async close() {
      await killAllWorkers();
      await ctx.queues.close();
      if (redis.status === 'ready') await deleteKeys(redis, base);
      redis.disconnect();
      await sim.close();
    },
  };
  return stack;
}
