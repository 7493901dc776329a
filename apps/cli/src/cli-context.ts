import { baseEnvSchema, configuredAccountIds, parseEnv, type BaseEnv } from '@wabulk/config';
import type { PgArchive } from '@wabulk/archive';
import { ArchiveUnavailableError, classifyRedisError, connectRedis, describeRedisFailure, createQueueContext, describeRedisTarget, Producer, waitForReady, type QueueContext } from '@wabulk/queue';
import type { CountryCode } from '@wabulk/queue';
import { CliError } from './cli-error.js';

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
  const redis = connectRedis(target, 'producer');
  try {
    await waitForReady(redis, 5000);
  } catch {
    redis.disconnect();
    const variable = target.clusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
    throw new CliError(`cannot reach ${describeRedisTarget(target)} (${variable}). Start one (redis-server) or point ${variable} at it.`, 1);
  }
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

/**
 * Runs `fn` with a context and always closes it. A command that fails because Redis went away
 * under it (the connection is no longer ready, or the error says so; the producer connection fails
 * fast) or refused it (out of memory, loading, failing over) says so in an operator's words instead
 * of the driver's stack trace.
 */
export async function withContext<T>(fn: (c: CliContext) => Promise<T>): Promise<T> {
  const c = await openContext();
  try {
    return await fn(c);
  } catch (err) {
    if (err instanceof CliError) throw err;
    // PostgreSQL down (or not configured) while reading an archived campaign: the message names the server, never the password.
    if (err instanceof ArchiveUnavailableError) throw new CliError(`${err.message}. Campaigns still in Redis are unaffected; try again once the archive answers.`, 1);
    const kind = classifyRedisError(err);
    if (kind === 'unavailable' || c.ctx.redis.status !== 'ready') {
      throw new CliError(
        `lost ${c.where} during the command: it ${describeRedisFailure(err) ?? 'is not reachable'} (${(err as Error).message}). What was queued before stays queued; ` +
          'once Redis answers again, run the same command again: a re-run import adds nothing twice.',
        1,
      );
    }
    if (kind === 'refused') {
      throw new CliError(
        `${c.where} refused the command: it ${describeRedisFailure(err)} (${(err as Error).message}). What was queued before stays queued; ` +
          'once Redis takes commands again, run the same command again: a re-run import adds nothing twice.',
        1,
      );
    }
    throw err;
  } finally {
    await c.close();
  }
}
