import { Redis } from 'ioredis';
import { archiveCampaign, migrate, PgArchive, type ArchiveOutcome } from '@wabulk/archive';
import {
  applyDeliveryCallback,
  campaignKeys,
  createQueueContext,
  ensureCampaign,
  getCampaignStatus,
  messageKeys,
  recordMessageId,
  type CallbackOutcome,
  type QueueContext,
} from '@wabulk/queue';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

/**
 * Delivery callbacks before, during and after archiving (in-process): before, they move the ledger;
 * while the campaign is being copied they wait beside it (`deferred`) and land in the archive once it
 * is there; after, they reach the archived row through the Redis message-id index or, once that
 * expired, PostgreSQL's message_id index — only forward, duplicates changing nothing. And two
 * archivers started at once on one campaign: one archives, the other stands aside.
 */

jest.setTimeout(60_000);

let db: TestDatabase;
let archive: PgArchive;
let redis: Redis;
let base: string;
let ctx: QueueContext;

beforeAll(async () => {
  db = await createTestDatabase('callbacks');
  archive = new PgArchive({ url: db.url });
  await migrate(archive.pool);
  redis = new Redis(REDIS_URL);
  base = uniqueBase('arcb');
  ctx = createQueueContext({ redis, base, archive });
});

afterAll(async () => {
  await deleteKeys(redis, base);
  redis.disconnect();
  await archive.close();
  await db.drop();
});

const mid = (id: string, i: number) => `wamid.${id}.${i}`;
const num = (i: number) => `+9196${String(i).padStart(8, '0')}`;

/** A finished campaign: every tenth recipient failed (E110), the rest sent with an indexed message id. */
async function sentCampaign(id: string, n: number): Promise<void> {
  await ensureCampaign(ctx, id, { account: 'acme', body: 'Hello {{name}}', vars: ['name'], createdAt: Date.now() - 10_000 });
  const numbers = Array.from({ length: n }, (_, i) => num(i));
  await ctx.ledger.register(id, numbers.map((to, i) => ({ to, vars: [`name ${i}`] })));
  await Promise.all(
    numbers.map(async (to, i) => {
      if (i % 10 === 0) {
        await ctx.ledger.record(id, to, { status: 'failed', code: 'E110', reason: 'low balance', attempts: 1, updatedAt: Date.now() });
        return;
      }
      await ctx.ledger.record(id, to, { status: 'sent', messageId: mid(id, i), attempts: 1, updatedAt: Date.now() });
      await recordMessageId(ctx, mid(id, i), { campaignId: id, to });
    }),
  );
}

const callback = (id: string, i: number, status: 'delivered' | 'read' | 'failed-after-send', code?: string) =>
  applyDeliveryCallback(ctx, mid(id, i), { status, at: Date.now(), ...(code ? { code, reason: `meta says ${code}` } : {}) }).then((r) => r.outcome);

async function archivedRow(id: string, i: number) {
  const r = await archive.pool.query<{ status: string; code: string | null; send_code: string | null; delivered_at: Date | null; read_at: Date | null }>(
    'SELECT status, code, send_code, delivered_at, read_at FROM wabulk_recipients WHERE campaign_id = $1 AND number = $2',
    [id, num(i)],
  );
  return r.rows[0];
}

