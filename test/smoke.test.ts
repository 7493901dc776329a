import { limiter } from '@wabulk/queue';
test('workspace source resolution', async () => { expect(await limiter()(async () => 1)).toBe(1); });
