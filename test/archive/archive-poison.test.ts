import pg from 'pg';
import { Redis } from 'ioredis';
import { ARCHIVE_RETRY_FIRST_MS, ARCHIVE_RETRY_MAX_MS, migrate, PgArchive, startArchiveLoop, sweepFinished, type ArchiveLoopLogger, type ArchiveLoopMetrics } from '@wabulk/archive';
import { campaignKeys, createQueueContext, ensureCampaign, getCampaignStatus, indexKeys, packRow, type CampaignMeta, type QueueContext } from '@wabulk/queue';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { cliEnv, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * A campaign the archiver cannot write (written before intake refused such text: a body with U+0000,
 * which a PostgreSQL text column refuses; a ref with a lone surrogate, which jsonb refuses) at the
 * head of the archive's queue, ahead of normal finished campaigns, with the worker's archive loop
 * running (startArchiveLoop, as the worker starts it) on the real Redis and PostgreSQL. Before the
 * retry set, the loop took the queue's oldest campaigns every pass: with as many poison campaigns as
 * a pass takes, nothing behind them was ever archived.
 */

jest.setTimeout(120_000);

const PASSWORD = 'poison-test-password-7f3a';
let db: TestDatabase;
let archive: PgArchive;
let sql: pg.Client;
let redis: Redis;
let base: string;
let ctx: QueueContext;

beforeAll(async () => {
  db = await createTestDatabase('poison');
  // The test server trusts local connections: the password is never checked, so it can be watched for in every log line.
  const url = new URL(db.url);
  url.password = PASSWORD;
  archive = new PgArchive({ url: url.toString() });
  await migrate(archive.pool);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  redis = new Redis(REDIS_URL);
  base = uniqueBase('poison');
  ctx = createQueueContext({ redis, base, archive });
});

afterAll(async () => {
  await killAllClis();
  await deleteKeys(redis, base);
  redis.disconnect();
  await sql.end();
  await archive.close();
  await db.drop();
});

/**
 * A finished campaign of 3 sent recipients written straight into Redis, as intake and the worker
 * would have left it (meta, ledger entries, counters, the campaign list, the archive's queue at its
 * finish time), bypassing intake's checks.
 */
async function writeFinished(id: string, meta: Partial<CampaignMeta>, finishedAt: number): Promise<void> {
  await ensureCampaign(ctx, id, { account: 'acme', body: 'Hello', createdAt: finishedAt - 120_000, ...meta });
  const k = campaignKeys(base, id);
  const rows = [0, 1, 2].map((i) => ({ to: `+91981234${String(i).padStart(4, '0')}`, status: 'sent' as const, messageId: `wamid.${id}.${i}`, attempts: 1, updatedAt: finishedAt - 1000 + i }));
  await redis.hset(k.recipients, ...rows.flatMap((r) => [r.to, packRow(r)]));
  await redis.hset(k.counts, { total: 3, pending: 0, sent: 3, finishedAt });
  await redis.zadd(indexKeys(base).finished, finishedAt, id);
}

function fakeMetrics() {
  const counts = { archived: 0, failed: 0, rows: 0, passes: 0, backlog: -1, overdue: -1, retrying: -1 };
  const metrics: ArchiveLoopMetrics = {
    up: { set: () => {} },
    campaigns: { inc: (labels, value = 1) => void (counts[labels.outcome] += value) },
    rows: { inc: (value = 1) => void (counts.rows += value) },
    backlog: { set: (v) => void (counts.backlog = v) },
    // Set once at the end of every pass: counts the passes.
    overdue: {
      set: (v) => {
        counts.overdue = v;
        counts.passes++;
      },
    },
    retrying: { set: (v) => void (counts.retrying = v) },
  };
  return { counts, metrics };
}

function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: ArchiveLoopLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

const archivedRows = async (id: string) => Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1', [id])).rows[0]!.n);

test('poison campaigns at the head of the queue: every normal one is archived; the poison ones stay readable in Redis, counted and logged as failed, retried with backoff (not every pass)', async () => {
  const idx = indexKeys(base);
  const now = Date.now();
  // The two poison campaigns are the oldest: before, a pass of 2 took them and nothing else, every pass.
  await writeFinished('poison-nul', { body: 'Hello\u0000world' }, now - 100_000);
  await writeFinished('poison-surrogate', { body: 'Hello', ref1: 'order-\ud800' }, now - 90_000);
  const normal = Array.from({ length: 7 }, (_, i) => `normal-${i}`);
  for (const [i, id] of normal.entries()) await writeFinished(id, { body: `Hello ${i}`, ref: `r-${i}` }, now - 80_000 + i * 1000);

  const { counts, metrics } = fakeMetrics();
  const { lines, logger } = capturingLogger();
  const loop = startArchiveLoop(ctx, archive, { afterMs: 0, intervalMs: 50, perPass: 2, metrics, logger, owner: 'poison-test' });
  try {
    // Every normal campaign is archived, though the poison ones came first.
    await waitFor(async () => counts.archived === normal.length, { timeoutMs: 60_000, what: 'the 7 normal campaigns archived' });
    for (const id of normal) {
      expect(await archivedRows(id)).toBe(3);
      expect(await redis.exists(campaignKeys(base, id).meta)).toBe(0);
    }
    expect(counts.failed).toBe(2);

    // Each poison campaign: still whole in Redis and readable, out of the queue, in the retries 10 min after its failure.
    for (const id of ['poison-nul', 'poison-surrogate']) {
      const k = campaignKeys(base, id);
      expect(await redis.exists(k.meta, k.recipients, k.counts)).toBe(3);
      expect(await redis.exists(k.archived)).toBe(0);
      expect(await redis.hget(k.state, 'archiving')).toBeNull(); // the claim was given back
      expect(await getCampaignStatus(ctx, id)).toMatchObject({ campaignId: id, total: 3, sent: 3, done: true });
      expect(await archivedRows(id)).toBe(0);
      expect(await redis.zscore(idx.finished, id)).toBeNull();
      const retryAt = Number(await redis.zscore(idx.archiveRetry, id));
      expect(retryAt).toBeGreaterThanOrEqual(now + ARCHIVE_RETRY_FIRST_MS);
      expect(retryAt).toBeLessThanOrEqual(Date.now() + ARCHIVE_RETRY_FIRST_MS);
      expect(await redis.hget(idx.archiveFailures, id)).toBe('1');
    }
    // Logged by campaign id with PostgreSQL's reason (never the password), the failure count and the retry time.
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => String(l.obj.campaignId)).sort((a, b) => a.localeCompare(b))).toEqual(['poison-nul', 'poison-surrogate']);
    const nul = errors.find((l) => l.obj.campaignId === 'poison-nul')!;
    expect(nul.obj).toMatchObject({ code: '22021', failures: 1 });
    expect(String(nul.obj.err)).toMatch(/0x00/);
    expect(errors.find((l) => l.obj.campaignId === 'poison-surrogate')!.obj).toMatchObject({ failures: 1 });
    expect(nul.msg).toMatch(/tried again at retryAt/);
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);

    // Not every pass: many more passes, no more tries. The queue is empty, so nothing is overdue; the
    // two wait for their retry (the backlog and the retrying gauge say so).
    const passes = counts.passes;
    await waitFor(async () => counts.passes >= passes + 10, { what: '10 more passes' });
    expect(counts.failed).toBe(2);
    expect({ overdue: counts.overdue, retrying: counts.retrying, backlog: counts.backlog }).toEqual({ overdue: 0, retrying: 2, backlog: 2 });
    // The hourly sweep does not put them back at the queue's head either.
    expect(await sweepFinished(ctx)).toBe(0);
    expect(await redis.zscore(idx.finished, 'poison-nul')).toBeNull();

    // Its retry due (as 10 min later): tried once more, failing again: the next one 20 min later.
    await redis.zadd(idx.archiveRetry, Date.now() - 1, 'poison-nul');
    await waitFor(async () => counts.failed === 3, { what: 'the retry of poison-nul' });
    const second = Date.now();
    await waitFor(async () => (await redis.hget(idx.archiveFailures, 'poison-nul')) === '2', { what: 'the second failure counted' });
    const again = Number(await redis.zscore(idx.archiveRetry, 'poison-nul'));
    expect(again).toBeGreaterThan(second - 5000 + 2 * ARCHIVE_RETRY_FIRST_MS);
    expect(again).toBeLessThanOrEqual(Date.now() + 2 * ARCHIVE_RETRY_FIRST_MS);
    expect(await redis.hget(idx.archiveFailures, 'poison-surrogate')).toBe('1'); // the other one was not tried
    expect(counts.archived).toBe(normal.length);

    // Many failures in a row: at most 6 h apart.
    await redis.hset(idx.archiveFailures, 'poison-nul', '12');
    await redis.zadd(idx.archiveRetry, Date.now() - 1, 'poison-nul');
    await waitFor(async () => counts.failed === 4, { what: 'the 13th try of poison-nul' });
    await waitFor(async () => (await redis.hget(idx.archiveFailures, 'poison-nul')) === '13', { what: 'the 13th failure counted' });
    const capped = Number(await redis.zscore(idx.archiveRetry, 'poison-nul'));
    expect(capped).toBeGreaterThan(Date.now() - 10_000 + ARCHIVE_RETRY_MAX_MS);
    expect(capped).toBeLessThanOrEqual(Date.now() + ARCHIVE_RETRY_MAX_MS);
  } finally {
    await loop.stop();
  }

  // `wabulk archive --campaign` tries at once, whatever the backoff says: it fails the same way (exit 1,
  // naming the campaign, never the password) and leaves the backoff as it was.
  const env = cliEnv(base, { WABULK_ARCHIVE_URL: new URL(db.url).toString().replace('postgres@', `postgres:${PASSWORD}@`) });
  const failing = await runCli(['archive', '--campaign', 'poison-surrogate'], { env, timeoutMs: 60_000 });
  expect(failing.code).toBe(1);
  expect(failing.stderr).toMatch(/^wabulk: campaign poison-surrogate could not be archived: PostgreSQL refused it \(SQLSTATE 22P02: invalid input syntax for type json\); it stays in Redis, readable as before\n$/);
  expect(failing.stdout + failing.stderr).not.toContain(PASSWORD);
  expect(await redis.hget(idx.archiveFailures, 'poison-surrogate')).toBe('1');

  // Once the operator mends the campaign's text, `archive --campaign` archives it and its retry and failures are gone.
  const k = campaignKeys(base, 'poison-surrogate');
  const meta = JSON.parse((await redis.get(k.meta))!) as CampaignMeta;
  await redis.set(k.meta, JSON.stringify({ ...meta, ref1: 'order-1' }));
  const mended = await runCli(['archive', '--campaign', 'poison-surrogate', '--json'], { env, timeoutMs: 60_000 });
  expect(mended.code).toBe(0);
  expect(onlyJson(mended)).toMatchObject({ result: 'archived', rows: 3 });
  expect(await redis.zscore(idx.archiveRetry, 'poison-surrogate')).toBeNull();
  expect(await redis.hget(idx.archiveFailures, 'poison-surrogate')).toBeNull();
  expect(await redis.zscore(idx.archiveRetry, 'poison-nul')).not.toBeNull();
});
