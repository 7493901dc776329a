import { PAGE_CODES, THROTTLE_CODES } from '@wabulk/kaleyra';
import { WORKER_ERROR_CODE } from './account-metrics.js';

/** Codes the client produces itself (KaleyraClientCode) and the worker's own (WORKER_ERROR, STALLED). */
const CLIENT_CODES = ['INVALID_REQUEST', 'INVALID_CONFIG', 'TIMEOUT', 'NETWORK', 'ABORTED', 'CLIENT_CLOSED', 'BAD_RESPONSE', WORKER_ERROR_CODE, 'STALLED'] as const;

/** HTTP statuses without a code that keep their exact value in the label; others fall into their class. */
const EXACT_STATUSES = [400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504] as const;

/** Every value `codeLabel` can return: a closed set, whatever Kaleyra (or a proxy in front of it) answers. */
export const CODE_LABELS = [
  ...PAGE_CODES,
  ...THROTTLE_CODES,
  ...CLIENT_CODES,
  ...EXACT_STATUSES.map((s) => `HTTP_${s}` as const),
  'HTTP_2xx', 'HTTP_3xx', 'HTTP_4xx', 'HTTP_5xx', 'HTTP_other',
  'other',
] as const;
export type CodeLabel = (typeof CODE_LABELS)[number];

const KNOWN = new Set<string>(CODE_LABELS);
const HTTP_CODE = /^HTTP_(\d{3})$/;

/**
 * The `code` label of every metric: the code itself when it is one of Kaleyra's page codes, Meta's
 * throttling codes or the client's own codes; `HTTP_<status>` exactly for a small known set of
 * statuses, else its class (`HTTP_4xx`, `HTTP_5xx`, …); anything else (a code Kaleyra added, a
 * proxy's invention) is `other`. The exact code stays in the ledger and the logs; the label set stays
 * bounded however many codes a server makes up.
 */
export function codeLabel(code: string | undefined | null): CodeLabel {
  if (code === undefined || code === null) return 'other';
  if (KNOWN.has(code)) return code as CodeLabel;
  const status = HTTP_CODE.exec(code)?.[1];
  if (status !== undefined) {
    const cls = status[0];
    return cls === '2' || cls === '3' || cls === '4' || cls === '5' ? (`HTTP_${cls}xx` as CodeLabel) : 'HTTP_other';
  }
  return 'other';
}

/**
 * The `reason` label of `wabulk_account_paused`: an account code, `HTTP_401`/`HTTP_403`, `manual`
 * as they are; a breaker pause as one of BREAKER_REASON_LABELS; anything else through `codeLabel`.
 */
export function pauseReasonLabel(reason: string): string {
  if (reason === 'manual') return reason;
  if (reason.startsWith(BREAKER_PREFIX)) return breakerReasonLabel(reason.slice(BREAKER_PREFIX.length));
  return codeLabel(reason);
}

/**
 * The breaker's pause reasons as the paused gauge reports them, always (0 when not the reason, like
 * every reason of the state set): a 404 (the usual wrong base URL), another status without a code,
 * or a code the page does not list. The exact code is in the pause reason (status) and the logs.
 */
export const BREAKER_REASON_LABELS = ['BREAKER:HTTP_404', 'BREAKER:HTTP_4xx', 'BREAKER:other'] as const;

function breakerReasonLabel(code: string): (typeof BREAKER_REASON_LABELS)[number] {
  const label = codeLabel(code);
  if (label === 'HTTP_404') return 'BREAKER:HTTP_404';
  return label.startsWith('HTTP_') ? 'BREAKER:HTTP_4xx' : 'BREAKER:other';
}

/** The pause reason of an account stopped by the worker's breaker: `BREAKER:<code>`. */
export const BREAKER_PREFIX = 'BREAKER:';
