import { Redis } from 'ioredis';
import { archiveCampaign, migrate, PgArchive, SchemaMismatchError } from '@wabulk/archive';
import { sendChecks, applyDeliveryCallback, campaignKeys, createQueueContext, ensureCampaign, exportCampaign, getCampaignStatus, recordMessageId, campaignRecipientsPage, type QueueContext } from '@wabulk/queue';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

let db: TestDatabase;
let archive: PgArchive;
let redis: Redis;
let base: string;
let ctx: QueueContext;

beforeAll(async () => {
  db = await createTestDatabase('core');
  archive = new PgArchive({ url: db.url });
  redis = new Redis(REDIS_URL);
  base = uniqueBase('arch');
  ctx = createQueueContext({ redis, base, archive });
});

afterAll(async () => {
  await deleteKeys(redis, base);
  redis.disconnect();
  await archive.close();
  await db.drop();
});

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of gen) out.push(l);
  return out;
}

test('before migrate, the archive refuses with the command to run; migrate is idempotent', async () => {
  await expect(archive.ready()).rejects.toThrow(/wabulk archive migrate/);
  const first = await migrate(archive.pool);
  expect(first).toMatchObject({ from: 0, to: 1 });
  expect((await migrate(archive.pool)).applied).toEqual([]);
  await archive.ready();
  expect(new SchemaMismatchError(2, 1).message).toMatch(/newer than this wabulk knows/);
});

test('a finished campaign is archived, leaves Redis, and reads back the same', async () => {
  const id = 'camp-1';
  await ensureCampaign(ctx, id, { account: 'acme', body: 'Hi {{name}}', vars: ['name'], createdAt: Date.now() - 5000 });
  const numbers = Array.from({ length: 1200 }, (_, i) => `+9198${String(i).padStart(8, '0')}`);
  await ctx.ledger.register(id, numbers.map((to, i) => ({ to, vars: [`n"${i},x`], refs: i % 3 === 0 ? { ref: `r${i}` } : undefined })));
  for (const [i, to] of numbers.entries()) {
    if (i % 10 === 0) await ctx.ledger.record(id, to, { status: 'failed', code: 'E110', reason: 'low balance, "quoted"', attempts: 1, updatedAt: Date.now() });
    // codes of several lengths, first recorded longest first: jsonb would keep them shortest first
    else if (i % 10 === 5) await ctx.ledger.record(id, to, { status: 'failed', code: ['HTTP_503', 'WA400', 'E1'][i % 3]!, reason: `reason ${i % 3}`, attempts: 1, updatedAt: Date.now() });
    else {
      await ctx.ledger.record(id, to, { status: 'sent', messageId: `mid-${i}`, attempts: 1, updatedAt: Date.now() });
      await recordMessageId(ctx, `mid-${i}`, { campaignId: id, to });
    }
  }
  await applyDeliveryCallback(ctx, 'mid-1', { status: 'delivered', at: Date.now() });
  await applyDeliveryCallback(ctx, 'mid-2', { status: 'failed-after-send', code: '131047', reason: 're-engagement', at: Date.now() });
  const before = await getCampaignStatus(ctx, id);
  const csvBefore = (await collect(exportCampaign(ctx, id, 'csv'))).sort();
  const ndBefore = (await collect(exportCampaign(ctx, id, 'ndjson'))).sort();

  const out = await archiveCampaign(ctx, archive, id, { afterMs: 0, quietMs: 0 });
  expect(out).toMatchObject({ result: 'archived', rows: 1200 });
  expect(await redis.exists(campaignKeys(base, id).recipients, campaignKeys(base, id).meta, campaignKeys(base, id).counts)).toBe(0);
  // its message-id index left Redis too: PostgreSQL's message_id index answers callbacks now
  expect(await redis.exists(`${base}:msgid:{mid-1}`, `${base}:msgid:{mid-3}`, `${base}:msgid:{mid-1199}`)).toBe(0);

  const after = await getCampaignStatus(ctx, id);
  expect(after).toEqual({ ...before, archived: true });
  // the same text too: the per-code maps in the same key order
  expect(JSON.stringify(after)).toBe(JSON.stringify({ ...before, archived: true }));
  expect(Object.keys(after!.byCode)).toEqual(['E1', 'E110', 'HTTP_503', 'WA400']);
  expect((await collect(exportCampaign(ctx, id, 'csv'))).sort()).toEqual(csvBefore);
  expect((await collect(exportCampaign(ctx, id, 'ndjson'))).sort()).toEqual(ndBefore);

  // paging by number, with a filter
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await campaignRecipientsPage(ctx, id, { cursor, limit: 50, status: 'failed' });
    seen.push(...page.rows.map((r) => r.to));
    cursor = page.cursor === '0' ? undefined : page.cursor;
  } while (cursor);
  expect(seen).toHaveLength(240) // every 10th E110, every 10th from the 5th another code;

  // a callback after archiving updates the archived row and the counters
  expect((await applyDeliveryCallback(ctx, 'mid-1', { status: 'read', at: Date.now() })).outcome).toBe('applied');
  expect((await applyDeliveryCallback(ctx, 'mid-3', { status: 'delivered', at: Date.now() })).outcome).toBe('applied');
  const later = await getCampaignStatus(ctx, id);
  expect(later).toMatchObject({ read: 1, delivered: 2, failedAfterSend: 1, archived: true });
  const beforeLate = later;

  // an outcome that comes after the archive (a request in flight) writes nothing to Redis; a late 'sent' goes to the archive
  const late = numbers[10]!; // failed E110 when archived
  expect(await ctx.ledger.record(id, late, { status: 'sent', messageId: 'mid-late', attempts: 2, updatedAt: Date.now() })).toEqual({ status: 'archived' });
  expect(await redis.exists(campaignKeys(base, id).recipients, campaignKeys(base, id).counts)).toBe(0);
  expect(await archive.recordLateSend(id, late, { messageId: 'mid-late', code: 'WA202', attempts: 2, at: Date.now() })).toBe('sent');
  expect(await archive.recordLateSend(id, late, { messageId: 'mid-later', at: Date.now() })).toBe('sent'); // the first message_id stays
  const withLate = await getCampaignStatus(ctx, id);
  expect(withLate).toMatchObject({ sent: beforeLate!.sent + 1, failed: beforeLate!.failed - 1, byCode: { E110: beforeLate!.byCode['E110']! - 1 } });
  expect((await applyDeliveryCallback(ctx, 'mid-late', { status: 'delivered', at: Date.now() })).outcome).toBe('applied');

  // a job left over from the campaign must not send: the worker's pre-send check says archived
  expect((await sendChecks(ctx, id, 'acme', numbers[5]!)).state).toBe('archived');

  // the id cannot be reused
  await expect(ensureCampaign(ctx, id, { account: 'acme', body: 'Hi {{name}}', createdAt: Date.now() })).rejects.toThrow(/archived/);
});