test('callbacks before, during (deferred, then applied to the archive) and after archiving (both indexes); forward only; duplicates change nothing', async () => {
  const id = 'cb-1';
  const n = 3000;
  await sentCampaign(id, n);

  // Before: the ledger moves.
  expect(await callback(id, 1, 'delivered')).toBe('applied');
  expect(await callback(id, 3, 'read')).toBe('applied');
  expect(await callback(id, 5, 'failed-after-send', '131047')).toBe('applied');
  expect(await getCampaignStatus(ctx, id)).toMatchObject({ sent: 2700, failed: 300, delivered: 2, read: 1, failedAfterSend: 1, failedAfterSendByCode: { '131047': 1 }, done: true });

  // During: on the first committed batch, callbacks arrive; they wait beside the campaign.
  let during: Promise<CallbackOutcome[]> | undefined;
  const progress: number[] = [];
  const out = await archiveCampaign(ctx, archive, id, {
    afterMs: 0,
    quietMs: 0,
    batch: 200,
    onProgress: (copied) => {
      progress.push(copied);
      if (copied > 0 && during === undefined) {
        during = Promise.all([callback(id, 11, 'delivered'), callback(id, 13, 'read'), callback(id, 15, 'failed-after-send', '131026'), callback(id, 1, 'read'), callback(id, 3, 'delivered')]);
      }
    },
  });
  expect(out).toMatchObject({ result: 'archived', rows: n });
  expect(progress.filter((c) => c > 0).length).toBeGreaterThan(1); // the callbacks came with batches still to copy
  expect(await during).toEqual(['deferred', 'deferred', 'deferred', 'deferred', 'deferred']);
  const k = campaignKeys(base, id);
  expect(await redis.exists(k.deferred, k.recipients, k.meta)).toBe(0);

  // They are in the archive: rows and counters (mid 3's older 'delivered' changed nothing).
  expect(await archivedRow(id, 11)).toMatchObject({ status: 'delivered', delivered_at: expect.any(Date), read_at: null });
  expect(await archivedRow(id, 13)).toMatchObject({ status: 'read', delivered_at: expect.any(Date), read_at: expect.any(Date) });
  expect(await archivedRow(id, 15)).toMatchObject({ status: 'failed-after-send', code: '131026', send_code: null });
  expect(await archivedRow(id, 1)).toMatchObject({ status: 'read', read_at: expect.any(Date) });
  expect(await archivedRow(id, 3)).toMatchObject({ status: 'read' });
  expect(await getCampaignStatus(ctx, id)).toMatchObject({
    archived: true,
    sent: 2700,
    failed: 300,
    delivered: 4,
    read: 3,
    failedAfterSend: 2,
    failedAfterSendByCode: { '131047': 1, '131026': 1 },
  });

  // Archiving removed the campaign's Redis message-id index entries (PostgreSQL's index serves them now).
  expect(await redis.exists(messageKeys(base, mid(id, 21)).index, messageKeys(base, mid(id, 23)).index)).toBe(0);
  // After, through a Redis message-id index entry that outlived the ledger (as one left by a drop
  // that stopped half-way): it leads to the marker, and the marker to the archive.
  await redis.set(messageKeys(base, mid(id, 21)).index, `${id}\n${num(21)}`);
  expect(await callback(id, 21, 'delivered')).toBe('applied');
  // After, through PostgreSQL's message_id index.
  expect(await callback(id, 23, 'read')).toBe('applied');
  expect(await archivedRow(id, 23)).toMatchObject({ status: 'read', read_at: expect.any(Date) });
  // Failed after send, with a code: failedAfterSendByCode counts it.
  await redis.del(messageKeys(base, mid(id, 25)).index);
  expect(await callback(id, 25, 'failed-after-send', '131047')).toBe('applied');
  expect(await archivedRow(id, 25)).toMatchObject({ status: 'failed-after-send', code: '131047' });
  const settled = { archived: true, sent: 2700, failed: 300, delivered: 6, read: 4, failedAfterSend: 3, failedAfterSendByCode: { '131047': 2, '131026': 1 }, byCode: { E110: 300 } };
  expect(await getCampaignStatus(ctx, id)).toMatchObject(settled);

  // Forward only: an older 'delivered' after 'read' changes nothing (either index).
  expect(await callback(id, 23, 'delivered')).toBe('unchanged');
  expect(await callback(id, 13, 'delivered')).toBe('unchanged');
  // Duplicates change nothing.
  expect(await callback(id, 21, 'delivered')).toBe('unchanged');
  expect(await callback(id, 23, 'read')).toBe('unchanged');
  expect(await callback(id, 25, 'failed-after-send', '131047')).toBe('unchanged');
  expect(await callback(id, 15, 'failed-after-send', '131026')).toBe('unchanged');
  expect(await archivedRow(id, 23)).toMatchObject({ status: 'read' });
  expect(await archivedRow(id, 21)).toMatchObject({ status: 'delivered' });
  const final = await getCampaignStatus(ctx, id);
  expect(final).toMatchObject(settled);
  expect(final?.failedAfterSendByCode).toEqual({ '131047': 2, '131026': 1 });

  // The campaign row's per-status figures agree with its rows.
  const byStatus = await archive.pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1 GROUP BY status', [id]);
  expect(Object.fromEntries(byStatus.rows.map((r) => [r.status, Number(r.n)]))).toEqual({ sent: 2691, failed: 300, delivered: 2, read: 4, 'failed-after-send': 3 });
});

test('a callback for a message id neither index knows changes nothing in the archive', async () => {
  const id = 'cb-2';
  await sentCampaign(id, 100);
  expect(await archiveCampaign(ctx, archive, id, { afterMs: 0, quietMs: 0 })).toMatchObject({ result: 'archived', rows: 100 });
  expect((await applyDeliveryCallback(ctx, `wamid.nobody.${Date.now()}`, { status: 'read', at: Date.now() })).outcome).toBe('unknown');
  expect(await getCampaignStatus(ctx, id)).toMatchObject({ archived: true, sent: 90, failed: 10, delivered: 0, read: 0, failedAfterSend: 0 });
});

test('two archivers at once on one campaign (different owners): one archives, the other stands aside; no duplicate row', async () => {
  const id = 'cb-race';
  const n = 5000;
  await sentCampaign(id, n);
  // Each its own connections, as two workers would have.
  const redisB = new Redis(REDIS_URL);
  const archiveB = new PgArchive({ url: db.url });
  const ctxB = createQueueContext({ redis: redisB, base, archive: archiveB });
  try {
    const outcomes: ArchiveOutcome[] = await Promise.all([
      archiveCampaign(ctx, archive, id, { afterMs: 0, quietMs: 0, owner: 'worker-a', batch: 500 }),
      archiveCampaign(ctxB, archiveB, id, { afterMs: 0, quietMs: 0, owner: 'worker-b', batch: 500 }),
    ]);
    const results = outcomes.map((o) => o.result).sort();
    expect(results.filter((r) => r === 'archived')).toHaveLength(1);
    expect(['already', 'busy']).toContain(results.find((r) => r !== 'archived'));
    const counts = await archive.pool.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT number) AS d FROM wabulk_recipients WHERE campaign_id = $1', [id]);
    expect(counts.rows[0]).toEqual({ n: String(n), d: String(n) });
    const leftovers = await archive.pool.query<{ n: string }>('SELECT (SELECT count(*) FROM wabulk_archive_staging WHERE campaign_id = $1) + (SELECT count(*) FROM wabulk_archive_runs WHERE campaign_id = $1) AS n', [id]);
    expect(leftovers.rows[0]!.n).toBe('0');
    // And once more, now that it is archived: both answer 'already'.
    expect(await archiveCampaign(ctxB, archiveB, id, { afterMs: 0, quietMs: 0, owner: 'worker-b' })).toEqual({ result: 'already' });
    expect(await getCampaignStatus(ctx, id)).toMatchObject({ archived: true, total: n, sent: 4500, failed: 500 });
  } finally {
    redisB.disconnect();
    await archiveB.close();
  }
});
