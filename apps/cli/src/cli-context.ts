import { baseEnvSchema, configuredAccountIds, parseEnv, type BaseEnv } from '@wabulk/config';
import type { PgArchive } from '@wabulk/archive';
import { createQueueContext, describeRedisTarget, Producer, type QueueContext } from '@wabulk/queue';
import type { CountryCode } from '@wabulk/queue';
import { connectOrExplain, runWithContext } from './command-failure.js';

export interface CliContext {
  env: BaseEnv;
  /** Accounts this process is configured for (KALEYRA_* / WABULK_ACCOUNTS_FILE / WABULK_ACCOUNT). */
  configuredAccounts: string[];
  ctx: QueueContext;
  producer: Producer;
  /** The campaign archive, when WABULK_ARCHIVE_URL is set. */
  archive?: PgArchive;
  /** "Redis at host:port" (or the cluster's nodes), for messages; never a password. */
  where: string;
  close(): Promise<void>;
}

/** Opens Redis (failing fast with a clear message when it is not there) and the queue layout. */
export async function openContext(env: Record<string, string | undefined> = process.env): Promise<CliContext> {
  const config = parseEnv(baseEnvSchema, env);
  const configuredAccounts = configuredAccountIds(env);
  const target = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES, commandTimeoutMs: config.WABULK_REDIS_COMMAND_TIMEOUT_MS };
  const redis = await connectOrExplain(target);
  // The archive's pool connects on its first query: commands that never read an archived campaign never touch PostgreSQL.
  // Its module (pg) loads only when an archive is configured (start-up, issue 15).
  const archive = config.WABULK_ARCHIVE_URL ? new (await import('@wabulk/archive')).PgArchive({ url: config.WABULK_ARCHIVE_URL }) : undefined;
  const ctx = createQueueContext({ redis, base: config.WABULK_KEY_PREFIX, archive });
  const producer = new Producer(ctx, { defaultAccount: config.WABULK_ACCOUNT, knownAccounts: configuredAccounts, singleMessageTtlSeconds: config.WABULK_MESSAGE_TTL_S, defaultCountry: config.WABULK_DEFAULT_COUNTRY as CountryCode | undefined });
  return {
    env: config,
    configuredAccounts,
    ctx,
    producer,
    where: describeRedisTarget(target),
    archive,
    async close() {
      await ctx.queues.close();
      await archive?.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Runs `fn` with a context and always closes it; a failure says what it means to an operator (commandFailure). */
export function withContext<T>(fn: (c: CliContext) => Promise<T>): Promise<T> {
  return runWithContext(() => openContext(), fn);
}
