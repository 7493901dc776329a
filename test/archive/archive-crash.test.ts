import { cliEnv, onlyJson, runCli } from '../support/proc-cli.js';
import { useCrashKit } from '../support/archive-crash-kit.js';
import { waitFor } from '../support/wait.js';

/**
 * The archiver killed (SIGKILL) in the middle of its copy, then run again: at the moment of the kill
 * the campaign is whole in Redis (and nowhere in wabulk_recipients: reads stay on Redis); the re-run
 * continues from the last committed batch and ends with exactly the campaign's rows in the archive,
 * nothing left in staging, the ledger gone from Redis, and an export equal to the one before.
 */

// Generous per test: a loaded CI machine; the waits are all waitFor, nothing asserts time.
jest.setTimeout(180_000);

const N = 100_000;
const kit = useCrashKit('crash');

for (const fraction of [0.3, 0.7]) {
  test(`SIGKILL at ${fraction * 100}% of a ${N}-recipient copy: the ledger stays whole; the re-run continues and archives exactly the campaign`, async () => {
    const id = `crash-${fraction * 100}`;
    await kit.populate(id, N);
    const truth = await kit.truth(id);
    expect(truth.csv).toHaveLength(N + 1); // and the header
    expect(truth.status).toMatchObject({ total: N, done: true });

    const env = cliEnv(kit.base, { WABULK_ARCHIVE_URL: kit.db.url, WABULK_ARCHIVE_LEASE_MS: '3000' });
    const seen = await kit.killAt(id, N, fraction, env);
    expect(seen).toBeGreaterThanOrEqual(fraction * N);
    await kit.expectStillInRedis(id, N, seen);

    await waitFor(kit.leaseLapsed(id), { timeoutMs: 10_000, what: 'the dead run’s lease to lapse' });
    const again = await runCli(['archive', '--campaign', id, '--batch', '2000', '--json'], { env, timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    const out = onlyJson<{ result: string; rows: number; resumedAt?: number }>(again);
    expect(out).toMatchObject({ result: 'archived', rows: N });
    expect(out.resumedAt).toBeGreaterThanOrEqual(seen);
    await kit.expectArchived(id, N, truth);
  });
}

test('WABULK_ARCHIVE_LEASE_MS out of range is refused before anything is claimed', async () => {
  const r = await runCli(['archive', '--campaign', 'nope-1'], { env: cliEnv(kit.base, { WABULK_ARCHIVE_URL: kit.db.url, WABULK_ARCHIVE_LEASE_MS: '5' }) });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/WABULK_ARCHIVE_LEASE_MS: expected a whole number of milliseconds/);
});
