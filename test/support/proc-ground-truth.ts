import type { Simulator } from '@wabulk/kaleyra-sim';
import type { LedgerRow, QueueContext } from '@wabulk/queue';
import { waitFor } from './wait.js';

/** Every ledger row of a campaign, once per recipient (HSCAN may repeat an entry during a rehash). */
export async function ledgerRows(ctx: QueueContext, campaignId: string): Promise<Map<string, LedgerRow>> {
  const rows = new Map<string, LedgerRow>();
  for await (const row of ctx.ledger.rows(campaignId)) rows.set(row.to, row);
  return rows;
}

/** What the simulator accepted, per recipient in E.164 with '+': every message_id it issued, in order. */
export function simIdsByRecipient(sim: Simulator): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const m of sim.messages()) {
    const to = m.to.startsWith('+') ? m.to : `+${m.to}`;
    const list = ids.get(to) ?? [];
    list.push(m.message_id);
    ids.set(to, list);
  }
  return ids;
}

/** Recipients the simulator accepted more than once, with how many times. */
export function duplicatesAtSim(sim: Simulator): Map<string, number> {
  const dup = new Map<string, number>();
  for (const [to, ids] of simIdsByRecipient(sim)) if (ids.length > 1) dup.set(to, ids.length);
  return dup;
}

export async function activeJobs(ctx: QueueContext, account = 'acme'): Promise<number> {
  const counts = await ctx.queues.get(account).getJobCounts('active');
  return counts.active ?? 0;
}

/**
 * Asserting that something does NOT happen needs a window to watch: polls `read` for `quietMs`
 * and fails as soon as the value differs from the first reading. Returns that value.
 */
export async function expectUnchanged<T>(read: () => Promise<T> | T, quietMs: number, what: string): Promise<T> {
  const first = JSON.stringify(await read());
  const until = Date.now() + quietMs;
  await waitFor(
    async () => {
      const now = JSON.stringify(await read());
      if (now !== first) throw new Error(`${what} changed while it should not: ${first} → ${now}`);
      return Date.now() >= until;
    },
    { timeoutMs: quietMs + 5000, intervalMs: 25, what },
  );
  return JSON.parse(first) as T;
}
