import { limiter } from './smoke.js';
import { Queue } from 'bullmq';
test('p-limit and bullmq load', async () => {
  const l = limiter();
  expect(await l(async () => 3)).toBe(3);
  expect(typeof Queue).toBe('function');
});
