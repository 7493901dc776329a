import pg from 'pg';
import { migrate, PgArchive } from '@wabulk/archive';
import { campaignKeys, indexKeys } from '@wabulk/queue';
import { startFaultStack, type FaultStack } from '../support/fault-stack.js';
import { sample, scrapeMetrics } from '../support/metrics-text.js';
import { OwnPostgres } from '../support/own-pg.js';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { ledgerRows, simIdsByRecipient, expectUnchanged } from '../support/proc-ground-truth.js';
import { spawnWorker, type WorkerProcess } from '../support/proc-worker.js';
import { freePort } from '../support/redis.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/**
 * PostgreSQL stopped (a server of the test's own: `pg_ctl stop`, the real thing) while a worker
 * sends with the archive on (WABULK_ARCHIVE_AFTER=0): the campaign is sent exactly as without an
 * archive, stays readable from Redis, and the worker says so on /metrics (wabulk_archive_up 0, the
 * backlog); PostgreSQL back, the worker archives it by itself.
 */

// Generous: a loaded CI machine (each CLI run starts a Node process); nothing asserts time.
jest.setTimeout(180_000);

const N = 2000;
let server: OwnPostgres;
let url: string;
let stack: FaultStack;
let worker: WorkerProcess;
let metricsPort: number;

beforeAll(async () => {
  server = await OwnPostgres.start();
  url = await server.createDatabase('wabulk_archive');
  const store = new PgArchive({ url });
  await migrate(store.pool);
  await store.close();
  stack = await startFaultStack();
});

afterAll(async () => {
  await killAllClis();
  await stack?.close();
  await server?.destroy();
});

const metric = async (series: string) => sample(await scrapeMetrics(metricsPort), series);

test('PostgreSQL down while a campaign is sent: sending unaffected, the backlog shows; back up, the worker archives it by itself', async () => {
  metricsPort = await freePort();
  worker = await spawnWorker(stack.env({ WABULK_ARCHIVE_URL: url, WABULK_ARCHIVE_AFTER: '0', WABULK_ARCHIVE_INTERVAL_MS: '200', METRICS_PORT: String(metricsPort) }));
  await waitFor(async () => (await metric('wabulk_archive_up')) === 1, { what: 'wabulk_archive_up 1 with PostgreSQL up' });

  // PostgreSQL goes away (its sessions terminated, new connections refused).
  await server.down('fast');
  const to = numbers(N);
  await stack.producer.enqueueText({ campaignId: 'pgdown-a', to, body: 'archive down: sending goes on' });
  const done = await stack.waitDone('pgdown-a', 60_000, 'sending waited for PostgreSQL?');
  expect(done).toMatchObject({ total: N, pending: 0, sent: N, failed: 0 });

  // Exactly as without an archive: every recipient once at the simulator, its message id in the ledger.
  const atSim = simIdsByRecipient(stack.sim);
  expect(atSim.size).toBe(N);
  expect([...atSim.values()].filter((ids) => ids.length !== 1)).toEqual([]);
  const rows = await ledgerRows(stack.ctx, 'pgdown-a');
  expect(rows.size).toBe(N);
  for (const t of to) expect(rows.get(t)).toMatchObject({ status: 'sent', messageId: atSim.get(t)![0] });

  // The worker says the archive is down and the campaign waits for it (and keeps saying so).
  await waitFor(async () => (await metric('wabulk_archive_up')) === 0 && ((await metric('wabulk_archive_backlog')) ?? 0) >= 1, { what: 'wabulk_archive_up 0 and a backlog' });
  const seen = await expectUnchanged(async () => [await metric('wabulk_archive_up'), (await metric('wabulk_archive_backlog'))! >= 1], 1500, 'the archive metrics while PostgreSQL is down');
  expect(seen).toEqual([0, true]);
  expect(await metric('wabulk_archive_campaigns_total{outcome="archived"}')).toBe(0);

  // Still whole in Redis, and readable there: through the CLI too, with the archive configured but down.
  const k = campaignKeys(stack.base, 'pgdown-a');
  expect(await stack.redis.hlen(k.recipients)).toBe(N);
  expect(await stack.redis.exists(k.meta)).toBe(1);
  expect(await stack.redis.hget(k.state, 'archiving')).toBeNull(); // no claim left behind by the failed passes
  const env = cliEnv(stack.base, { WABULK_ARCHIVE_URL: url });
  const status = await runCli(['status', '--campaign', 'pgdown-a', '--json'], { env, timeoutMs: 60_000 });
  expect(status.code).toBe(0);
  const s = onlyJson(status);
  expect(s).toMatchObject({ campaignId: 'pgdown-a', total: N, sent: N, done: true });
  expect(s.archived).toBeUndefined();
  expect(worker.running).toBe(true);

  // PostgreSQL back: the worker archives the campaign by itself.
  await server.up();
  await waitFor(
    async () => {
      const r = await runCli(['status', '--campaign', 'pgdown-a', '--json'], { env, timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(describeRun(r));
      return onlyJson(r).archived === true;
    },
    { timeoutMs: 90_000, intervalMs: 250, what: 'the worker to archive pgdown-a once PostgreSQL is back' },
  );
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  try {
    const r = await check.query<{ n: string; d: string; sent: string }>("SELECT count(*) AS n, count(DISTINCT number) AS d, count(*) FILTER (WHERE status = 'sent' AND message_id IS NOT NULL) AS sent FROM wabulk_recipients WHERE campaign_id = 'pgdown-a'");
    expect(r.rows[0]).toEqual({ n: String(N), d: String(N), sent: String(N) });
  } finally {
    await check.end();
  }
  expect(await stack.redis.exists(k.meta, k.recipients, k.counts)).toBe(0);
  expect(await stack.redis.zscore(indexKeys(stack.base).finished, 'pgdown-a')).toBeNull();
  await waitFor(async () => (await metric('wabulk_archive_up')) === 1 && (await metric('wabulk_archive_backlog')) === 0, { what: 'wabulk_archive_up 1 and no backlog' });
  expect(await metric('wabulk_archive_campaigns_total{outcome="archived"}')).toBe(1);
  expect(await metric('wabulk_archive_rows_total')).toBe(N);
  // Sending was never disturbed: the simulator saw each recipient once.
  expect([...simIdsByRecipient(stack.sim).values()].every((ids) => ids.length === 1)).toBe(true);
  expect((await worker.kill('SIGTERM')).code).toBe(0);
});
