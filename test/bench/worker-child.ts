// Child process: drains a prefilled queue against the simulator and reports how fast.
//   wabulk  the real worker (startWorker: job schema, campaign meta, KaleyraClient, ledger, limiter)
//           done when the ledger's counts show every recipient sent (or failed)
//   bare    a plain BullMQ Worker posting each job with an undici Pool (same concurrency, no
//           ledger, no limiter): what BullMQ + HTTP alone allow; done at the last 'completed'
// Timing starts at the first 'active' event. With `durationMs` the worker instead runs that long
// after its first job, then stops (rate-limited benchmark: the simulator counts).
import { Registry } from 'prom-client';
import { Worker } from 'bullmq';
import { Pipeline, Redis } from 'ioredis';
import { Pool } from 'undici';
import { createLogger, createMetrics } from '@wabulk/telemetry';
import { createQueueContext, createRedis, queueName, queuePrefix, waitForReady, type SendJobData } from '@wabulk/queue';
import { startWorker } from '@wabulk/worker';
import { childArg, reportResult } from './child-process.js';
import { machineBusyMeter } from './machine-load.js';
import { ACCOUNT, API_KEY, BODY, SENDER, SID } from './fixtures.js';

export interface WorkerChildArg {
  mode: 'wabulk' | 'bare';
  redisUrl: string;
  base: string;
  simUrl: string;
  campaignId: string;
  expect: number;
  concurrency: number;
  ratePerSecond: number;
  durationMs?: number;
  /** How the wabulk worker keeps to the rate (default 'paced'; 'windows' = before issue 15). */
  rateLimit?: 'paced' | 'windows';
}

export interface WorkerChildResult {
  /** First 'active' → all done (or → stop, with durationMs). */
  ms: number;
  done: number;
  failed: number;
  cpuMs: number;
  /** startWorker / new Worker → first 'active'. */
  startupMs: number;
  /** CPU-ms the whole machine spent busy over the same window (every process, ours included). */
  machineBusyMs: number;
  /**
   * Commands the worker's connections sent (ioredis sendCommand: each EVALSHA, each pipelined
   * command, counted once; the bench's own ledger poll left out), by name, over the child's whole
   * run (start-up and close included: a few dozen).
   */
  commands: Record<string, number>;
  /** The socket writes of those commands (a pipeline is one). */
  writes: number;
}

const arg = childArg<WorkerChildArg>();
const now = () => performance.now();

/** Commands per name, from every ioredis connection of this process but `skip`'s. */
const commands: Record<string, number> = {};
/** The socket writes those commands took (a command alone, or a whole pipeline). */
let writes = 0;
const skip = new WeakSet<object>();
type SendCommand = (this: Redis, ...args: Parameters<Redis['sendCommand']>) => ReturnType<Redis['sendCommand']>;
const proto = Redis.prototype;
const sendCommand: SendCommand = Reflect.get(proto, 'sendCommand');
proto.sendCommand = function (this: Redis, command, stream) {
  if (!skip.has(this)) {
    commands[command.name] = (commands[command.name] ?? 0) + 1;
    // A pipelined command shares its pipeline's one write: `writes` counts the rest and the pipelines.
    if ((stream as { isPipeline?: boolean } | undefined)?.isPipeline !== true) writes++;
  }
  return sendCommand.call(this, command, stream);
};
const exec: (this: Pipeline) => Promise<unknown> = Reflect.get(Pipeline.prototype, 'exec');
Pipeline.prototype.exec = function (this: Pipeline) {
  if (!skip.has(this.redis)) writes++;
  return exec.call(this) as ReturnType<Pipeline['exec']>;
};

function firstActive(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('active', () => resolve(now())));
}

async function runWabulk(): Promise<WorkerChildResult> {
  const t00 = now();
  const running = await startWorker({
    redisUrl: arg.redisUrl,
    base: arg.base,
    accounts: [{ id: ACCOUNT, sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: arg.simUrl }],
    concurrency: arg.concurrency,
    ratePerSecond: arg.ratePerSecond,
    rateLimit: arg.rateLimit,
    retryDelaysMs: [1000],
    logger: createLogger({ level: 'silent', destination: process.stderr }),
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
  });
  const t0 = await firstActive(running.workers.get(ACCOUNT)!);
  const cpu0 = process.cpuUsage();
  const machineBusy = machineBusyMeter();
  // Polls the ledger on a connection of its own (as `wabulk status` would).
  const redis = createRedis(arg.redisUrl, 'producer');
  skip.add(redis);
  await waitForReady(redis);
  const ledger = createQueueContext({ redis, base: arg.base }).ledger;
  let counts = await ledger.counts(arg.campaignId);
  if (arg.durationMs !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, t0 + arg.durationMs! - now())));
  else while (counts.sent + counts.failed < arg.expect) {
    await new Promise((r) => setTimeout(r, 10));
    counts = await ledger.counts(arg.campaignId);
  }
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machineBusyMs = machineBusy();
  await running.close();
  counts = await ledger.counts(arg.campaignId);
  redis.disconnect();
  return { ms, done: counts.sent, failed: counts.failed, cpuMs: (cpu.user + cpu.system) / 1000, startupMs: t0 - t00, machineBusyMs, commands, writes };
}

async function runBare(): Promise<WorkerChildResult> {
  const t00 = now();
  const pool = new Pool(arg.simUrl, { connections: arg.concurrency });
  const path = `/v2/${SID}/whatsapp/${SENDER}/messages`;
  const headers = { 'content-type': 'application/json', 'api-key': API_KEY };
  const connection = createRedis(arg.redisUrl, 'worker');
  const worker = new Worker<SendJobData, string>(
    queueName(ACCOUNT),
    async (job) => {
      const payload = {
        messaging_object: { messaging_product: 'whatsapp', recipient_type: 'individual', to: job.data.to, type: 'text', text: { preview_url: false, body: BODY } },
        extra_info: { wa_source: 'api' },
      };
      const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(payload) });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode}`);
      return (JSON.parse(text) as { data: { message_id: string } }).data.message_id;
    },
    { connection, prefix: queuePrefix(arg.base, ACCOUNT), concurrency: arg.concurrency },
  );
  worker.on('error', () => {});
  let done = 0;
  let failed = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  worker.on('completed', () => ++done + failed >= arg.expect && finish());
  worker.on('failed', () => done + ++failed >= arg.expect && finish());
  const t0 = await firstActive(worker);
  const cpu0 = process.cpuUsage();
  const machineBusy = machineBusyMeter();
  await finished;
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machineBusyMs = machineBusy();
  await worker.close();
  await pool.close();
  connection.disconnect();
  return { ms, done, failed, cpuMs: (cpu.user + cpu.system) / 1000, startupMs: t0 - t00, machineBusyMs, commands, writes };
}

reportResult(arg.mode === 'wabulk' ? await runWabulk() : await runBare());
