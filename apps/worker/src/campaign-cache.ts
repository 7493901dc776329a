import { getCampaignMeta, type CampaignMeta, type QueueContext } from '@wabulk/queue';

/** Campaign meta never changes once written, so each worker keeps the ones it uses (bounded). */
export function createCampaignCache(ctx: QueueContext, max = 1000) {
  const cache = new Map<string, CampaignMeta>();
  return async (campaignId: string): Promise<CampaignMeta | undefined> => {
    const hit = cache.get(campaignId);
    if (hit) return hit;
    const meta = await getCampaignMeta(ctx, campaignId);
    if (meta) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(campaignId, meta);
    }
    return meta;
  };
}
