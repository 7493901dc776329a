import { campaignKeys } from '@wabulk/queue';
import { cliEnv, onlyJson, runCli } from '../support/proc-cli.js';
import { useCrashKit } from '../support/archive-crash-kit.js';
import { waitFor } from '../support/wait.js';

/**
 * A re-run right after the archiver was killed: the dead process's claim holds until its lease
 * ends. The CLI answers busy (exit 1) and says until when, and why (a process that stopped mid-run);
 * once the lease has passed, the run continues from the last committed batch.
 */

jest.setTimeout(180_000);

const kit = useCrashKit('crashlease');

test('a re-run right after a kill finds the dead process’s claim: busy (exit 1) with the time it lapses, then archives once it has', async () => {
  const id = 'crash-busy';
  const n = 20_000;
  await kit.populate(id, n);
  const truth = await kit.truth(id);
  const env = cliEnv(kit.base, { WABULK_ARCHIVE_URL: kit.db.url, WABULK_ARCHIVE_LEASE_MS: '120000' });
  const seen = await kit.killAt(id, n, 0.5, env, 500);
  expect(seen).toBeGreaterThanOrEqual(n / 2);
  await kit.expectStillInRedis(id, n, seen);
  const until = Number(await kit.redis.hget(campaignKeys(kit.base, id).state, 'archivingUntil'));

  // At once: the claim of the dead run still holds.
  const busy = await runCli(['archive', '--campaign', id], { env, timeoutMs: 30_000 });
  expect(busy.code).toBe(1);
  expect(busy.stdout).toBe('');
  expect(busy.stderr).toContain(`campaign ${id} is claimed by another archiving process until ${new Date(until).toISOString()}`);
  expect(busy.stderr).toMatch(/or it stopped mid-run and its claim lapses then; run the command again after that time/);
  const busyJson = await runCli(['archive', '--campaign', id, '--json'], { env, timeoutMs: 30_000 });
  expect(busyJson.code).toBe(1);
  expect(onlyJson(busyJson)).toEqual({ campaignId: id, result: 'busy', until });
  // Refused runs change nothing.
  await kit.expectStillInRedis(id, n, seen);

  // The lease passes. (Long on purpose, so that the runs above are within it however slow the
  // machine; rather than wait two minutes, its end is moved to now, as the clock would.)
  expect(await kit.redis.hset(campaignKeys(kit.base, id).state, 'archivingUntil', String(Date.now() - 1))).toBe(0);
  await waitFor(kit.leaseLapsed(id), { what: 'the dead run’s lease to lapse' });
  const again = await runCli(['archive', '--campaign', id, '--batch', '500', '--json'], { env, timeoutMs: 60_000 });
  expect(again.code).toBe(0);
  expect(onlyJson(again)).toMatchObject({ result: 'archived', rows: n, resumedAt: expect.any(Number) });
  await kit.expectArchived(id, n, truth);
});

