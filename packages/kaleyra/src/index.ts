export { createKaleyraClient, KaleyraClient } from './kaleyra-client.js';
export type { SendOptions } from './kaleyra-client.js';
export { KALEYRA_POD_NAMES, KALEYRA_PODS } from './client-options.js';
export type { KaleyraClientOptions, KaleyraPod } from './client-options.js';
export { accountPauseReason, classify, isUnlistedAnswer, KaleyraError } from './kaleyra-error.js';
export { ACCOUNT_CODES, isAccountCode, isPageCode, isThrottleCode, PAGE_CODES, THROTTLE_CODES } from './kaleyra-codes.js';
export type { AccountCode, PageCode, ThrottleCode } from './kaleyra-codes.js';
export { E164_MAX_DIGITS, E164_MIN_DIGITS, E164_RULE, e164Problem, e164Schema, isE164 } from './e164.js';
export type {
  KaleyraClientCode, KaleyraCode, KaleyraErrorKind, KaleyraErrorOptions, KaleyraServerCode,
} from './kaleyra-error.js';
export {
  countCodePoints, MAX_BODY_CHARS, MAX_REF_CHARS, toWaSource, truncateCodePoints, validateSendText, WA_SOURCES,
} from './send-text-input.js';
export type { SendTextInput, SendTextRequest, WaSource } from './send-text-input.js';
export { buildPayload } from './build-payload.js';
export type { SendTextPayload } from './build-payload.js';
export { interpretResponse, parseRetryAfter } from './interpret-response.js';
export type { RawResponse, SendTextResult } from './interpret-response.js';
export { parseResponseBody } from './parse-response-body.js';
export type { ParsedResponseBody } from './parse-response-body.js';