test('a restore: callbacks that arrive while it holds the campaign wait and then reach the ledger; a restore that fails leaves the campaign archived, its lock released', async () => {
  const id = 'camp-restore';
  await ensureCampaign(ctx, id, { account: 'acme', body: 'Hello', createdAt: Date.now() - 5000 });
  const numbers = Array.from({ length: 30 }, (_, i) => `+9197${String(i).padStart(8, '0')}`);
  await ctx.ledger.register(id, numbers.map((to) => ({ to })));
  for (const [i, to] of numbers.entries()) {
    if (i < 3) await ctx.ledger.record(id, to, { status: 'failed', code: 'WA500', attempts: 1, updatedAt: Date.now() });
    else {
      await ctx.ledger.record(id, to, { status: 'sent', messageId: `rmid-${i}`, attempts: 1, updatedAt: Date.now() });
      await recordMessageId(ctx, `rmid-${i}`, { campaignId: id, to });
    }
  }
  expect(await archiveCampaign(ctx, archive, id, { afterMs: 0, quietMs: 0 })).toMatchObject({ result: 'archived', rows: 30 });

  // A restore that fails half-way (the archive gives no rows: a broken pool) leaves no partial ledger and no lock.
  const broken = new PgArchive({ url: db.url.replace(/\/[^/]+$/, '/no_such_database_here') });
  await expect(broken.restore(ctx, id)).rejects.toThrow();
  await broken.close();
  const k = campaignKeys(base, id);
  expect(await redis.exists(k.recipients, k.counts, k.meta)).toBe(0);
  expect(await redis.hget(k.state, 'archiving')).toBeNull();
  expect((await getCampaignStatus(ctx, id))?.archived).toBe(true);

  // A restore holds the campaign (its lock, as CLAIM_RESTORE writes it): a callback waits beside it…
  await redis.hset(k.state, 'archiving', 'restorer-1', 'archivingUntil', String(Date.now() + 60_000));
  expect((await applyDeliveryCallback(ctx, 'rmid-5', { status: 'read', at: Date.now() })).outcome).toBe('deferred');
  // …and the restore that holds it brings the campaign back and applies it to the ledger.
  expect(await archive.restore(ctx, id, { owner: 'restorer-1' })).toBe(true);
  expect(await ctx.ledger.get(id, numbers[5]!)).toMatchObject({ status: 'read', messageId: 'rmid-5' });
  expect(await redis.llen(k.deferred)).toBe(0);
  const live = await getCampaignStatus(ctx, id);
  expect(live).toMatchObject({ total: 30, sent: 27, failed: 3, read: 1, delivered: 1, done: true });
  expect(live?.archived).toBeUndefined();
  // A callback for a message whose Redis index left with the archive reaches the live ledger through PostgreSQL's index.
  expect((await applyDeliveryCallback(ctx, 'rmid-6', { status: 'delivered', at: Date.now() })).outcome).toBe('applied');
  expect(await ctx.ledger.get(id, numbers[6]!)).toMatchObject({ status: 'delivered' });
});
