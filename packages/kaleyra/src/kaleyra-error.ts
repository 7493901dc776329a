import { isAccountCode, isPageCode, isThrottleCode, type AccountCode, type ThrottleCode } from './kaleyra-codes.js';

/**
 * What the caller (the worker) should do with a failed send. One value per row of the worker's
 * decision table (docs/architecture.md, "The worker's decision table"):
 *
 * - `retryable`: Kaleyra did not take the message (5xx, WA500, connection refused, connect timeout,
 *   reset before the request was written). Retry with backoff.
 * - `throttled`: HTTP 429 or a Meta throttling code (THROTTLE_CODES). Requeue without using an
 *   attempt; hold the queue for `retryAfterMs` when given.
 * - `account`: ACCOUNT_CODES (E110, RBC001, WA401, WA-401, WAV2101; an account code wins over the
 *   HTTP status, so a 429 carrying WAV2101 is account-level) and any 401 or 403, with or without a
 *   code (a gateway's HTML 403, a revoked key behind a proxy) — every further message on the
 *   account fails the same way. Requeue and pause the account (`accountPauseReason`).
 * - `message`: this message is wrong (WA400, other 4xx, INVALID_REQUEST). Fail at once. A run of
 *   them with the same unlisted code (`isUnlistedAnswer`) trips the worker's breaker.
 * - `ambiguous`: the request may have reached Kaleyra (headers/body timeout, socket reset after the
 *   request was written, a 2xx whose message_id cannot be read). Retry, counting a possible duplicate.
 */
export type KaleyraErrorKind = 'retryable' | 'throttled' | 'account' | 'message' | 'ambiguous';

/** Codes Kaleyra documents for send-message failures. */
export type KaleyraServerCode = 'WA400' | 'WA500' | AccountCode | ThrottleCode;

/** Codes this client produces itself (no usable answer from Kaleyra). */
export type KaleyraClientCode =
  | 'INVALID_REQUEST' | 'INVALID_CONFIG' | 'TIMEOUT' | 'NETWORK' | 'ABORTED' | 'CLIENT_CLOSED' | 'BAD_RESPONSE';

/**
 * A Kaleyra error code: a documented server code, a client code, `HTTP_<status>` when an error
 * response carries no code, or any other code the server sends (kept verbatim).
 */
export type KaleyraCode = KaleyraServerCode | KaleyraClientCode | `HTTP_${number}` | (string & {});

/** Client codes that are never HTTP answers, with the kind they carry when nothing else is known. */
const CLIENT_CODE_KINDS: Readonly<Record<KaleyraClientCode, KaleyraErrorKind>> = {
  INVALID_REQUEST: 'message',
  INVALID_CONFIG: 'account',
  TIMEOUT: 'ambiguous',
  NETWORK: 'ambiguous',
  ABORTED: 'ambiguous',
  CLIENT_CLOSED: 'retryable',
  BAD_RESPONSE: 'ambiguous',
};

/**
 * Decide the kind of a failed send from the HTTP status (0 when there was no response) and the
 * code. Pure; the order is: account codes (whatever the status: 429 + WAV2101 pauses), throttling
 * (Meta's codes, then 429), any other 401/403 (account-level: the key or the route is refused),
 * server errors, client errors.
 *
 * For transport failures (status 0) it returns the conservative default for the code
 * (`TIMEOUT`/`NETWORK` → `ambiguous`); the client itself knows whether the request was written
 * and sets `retryable` on the error when it was not.
 */
export function classify(status: number, code?: string): KaleyraErrorKind {
  if (isAccountCode(code)) return 'account';
  if (isThrottleCode(code)) return 'throttled';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'account';
  if (code === 'WA500' || status >= 500) return 'retryable';
  // 408: the server gave up waiting for the request, so it never processed it.
  if (status === 408) return 'retryable';
  if (status >= 400) return 'message';
  if (code !== undefined && Object.hasOwn(CLIENT_CODE_KINDS, code)) return CLIENT_CODE_KINDS[code as KaleyraClientCode];
  return status === 0 ? 'ambiguous' : 'message';
}

/**
 * The pause reason of an account-level answer: the code when it is one of ACCOUNT_CODES, else
 * `HTTP_401`/`HTTP_403` for a 401/403 with no code or an unlisted one, else the code itself
 * (INVALID_CONFIG).
 */
export function accountPauseReason(status: number, code: string): string {
  if (isAccountCode(code)) return code;
  if (status === 401 || status === 403) return `HTTP_${status}`;
  return code;
}

/**
 * An answer the send page does not list that ended the send: a `message`-kind HTTP error (4xx)
 * whose code is not on the page — an unknown code (Kaleyra added one) or none (`HTTP_404`: a wrong
 * base URL). A run of these with the same code trips the worker's breaker.
 */
export function isUnlistedAnswer(error: Pick<KaleyraError, 'kind' | 'status' | 'code'>): boolean {
  return error.kind === 'message' && error.status >= 400 && error.status < 500 && !isPageCode(error.code);
}

export interface KaleyraErrorOptions {
  /** Overrides `classify(status, code)`. */
  kind?: KaleyraErrorKind;
  /** From a Retry-After header (seconds or HTTP date), in milliseconds. */
  retryAfterMs?: number;
  /** Kaleyra's `error` object, flattened (already part of the message). */
  detail?: string;
  cause?: unknown;
}

/**
 * The one error type of this package. Match on `code` and `kind` (and `name` across process
 * boundaries), never on the message. `message` is the server's message when it sent one.
 * Never carries the api-key.
 */
export class KaleyraError extends Error {
  declare readonly name: 'KaleyraError';
  readonly code: KaleyraCode;
  /** HTTP status of Kaleyra's answer, 0 when there was none. */
  readonly status: number;
  readonly kind: KaleyraErrorKind;
  /** Set only when a Retry-After header was given. */
  declare readonly retryAfterMs?: number;
  /** Kaleyra's `error` object, flattened (`balance: Please check…`), when the answer had one; also in `message`. */
  declare readonly detail?: string;

  constructor(code: KaleyraCode, status: number, message: string, options: KaleyraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
    this.kind = options.kind ?? classify(status, code);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.detail !== undefined) this.detail = options.detail;
  }

  /** A plain, loggable view (no cause: it may be a foreign object). */
  toJSON(): Record<string, unknown> {
    const { name, code, status, kind, message, retryAfterMs } = this;
    return retryAfterMs === undefined
      ? { name, code, status, kind, message }
      : { name, code, status, kind, message, retryAfterMs };
  }
}

// On the prototype (not a class field) so the stack trace header reads "KaleyraError: …" too.
Object.defineProperty(KaleyraError.prototype, 'name', {
  value: 'KaleyraError', writable: true, enumerable: false, configurable: true,
});
