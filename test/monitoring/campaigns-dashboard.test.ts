import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { MIGRATIONS } from '@wabulk/archive';
import { INFRA } from './prometheus-tools.js';

// The Campaigns dashboard (infra/grafana/dashboards/campaigns.json) against the archive's real
// schema: a scratch database on 127.0.0.1:5432 (user postgres, no password; `.ci/run` starts
// Debian's cluster), grafana_reader created by infra/postgres/grafana-reader.sql before the
// migrations (as in docker-compose), every migration of @wabulk/archive, a few campaigns; then
// every panel's SQL, with Grafana's macros replaced, runs as the reader role and returns the rows
// expected. The database and the role are dropped afterwards.

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const START_HINT = 'PostgreSQL must answer on 127.0.0.1:5432 as user postgres without a password (trust). Debian: `apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (.ci/run does this)';
const suffix = randomBytes(4).toString('hex');
const DB = `wabulk_dashboard_${suffix}`;
const READER = `grafana_reader_${suffix}`;

interface Target { refId: string; rawSql?: string; format?: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; datasource?: { uid?: string }; gridPos: { x: number; w: number }; targets?: Target[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Array<{ name: string; query: string; allValue?: string; datasource?: { uid?: string } }> } }

const dashboard = JSON.parse(readFileSync(path.join(INFRA, 'grafana/dashboards/campaigns.json'), 'utf8')) as Dashboard;

/** Grafana's macros and the $account variable, as Grafana sends them (quoted values, or the raw allValue). */
function substitute(sql: string, account: string): string {
  const out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, "$1 BETWEEN now() - interval '30 days' AND now()")
    .replace(/\$__timeGroupAlias\(([^,]+),\s*'?([^)']+)'?\)/g, "date_trunc('day', $1) AS time")
    .replaceAll('${account}', account)
    .replaceAll('$account', account);
  if (out.includes('$')) throw new Error(`unknown macro or variable left in:\n${out}`);
  return out;
}

let admin: pg.Client | undefined;
let scratch: pg.Client | undefined;
let reader: pg.Client | undefined;
let created = false;
let roleCreated = false;

