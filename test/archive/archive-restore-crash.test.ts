import { recoverStaleRestores, RESTORE_LEASE_MS } from '@wabulk/archive';
import { applyDeliveryCallback, campaignKeys, getCampaignStatus, indexKeys } from '@wabulk/queue';
import { useCrashKit } from '../support/archive-crash-kit.js';
import { cliEnv, describeRun, onlyJson, runCli, spawnCli } from '../support/proc-cli.js';
import { waitFor } from '../support/wait.js';

/**
 * `retry-failed` of an archived campaign brings it back from PostgreSQL (a restore). Killed
 * (SIGKILL) in the middle, it leaves its claim, a partial ledger in Redis and, from then on, every
 * delivery callback of the campaign waiting beside the claim. Nothing but another retry-failed
 * claimed it again; now every archive pass undoes a restore whose lease ran out
 * (recoverStaleRestores): the partial ledger goes, the claim is released and the callbacks that
 * waited reach the archive. The lease is 10 min: the test asks the sweep "as of" a time past it.
 */

jest.setTimeout(180_000);

const N = 60_000;
const kit = useCrashKit('rcrash');

test(`SIGKILL of retry-failed while it restores a ${N}-recipient campaign: reads stay on the archive; once the lease ran out an archive pass undoes it and the waiting callback reaches the archive; retry-failed then works`, async () => {
  const id = 'restore-crash';
  await kit.populate(id, N);
  const env = cliEnv(kit.base, { WABULK_ARCHIVE_URL: kit.db.url });
  const archived = await runCli(['archive', '--campaign', id, '--json'], { env, timeoutMs: 120_000 });
  expect({ code: archived.code, run: describeRun(archived) }).toMatchObject({ code: 0 });
  const before = await getCampaignStatus(kit.ctx, id);
  expect(before).toMatchObject({ total: N, archived: true });
  const k = campaignKeys(kit.base, id);
  const restoring = indexKeys(kit.base).restoring;

  // The restore as a real process, killed once 30% of the rows are back in Redis.
  const { child, result } = spawnCli(['retry-failed', '--campaign', id, '--json'], { env, timeoutMs: 120_000 });
  let exited = false;
  void result.then(() => (exited = true));
  await waitFor(
    async () => {
      if (exited) throw new Error(`retry-failed ended before 30% was restored:\n${describeRun(await result)}`);
      return (await kit.redis.hlen(k.recipients)) >= 0.3 * N;
    },
    { timeoutMs: 60_000, intervalMs: 10, what: '30% of the rows restored' },
  );
  child.kill('SIGKILL');
  expect((await result).signal).toBe('SIGKILL');

  // What the dead restore left: its claim, a partial ledger, its entry in index:{restoring}; no meta,
  // so the campaign is still the archive's and reads answer from there, unchanged.
  const left = await kit.redis.hlen(k.recipients);
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThan(N);
  expect(await kit.redis.exists(k.meta)).toBe(0);
  expect(await kit.redis.exists(k.archived)).toBe(1);
  expect(await kit.redis.hget(k.state, 'archiving')).toMatch(/^restore-/);
  expect(await kit.redis.zscore(restoring, id)).not.toBeNull();
  expect(await getCampaignStatus(kit.ctx, id)).toEqual(before);

  // A callback now waits beside the claim.
  const messageId = `wamid.${id}.1`; // recipient 1 was sent (the kit's pattern)
  expect((await applyDeliveryCallback(kit.ctx, messageId, { status: 'delivered', at: Date.now() })).outcome).toBe('deferred');
  expect(await kit.redis.llen(k.deferred)).toBe(1);

  // While the lease runs, a pass leaves it alone (the restorer might be alive and slow).
  expect(await recoverStaleRestores(kit.ctx)).toEqual({ undone: [], failed: [] });
  expect(await kit.redis.hlen(k.recipients)).toBe(left);

  // Past the lease: undone.
  expect(await recoverStaleRestores(kit.ctx, Date.now() + RESTORE_LEASE_MS + 1000)).toEqual({ undone: [id], failed: [] });
  expect(await kit.redis.exists(k.recipients, k.counts, k.deferred, k.meta)).toBe(0);
  expect(await kit.redis.hget(k.state, 'archiving')).toBeNull();
  expect(await kit.redis.zscore(restoring, id)).toBeNull();
  expect(await getCampaignStatus(kit.ctx, id)).toEqual({ ...before, delivered: before!.delivered + 1 });
  // Nothing more to do on the next pass.
  expect(await recoverStaleRestores(kit.ctx, Date.now() + RESTORE_LEASE_MS + 2000)).toEqual({ undone: [], failed: [] });

  // And retry-failed works again: the campaign is back in Redis with every recipient and its failed ones queued.
  const retried = await runCli(['retry-failed', '--campaign', id, '--json'], { env, timeoutMs: 120_000 });
  expect({ code: retried.code, run: describeRun(retried) }).toMatchObject({ code: 0 });
  expect(onlyJson(retried)).toMatchObject({ campaignId: id, restored: true, requeued: before!.failed });
  expect(await kit.redis.hlen(k.recipients)).toBe(N);
  expect(await kit.redis.exists(k.meta)).toBe(1);
  expect(await kit.redis.zscore(restoring, id)).toBeNull();
});
