import { requiredString } from '@wabulk/config';
import { z } from 'zod';
import { CAMPAIGN_ID, CAMPAIGN_ID_RULE } from './keys.js';

/** A campaign id as the API and the intake take it (apart from keys.ts, which the light read entry loads without zod). */
export const campaignIdSchema = z.string({ error: requiredString }).regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE);