async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 5000, ...config });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to PostgreSQL as ${config.user ?? PG.user} (database ${config.database}): ${(err as Error).message}. ${START_HINT}`);
  }
  return client;
}

beforeAll(async () => {
  admin = await connect({ database: 'postgres' });
  await admin.query(`CREATE DATABASE ${DB}`);
  created = true;
  scratch = await connect({ database: DB });
  // The role first, as the postgres image's initdb does, then the migrations: default privileges must cover the tables.
  const readerSql = readFileSync(path.join(INFRA, 'postgres/grafana-reader.sql'), 'utf8')
    .replaceAll('grafana_reader', READER)
    .replace(":'reader_password'", "'test-reader-password'");
  await scratch.query(readerSql);
  roleCreated = true;
  for (const m of MIGRATIONS) await scratch.query(m.sql);
  await scratch.query(`
    INSERT INTO wabulk_campaigns (id, account, template, priority, state, total, sent, failed, cancelled, delivered, read, failed_after_send, by_code, failed_after_send_by_code, meta, created_at, finished_at) VALUES
      ('c1', 'acme', 't', 'normal', 'done',      10, 8, 2, 0, 6, 3, 1, '{"WA400": 2}', '{"131026": 1}', '{}', date_trunc('day', now()) - interval '3 days', date_trunc('day', now()) - interval '2 days' + interval '1 hour'),
      ('c2', 'acme', 't', 'normal', 'cancelled',  5, 2, 1, 2, 1, 0, 0, '{"WA500": 1}', '{}',            '{}', date_trunc('day', now()) - interval '2 days', date_trunc('day', now()) - interval '1 day' + interval '1 hour'),
      ('c3', 'beta', 't', 'normal', 'done',       4, 4, 0, 0, 4, 4, 0, '{}',           '{}',            '{}', date_trunc('day', now()) - interval '3 days', date_trunc('day', now()) - interval '2 days' + interval '2 hours'),
      -- restored to Redis by retry-failed: left out everywhere
      ('c4', 'beta', 't', 'normal', 'restored', 100, 50, 50, 0, 40, 10, 0, '{"WA400": 50}', '{}',         '{}', date_trunc('day', now()) - interval '2 days', date_trunc('day', now()) - interval '1 day' + interval '2 hours'),
      -- finished before the 30-day range
      ('c5', 'acme', 't', 'normal', 'done',       7, 7, 0, 0, 7, 7, 0, '{"WA400": 9}', '{}',            '{}', now() - interval '61 days', now() - interval '60 days');
    INSERT INTO wabulk_recipients (campaign_id, number, status, updated_at, delivered_at, read_at) VALUES
      ('c1', '+919800000001', 'read',      now(), date_trunc('day', now()) - interval '2 days' + interval '3 hours', date_trunc('day', now()) - interval '1 day' + interval '3 hours'),
      ('c1', '+919800000002', 'delivered', now(), date_trunc('day', now()) - interval '2 days' + interval '3 hours', NULL),
      ('c3', '+919800000003', 'delivered', now(), date_trunc('day', now()) - interval '1 day' + interval '4 hours', NULL),
      ('c1', '+919800000004', 'failed',    now(), NULL, NULL),
      ('c4', '+919800000005', 'read',      now(), date_trunc('day', now()) - interval '1 day' + interval '3 hours', date_trunc('day', now()) - interval '1 day' + interval '4 hours'),
      ('c5', '+919800000006', 'read',      now(), now() - interval '60 days', now() - interval '60 days');
  `);
  reader = await connect({ database: DB, user: READER, password: 'test-reader-password' });
});

afterAll(async () => {
  await reader?.end();
  await scratch?.end();
  if (admin) {
    if (created) await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    if (roleCreated) await admin.query(`DROP ROLE IF EXISTS ${READER}`);
    await admin.end();
  }
});

const day = (n: number) => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() - n * 86_400_000).toISOString();
};
const sqlOf = (title: string) => {
  const t = dashboard.panels.find((p) => p.title === title)?.targets?.[0]?.rawSql;
  if (!t) throw new Error(`no panel "${title}" with rawSql`);
  return t;
};
async function rows(title: string, account: string) {
  const r = await reader!.query(substitute(sqlOf(title), account));
  // bigint sums arrive as strings (a code stays one); timestamps as Dates
  return r.rows.map((row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : k !== 'code' && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v])));
}

const ALL = "'__all__'";

test('campaigns.json: uid, title, every panel and the account variable on the wabulk-archive data source, SQL only', () => {
  expect(dashboard).toMatchObject({ uid: 'wabulk-campaigns', title: 'Campaigns' });
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const p of dashboard.panels) {
    expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    expect({ panel: p.title, uid: p.datasource?.uid, sql: (p.targets ?? []).every((t) => t.rawSql && t.datasource?.uid === 'wabulk-archive') && (p.targets ?? []).length > 0 })
      .toEqual({ panel: p.title, uid: 'wabulk-archive', sql: true });
  }
  const v = dashboard.templating.list.find((x) => x.name === 'account')!;
  expect(v).toMatchObject({ query: 'SELECT DISTINCT account FROM wabulk_campaigns ORDER BY 1', allValue: ALL, datasource: { uid: 'wabulk-archive' } });
  const ds = readFileSync(path.join(INFRA, 'grafana/provisioning/datasources/archive.yml'), 'utf8');
  expect(ds).toMatch(/uid: wabulk-archive/);
  expect(ds).toMatch(/user: grafana_reader/);
});

test('the account variable lists the archived accounts', async () => {
  const v = dashboard.templating.list.find((x) => x.name === 'account')!;
  expect((await reader!.query(v.query)).rows).toEqual([{ account: 'acme' }, { account: 'beta' }]);
});

test('every panel query runs as grafana_reader with All, one and two accounts', async () => {
  for (const p of dashboard.panels) {
    for (const t of p.targets ?? []) {
      for (const account of [ALL, "'acme'", "'acme','beta'", "'nobody'"]) {
        await expect(reader!.query(substitute(t.rawSql!, account)).then(() => 'ok', (err: Error) => `${p.title} (${account}): ${err.message}`)).resolves.toBe('ok');
      }
    }
  }
});

test('grafana_reader reads but cannot write', async () => {
  await expect(reader!.query("UPDATE wabulk_campaigns SET state = 'x'")).rejects.toThrow(/read-only transaction|permission denied/);
  // Even with read-only switched off for the session, it has no write grant.
  await reader!.query('SET default_transaction_read_only = off');
  await expect(reader!.query("UPDATE wabulk_campaigns SET state = 'x'")).rejects.toThrow(/permission denied/);
  await expect(reader!.query('CREATE TABLE x (a int)')).rejects.toThrow(/permission denied/);
  await reader!.query('RESET default_transaction_read_only');
});

test('Finished campaigns in range: restored and out-of-range campaigns left out', async () => {
  expect(await rows('Finished campaigns in range', ALL)).toEqual([{ campaigns: 3, recipients: 19, sent: 14, failed: 3, delivered: 11, read: 7 }]);
  expect(await rows('Finished campaigns in range', "'beta'")).toEqual([{ campaigns: 1, recipients: 4, sent: 4, failed: 0, delivered: 4, read: 4 }]);
  expect(await rows('Finished campaigns in range', "'nobody'")).toEqual([{ campaigns: 0, recipients: 0, sent: 0, failed: 0, delivered: 0, read: 0 }]);
});

test('Finished campaigns: the table, newest first', async () => {
  expect(await rows('Finished campaigns', ALL)).toEqual([
    { id: 'c2', account: 'acme', state: 'cancelled', total: 5, sent: 2, failed: 1, delivered: 1, read: 0, finished_at: new Date(Date.parse(day(1)) + 3_600_000).toISOString() },
    { id: 'c3', account: 'beta', state: 'done', total: 4, sent: 4, failed: 0, delivered: 4, read: 4, finished_at: new Date(Date.parse(day(2)) + 7_200_000).toISOString() },
    { id: 'c1', account: 'acme', state: 'done', total: 10, sent: 8, failed: 2, delivered: 6, read: 3, finished_at: new Date(Date.parse(day(2)) + 3_600_000).toISOString() },
  ]);
  expect((await rows('Finished campaigns', "'acme','beta'")).map((r) => r.id)).toEqual(['c2', 'c3', 'c1']);
  expect((await rows('Finished campaigns', "'acme'")).map((r) => r.id)).toEqual(['c2', 'c1']);
});

test('Messages per day by account: one row per UTC day and account', async () => {
  expect(await rows('Messages per day by account', ALL)).toEqual([
    { time: day(2), account: 'acme', sent: 8, failed: 2, delivered: 6, read: 3 },
    { time: day(2), account: 'beta', sent: 4, failed: 0, delivered: 4, read: 4 },
    { time: day(1), account: 'acme', sent: 2, failed: 1, delivered: 1, read: 0 },
  ]);
});

test('Delivered and read per day: from the recipients\' callback times', async () => {
  expect(await rows('Delivered and read per day', ALL)).toEqual([
    { time: day(2), delivered: 2, read: 0 },
    { time: day(1), delivered: 1, read: 1 },
  ]);
  expect(await rows('Delivered and read per day', "'beta'")).toEqual([{ time: day(1), delivered: 1, read: 0 }]);
});

test('Per account', async () => {
  expect(await rows('Per account', ALL)).toEqual([
    { account: 'acme', campaigns: 2, total: 15, sent: 10, failed: 3, delivered: 7, read: 3 },
    { account: 'beta', campaigns: 1, total: 4, sent: 4, failed: 0, delivered: 4, read: 4 },
  ]);
});

test('Failures by code: by_code and failed_after_send_by_code summed over the campaigns', async () => {
  expect(await rows('Failures by code', ALL)).toEqual([
    { code: 'WA400', failed: 2, failed_after_send: 0 },
    { code: '131026', failed: 0, failed_after_send: 1 },
    { code: 'WA500', failed: 1, failed_after_send: 0 },
  ]);
});
