import { waitForReady } from '@wabulk/queue';
import { assertAccountedFor, classify, failedTotal } from '../support/fault-ground-truth.js';
import { redisOutage, startAofRedis } from '../support/fault-redis.js';
import { figures, report } from '../support/fault-report.js';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import type { OwnRedis } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { SIZES, timeout } from './fault-sizes.js';

// Fault scenario 3, the other half: Redis dies while the workers are idle, each blocked in BullMQ's
// BZPOPMIN on the queue's marker (drain delay 5 s). That is the case in which BullMQ workers have
// been known to stay parked for ever after Redis came back. Here the importer is the library
// (Producer.enqueueCampaign): during the outage it must fail at once, and after it, the same import
// must queue every recipient once, and the same worker processes must send them.

const WORKERS = 3;
const { recipients: N, outagesMs } = SIZES.redis;
const WARM_UP = 30;

let own: OwnRedis | undefined;
let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.close();
  await own?.stop();
  stack = own = undefined;
});

const rows = (list: readonly string[]) => list.map((to, i) => ({ line: i + 2, to }));

test.each(outagesMs)('3. Redis SIGKILLed for %i ms while the workers wait for jobs: the library importer fails at once; after the restart the same workers send the campaign, each recipient once', async (outageMs) => {
  const startedAt = Date.now();
  own = await startAofRedis();
  const s = (stack = await startFaultStack({ redisUrl: own.url, sim: { latencyMs: 10 } }));
  const workers = await s.spawnWorkers(WORKERS);
  const pids = workers.map((w) => w.pid);

  // The workers have worked and drained: each is blocked waiting for the next job.
  const warm = numbers(WARM_UP, 900_000);
  await s.producer.enqueueText({ campaignId: 'warm', to: warm, body: 'before' });
  await s.waitDone('warm', timeout(20_000));
  const to = numbers(N);
  const importCampaign = () => s.producer.enqueueCampaign({ campaignId: 'idle', body: 'fault 3: redis down, workers idle', recipients: rows(to), chunkSize: 250 });

  let importerError = '';
  let importerFailMs = 0;
  const { downMs, restartedAt } = await redisOutage(own, outageMs, async () => {
    const t = Date.now();
    await waitFor(() => s.redis.status !== 'ready', { intervalMs: 5, timeoutMs: 5000, what: "the producer's connection to notice Redis is gone" });
    // The importer does not wait for Redis: it fails now, naming the failure.
    const err = await importCampaign().then(() => undefined, (e: unknown) => e as Error);
    importerFailMs = Date.now() - t;
    expect(err).toBeInstanceOf(Error);
    importerError = err!.message;
  });
  expect(importerFailMs).toBeLessThan(outageMs); // it returned while Redis was still down
  await waitForReady(s.redis, 10_000);
  // Nothing of the failed import got in.
  expect((await s.ctx.ledger.counts('idle')).total).toBe(0);

  const imported = await importCampaign();
  expect({ accepted: imported.accepted, duplicates: imported.duplicates, rejected: imported.rejectedTotal }).toEqual({ accepted: N, duplicates: 0, rejected: 0 });
  const enqueuedAt = Date.now();
  await waitFor(() => s.sim.messages().length > WARM_UP, {
    timeoutMs: timeout(25_000),
    what: `a worker to take a job after Redis came back (${downMs} ms down, workers were blocked waiting for jobs)`,
  });
  const firstSendMs = Date.now() - enqueuedAt;
  await s.waitDone('idle', timeout(30_000), `the workers did not finish after Redis came back (${downMs} ms down)`);
  for (const w of workers) expect(w.running).toBe(true);
  expect(workers.map((w) => w.pid)).toEqual(pids);

  // A re-run of the import adds nothing twice.
  const again = await importCampaign();
  expect({ accepted: again.accepted, duplicates: again.duplicates }).toEqual({ accepted: 0, duplicates: N });

  const c = await classify(s.ctx, s.sim, 'idle', to);
  assertAccountedFor({ ...c, strays: c.strays.filter((r) => !warm.includes(r)) });
  expect({ sentOnce: c.sentOnce, duplicated: c.duplicated.size, failed: failedTotal(c) }).toEqual({ sentOnce: N, duplicated: 0, failed: 0 });
  report(figures(`3 redis down ${outageMs} ms, workers idle`, c, s.sim, startedAt, { downMs, restartToFirstSendMs: enqueuedAt - restartedAt + firstSendMs, firstSendMs, importerFailMs, importerError }));

  const exits = await Promise.all(workers.map((w) => w.kill('SIGTERM', timeout(15_000))));
  expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
}, timeout(90_000) + Math.max(...outagesMs));
