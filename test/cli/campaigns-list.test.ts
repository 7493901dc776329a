import type { Redis } from 'ioredis';
import { CAMPAIGN_STATES, createQueueContext, createRedis, ensureCampaign, waitForReady, type QueueContext } from '@wabulk/queue';
import { cliEnv, describeRun, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';

// `wabulk campaigns` as a real process: one JSON array of the objects `status --json` prints.

const base = uniqueBase('cli-list');
const env = cliEnv(base);
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
});

const cli = (args: string[]) => runCli(args, { env, timeoutMs: 45_000 });

test('campaigns --json: newest first, the objects of status --json; --account, --state and --limit filter; single messages are not listed', async () => {
  await ensureCampaign(ctx, 'old', { account: 'acme', body: 'a', createdAt: 1000 });
  await ensureCampaign(ctx, 'new', { account: 'beta', body: 'b', createdAt: 2000 });
  const single = await cli(['send', '--to', '+919876543210', '--body', 'otp', '--json']);
  expect(single.code).toBe(0);

  const list = await cli(['campaigns', '--json']);
  if (list.code !== 0) throw new Error(describeRun(list));
  const rows = onlyJson<Array<{ campaignId: string }>>(list);
  expect(rows.map((r) => r.campaignId)).toEqual(['new', 'old']);
  const status = await cli(['status', '--campaign', 'new', '--json']);
  expect(rows[0]).toEqual(onlyJson(status));

  expect(onlyJson<unknown[]>(await cli(['campaigns', '--json', '--account', 'acme']))).toEqual([expect.objectContaining({ campaignId: 'old' })]);
  expect(onlyJson<unknown[]>(await cli(['campaigns', '--json', '--limit', '1']))).toEqual([expect.objectContaining({ campaignId: 'new' })]);
  expect(onlyJson<unknown[]>(await cli(['campaigns', '--json', '--state', 'done']))).toEqual([expect.objectContaining({ campaignId: 'new' }), expect.objectContaining({ campaignId: 'old' })]);
  const text = await cli(['campaigns']);
  expect(text.stdout).toMatch(/^new\tbeta\tdone\t/m);
  const bad = await cli(['campaigns', '--state', 'nope']);
  expect(bad.code).toBe(2); // bad usage, as every command's
  expect(bad.stderr).toContain(`Allowed choices are ${CAMPAIGN_STATES.join(', ')}`);
  const missing = await cli(['cancel']);
  expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 2, stderr: expect.stringContaining("required option '--campaign <id>' not specified") });
});
