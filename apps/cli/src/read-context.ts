import { readBaseEnvLight, type LightBaseEnv } from '@wabulk/config/light';
import type { PgArchive } from '@wabulk/archive';
import { describeRedisTarget, type CampaignArchive, type ReadContext } from '@wabulk/queue/read';
import { connectOrExplain, runWithContext } from './command-failure.js';

// The light context of a read-only command (`status`; start-up, issue 15): ioredis and
// `@wabulk/queue/read` only, no bullmq, zod, luxon or libphonenumber, no Producer. The settings, the
// errors and the answers are openContext's: a setting the light reader cannot vouch for is parsed by
// @wabulk/config as there (and named the same way when it is wrong); PostgreSQL's module loads only
// when an archived campaign is read.

export interface ReadCliContext {
  ctx: ReadContext;
  /** "Redis at host:port" (or the cluster's nodes), for messages; never a password. */
  where: string;
  close(): Promise<void>;
}

/** The settings openContext reads, parsed by @wabulk/config (zod) only when the light reader leaves them to it. */
async function readSettings(env: Record<string, string | undefined>): Promise<LightBaseEnv> {
  const light = readBaseEnvLight(env);
  if (light) return light;
  const { baseEnvSchema, configuredAccountIds, parseEnv } = await import('@wabulk/config');
  const config = parseEnv(baseEnvSchema, env);
  configuredAccountIds(env);
  return config;
}

/** The archive (WABULK_ARCHIVE_URL) behind a door: @wabulk/archive and pg load on its first use. */
function lazyArchive(url: string): { archive: CampaignArchive; close(): Promise<void> } {
  let loading: Promise<PgArchive> | undefined;
  const pg = () => (loading ??= import('@wabulk/archive').then((m) => new m.PgArchive({ url })));
  const archive: CampaignArchive = {
    campaign: async (campaignId) => (await pg()).campaign(campaignId),
    rows: async function* (campaignId, options) {
      yield* (await pg()).rows(campaignId, options);
    },
    page: async (campaignId, options) => (await pg()).page(campaignId, options),
    lookupMessageId: async (messageId) => (await pg()).lookupMessageId(messageId),
    deliver: async (campaignId, to, update) => (await pg()).deliver(campaignId, to, update),
    recordLateSend: async (campaignId, to, sent) => (await pg()).recordLateSend(campaignId, to, sent),
    restore: async (ctx, campaignId) => (await pg()).restore(ctx, campaignId),
  };
  return { archive, close: async () => (loading ? (await loading).close() : undefined) };
}

export async function openReadContext(env: Record<string, string | undefined> = process.env): Promise<ReadCliContext> {
  const config = await readSettings(env);
  const target = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES, commandTimeoutMs: config.WABULK_REDIS_COMMAND_TIMEOUT_MS };
  const redis = await connectOrExplain(target);
  const archive = config.WABULK_ARCHIVE_URL ? lazyArchive(config.WABULK_ARCHIVE_URL) : undefined;
  return {
    ctx: { redis, base: config.WABULK_KEY_PREFIX, archive: archive?.archive },
    where: describeRedisTarget(target),
    async close() {
      await archive?.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** withContext for read-only commands: the same failures in the same words (commandFailure), on the light context. */
export function withReadContext<T>(fn: (c: ReadCliContext) => Promise<T>): Promise<T> {
  return runWithContext(() => openReadContext(), fn);
}
