import { getCampaignMeta, parseTemplate, type CampaignMeta, type QueueContext, type Template } from '@wabulk/queue';

/** A campaign's meta with its text parsed once (meta never changes once written). */
export interface CachedCampaign extends CampaignMeta {
  template?: Template;
}

/** Campaign meta never changes once written, so each worker keeps the ones it uses (bounded). */
export function createCampaignCache(ctx: QueueContext, max = 1000) {
  const cache = new Map<string, CachedCampaign>();
  return async (campaignId: string): Promise<CachedCampaign | undefined> => {
    const hit = cache.get(campaignId);
    if (hit) return hit;
    const meta: CachedCampaign | undefined = await getCampaignMeta(ctx, campaignId);
    if (meta) {
      if (meta.vars !== undefined) meta.template = parseTemplate(meta.body);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(campaignId, meta);
    }
    return meta;
  };
}
