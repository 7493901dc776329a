import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueContext, createRedis, ensureCampaign, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, REPO_ROOT, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// Start-up (issue 15): what `wabulk --help` and `wabulk status` load, read from the process itself
// (test/support/module-trace.mjs lists every module it loaded), never from a clock. The time these
// save is measured by `pnpm bench cli-start`.

const base = uniqueBase('cli-lazy');
const env = cliEnv(base);
const dir = mkdtempSync(path.join(tmpdir(), 'wabulk-trace-'));
const TRACE = path.join(REPO_ROOT, 'test/support/module-trace.mjs');
let redis: Redis;
let ctx: QueueContext;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  ctx = createQueueContext({ redis, base });
});

afterAll(async () => {
  await killAllClis();
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `wabulk <args>` and returns it with the names of what it loaded: npm packages ("fastify", "@fastify/swagger") and workspace folders ("apps/api", "apps/cli/src/commands/status.ts"). */
async function traced(args: string[]) {
  const file = path.join(dir, `${args.join('_').replace(/\W+/g, '_')}.txt`);
  const run = await runCli(args, { env: { ...env, WABULK_MODULE_TRACE: file }, nodeArgs: ['--import', TRACE], timeoutMs: 45_000 });
  const loaded = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const p = line.startsWith('file://') ? decodeURIComponent(new URL(line).pathname) : line;
    const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(p);
    if (pkg) loaded.add(pkg[1]!);
    else if (p.startsWith(`${REPO_ROOT}/`)) {
      const rel = p.slice(REPO_ROOT.length + 1);
      loaded.add(rel.split('/').slice(0, 2).join('/'));
      if (rel.startsWith('apps/cli/src/')) loaded.add(rel);
    }
  }
  return { run, loaded };
}

/** What no short command needs: the API (fastify, swagger), the worker, the simulator, PostgreSQL, logging, metrics, the HTTP client. */
const HEAVY = ['fastify', '@fastify/swagger', '@fastify/swagger-ui', 'apps/api', 'apps/worker', 'apps/kaleyra-sim', 'packages/archive', 'packages/telemetry', 'pg', 'pino', 'prom-client', 'undici', 'cli-progress'];

test('--help loads commander and the program, no command module and no @wabulk package', async () => {
  const { run, loaded } = await traced(['--help']);
  if (run.code !== 0) throw new Error(describeRun(run));
  expect(run.stdout).toContain('Usage: wabulk');
  // The trace works: it saw the entry point and commander.
  expect(loaded).toContain('apps/cli/src/main.ts');
  expect(loaded).toContain('commander');
  const unexpected = [...loaded].filter((m) => m.startsWith('apps/cli/src/commands/') || m.startsWith('packages/') || (m.startsWith('apps/') && !m.startsWith('apps/cli')) || HEAVY.includes(m) || ['bullmq', 'ioredis', 'zod'].includes(m));
  expect(unexpected).toEqual([]);
});

test('status --campaign ID --json loads the status command and the Redis layer, not the API, the worker, the simulator or PostgreSQL', async () => {
  await ensureCampaign(ctx, 'lazy', { account: 'acme', body: 'hello', createdAt: Date.now() });
  const { run, loaded } = await traced(['status', '--campaign', 'lazy', '--json']);
  if (run.code !== 0) throw new Error(describeRun(run));
  expect(onlyJson(run)).toMatchObject({ campaignId: 'lazy', account: 'acme' });
  // What it needs (CommonJS seen too: ioredis).
  expect(loaded).toContain('apps/cli/src/commands/status.ts');
  expect(loaded).toContain('packages/queue');
  expect(loaded).toContain('ioredis');
  const commands = [...loaded].filter((m) => m.startsWith('apps/cli/src/commands/'));
  expect(commands).toEqual(['apps/cli/src/commands/status.ts']);
  expect(HEAVY.filter((m) => loaded.has(m))).toEqual([]);
  // The light read path (`@wabulk/queue/read`, `@wabulk/config/light`): ioredis and pure helpers only.
  expect(READ_PATH_FORBIDDEN.filter((m) => loaded.has(m))).toEqual([]);
  expect(loaded).not.toContain('apps/cli/src/cli-context.ts');
});

/** What the light read path never loads: BullMQ, the phone-number and time-zone libraries, the CSV parser, zod and what @wabulk/config's full entry brings. */
const READ_PATH_FORBIDDEN = ['bullmq', 'libphonenumber-js', 'libphonenumber-geo-carrier', 'luxon', 'csv-parse', 'zod', 'bson', 'p-limit', 'packages/kaleyra', 'msgpackr', 'cron-parser', 'semver', 'uuid'];

test('status (human output, --once) takes the light read path too, and answers as status --json says', async () => {
  await ensureCampaign(ctx, 'lazy-once', { account: 'acme', body: 'hello', createdAt: Date.now() });
  const { run, loaded } = await traced(['status', '--campaign', 'lazy-once', '--once']);
  if (run.code !== 0) throw new Error(describeRun(run));
  expect(run.stdout).toBe('lazy-once: 0/0 (100%)  sent 0  failed 0  pending 0\n');
  expect(READ_PATH_FORBIDDEN.filter((m) => loaded.has(m))).toEqual([]);
});

test('campaigns --json takes the light read path: the statuses status --json prints', async () => {
  const { run, loaded } = await traced(['campaigns', '--json']);
  if (run.code !== 0) throw new Error(describeRun(run));
  const listed = onlyJson<Array<{ campaignId: string }>>(run);
  expect(listed.map((c) => c.campaignId).sort()).toEqual(['lazy', 'lazy-once']);
  const { run: one } = await traced(['status', '--campaign', 'lazy', '--json']);
  expect(listed.find((c) => c.campaignId === 'lazy')).toEqual(onlyJson(one));
  expect(loaded).toContain('apps/cli/src/commands/campaigns.ts');
  expect(READ_PATH_FORBIDDEN.filter((m) => loaded.has(m))).toEqual([]);
  expect(HEAVY.filter((m) => loaded.has(m))).toEqual([]);
});

test('a setting the light reader cannot vouch for is parsed by @wabulk/config: the same operator error (exit 2)', async () => {
  const run = await runCli(['status', '--campaign', 'lazy', '--json'], { env: { ...env, WABULK_MESSAGE_TTL_S: '10' } });
  expect(run.code).toBe(2);
  expect(run.stderr).toBe('wabulk: invalid configuration: WABULK_MESSAGE_TTL_S: Too small: expected number to be >=60\n');
  const unreachable = await runCli(['status', '--campaign', 'lazy', '--json'], { env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toBe('wabulk: cannot reach Redis at 127.0.0.1:1 (REDIS_URL). Start one (redis-server) or point REDIS_URL at it.\n');
});

test('a campaign id that breaks the id rule is bad input on the light path too: exit 2, the option and the rule, no stack', async () => {
  for (const args of [['status', '--campaign', 'bad:id', '--json'], ['status', '--campaign', 'bad:id', '--once'], ['cancel', '--campaign', 'bad:id']]) {
    const r = await runCli(args, { env });
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: 'wabulk: --campaign: must be 1-64 letters, digits, _ . or -, got "bad:id"\n' });
  }
});
