import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { AccountConfig } from '@wabulk/config';
import { buildApi, type Api } from '@wabulk/api';
import { createKaleyraClient } from '@wabulk/kaleyra';
import { startSimulator, type Simulator } from '@wabulk/kaleyra-sim';
import { campaignKeys, connectRedis, createQueueContext, createRedisCluster, lookupMessageId, Producer, queuePrefix, waitForReady, type QueueContext, type RedisClient } from '@wabulk/queue';
import { createLogger, createMetrics } from '@wabulk/telemetry';
import { startWorker, type RunningWorker } from '@wabulk/worker';
import { OwnCluster } from '../support/cluster-redis.js';
import { activeJobs, ledgerRows, simIdsByRecipient } from '../support/proc-ground-truth.js';
import { cliEnv, runCli } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { uniqueBase } from '../support/redis.js';
import { API_KEY, numbers, SENDER, SID } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// The core scenario on a 3-primary Redis Cluster the test starts itself: two accounts whose queues
// live on different primaries (the ledger of one campaign on the third), WA500 at random, an E110
// mid-campaign on one account while the other finishes (with WA400s, then retry-failed), top-up +
// resume; every recipient sent exactly once. Producer, API, a worker process and an in-process
// worker all reach the cluster through the REDIS_CLUSTER_NODES code path; REDIS_URL points nowhere.

const TOKEN = 'cluster-token-0123456789abcdef';
const SECRET = 'cluster-callback-secret-0123';
const NOWHERE = 'redis://127.0.0.1:1';
const A_RECIPIENTS = 300;
const B_RECIPIENTS = 200;
const ACCEPTED_BEFORE_E110 = 120;
const CONCURRENCY = 8;
// WA500 at 10%: 1 + 6 attempts make a recipient that fails them all a one-in-ten-million event.
const RETRY_DELAYS_MS = [5, 10, 15, 20, 25, 30];

let cluster: OwnCluster | undefined;
let sims: Simulator[] = [];
let redis: RedisClient | undefined;
let ctx: QueueContext | undefined;
let app: Api | undefined;
let worker: RunningWorker | undefined;

