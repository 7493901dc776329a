import { Redis } from 'ioredis';
import { archiveCampaign, migrate, PgArchive } from '@wabulk/archive';
import { campaignKeys, cancelCampaign, createQueueContext, ensureCampaign, indexKeys, messageKeys, type QueueContext } from '@wabulk/queue';
import { ApiProcess, apiEnv } from '../api/api-process.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli, type CliResult } from '../support/proc-cli.js';
import { deleteKeys, freePort, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk archive prune`: retention without the 503s a raw DELETE leaves behind (an archived
// campaign's marker stays in Redis, and reads take "marker, no row" for an archive restored from an
// older backup). Campaigns are archived in-process (the core helpers), their finished_at moved into
// the past in PostgreSQL; every command is a real `wabulk` process against the real Redis and
// PostgreSQL. The archive URL carries a password (trust auth ignores it) that no output may repeat.

const PASSWORD = 'pw-prune-never-printed-41c9';
let db: TestDatabase;
let url: string;
let archive: PgArchive;
let redis: Redis;
let ctx: QueueContext;
const base = uniqueBase('prune');
const outputs: CliResult[] = [];
const TOKEN = 'prune-token-0123456789abcdef';
let api: ApiProcess | undefined;

const cli = async (args: string[], env: Record<string, string | undefined> = {}) => {
  const r = await runCli(args, { env: cliEnv(base, { WABULK_ARCHIVE_URL: url, ...env }), timeoutMs: 60_000 });
  outputs.push(r);
  return r;
};
const cliJson = async <T = Record<string, unknown>>(args: string[]) => {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(describeRun(r));
  return onlyJson<T>(r);
};

beforeAll(async () => {
  db = await createTestDatabase('prune');
  const u = new URL(db.url);
  u.password = PASSWORD;
  url = u.toString();
  archive = new PgArchive({ url: db.url });
  await migrate(archive.pool);
  redis = new Redis(REDIS_URL);
  ctx = createQueueContext({ redis, base, archive });
});

afterEach(async () => {
  await killAllClis();
  if (api?.running) await api.stop('SIGKILL');
});

afterAll(async () => {
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
  await archive.close();
  await db.drop();
});

const numbersFrom = (start: number, n: number) => Array.from({ length: n }, (_, i) => `+9198${String(start + i).padStart(8, '0')}`);

/** A campaign of `n` recipients (one failed, the rest sent; or cancelled after one send), archived, then finished at `finishedAt`. */
async function archived(id: string, n: number, finishedAt: Date, how: 'done' | 'cancelled' = 'done', createdAt = Date.now() - 60_000): Promise<string[]> {
  await ensureCampaign(ctx, id, { account: 'acme', body: `Hello from ${id}`, createdAt });
  const numbers = numbersFrom(n * 1000 + id.length * 97, n);
  await ctx.ledger.register(id, numbers.map((to) => ({ to })));
  if (how === 'cancelled') {
    await ctx.ledger.record(id, numbers[0]!, { status: 'sent', messageId: `${id}-m0`, attempts: 1, updatedAt: Date.now() });
    await cancelCampaign(ctx, id);
  } else {
    for (const [i, to] of numbers.entries()) {
      if (i === 0) await ctx.ledger.record(id, to, { status: 'failed', code: 'WA500', attempts: 1, updatedAt: Date.now() });
      else await ctx.ledger.record(id, to, { status: 'sent', messageId: `${id}-m${i}`, attempts: 1, updatedAt: Date.now() });
    }
  }
  expect(await archiveCampaign(ctx, archive, id, { afterMs: 0, quietMs: 0, force: true })).toMatchObject({ result: 'archived', rows: n });
  await archive.query('UPDATE wabulk_campaigns SET finished_at = $2 WHERE id = $1', [id, finishedAt]);
  return numbers;
}

async function pgCounts(id: string): Promise<{ campaigns: number; recipients: number }> {
  const c = await archive.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_campaigns WHERE id = $1', [id]);
  const r = await archive.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1', [id]);
  return { campaigns: Number(c.rows[0]!.n), recipients: Number(r.rows[0]!.n) };
}

/** What Redis still holds of a campaign: its keys that exist, and whether the campaign list names it. */
async function redisSide(id: string): Promise<{ keys: string[]; listed: boolean }> {
  const k = campaignKeys(base, id);
  const keys: string[] = [];
  for (const [name, key] of Object.entries(k)) if ((await redis.exists(key)) === 1) keys.push(name);
  return { keys, listed: (await redis.zscore(indexKeys(base).campaigns, id)) !== null };
}

type PruneJson = {
  archive: string;
  cutoff: string;
  campaigns: number;
  recipients: number;
  dryRun: boolean;
  ids: string[];
  orphanedMarkers: { found: number; removed: number; ids: string[] };
  skipped: Array<{ campaignId: string; reason: string }>; skippedTotal: number };

// old-a, old-b (cancelled), old-c (with 6,000 more rows than its ledger had: the chunked delete), new-a; and three the prune must leave alone:
// old-live (its row says done, but its meta is back in Redis: a restore or an archive run that stopped before marking the row),
// old-restored (restored by retry-failed: state restored), old-busy (an archive run or restore holds it right now).
const OLD = ['old-a', 'old-b', 'old-c'];

test('prune: the old archived campaigns leave PostgreSQL and Redis; reads say not found, the list is whole; live, restored and claimed ones are left alone; dry run, re-run', async () => {
  await archived('old-a', 5, new Date('2024-01-10T00:00:00Z'));
  await archived('old-b', 4, new Date('2024-02-01T00:00:00Z'), 'cancelled');
  await archived('old-c', 3, new Date('2024-03-01T00:00:00Z'));
  await archive.query(
    "INSERT INTO wabulk_recipients (campaign_id, number, status, attempts, updated_at) SELECT 'old-c', '+9197' || lpad(g::text, 8, '0'), 'sent', 1, now() FROM generate_series(1, 6000) g",
  );
  await archived('new-a', 6, new Date('2025-06-01T00:00:00Z'));
  await archived('old-live', 2, new Date('2024-01-20T00:00:00Z'));
  expect(await archive.restore(ctx, 'old-live')).toBe(true);
  await archive.query("UPDATE wabulk_campaigns SET state = 'done' WHERE id = 'old-live'");
  await archived('old-restored', 2, new Date('2024-01-21T00:00:00Z'));
  expect(await archive.restore(ctx, 'old-restored')).toBe(true);
  await archived('old-busy', 2, new Date('2024-01-22T00:00:00Z'));
  const busy = campaignKeys(base, 'old-busy');
  await redis.hset(busy.state, 'archiving', 'restorer-elsewhere', 'archivingUntil', String(Date.now() + 10 * 60_000));

  const port = await freePort();
  api = new ApiProcess(apiEnv(base, port, { WABULK_API_TOKENS: TOKEN, WABULK_ARCHIVE_URL: url }));
  await api.waitForLog('api listening', 30_000);
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  expect((await get('/v1/campaigns/old-a')).status).toBe(200);

  const newBefore = await cliJson(['status', '--campaign', 'new-a', '--json']);
  expect(newBefore).toMatchObject({ archived: true, total: 6, sent: 5, failed: 1 });
  const exportBefore = await cli(['export', '--campaign', 'new-a', '--format', 'ndjson']);
  expect(exportBefore.code).toBe(0);
  const before = { a: await pgCounts('old-a'), c: await pgCounts('old-c') };
  expect(before).toEqual({ a: { campaigns: 1, recipients: 5 }, c: { campaigns: 1, recipients: 6003 } });

  // A dry run lists and counts what the prune would take (not the live one, not the held one), and deletes nothing.
  const dry = await cliJson<PruneJson>(['archive', 'prune', '--finished-before', '2025-01-01', '--dry-run', '--json']);
  expect(dry).toMatchObject({ cutoff: '2025-01-01T00:00:00.000Z', campaigns: 3, recipients: 5 + 4 + 6003, dryRun: true, ids: ['old-a', 'old-b', 'old-c'], skippedTotal: 2 });
  expect(dry.skipped).toEqual(expect.arrayContaining([{ campaignId: 'old-live', reason: 'live' }, { campaignId: 'old-busy', reason: 'busy' }]));
  const dryText = await cli(['archive', 'prune', '--older-than', '300d', '--dry-run']);
  expect(dryText.code).toBe(0);
  expect(dryText.stdout).toMatch(/^old-a\nold-b\nold-c\nnew-a\n/);
  expect(dryText.stdout).toMatch(/dry run: 4 archived campaign\(s\) .* would be pruned .* nothing was deleted/);
  expect(await pgCounts('old-a')).toEqual(before.a);
  expect(await pgCounts('old-c')).toEqual(before.c);
  for (const id of OLD) expect(await redisSide(id)).toEqual({ keys: ['archived'], listed: true });

  // Prune, two campaigns a batch (the batches cross the skipped ones).
  const r = await cli(['archive', 'prune', '--finished-before', '2025-01-01T05:30:00+05:30', '--batch', '2', '--json']);
  expect(r.code).toBe(0);
  const out = onlyJson<PruneJson>(r);
  expect(out).toMatchObject({ cutoff: '2025-01-01T00:00:00.000Z', campaigns: 3, recipients: 5 + 4 + 6003, dryRun: false, ids: ['old-a', 'old-b', 'old-c'], skippedTotal: 2 });
  expect(out.archive).toBe(`postgres://postgres@127.0.0.1:5432/${db.name}`);
  expect(out.skipped).toEqual([
    { campaignId: 'old-live', reason: 'live' },
    { campaignId: 'old-busy', reason: 'busy' },
  ]);

  // Gone from PostgreSQL (campaign and recipient rows) and from Redis (marker, list entry, every key).
  for (const id of OLD) {
    expect(await pgCounts(id)).toEqual({ campaigns: 0, recipients: 0 });
    expect(await redisSide(id)).toEqual({ keys: [], listed: false });
    expect(await redis.zscore(indexKeys(base).finished, id)).toBeNull();
    const st = await cli(['status', '--campaign', id, '--json']);
    expect(st.code).toBe(3);
    expect(st.stderr).toContain(`no campaign ${id}`);
  }
  expect((await cli(['retry-failed', '--campaign', 'old-a'])).code).toBe(3);
  // The API alike: 404 for a pruned campaign, a list page without archiveUnavailable.
  for (const id of OLD) expect(await get(`/v1/campaigns/${id}`)).toMatchObject({ status: 404 });
  const page = await get('/v1/campaigns?limit=50');
  expect(page.status).toBe(200);
  expect(page.body).not.toHaveProperty('archiveUnavailable');
  expect((page.body.campaigns as Array<{ campaignId: string }>).map((c) => c.campaignId).sort()).toEqual(['new-a', 'old-busy', 'old-live', 'old-restored']);
  expect(await get('/v1/campaigns/new-a')).toEqual({ status: 200, body: newBefore });
  expect((await api.stop()).code).toBe(0);
  expect(api.stdout() + api.stderr()).not.toContain(PASSWORD);

  // The ones left alone are as they were.
  expect(await pgCounts('old-live')).toEqual({ campaigns: 1, recipients: 2 });
  expect(await pgCounts('old-restored')).toEqual({ campaigns: 1, recipients: 2 });
  expect(await pgCounts('old-busy')).toEqual({ campaigns: 1, recipients: 2 });
  expect((await redisSide('old-busy')).keys.sort()).toEqual(['archived', 'state']);
  expect((await redisSide('old-live')).keys).toContain('meta');

  // The list is whole: no archived campaign left out, exit 0.
  const list = await cli(['campaigns', '--json']);
  expect(list.code).toBe(0);
  expect(list.stderr).not.toMatch(/left out/);
  expect(onlyJson<Array<{ campaignId: string }>>(list).map((s) => s.campaignId).sort()).toEqual(['new-a', 'old-busy', 'old-live', 'old-restored']);
  // The newer campaign reads back unchanged.
  expect(await cliJson(['status', '--campaign', 'new-a', '--json'])).toEqual(newBefore);
  expect((await cli(['export', '--campaign', 'new-a', '--format', 'ndjson'])).stdout).toBe(exportBefore.stdout);

  // A re-run deletes nothing more; once the claim is gone, the next takes the campaign it held.
  expect(await cliJson<PruneJson>(['archive', 'prune', '--finished-before', '2025-01-01', '--json'])).toMatchObject({ campaigns: 0, recipients: 0, ids: [], skippedTotal: 2 });
  await redis.hdel(busy.state, 'archiving', 'archivingUntil');
  const again = await cli(['archive', 'prune', '--finished-before', '2025-01-01']);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/^pruned 1 archived campaign\(s\) finished before 2025-01-01T00:00:00.000Z from postgres:\/\/postgres@127\.0\.0\.1:5432\/\S+ and Redis, 2 recipient row\(s\); their ids may be used again\n$/);
  expect(again.stderr).toMatch(/left 1 campaign\(s\) alone that are live in Redis again .*: old-live/);
  expect(await pgCounts('old-busy')).toEqual({ campaigns: 0, recipients: 0 });
  expect(await redisSide('old-busy')).toEqual({ keys: [], listed: false });
  expect(await pgCounts('new-a')).toEqual({ campaigns: 1, recipients: 6 });

  // A pruned id may be used again (archived, intake refuses it): a new campaign under it is live.
  const at = new Date(Date.now() + 24 * 3600_000).toISOString();
  const reuse = await cli(['send', '--campaign', 'old-a', '--to', '+919800000001', '--body', 'A new message', '--at', at, '--json']);
  expect(reuse.code).toBe(0);
  expect(await cliJson(['status', '--campaign', 'old-a', '--json'])).toMatchObject({ state: 'scheduled', total: 1, pending: 1 });
  expect(await cliJson(['status', '--campaign', 'old-a', '--json'])).not.toHaveProperty('archived');
});

