import { randomUUID } from 'node:crypto';
import { campaignKeys, deliverTo, type DeliveryUpdate, type QueueContext } from '@wabulk/queue';

/** How long one drainer holds a campaign's deferred list (renewed per batch); a crashed one's lock expires. */
const DRAIN_LOCK_MS = 30_000;

/**
 * Applies the callbacks that waited while the campaign was being copied (or restored), wherever it
 * now is (the archive, or Redis when the run stopped), a batch at a time, removing each batch only
 * once it is applied (a crash re-applies it: a callback applied twice changes nothing). One drainer
 * per campaign at a time (a lock beside the list): two that trimmed the same list would each remove
 * the other's batch, unapplied. A drainer that finds the lock taken leaves the list to its holder.
 */
export async function drainDeferred(ctx: QueueContext, campaignId: string): Promise<number> {
  const key = campaignKeys(ctx.base, campaignId).deferred;
  const lock = `${key}:lock`;
  const me = `${process.pid}-${randomUUID()}`;
  if ((await ctx.redis.set(lock, me, 'PX', DRAIN_LOCK_MS, 'NX')) !== 'OK') return 0;
  let applied = 0;
  try {
    for (;;) {
      const batch = await ctx.redis.lrange(key, 0, 99);
      if (batch.length === 0) return applied;
      for (const raw of batch) {
        const { to, update } = JSON.parse(raw) as { to: string; update: DeliveryUpdate };
        const r = await deliverTo(ctx, { campaignId, to }, update);
        if (r.status === 'deferred') return applied; // archiving again (another process): that run drains it
        if (r.changed) applied++;
      }
      // Only this drainer trims (DELIVER only appends at the tail): the head is the batch just applied.
      await ctx.redis.ltrim(key, batch.length, -1);
      await ctx.redis.pexpire(lock, DRAIN_LOCK_MS);
    }
  } finally {
    await ctx.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, lock, me).catch(() => {});
  }
}
