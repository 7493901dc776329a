import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { AccountConfig } from '@wabulk/config';
import { createKaleyraClient } from '@wabulk/kaleyra';
import { startSimulator, type Simulator, type SimulatorOptions } from '@wabulk/kaleyra-sim';
import { createQueueContext, createRedis, getCampaignStatus, Producer, waitForReady, type CampaignStatus, type QueueContext } from '@wabulk/queue';
import { createLogger, createMetrics, type Metrics } from '@wabulk/telemetry';
import { startWorker, type RunningWorker, type StartWorkerOptions } from '@wabulk/worker';
import { deleteKeys, REDIS_URL, uniqueBase } from './redis.js';
import { waitFor } from './wait.js';

export const SID = 'HXTEST0000000001';
export const API_KEY = 'test-api-key-0123456789';
export const SENDER = '+919000000000';

/** Simulator + producer + in-process worker on a unique key prefix: the pipeline, real all the way down. */
export interface Stack {
  sim: Simulator;
  base: string;
  redis: Redis;
  ctx: QueueContext;
  producer: Producer;
  worker?: RunningWorker;
  metrics: Metrics;
  account: AccountConfig;
  startWorker(overrides?: Partial<StartWorkerOptions>): Promise<RunningWorker>;
  status(campaignId: string): Promise<CampaignStatus>;
  waitDone(campaignId: string, timeoutMs?: number): Promise<CampaignStatus>;
  close(): Promise<void>;
}

export async function startStack(options: { sim?: Partial<SimulatorOptions>; account?: Partial<AccountConfig> } = {}): Promise<Stack> {
  const sim = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], ...options.sim });
  const base = uniqueBase('stack');
  const redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  const ctx = createQueueContext({ redis, base });
  const account: AccountConfig = { id: 'acme', sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: sim.url, ...options.account };
  const producer = new Producer(ctx, { defaultAccount: account.id, knownAccounts: [account.id] });
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const stack: Stack = {
    sim,
    base,
    redis,
    ctx,
    producer,
    metrics,
    account,
    async startWorker(overrides = {}) {
      stack.worker = await startWorker({
        redisUrl: REDIS_URL,
        base,
        accounts: [account],
        concurrency: 10,
        ratePerSecond: 10_000,
        retryDelaysMs: [5, 10, 15],
        logger: createLogger({ level: 'silent', destination: process.stderr }),
        metrics,
        createClient: (a) => createKaleyraClient({ ...a, headersTimeoutMs: 2000 }),
        ...overrides,
      });
      return stack.worker;
    },
    async status(campaignId) {
      const s = await getCampaignStatus(ctx, campaignId);
      if (!s) throw new Error(`no campaign ${campaignId}`);
      return s;
    },
    async waitDone(campaignId, timeoutMs = 20_000) {
      return waitFor(async () => {
        const s = await stack.status(campaignId);
        return s.done ? s : undefined;
      }, { timeoutMs, what: `campaign ${campaignId} done` });
    },
    async close() {
      await stack.worker?.close();
      await ctx.queues.close();
      await deleteKeys(redis, base);
      redis.disconnect();
      await sim.close();
    },
  };
  return stack;
}

export const numbers = (n: number, start = 0) => Array.from({ length: n }, (_, i) => `+9198${String(start + i).padStart(8, '0')}`);