test('--older-than: campaigns finished longer ago than the duration; message-id index entries that still name a pruned campaign go with it, and what a dead restore left', async () => {
  const day = 24 * 3600_000;
  await archived('ago-10d', 3, new Date(Date.now() - 10 * day));
  await archived('ago-1d', 3, new Date(Date.now() - day));
  // an index entry an interrupted archive run left behind (they are kept 30 days)
  const leftover = messageKeys(base, 'ago-10d-m1').index;
  await redis.set(leftover, `ago-10d\n${numbersFrom(3000 + 7 * 97, 3)[1]}`, 'EX', 3600);

  // a restore that died half-way (its lease ran out before any archive pass undid it): claim, partial ledger and counters, its registry entry
  await archived('dead-restore', 3, new Date(Date.now() - 20 * day));
  const dead = campaignKeys(base, 'dead-restore');
  await redis.hset(dead.state, 'archiving', 'restore-that-died', 'archivingUntil', String(Date.now() - 1000));
  await redis.hset(dead.recipients, '+919800000009', 'partial');
  await redis.hset(dead.counts, 'total', '1');
  await redis.zadd(indexKeys(base).restoring, Date.now() - 1000, 'dead-restore');

  const out = await cliJson<PruneJson>(['archive', 'prune', '--older-than', '5d', '--batch', '1', '--json']);
  expect(out.ids).toContain('dead-restore');
  expect(await redisSide('dead-restore')).toEqual({ keys: [], listed: false });
  expect(await redis.zscore(indexKeys(base).restoring, 'dead-restore')).toBeNull();
  expect(await pgCounts('dead-restore')).toEqual({ campaigns: 0, recipients: 0 });
  expect(out.ids).toContain('ago-10d');
  expect(out.ids).not.toContain('ago-1d');
  expect(out.skipped.map((s) => s.campaignId)).toEqual(['old-live']);
  expect(await pgCounts('ago-10d')).toEqual({ campaigns: 0, recipients: 0 });
  expect(await redis.exists(leftover)).toBe(0);
  expect(await pgCounts('ago-1d')).toEqual({ campaigns: 1, recipients: 3 });
  expect(await cliJson(['status', '--campaign', 'ago-1d', '--json'])).toMatchObject({ archived: true, total: 3 });
  expect((await cli(['status', '--campaign', 'ago-10d'])).code).toBe(3);
});

