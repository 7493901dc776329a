import type { CampaignMeta } from '@wabulk/queue';

/**
 * The campaign row's `meta` column: the campaign meta as Redis held it (what a restore puts back)
 * plus `failureReasons`, the status's reason text per failure code. Kept inside the json column
 * rather than in a column of its own (no migration); a restore takes it out again.
 */
export function storedMeta(meta: CampaignMeta, failureReasons: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(failureReasons).length > 0 ? { ...meta, failureReasons } : meta);
}

/** The meta column read back: the campaign meta and the reasons (rows archived before reasons were kept: none). */
export function splitStoredMeta(stored: CampaignMeta & { failureReasons?: unknown }): { meta: CampaignMeta; failureReasons: Record<string, string> } {
  const { failureReasons, ...meta } = stored;
  const reasons: Record<string, string> = {};
  if (typeof failureReasons === 'object' && failureReasons !== null) {
    for (const [code, text] of Object.entries(failureReasons)) if (typeof text === 'string' && text !== '') reasons[code] = text;
  }
  return { meta, failureReasons: reasons };
}
