import { campaignKeys, deliverTo, type DeliveryUpdate, type QueueContext } from '@wabulk/queue';

/**
 * Applies the callbacks that waited while the campaign was being copied, wherever it now is (the
 * archive, or Redis when the run stopped), a batch at a time, removing each batch only once it is
 * applied (a crash re-applies it: a callback applied twice changes nothing).
 */
export async function drainDeferred(ctx: QueueContext, campaignId: string): Promise<number> {
  const key = campaignKeys(ctx.base, campaignId).deferred;
  let applied = 0;
  for (;;) {
    const batch = await ctx.redis.lrange(key, 0, 99);
    if (batch.length === 0) return applied;
    for (const raw of batch) {
      const { to, update } = JSON.parse(raw) as { to: string; update: DeliveryUpdate };
      const r = await deliverTo(ctx, { campaignId, to }, update);
      if (r.status === 'deferred') return applied; // archiving again (another process): that run drains it
      if (r.changed) applied++;
    }
    await ctx.redis.ltrim(key, batch.length, -1);
  }
}
