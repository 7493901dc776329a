/** WABULK_MAX_THROTTLE_HOLD_MS's default: Meta's throttling windows are seconds to a minute. */
export const DEFAULT_MAX_THROTTLE_HOLD_MS = 60_000;

/**
 * How long a 429 holds the account's queue: its Retry-After (1 s when absent, at least 100 ms),
 * at most `maxMs`. `capped` says the answer asked for more (the caller logs and counts it).
 */
export function throttleHold(retryAfterMs: number | undefined, maxMs: number): { holdMs: number; capped: boolean } {
  const asked = Math.max(retryAfterMs ?? 1000, 100);
  return asked > maxMs ? { holdMs: maxMs, capped: true } : { holdMs: asked, capped: false };
}
