import type { IncomingHttpHeaders } from 'node:http';
import { isAccountCode } from './kaleyra-codes.js';
import { KaleyraError } from './kaleyra-error.js';
import { parseResponseBody } from './parse-response-body.js';

/** An accepted send. */
export interface SendTextResult {
  /** Kaleyra's id for the message; callbacks carry it. */
  messageId: string;
  /** The code from the body (WA202, WA200, …), or `HTTP_<status>` if the body had none. */
  code: string;
  /** HTTP status, normally 202. */
  status: number;
}

/** One HTTP answer, as read off the wire. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const SNIPPET_CHARS = 200;
/** Longest error message built from an answer (server message + Kaleyra's `error` detail). */
export const MESSAGE_CHARS = 500;

const bounded = (text: string) => (text.length <= MESSAGE_CHARS ? text : `${text.slice(0, MESSAGE_CHARS - 1)}…`);

/** Whitespace collapsed, cut to ~200 characters: enough to recognise an HTML error page. */
export function bodySnippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS)}…`;
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date (0 if the date has passed). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Turn one HTTP answer into a result or a `KaleyraError`:
 * - 2xx with a readable message_id → result (whatever the code says, usually WA202);
 * - 2xx without one → `BAD_RESPONSE`, kind `ambiguous` (Kaleyra accepted something, the id is lost);
 * - an error body with a code → that code, kind from `classify` (an account code at the top wins;
 *   else a Meta throttling code found anywhere in the body wins, so the message is requeued rather
 *   than failed); Kaleyra's `error` object (`{"balance": "…"}`) is kept in the message and in
 *   `detail`, the message bounded to MESSAGE_CHARS;
 * - 4xx/5xx with no code → `HTTP_<status>`; any other status with no code → `BAD_RESPONSE`.
 *
 * `redact` is applied to every server text that goes into an error message.
 */
export function interpretResponse(
  response: RawResponse,
  redact: (text: string) => string = (text) => text,
  now = Date.now(),
): SendTextResult {
  const { status, headers, body } = response;
  const accepted = status >= 200 && status < 300;
  // An accepted answer is read for its code and message_id only (no throttle-code walk, no detail).
  const parsed = parseResponseBody(body, { errorFields: !accepted });
  const shown = (): string => (body.trim() === '' ? 'an empty body' : `body: ${redact(bodySnippet(body))}`);

  if (accepted) {
    const code = parsed.code ?? `HTTP_${status}`;
    if (parsed.messageId !== undefined) return { messageId: parsed.messageId, code, status };
    throw new KaleyraError('BAD_RESPONSE', status,
      `Kaleyra answered HTTP ${status} (${code}) but no message_id could be read; ${shown()}`,
      { kind: 'ambiguous' });
  }

  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
  const options = retryAfterMs === undefined ? {} : { retryAfterMs };
  const code = isAccountCode(parsed.code) ? parsed.code : parsed.throttleCode ?? parsed.code;
  if (code !== undefined) {
    const base = parsed.message === undefined || parsed.message === ''
      ? `Kaleyra answered HTTP ${status} with code ${code}`
      : redact(parsed.message);
    const detail = parsed.detail === undefined ? undefined : redact(parsed.detail);
    const message = detail === undefined || detail === base ? base : `${base} (${detail})`;
    return raise(new KaleyraError(code, status, bounded(message), detail === undefined ? options : { ...options, detail }));
  }
  if (status >= 400) {
    return raise(new KaleyraError(`HTTP_${status}`, status,
      `Kaleyra answered HTTP ${status} without a code; ${shown()}`, options));
  }
  return raise(new KaleyraError('BAD_RESPONSE', status,
    `Kaleyra answered an unexpected HTTP ${status} without a code; ${shown()}`, { ...options, kind: 'message' }));
}

function raise(error: KaleyraError): never {
  throw error;
}
