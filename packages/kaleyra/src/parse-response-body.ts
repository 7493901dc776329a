import { isThrottleCode, THROTTLE_CODES } from './kaleyra-codes.js';

/** What could be read from a Kaleyra answer body. Every field is optional: bodies vary. */
export interface ParsedResponseBody {
  /** Top-level `code`, e.g. WA202, RBC001 (numbers are turned into strings). */
  code?: string;
  /** Top-level `message`. */
  message?: string;
  /** `data.message_id` (or `data[0].message_id`, or a top-level `message_id`). */
  messageId?: string;
  /** Meta's throttling code (130429 or 131056) when it appears as any `code` in the body. */
  throttleCode?: string;
  /**
   * Kaleyra's `error` object flattened to `key: value` pairs joined by `; ` (`payload: Incorrect
   * payload format`), strings and numbers only, values that repeat `message` left out, at most
   * DETAIL_CHARS; absent when empty.
   */
  detail?: string;
  /** Whether the body was valid JSON (false for the reference's own sample 202). */
  json: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const asText = (value: Json | undefined): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

const isRecord = (value: Json | undefined): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function findThrottleCode(value: Json | undefined, depth = 0): string | undefined {
  if (depth > 6 || typeof value !== 'object' || value === null) return undefined;
  const children = Array.isArray(value) ? value : Object.values(value);
  if (isRecord(value)) {
    const code = asText(value.code);
    if (isThrottleCode(code)) return code;
  }
  for (const child of children) {
    const found = findThrottleCode(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Longest `detail` kept: the whole error message (and so the ledger reason) stays under ~500 characters. */
export const DETAIL_CHARS = 300;

/** Values equal to the top-level message are left out: they would only repeat it. */
function flattenError(value: Json | undefined, message: string | undefined): string | undefined {
  const text = asText(value)?.trim();
  if (text !== undefined) return text === '' || text === message?.trim() ? undefined : clip(text);
  if (!isRecord(value)) return undefined;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const s = asText(v)?.trim();
    if (s !== undefined && s !== '' && s !== message?.trim()) parts.push(`${key}: ${s}`);
  }
  return parts.length === 0 ? undefined : clip(parts.join('; '));
}

const clip = (text: string) => (text.length <= DETAIL_CHARS ? text : `${text.slice(0, DETAIL_CHARS - 1)}…`);

function fromJson(root: Json, errorFields: boolean): ParsedResponseBody {
  const parsed: ParsedResponseBody = { json: true };
  if (!isRecord(root)) return parsed;
  const code = asText(root.code);
  const message = asText(root.message);
  const data = Array.isArray(root.data) ? root.data[0] : root.data;
  const messageId = asText(isRecord(data) ? data.message_id : undefined) ?? asText(root.message_id);
  const throttleCode = errorFields ? findThrottleCode(root) : undefined;
  const detail = errorFields ? flattenError(root.error, message) : undefined;
  if (detail !== undefined) parsed.detail = detail;
  if (code !== undefined) parsed.code = code;
  if (message !== undefined) parsed.message = message;
  if (messageId !== undefined && messageId !== '') parsed.messageId = messageId;
  if (throttleCode !== undefined) parsed.throttleCode = throttleCode;
  return parsed;
}

/** The first `"key": "value"` string in a body that is not valid JSON, unescaped. */
function extractString(text: string, key: string): string | undefined {
  const match = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text);
  if (match?.[1] === undefined) return undefined;
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return match[1];
  }
}

/** A throttle code as the value of any "code" key, quoted or not, in a body that is not valid JSON. */
const THROTTLE_CODE_IN_TEXT = new RegExp(`"code"\\s*:\\s*"?(${THROTTLE_CODES.join('|')})(?!\\d)`);

function fromText(text: string, errorFields: boolean): ParsedResponseBody {
  const parsed: ParsedResponseBody = { json: false };
  const code = extractString(text, 'code');
  const message = extractString(text, 'message');
  const messageId = extractString(text, 'message_id');
  const throttleCode = errorFields ? THROTTLE_CODE_IN_TEXT.exec(text)?.[1] : undefined;
  if (code !== undefined) parsed.code = code;
  if (message !== undefined) parsed.message = message;
  if (messageId !== undefined && messageId !== '') parsed.messageId = messageId;
  if (throttleCode !== undefined) parsed.throttleCode = throttleCode;
  return parsed;
}

/**
 * Read a Kaleyra answer tolerantly: JSON.parse first; when that fails (the reference's sample 202
 * is missing commas), pull `"code"`, `"message"` and `"message_id"` out with regular expressions.
 * Never throws. `errorFields: false` (an accepted answer, which reads neither) skips `throttleCode`
 * and `detail`: the walk of the whole body for a throttle code is the costly part.
 */
export function parseResponseBody(text: string, options: { errorFields?: boolean } = {}): ParsedResponseBody {
  if (text.trim() === '') return { json: false };
  const errorFields = options.errorFields ?? true;
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return fromText(text, errorFields);
  }
  return fromJson(root, errorFields);
}
