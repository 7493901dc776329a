import { CAMPAIGN_STATES } from '@wabulk/queue';
import { CAMPAIGN_STATE_CHOICES } from './program.js';

// program.ts keeps its own copy so that building the commands imports nothing of @wabulk/queue.
test('`campaigns --state` offers exactly the campaign states of @wabulk/queue', () => {
  expect([...CAMPAIGN_STATE_CHOICES]).toEqual([...CAMPAIGN_STATES]);
});