test('a prune interrupted after its Redis step (rows without a marker): reads say not found, never 503; the re-run deletes the rows', async () => {
  await archived('half-done', 4, new Date('2024-04-01T00:00:00Z'));
  // what the Redis step leaves when the process dies before PostgreSQL: no marker, no list entry, the rows still there
  await redis.del(campaignKeys(base, 'half-done').archived);
  await redis.zrem(indexKeys(base).campaigns, 'half-done');
  const st = await cli(['status', '--campaign', 'half-done', '--json']);
  expect(st.code).toBe(3);
  const list = await cli(['campaigns', '--json']);
  expect(list.code).toBe(0);
  expect(list.stderr).toBe('');
  const out = await cliJson<PruneJson>(['archive', 'prune', '--finished-before', '2025-01-01', '--json']);
  expect(out).toMatchObject({ campaigns: 1, recipients: 4, ids: ['half-done'] });
  expect(await pgCounts('half-done')).toEqual({ campaigns: 0, recipients: 0 });
});

test('rows deleted by hand (the old advice): their markers answer 503; prune names them, and with --orphaned-markers removes them', async () => {
  const finished = new Date('2024-05-01T00:00:00Z');
  await archived('by-hand', 3, finished, 'done', finished.getTime() - 3600_000);
  await archived('by-hand-kept', 3, finished, 'done', finished.getTime() - 3600_000);
  await archive.query("DELETE FROM wabulk_campaigns WHERE id = 'by-hand'");
  const st = await cli(['status', '--campaign', 'by-hand', '--json']);
  expect(st.code).toBe(1);
  expect(st.stderr).toMatch(/marked archived in Redis but the archive has no record of it/);
  const leftOut = await cli(['campaigns', '--json']);
  expect(leftOut.code).toBe(1);
  expect(leftOut.stderr).toMatch(/left out 1 archived campaign\(s\) \(by-hand\)/);

  // Without the option: named (stderr and JSON), left alone; the campaign with its row is pruned as usual.
  const named = await cli(['archive', 'prune', '--finished-before', '2025-01-01', '--json']);
  expect(named.code).toBe(0);
  expect(onlyJson<PruneJson>(named)).toMatchObject({ campaigns: 1, ids: ['by-hand-kept'], orphanedMarkers: { found: 1, removed: 0, ids: ['by-hand'] } });
  expect((await redisSide('by-hand')).keys).toEqual(['archived']);
  const text = await cli(['archive', 'prune', '--finished-before', '2025-01-01']);
  expect(text.code).toBe(0);
  expect(text.stderr).toMatch(/1 campaign\(s\) created before the cutoff are marked archived in Redis but the archive has no rows for them .* --orphaned-markers .*: by-hand\n/);
  const dry = await cli(['archive', 'prune', '--finished-before', '2025-01-01', '--orphaned-markers', '--dry-run']);
  expect(dry.stdout).toMatch(/dry run: would remove the Redis marker of 1 campaign\(s\) .*: by-hand\n/);
  expect((await redisSide('by-hand')).keys).toEqual(['archived']);
  // A cutoff before its creation does not reach it.
  expect(await cliJson<PruneJson>(['archive', 'prune', '--finished-before', '2024-01-01', '--orphaned-markers', '--json'])).toMatchObject({ orphanedMarkers: { found: 0, removed: 0 } });

  // Pointed at a database that holds no campaign at all (the wrong one, freshly migrated), it refuses
  // to take every marker for an orphan: exit 1, nothing removed.
  const wrong = await createTestDatabase('prune_wrong');
  try {
    const wrongUrl = new URL(wrong.url);
    wrongUrl.password = 'wrong-db-secret-42';
    expect((await cli(['archive', 'migrate'], { WABULK_ARCHIVE_URL: wrongUrl.toString() })).code).toBe(0);
    const refused = await cli(['archive', 'prune', '--finished-before', '2025-01-01', '--orphaned-markers', '--json'], { WABULK_ARCHIVE_URL: wrongUrl.toString() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--orphaned-markers: the archive database \(.*\) holds no campaign at all; is WABULK_ARCHIVE_URL the right database\? No marker was removed/);
    expect(refused.stdout + refused.stderr).not.toContain('wrong-db-secret-42');
    expect((await redisSide('by-hand')).keys).toEqual(['archived']);
    expect((await redisSide('by-hand-kept')).keys).toEqual([]);
  } finally {
    await wrong.drop();
  }

  const removed = await cliJson<PruneJson>(['archive', 'prune', '--finished-before', '2025-01-01', '--orphaned-markers', '--json']);
  expect(removed).toMatchObject({ campaigns: 0, orphanedMarkers: { found: 1, removed: 1, ids: ['by-hand'] } });
  expect(await redisSide('by-hand')).toEqual({ keys: [], listed: false });
  expect((await cli(['status', '--campaign', 'by-hand'])).code).toBe(3);
  const list = await cli(['campaigns', '--json']);
  expect(list.code).toBe(0);
  expect(list.stderr).toBe('');
});

test('bad options exit 2 naming the option and the rule, before anything is read or deleted', async () => {
  const cases: Array<[string[], RegExp, Record<string, string | undefined>?]> = [
    [[], /exactly one of --finished-before .* or --older-than/],
    [['--finished-before', '2024-01-01', '--older-than', '30d'], /exactly one of --finished-before .* or --older-than/],
    [['--finished-before', 'last year'], /--finished-before: expected an ISO 8601 date/],
    [['--finished-before', '2024-01-01T10:00:00'], /--finished-before: expected an ISO 8601 date .* with an offset or Z/],
    [['--finished-before', '2999-01-01'], /--finished-before: must not be in the future/],
    [['--older-than', '13m'], /--older-than: expected a number of days or hours .* 395d/],
    [['--older-than', '30'], /--older-than: expected a number of days or hours/],
    [['--older-than', '0d'], /--older-than: .* greater than 0/],
    [['--older-than', '30d', '--batch', '0'], /--batch must be a whole number ≥ 1/],
    [['--older-than', '30d', '--batch', '20000'], /--batch: must be a whole number from 1 to 10000/],
    [['--older-than', '30d', '--nope'], /unknown option '--nope'/],
    [['--older-than', '30d', '--campaign', 'new-a'], /--campaign: archive prune takes no campaign id/],
    [['--older-than', '30d'], /WABULK_ARCHIVE_URL is not set/, { WABULK_ARCHIVE_URL: undefined }],
  ];
  const rows = Number((await archive.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_campaigns')).rows[0]!.n);
  // All at once: each is its own process and none touches anything (the suite's time is process starts).
  const runs = await Promise.all(cases.map(([args, , env]) => cli(['archive', 'prune', ...args], env)));
  for (const [i, [args, rule]] of cases.entries()) {
    expect({ args, code: runs[i]!.code }).toEqual({ args, code: 2 });
    expect(runs[i]!.stderr).toMatch(rule);
  }
  expect(Number((await archive.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_campaigns')).rows[0]!.n)).toBe(rows);
});

test('a database this build cannot use: exit 1 with the reason, nothing touched in Redis', async () => {
  const other = await createTestDatabase('prune_unmigrated');
  try {
    const u = new URL(other.url);
    u.password = PASSWORD;
    const r = await cli(['archive', 'prune', '--older-than', '1h'], { WABULK_ARCHIVE_URL: u.toString() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no wabulk schema yet: run `wabulk archive migrate`/);
    // the campaign archived in the suite's own database keeps its marker and list entry
    expect(await redisSide('ago-1d')).toEqual({ keys: ['archived'], listed: true });
    expect(await pgCounts('ago-1d')).toEqual({ campaigns: 1, recipients: 3 });
  } finally {
    await other.drop();
  }
});

afterAll(() => {
  // No output of any run repeats the password, and none is a crash.
  for (const r of outputs) {
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
});
