// Hand-written checks of the send payload against the seed's tables (no schema library on the hot
// path). Every failure becomes WA400; `reason` says which rule broke (sent as the X-Sim-Reason header,
// the body stays exactly the seed's).

export const MAX_BODY_CODE_POINTS = 4096;
export const MAX_REF_LENGTH = 255;

export interface SendRequest {
  /** Recipients as E.164 digits without '+', in the order given. */
  readonly recipients: string[];
  readonly body: string;
  readonly previewUrl: boolean;
  readonly ref: string | null;
  readonly ref1: string | null;
  readonly ref2: string | null;
}

export type SendValidation = { ok: true; value: SendRequest } | { ok: false; reason: string };

const E164 = /^\+?[1-9][0-9]{6,14}$/;

/** `application/json`, any case, parameters (charset…) allowed. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semi = header.indexOf(';');
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json';
}

/** E.164-like number with or without '+' → its digits; anything else → null. */
export function normalisePhone(value: string): string | null {
  const trimmed = value.trim();
  if (!E164.test(trimmed)) return null;
  return trimmed.charCodeAt(0) === 43 /* + */ ? trimmed.slice(1) : trimmed;
}

/** Unicode code points, counted without allocating. */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { pairs++; i++; }
    }
  }
  return text.length - pairs;
}

function bodyTooLong(body: string): boolean {
  if (body.length <= MAX_BODY_CODE_POINTS) return false;
  if (body.length > MAX_BODY_CODE_POINTS * 2) return true;
  return codePointLength(body) > MAX_BODY_CODE_POINTS;
}

/** The server truncates refs longer than 255 characters (seed note); cut on a code point boundary. */
export function truncateRef(ref: string): string {
  if (ref.length <= MAX_REF_LENGTH) return ref;
  return Array.from(ref).slice(0, MAX_REF_LENGTH).join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parsePreviewUrl(v: unknown): boolean | null {
  if (v === undefined || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  return null;
}

function parseRecipients(to: string): string[] | null {
  const out: string[] = [];
  for (const part of to.split(',')) {
    const phone = normalisePhone(part);
    if (phone === null) return null;
    out.push(phone);
  }
  return out;
}

type RefResult = { ok: true; value: string | null } | { ok: false };
function readRef(extra: Record<string, unknown>, key: string): RefResult {
  const v = extra[key];
  if (v === undefined || v === null) return { ok: true, value: null };
  if (typeof v !== 'string') return { ok: false };
  return { ok: true, value: truncateRef(v) };
}

const fail = (reason: string): SendValidation => ({ ok: false, reason });

/** Parses and checks a raw request body. */
export function validateSendPayload(raw: string): SendValidation {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return fail('body is not valid JSON');
  }
  if (!isObject(payload)) return fail('payload must be a JSON object');
  const mo = payload.messaging_object;
  if (!isObject(mo)) return fail('messaging_object is missing or not an object');
  if (mo.messaging_product !== 'whatsapp') return fail('messaging_product must be "whatsapp"');
  if (mo.recipient_type !== undefined && mo.recipient_type !== 'individual') return fail('recipient_type must be "individual"');
  if (mo.type !== undefined && mo.type !== 'text') return fail('type must be "text"');
  if (typeof mo.to !== 'string' || mo.to.length === 0) return fail('to is missing or not a string');
  const recipients = parseRecipients(mo.to);
  if (recipients === null) return fail('to must be E.164 numbers (digits, optional +), comma-separated');
  const text = mo.text;
  if (!isObject(text)) return fail('text is missing or not an object');
  if (typeof text.body !== 'string' || text.body.length === 0) return fail('text.body is missing, empty or not a string');
  if (bodyTooLong(text.body)) return fail(`text.body is longer than ${MAX_BODY_CODE_POINTS} characters`);
  const previewUrl = parsePreviewUrl(text.preview_url);
  if (previewUrl === null) return fail('text.preview_url must be true, false, "true" or "false"');
  let ref: RefResult = { ok: true, value: null };
  let ref1: RefResult = ref;
  let ref2: RefResult = ref;
  const extra = payload.extra_info;
  if (extra !== undefined) {
    if (!isObject(extra)) return fail('extra_info must be an object');
    ref = readRef(extra, 'ref');
    ref1 = readRef(extra, 'ref1');
    ref2 = readRef(extra, 'ref2');
    if (!ref.ok || !ref1.ok || !ref2.ok) return fail('extra_info.ref, ref1 and ref2 must be strings');
  }
  return {
    ok: true,
    value: { recipients, body: text.body, previewUrl, ref: ref.value, ref1: ref1.value, ref2: ref2.value },
  };
}
