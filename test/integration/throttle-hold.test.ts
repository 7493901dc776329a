import { Writable } from 'node:stream';
import { createLogger } from '@wabulk/telemetry';
import { ledgerRows } from '../support/proc-ground-truth.js';
import { numbers, startStack, type Stack } from '../support/stack.js';

// A 429 holds the whole account queue for its Retry-After, but never longer than
// WABULK_MAX_THROTTLE_HOLD_MS: a Retry-After of a day must not freeze an account in silence. Each
// capped hold is logged (without numbers or keys) and counted in wabulk_throttle_hold_capped_total.

const CAP_MS = 300;
const A_DAY_S = 86_400;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

test('Retry-After of a day: the queue is held for the cap, logged and counted, and every recipient is sent', async () => {
  const s = (stack = await startStack({ sim: { rateLimitPerSecond: 2 } }));
  s.sim.setFaults({ retryAfterSeconds: A_DAY_S });
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } });
  await s.startWorker({ concurrency: 5, maxThrottleHoldMs: CAP_MS, logger: createLogger({ level: 'warn', destination }) });
  const to = numbers(10);
  await s.producer.enqueueText({ campaignId: 'day', to, body: 'x' });

  // The hold is BullMQ's limiter key in Redis: watch its TTL while the campaign runs.
  const queue = s.ctx.queues.get('acme');
  let longestHoldMs = 0;
  let done = false;
  const watching = (async () => {
    while (!done) {
      longestHoldMs = Math.max(longestHoldMs, await queue.getRateLimitTtl());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // Generous: with the Retry-After obeyed the campaign would take a day.
  const status = await s.waitDone('day', 30_000).finally(() => (done = true));
  await watching;
  expect(status).toMatchObject({ sent: 10, failed: 0 });
  for (const row of (await ledgerRows(s.ctx, 'day')).values()) expect(row).toMatchObject({ status: 'sent', attempts: 1 });

  const answered429 = s.sim.stats().rejected.byCode['130429'] ?? 0;
  expect(answered429).toBeGreaterThan(0);
  expect(longestHoldMs).toBeLessThanOrEqual(CAP_MS);
  // Every 429 asked for a day, so every hold was capped: one count and one warning each.
  const capped = (await s.metrics.throttleHoldCapped.get()).values;
  expect(capped).toEqual([{ labels: { account: 'acme' }, value: answered429 }]);
  const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith('throttled: Retry-After above'));
  expect(warnings).toHaveLength(answered429);
  for (const w of warnings) expect(w).toMatchObject({ level: 40, account: 'acme', code: '130429', retryAfterMs: A_DAY_S * 1000, holdMs: CAP_MS });
  const text = lines.join('');
  expect(text).not.toContain(s.account.apiKey);
  for (const n of to) expect(text).not.toContain(n.slice(1));
});

test('a Retry-After under the cap is obeyed as before and not counted', async () => {
  const s = (stack = await startStack({ sim: { rateLimitPerSecond: 5 } }));
  await s.startWorker({ concurrency: 10, maxThrottleHoldMs: 5000 });
  await s.producer.enqueueText({ campaignId: 'short', to: numbers(15), body: 'x' });
  expect(await s.waitDone('short', 30_000)).toMatchObject({ sent: 15, failed: 0 });
  expect(s.sim.stats().rejected.byCode['130429']).toBeGreaterThan(0);
  expect((await s.metrics.throttleHoldCapped.get()).values).toEqual([{ labels: { account: 'acme' }, value: 0 }]);
});
