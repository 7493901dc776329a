import type { RedisClient } from '@wabulk/queue';

/**
 * Whether this worker's Redis answers, for /readyz and `wabulk_worker_redis_up`. A worker's commands
 * have no deadline (they wait for Redis however long it is away), so a Redis that keeps the
 * connection open and answers nothing (a network partition: TCP holds the bytes) looks "ready" to
 * the client for as long as the partition lasts. A PING every `intervalMs` on the worker's own
 * command connection, one at a time, tells: one not answered within `deadlineMs` makes the worker
 * not ready, with the reason, until a PING answers again (after the heal, or once ioredis has
 * reconnected after a reset).
 */
export interface RedisWatch {
  /** undefined while Redis answers; else why not (for /readyz's body). */
  problem(): string | undefined;
  stop(): void;
}

export interface RedisWatchOptions {
  intervalMs?: number;
  /** How long a PING may go unanswered before Redis counts as unreachable (WABULK_REDIS_COMMAND_TIMEOUT_MS). */
  deadlineMs?: number;
  /** Called on every change: up = Redis answers. */
  onChange?: (up: boolean, reason: string | undefined) => void;
}

export const DEFAULT_REDIS_WATCH_INTERVAL_MS = 1000;

export function watchRedis(redis: RedisClient, options: RedisWatchOptions = {}): RedisWatch {
  const intervalMs = options.intervalMs ?? DEFAULT_REDIS_WATCH_INTERVAL_MS;
  const deadlineMs = options.deadlineMs ?? 2000;
  let problem: string | undefined;
  let inFlight: { since: number } | undefined;
  let notReadySince: number | undefined;
  let stopped = false;

  const set = (next: string | undefined) => {
    if (next === problem) return;
    const changed = (next === undefined) !== (problem === undefined);
    problem = next;
    if (changed) options.onChange?.(next === undefined, next);
  };

  const tick = () => {
    if (stopped) return;
    if (inFlight) {
      const waited = Date.now() - inFlight.since;
      if (waited >= deadlineMs) set(`Redis has not answered a PING for ${Math.round(waited / 1000)} s (deadline ${deadlineMs} ms): the connection is ${redis.status}; sends are held until it answers`);
      return;
    }
    if (redis.status !== 'ready') {
      // ioredis is (re)connecting: nothing to ask until it is; say so once that lasts past the deadline.
      inFlight = undefined;
      notReadySince ??= Date.now();
      if (Date.now() - notReadySince >= deadlineMs) set(`Redis connection is ${redis.status} (not ready for ${Math.round((Date.now() - notReadySince) / 1000)} s)`);
      return;
    }
    notReadySince = undefined;
    const probe = { since: Date.now() };
    inFlight = probe;
    redis.ping().then(
      () => {
        if (inFlight === probe) inFlight = undefined;
        set(undefined);
      },
      (err: Error) => {
        if (inFlight === probe) inFlight = undefined;
        set(`Redis answered a PING with an error: ${err.message}`);
      },
    );
  };
  const timer = setInterval(tick, Math.max(50, Math.min(intervalMs, deadlineMs / 2)));
  timer.unref();
  tick();
  return {
    problem: () => problem,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
