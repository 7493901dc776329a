/**
 * The names an operator gives: one rule each, for configuration (WABULK_ACCOUNT, the accounts file,
 * WABULK_KEY_PREFIX) and for the queue's keys, the API's parameters and the CLI's flags alike.
 * Neither may hold ':' (BullMQ 6 refuses it in queue names and job ids) nor '{' '}' (hash tags).
 */
// The rules without zod (light.ts, the CLI's light start-up path, reads them); ids.ts makes schemas of them.
export const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const ACCOUNT_ID_RULE = 'must be 1-32 letters, digits, _ or -';

/** The prefix of every Redis key of one installation. */
export const KEY_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
export const KEY_PREFIX_RULE = 'must be 1-64 letters, digits, _ or -';
