import pg from 'pg';
import { LATEST_SCHEMA_VERSION } from '@wabulk/archive';
import { ApiProcess, apiEnv } from '../api/api-process.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { cliEnv, killAllClis, runCli } from '../support/proc-cli.js';
import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';
import { freePort, uniqueBase } from '../support/redis.js';

// The schema check at start, through the real processes an operator runs (issue 13: "a process
// refuses to run against a newer schema than it knows"). The database is the test's own; its URL
// carries a password (trust auth ignores it) that no output may repeat.

const PASSWORD = 'pw-never-printed-7f3a';
const SIM_URL = 'http://127.0.0.1:9'; // nothing is sent: the worker never gets that far, or sends nothing
let db: TestDatabase;
let url: string;
const base = uniqueBase('archschema');

beforeAll(async () => {
  db = await createTestDatabase('schema');
  const u = new URL(db.url);
  u.password = PASSWORD;
  url = u.toString();
});

afterEach(async () => {
  await killAllWorkers();
  await killAllClis();
});

afterAll(async () => {
  await db.drop();
});

const cli = (args: string[]) => runCli(args, { env: cliEnv(base, { WABULK_ARCHIVE_URL: url }), timeoutMs: 60_000 });

test('a database not migrated yet: the worker and the API start (sending never waits for it) and say what to run', async () => {
  const worker = await spawnWorker(workerEnv({ base, simUrl: SIM_URL }, { WABULK_ARCHIVE_URL: url }));
  expect(worker.logs().some((l) => typeof l.msg === 'string' && l.msg.includes('wabulk archive migrate'))).toBe(true);
  const api = new ApiProcess(apiEnv(base, await freePort(), { WABULK_API_TOKENS: 'schema-token-0123456789abcdef', WABULK_ARCHIVE_URL: url }));
  await api.waitForLog('api listening', 30_000);
  expect(api.messages().some((m) => m.includes('wabulk archive migrate'))).toBe(true);
  expect((await api.stop()).code).toBe(0);
  expect((await worker.kill('SIGTERM')).code).toBe(0);
  for (const out of [worker.stdout(), worker.stderr(), api.stdout(), api.stderr()]) expect(out).not.toContain(PASSWORD);
});

test('a database with a newer schema than this build: worker (alone and as `wabulk worker`), API, archive migrate and archive --campaign refuse it (exit 1), naming both versions, never the password', async () => {
  const migrated = await cli(['archive', 'migrate', '--json']);
  expect(migrated.code).toBe(0);
  const newer = LATEST_SCHEMA_VERSION + 1;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("INSERT INTO wabulk_schema_migrations (version, name) VALUES ($1, 'from a newer wabulk')", [newer]);
  } finally {
    await client.end();
  }
  const rule = new RegExp(`schema version ${newer}, newer than this wabulk knows \\(${LATEST_SCHEMA_VERSION}\\): upgrade wabulk`);

  const worker = await spawnWorker(workerEnv({ base, simUrl: SIM_URL }, { WABULK_ARCHIVE_URL: url }), { waitStarted: false });
  const workerExit = await worker.waitExit(30_000);
  expect(workerExit.code).toBe(1);
  expect(worker.stderr()).toMatch(rule);
  expect(worker.logs().some((l) => l.msg === 'worker started')).toBe(false);

  const api = new ApiProcess(apiEnv(base, await freePort(), { WABULK_API_TOKENS: 'schema-token-0123456789abcdef', WABULK_ARCHIVE_URL: url }));
  const apiExit = await api.waitExit(30_000);
  expect(apiExit.code).toBe(1);
  expect(api.stderr()).toMatch(rule);
  expect(api.messages()).not.toContain('api listening');

  const cliWorker = await runCli(['worker'], { env: workerEnv({ base, simUrl: SIM_URL }, { WABULK_ARCHIVE_URL: url }), timeoutMs: 30_000 });
  expect(cliWorker.code).toBe(1);
  expect(cliWorker.stderr).toMatch(rule);

  const again = await cli(['archive', 'migrate']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(rule);
  const archiveNow = await cli(['archive', '--campaign', 'any-campaign']);
  expect(archiveNow.code).toBe(1);
  expect(archiveNow.stderr).toMatch(rule);

  for (const out of [worker.stdout(), worker.stderr(), api.stdout(), api.stderr(), cliWorker.stdout, cliWorker.stderr, again.stdout, again.stderr, archiveNow.stdout, archiveNow.stderr]) {
    expect(out).not.toContain(PASSWORD);
    // an operator error, not a crash: no stack trace
    expect(out).not.toMatch(/\n\s+at /);
  }
  // what was there stays: the refusal wrote nothing
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  try {
    const versions = await check.query<{ version: number }>('SELECT version FROM wabulk_schema_migrations ORDER BY version');
    expect(versions.rows.map((r) => r.version)).toEqual([...Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1), newer]);
  } finally {
    await check.end();
  }
});
