import { ArchiveUnavailableError, classifyRedisError, connectRedis, describeRedisFailure, describeRedisTarget, waitForReady, type RedisClient, type RedisTarget } from '@wabulk/queue/read';
import { CliError } from './cli-error.js';

/**
 * What a command's failure says to an operator (withContext and withReadContext alike): a command
 * that fails because Redis went away under it (the connection is no longer ready, or the error says
 * so; the producer connection fails fast) or refused it (out of memory, loading, failing over) says
 * so in an operator's words instead of the driver's stack trace. Anything else is returned as it is.
 * Light (`@wabulk/queue/read` only): `status --json` loads it (start-up, issue 15).
 */
export function commandFailure(err: unknown, where: string, redis: RedisClient): unknown {
  if (err instanceof CliError) return err;
  // Bad input, whatever Redis is doing: main.ts answers it with exit 2.
  if (err instanceof Error && err.name === 'InvalidIdError') return err;
  // PostgreSQL down (or not configured) while reading an archived campaign: the message names the server, never the password.
  if (err instanceof ArchiveUnavailableError) return new CliError(`${err.message}. Campaigns still in Redis are unaffected; try again once the archive answers.`, 1);
  const kind = classifyRedisError(err);
  if (kind === 'unavailable' || redis.status !== 'ready') {
    return new CliError(
      `lost ${where} during the command: it ${describeRedisFailure(err) ?? 'is not reachable'} (${(err as Error).message}). What was queued before stays queued; ` +
        'once Redis answers again, run the same command again: a re-run import adds nothing twice.',
      1,
    );
  }
  if (kind === 'refused') {
    return new CliError(
      `${where} refused the command: it ${describeRedisFailure(err)} (${(err as Error).message}). What was queued before stays queued; ` +
        'once Redis takes commands again, run the same command again: a re-run import adds nothing twice.',
      1,
    );
  }
  return err;
}

/** Connects as a producer (commands fail fast), failing fast with a clear message when Redis is not there. */
export async function connectOrExplain(target: RedisTarget): Promise<RedisClient> {
  const redis = connectRedis(target, 'producer');
  try {
    await waitForReady(redis, 5000);
  } catch {
    redis.disconnect();
    const variable = target.clusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
    throw new CliError(`cannot reach ${describeRedisTarget(target)} (${variable}). Start one (redis-server) or point ${variable} at it.`, 1);
  }
  return redis;
}

/** Runs `fn` with a context `open` gives and always closes it; a failure says what it means to an operator (commandFailure). */
export async function runWithContext<C extends { where: string; ctx: { redis: RedisClient }; close(): Promise<void> }, T>(open: () => Promise<C>, fn: (c: C) => Promise<T>): Promise<T> {
  const c = await open();
  try {
    return await fn(c);
  } catch (err) {
    throw commandFailure(err, c.where, c.ctx.redis);
  } finally {
    await c.close();
  }
}
