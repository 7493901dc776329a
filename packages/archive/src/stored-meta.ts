import { wellFormed, type CampaignMeta } from '@wabulk/queue';

/**
 * The campaign row's `meta` column: the campaign meta as Redis held it (what a restore puts back)
 * plus `failureReasons`, the status's reason text per failure code. Kept inside the json column
 * rather than in a column of its own (no migration); a restore takes it out again.
 */
export function storedMeta(meta: CampaignMeta, failureReasons: Readonly<Record<string, string>>): string {
  if (Object.keys(failureReasons).length === 0) return JSON.stringify(meta);
  // The reasons are Kaleyra's text, not intake's: made storable here (jsonb refuses a NUL escape and a
  // lone surrogate), as the recipients' reasons are in the COPY. The meta itself is stored as intake took it.
  const reasons = Object.fromEntries(Object.entries(failureReasons).map(([code, text]) => [code, storable(text)]));
  return JSON.stringify({ ...meta, failureReasons: reasons });
}

/** U+0000 and lone surrogates become U+FFFD. */
export const storable = (s: string) => wellFormed(s).replace(/\0/g, '\uFFFD');

/** The meta column read back: the campaign meta and the reasons (rows archived before reasons were kept: none). */
export function splitStoredMeta(stored: CampaignMeta & { failureReasons?: unknown }): { meta: CampaignMeta; failureReasons: Record<string, string> } {
  const { failureReasons, ...meta } = stored;
  const reasons: Record<string, string> = {};
  if (typeof failureReasons === 'object' && failureReasons !== null) {
    for (const [code, text] of Object.entries(failureReasons)) if (typeof text === 'string' && text !== '') reasons[code] = text;
  }
  return { meta, failureReasons: reasons };
}