afterAll(async () => {
  await killAllWorkers();
  await worker?.close();
  await app?.close();
  await ctx?.queues.close();
  await redis?.quit().catch(() => redis?.disconnect());
  await Promise.all(sims.map((s) => s.close()));
  await cluster?.stop();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const get = async (url: string) => {
  const res = await app!.inject({ method: 'GET', url, headers: auth });
  expect(res.statusCode).toBe(200);
  return res;
};
const status = async (campaignId: string) => (await get(`/v1/campaigns/${campaignId}`)).json();
const waitDone = (campaignId: string) =>
  waitFor(async () => {
    const s = await status(campaignId);
    return s.done ? s : undefined;
  }, { what: `campaign ${campaignId} done`, timeoutMs: 30_000 });

test('a campaign with WA500 and E110 on a 3-primary Redis Cluster: each recipient sent once; status, export, retry-failed, callbacks', async () => {
  cluster = await OwnCluster.start(3);
  const base = uniqueBase('cluster');
  // Two account queues on two primaries, campaign A's ledger on the third.
  const a = await cluster.pickName('acct', (n) => `${queuePrefix(base, n)}:x`, []);
  const b = await cluster.pickName('acct', (n) => `${queuePrefix(base, n)}:x`, [a.port]);
  const cA = await cluster.pickName('camp', (n) => campaignKeys(base, n).meta, [a.port, b.port]);
  const campB = 'camp-b';

  const simA = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], latencyMs: 5, failRate: 0.1, seed: 7 });
  const simB = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], latencyMs: 5, seed: 8 });
  sims = [simA, simB];
  simA.setFaults({ e110AfterAccepted: ACCEPTED_BEFORE_E110 });
  simB.setFaults({ failNext: 3, failCode: 'WA400' });
  const accounts: AccountConfig[] = [
    { id: a.name, sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: simA.url },
    { id: b.name, sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: simB.url },
  ];

  redis = connectRedis({ url: NOWHERE, clusterNodes: cluster.nodes }, 'producer');
  await waitForReady(redis);
  expect(redis.isCluster).toBe(true);
  ctx = createQueueContext({ redis, base });
  const producer = new Producer(ctx, { defaultAccount: a.name, knownAccounts: [a.name, b.name] });
  const logger = createLogger({ level: 'silent', destination: process.stderr });
  app = await buildApi({ redis, base, tokens: [TOKEN], logger, registry: new Registry(), defaultAccount: a.name, configuredAccounts: [a.name, b.name], callbackAuth: { secret: SECRET } });

  // Intake: A through the producer (a bad row and a repeat counted, not queued), B as a CSV upload through the API.
  const toA = numbers(A_RECIPIENTS);
  const imported = await producer.enqueueCampaign({
    campaignId: cA.name,
    body: 'cluster A',
    recipients: [...toA.map((to, i) => ({ line: i + 1, to })), { line: 301, to: 'not-a-number' }, { line: 302, to: toA[0]! }],
  });
  expect(imported).toMatchObject({ read: A_RECIPIENTS + 2, accepted: A_RECIPIENTS, duplicates: 1, rejectedTotal: 1 });
  const toB = numbers(B_RECIPIENTS, 5000);
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/campaigns?campaignId=${campB}&body=cluster%20B&account=${b.name}`,
    headers: { ...auth, 'content-type': 'text/csv' },
    payload: `to\n${toB.join('\n')}\n`,
  });
  expect(upload.statusCode).toBe(202);
  expect(upload.json()).toMatchObject({ accepted: B_RECIPIENTS, rejectedTotal: 0, account: b.name });
  // Idempotency keys hash to slots of their own.
  // `normal`, not the API's default `high`: a high message would overtake B's campaign and meet the
  // three WA400s this scenario gives B's first requests.
  const otp = { to: [numbers(1, 9000)[0]!], body: 'otp', account: b.name, priority: 'normal' };
  const first = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...auth, 'idempotency-key': 'k1' }, payload: otp });
  const again = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...auth, 'idempotency-key': 'k1' }, payload: otp });
  expect([first.statusCode, again.statusCode, again.headers['idempotent-replayed']]).toEqual([202, 202, 'true']);
  expect(again.json()).toEqual(first.json());
  const otpCampaign = first.json().campaignId as string;

  // First a worker process configured only by REDIS_CLUSTER_NODES: it alone meets the E110 and the WA400s.
  const accountsFile = join(cluster.dir, 'accounts.json');
  writeFileSync(accountsFile, JSON.stringify(accounts));
  await spawnWorker(workerEnv({ base, simUrl: simA.url }, {
    REDIS_URL: NOWHERE, REDIS_CLUSTER_NODES: cluster.nodes.join(','), WABULK_ACCOUNTS_FILE: accountsFile,
    WORKER_CONCURRENCY: String(CONCURRENCY), WABULK_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
  }));

  // A: paused by E110 on every worker; nothing failed, no attempt used.
  await waitFor(async () => (await get(`/v1/accounts/${a.name}`)).json().pauseReason === 'E110', { what: `account ${a.name} paused E110` });
  await waitFor(async () => simA.stats().inFlight === 0 && (await activeJobs(ctx!, a.name)) === 0, { what: 'in-flight sends of A to settle' });
  const e110 = simA.stats().rejected.byCode.E110 ?? 0;
  expect(e110).toBeGreaterThanOrEqual(1);
  expect(e110).toBeLessThanOrEqual(CONCURRENCY);
  expect(await status(cA.name)).toMatchObject({
    total: A_RECIPIENTS, sent: ACCEPTED_BEFORE_E110, failed: 0, pending: A_RECIPIENTS - ACCEPTED_BEFORE_E110, paused: true, pauseReason: 'E110',
  });

  // B is another account, on another primary: A's pause does not hold it. Its three WA400 failed; retry-failed sends them.
  expect(await waitDone(campB)).toMatchObject({ total: B_RECIPIENTS, sent: B_RECIPIENTS - 3, failed: 3, byCode: { WA400: 3 }, paused: false });
  expect(await producer.retryFailed(campB, { codes: ['WA400'] })).toEqual({ requeued: 3 });

  // A second worker joins, in process, through startWorker's redisClusterNodes.
  worker = await startWorker({
    redisUrl: NOWHERE, redisClusterNodes: cluster.nodes, base, accounts, concurrency: CONCURRENCY, ratePerSecond: 100_000,
    retryDelaysMs: RETRY_DELAYS_MS, logger, metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    createClient: (acc) => createKaleyraClient({ ...acc, headersTimeoutMs: 5000 }),
  });

  // Top up A and resume through the API.
  simA.setBalance(Infinity);
  const resumed = await app.inject({ method: 'POST', url: `/v1/accounts/${a.name}/resume`, headers: auth });
  expect(resumed.json()).toMatchObject({ paused: false });
  for (const [id, total] of [[cA.name, A_RECIPIENTS], [campB, B_RECIPIENTS], [otpCampaign, 1]] as const) {
    expect(await waitDone(id)).toMatchObject({ total, sent: total, failed: 0, pending: 0, paused: false });
  }

  // Every recipient accepted exactly once, and the ledger holds the message_id the simulator issued.
  const accepted = new Map([...simIdsByRecipient(simA), ...simIdsByRecipient(simB)]);
  expect(accepted.size).toBe(A_RECIPIENTS + B_RECIPIENTS + 1);
  expect([...accepted.values()].filter((ids) => ids.length !== 1)).toEqual([]);
  expect(simA.stats().rejected.byCode.WA500 ?? 0).toBeGreaterThan(0);
  for (const id of [cA.name, campB]) {
    for (const [to, row] of await ledgerRows(ctx, id)) expect(row.messageId).toBe(accepted.get(to)?.[0]);
  }

  // Export through the API: one row per recipient, every one sent with its message_id.
  const exported = (await get(`/v1/campaigns/${cA.name}/recipients?format=ndjson`)).body.trim().split('\n').map((l) => JSON.parse(l));
  expect(exported).toHaveLength(A_RECIPIENTS);
  expect(exported.every((r) => r.status === 'sent' && r.messageId === accepted.get(r.to)?.[0])).toBe(true);

  // The operator CLI reaches the cluster the same way.
  const cli = await runCli(['status', '--campaign', campB, '--json', '--once'], { env: cliEnv(base, { REDIS_URL: NOWHERE, REDIS_CLUSTER_NODES: cluster.nodes.join(',') }) });
  expect(cli).toMatchObject({ code: 0 });
  expect(JSON.parse(cli.stdout)).toMatchObject({ campaignId: campB, account: b.name, total: B_RECIPIENTS, sent: B_RECIPIENTS, done: true });

  // message_id index (one slot per message id) and delivery callbacks through the API.
  const [id1, id2] = [accepted.get(toA[0]!)![0]!, accepted.get(toB[0]!)![0]!];
  expect(await lookupMessageId(ctx, id1)).toEqual({ campaignId: cA.name, to: toA[0] });
  const callback = await app.inject({
    method: 'POST', url: '/v1/callbacks/kaleyra', headers: { 'x-wabulk-callback-secret': SECRET },
    payload: [{ id: id1, status: 'delivered' }, { id: `${id2}:0`, status: 'read' }, { id: ':0', status: 'read' }, { id: '}x', status: 'failed' }],
  });
  expect(callback.statusCode).toBe(200);
  expect(callback.json()).toMatchObject({ received: 4, applied: 2, unknown: 2 });
  expect(await status(cA.name)).toMatchObject({ delivered: 1, read: 0 });
  expect(await status(campB)).toMatchObject({ delivered: 1, read: 1 });

  // The keys really are spread over the three primaries.
  const perNode = await Promise.all(cluster.ports.map(async (port) => (await cluster!.keys(`*${base}*`, port)).length));
  expect(perNode.every((n) => n > 0)).toBe(true);

  // A primary lost (no replica to take over): intake whose keys it held answers 503, never 500.
  // (Its own connection: ioredis leaves a 2 s disconnectTimeout timer per failed slots refresh; 50 ms here so the run ends clean.)
  await killAllWorkers();
  await worker.close();
  worker = undefined;
  await app.close();
  await ctx.queues.close();
  await redis.quit();
  redis = createRedisCluster(cluster.nodes, 'producer', { redisOptions: { disconnectTimeout: 50 } });
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
  app = await buildApi({ redis, base, tokens: [TOKEN], logger, registry: new Registry(), defaultAccount: a.name, configuredAccounts: [a.name, b.name] });
  await cluster.killNode(cA.port);
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: auth, payload: { campaignId: cA.name, to: numbers(1, 9500 + i), body: 'cluster A' } });
    expect([res.statusCode, res.json().error]).toEqual([503, 'service unavailable']);
  }
}, 90_000);
