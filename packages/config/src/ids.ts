import { z } from 'zod';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, KEY_PREFIX, KEY_PREFIX_RULE } from './id-rules.js';

export { ACCOUNT_ID, ACCOUNT_ID_RULE, KEY_PREFIX, KEY_PREFIX_RULE } from './id-rules.js';

/** zod's message for a missing or non-string value. */
export const requiredString = (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string');

export const accountIdSchema = z.string({ error: requiredString }).regex(ACCOUNT_ID, ACCOUNT_ID_RULE);

export const keyPrefixSchema = z.string({ error: requiredString }).regex(KEY_PREFIX, KEY_PREFIX_RULE);
