import { z } from 'zod';

/**
 * The names an operator gives: one rule each, for configuration (WABULK_ACCOUNT, the accounts file,
 * WABULK_KEY_PREFIX) and for the queue's keys, the API's parameters and the CLI's flags alike.
 * Neither may hold ':' (BullMQ 6 refuses it in queue names and job ids) nor '{' '}' (hash tags).
 */
/** zod's message for a missing or non-string value. */
export const requiredString = (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string');

export const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const ACCOUNT_ID_RULE = 'must be 1-32 letters, digits, _ or -';
export const accountIdSchema = z.string({ error: requiredString }).regex(ACCOUNT_ID, ACCOUNT_ID_RULE);

/** The prefix of every Redis key of one installation. */
export const KEY_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
export const KEY_PREFIX_RULE = 'must be 1-64 letters, digits, _ or -';
export const keyPrefixSchema = z.string({ error: requiredString }).regex(KEY_PREFIX, KEY_PREFIX_RULE);
