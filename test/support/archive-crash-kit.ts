import pg from 'pg';
import { Redis } from 'ioredis';
import { migrate, PgArchive } from '@wabulk/archive';
import { campaignKeys, campaignRows, createQueueContext, packRow, ensureCampaign, exportCampaign, getCampaignStatus, type LedgerRow, type QueueContext } from '@wabulk/queue';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { describeRun, killAllClis, spawnCli } from './proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from './redis.js';
import { waitFor } from './wait.js';

/**
 * What the archive crash suites share: a database and a key prefix of the suite's own, a finished
 * campaign written straight into the ledger, the archive run as a real process killed at a chosen
 * share of its copy, and the checks of "whole in Redis" and "exactly archived".
 */

export function useCrashKit(label: string) {
  let db: TestDatabase;
  let archive: PgArchive;
  let redis: Redis;
  let sql: pg.Client;
  let base: string;
  let ctx: QueueContext;

  beforeAll(async () => {
    db = await createTestDatabase(label);
    archive = new PgArchive({ url: db.url });
    await migrate(archive.pool);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    redis = new Redis(REDIS_URL);
    base = uniqueBase(label);
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

  const CODES = ['E110', '131026', '131047', 'E902'];
  const VALUES = ['plain', 'comma, inside', 'a "quoted" word', 'ünïcødé ✓ 🎉', 'tab\there', 'two\nlines', ''];

  /**
   * A finished campaign of `n` recipients written straight into the ledger's hash in its own entry
   * format (packRow), with the counters its scripts would hold: sent, failed (several codes),
   * delivered, read, failed-after-send (the DELIVER rule: only forward); values and refs of every
   * shape. One HSET per 5,000 entries (a Lua call per recipient took most of this suite's time).
   */
  async function populate(id: string, n: number): Promise<void> {
    await ensureCampaign(ctx, id, { account: 'acme', body: 'Hi {{name}}, code {{code}}', vars: ['name', 'code'], createdAt: Date.now() - 60_000 });
    const k = campaignKeys(base, id);
    const at = Date.now() - 30_000;
    const counts: Record<string, number> = { total: n, pending: 0, sent: 0, failed: 0, delivered: 0, read: 0, 'failed-after-send': 0 };
    const RANK: Record<string, number> = { sent: 2, delivered: 3, 'failed-after-send': 3, read: 4 };
    for (let s = 0; s < n; s += 5000) {
      const args: string[] = [];
      for (let i = s; i < Math.min(n, s + 5000); i++) {
        const row: LedgerRow = { to: `+9197${String(i).padStart(8, '0')}`, status: 'sent', attempts: 1, updatedAt: at + (i % 1000), vars: [`${VALUES[i % VALUES.length]}-${i}`, String(i % 97)] };
        if (i % 3 === 0) row.refs = { ref: `r${i}`, ...(i % 6 === 0 ? { ref1: `x,${i}` } : {}) };
        if (i % 10 === 0) {
          Object.assign(row, { status: 'failed', code: CODES[i % CODES.length], reason: `refused, "${i % 4}"`, attempts: 1 + (i % 3) });
          counts[`code:${row.code}`] = (counts[`code:${row.code}`] ?? 0) + 1;
        } else {
          row.messageId = `wamid.${id}.${i}`;
          if (i % 7 === 0) Object.assign(row, { status: 'delivered', updatedAt: at + 5000 });
          if (i % 13 === 0) Object.assign(row, { status: 'read', updatedAt: at + 6000 });
          if (i % 29 === 0 && RANK[row.status]! < 3) {
            Object.assign(row, { status: 'failed-after-send', code: '131049', reason: 'ecosystem, "limit"', updatedAt: at + 7000 });
            counts['fas:131049'] = (counts['fas:131049'] ?? 0) + 1;
          }
        }
        counts[row.status] = (counts[row.status] ?? 0) + 1;
        args.push(row.to, packRow(row));
      }
      await redis.hset(k.recipients, ...args);
    }
    await redis.hset(k.counts, { ...counts, finishedAt: at + 8000 });
  }

  async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
    const out: string[] = [];
    for await (const l of gen) out.push(l);
    return out.sort();
  }

  /** Every field (refs, values, the send's code under a delivery failure: more than the export shows) of a sample of recipients. */
  const SAMPLE = Array.from({ length: 400 }, (_, j) => `+9197${String(j * 250 + (j % 7)).padStart(8, '0')}`);
  async function sampleRows(id: string): Promise<string[]> {
    const canon = (r: LedgerRow | undefined) => JSON.stringify(r && Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b))));
    const rows = new Map<string, LedgerRow>();
    for await (const r of campaignRows(ctx, id)) if (SAMPLE.includes(r.to)) rows.set(r.to, r);
    return SAMPLE.map((to) => canon(rows.get(to)));
  }

  const copied = async (id: string) => {
    const r = await sql.query<{ copied: string }>('SELECT copied FROM wabulk_archive_runs WHERE campaign_id = $1', [id]);
    return r.rows[0] ? Number(r.rows[0].copied) : 0;
  };
  const countOf = async (table: string, id: string) => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE campaign_id = $1`, [id])).rows[0]!.n);

  /** The archive run as a real process, SIGKILLed once `copied` reached `fraction` of the campaign; returns the copied count seen then. */
  async function killAt(id: string, n: number, fraction: number, env: Record<string, string>, batch = 2000): Promise<number> {
    const { child, result } = spawnCli(['archive', '--campaign', id, '--batch', String(batch), '--json'], { env, timeoutMs: 60_000 });
    let exited = false;
    void result.then(() => (exited = true));
    const seen = await waitFor(
      async () => {
        if (exited) throw new Error(`the archive run ended before ${fraction * 100}% was copied:\n${describeRun(await result)}`);
        const c = await copied(id);
        return c >= fraction * n ? c : 0;
      },
      { timeoutMs: 60_000, intervalMs: 15, what: `${fraction * 100}% copied` },
    );
    child.kill('SIGKILL');
    const r = await result;
    expect(r.signal).toBe('SIGKILL');
    return seen;
  }

  /** What must hold right after the kill: the ledger whole in Redis, nothing in wabulk_recipients, reads from Redis. */
  async function expectStillInRedis(id: string, n: number, seen: number): Promise<void> {
    const k = campaignKeys(base, id);
    expect(await redis.hlen(k.recipients)).toBe(n);
    expect(await redis.exists(k.meta)).toBe(1);
    expect(await redis.exists(k.archived)).toBe(0);
    expect(await countOf('wabulk_recipients', id)).toBe(0);
    const after = await copied(id);
    expect(after).toBeGreaterThanOrEqual(seen);
    expect(after).toBeLessThan(n);
    expect(await countOf('wabulk_archive_staging', id)).toBe(after);
    const status = await getCampaignStatus(ctx, id);
    expect(status?.archived).toBeFalsy();
    expect(status?.total).toBe(n);
  }

  /** The dead run's claim holds until its lease ends. */
  const leaseLapsed = (id: string) => async () => Number((await redis.hget(campaignKeys(base, id).state, 'archivingUntil')) ?? 0) < Date.now();

  async function expectArchived(id: string, n: number, truth: { csv: string[]; rows: string[]; status: unknown }): Promise<void> {
    const k = campaignKeys(base, id);
    expect(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM wabulk_recipients WHERE campaign_id = $1', [id])).rows[0]!.n)).toBe(n);
    expect(Number((await sql.query<{ n: string }>('SELECT count(DISTINCT number) AS n FROM wabulk_recipients WHERE campaign_id = $1', [id])).rows[0]!.n)).toBe(n);
    expect(await countOf('wabulk_archive_staging', id)).toBe(0);
    expect(await countOf('wabulk_archive_runs', id)).toBe(0);
    expect(await redis.exists(k.meta, k.recipients, k.counts, k.state, k.deferred)).toBe(0);
    expect(await redis.exists(k.archived)).toBe(1);
    expect(await getCampaignStatus(ctx, id)).toEqual({ ...(truth.status as object), archived: true });
    expect(await collect(exportCampaign(ctx, id, 'csv'))).toEqual(truth.csv);
    expect(await sampleRows(id)).toEqual(truth.rows);
  }

  return {
    get db() {
      return db;
    },
    get redis() {
      return redis;
    },
    get base() {
      return base;
    },
    get ctx() {
      return ctx;
    },
    populate,
    collect,
    sampleRows,
    copied,
    killAt,
    expectStillInRedis,
    leaseLapsed,
    expectArchived,
    truth: async (id: string) => ({ csv: await collect(exportCampaign(ctx, id, 'csv')), rows: await sampleRows(id), status: await getCampaignStatus(ctx, id) }),
  };
}
