// The answers of the send call, copied field for field from the seed's "Sample Success Response"
// and "Sample Failure Response" sections (send-text-messages.txt). Bodies are serialised once at
// load time: the hot path writes a ready Buffer.

export interface CannedResponse {
  readonly status: number;
  readonly code: string;
  readonly body: Buffer;
  readonly json: unknown;
  /** Content-Type when it is not application/json (an injected HTML page). */
  readonly contentType?: string;
}

function canned(status: number, code: string, message: string, data: unknown, errorKey: string, errorText = message): CannedResponse {
  const json = { code, message, data, error: { [errorKey]: errorText } };
  return { status, code, body: Buffer.from(JSON.stringify(json)), json };
}

/** Keyed by the name used in `failCode`. Both WA-401 variants share the code "WA-401". */
export const SEED_RESPONSES = {
  RBC001: canned(401, 'RBC001', 'Incorrect SID or API key.', [], 'error'),
  WA401: canned(401, 'WA401', 'Phone number is not present or does not belong to the account.', {}, 'phone_number'),
  WA400: canned(400, 'WA400', 'Refer to correct payload format', {}, 'payload', 'Incorrect payload format'),
  WA500: canned(500, 'WA500', 'Please try again later', {}, 'error', 'Internal server error'),
  E110: canned(400, 'E110', 'Please check your balance, You have a low balance!', {}, 'balance'),
  'WA-401': canned(401, 'WA-401', 'API is not available for given customer.Please contact support for more info', {}, 'account'),
  'WA-401-VERSION': canned(401, 'WA-401',
    "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.", {}, 'phone_number'),
  // Not on the seed page: Meta's throughput error (api-notes.md), in the seed's envelope.
  '130429': canned(429, '130429', 'Rate limit hit', {}, 'error'),
} as const satisfies Record<string, CannedResponse>;

export type SeedCode = keyof typeof SEED_RESPONSES;

export function isSeedCode(code: string): code is SeedCode {
  return Object.hasOwn(SEED_RESPONSES, code);
}

/** The 202 body: the seed's fields as valid JSON. */
export function acceptedBody(messageId: string): string {
  return `{"code":"WA202","message":"Request Accepted","data":{"message_id":"${messageId}"},"error":{}}`;
}

/** The 202 body exactly as laid out on the seed page, missing commas included (fault `invalidJson202`). */
export function seedLayoutAcceptedBody(messageId: string): string {
  return `{\n"code":"WA202"\n"message":"Request Accepted",\n"data":{\n"message_id":"${messageId}"\n}\n"error":{}\n}`;
}

/** Body for an injected failure with a code that is not on the seed page (e.g. WAV2101). */
export function genericFailure(status: number, code: string): CannedResponse {
  return canned(status, code, 'Simulated failure', {}, 'error');
}

/** An injected failure with a body given verbatim (fault `failBody`); `code` is only for the stats. */
export function rawFailure(status: number, code: string, body: string): CannedResponse {
  const contentType = body.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'application/json';
  return { status, code, body: Buffer.from(body), json: undefined, contentType };
}
