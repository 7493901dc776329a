/**
 * Kaleyra's answer codes that decide more than one message's fate: the one list of each, imported
 * by the client (classification, body parsing), the queue (pause reasons) and telemetry (the paused
 * gauge's label values). The simulator keeps its own copy on purpose: it is an independent reading
 * of Kaleyra's page.
 */

/** Codes that stop the whole account: every further message would fail the same way. */
export const ACCOUNT_CODES = ['E110', 'RBC001', 'WA401', 'WA-401', 'WAV2101'] as const;
export type AccountCode = (typeof ACCOUNT_CODES)[number];

/** Meta's throttling codes: 130429 (business number over its rate), 131056 (same recipient too often). */
export const THROTTLE_CODES = ['130429', '131056'] as const;
export type ThrottleCode = (typeof THROTTLE_CODES)[number];

export const isAccountCode = (code: string | undefined): code is AccountCode =>
  code !== undefined && (ACCOUNT_CODES as readonly string[]).includes(code);

export const isThrottleCode = (code: string | undefined): code is ThrottleCode =>
  code !== undefined && (THROTTLE_CODES as readonly string[]).includes(code);

/**
 * Every code Kaleyra's send-text page lists for the send call (kaleyra/send-text-messages.txt), with
 * WAV2101 (api-notes.md). An error answer with any other code, or a 4xx without a code other than
 * 401/403/408/429, is "unlisted": the worker's breaker watches for a run of them (a wrong base URL,
 * a code Kaleyra added).
 */
export const PAGE_CODES = ['WA202', 'WA200', 'WA400', 'WA500', ...ACCOUNT_CODES] as const;
export type PageCode = (typeof PAGE_CODES)[number];

export const isPageCode = (code: string | undefined): code is PageCode =>
  code !== undefined && (PAGE_CODES as readonly string[]).includes(code);
