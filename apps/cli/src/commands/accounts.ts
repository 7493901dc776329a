import { ACCOUNT_ID, getAccountState, listRegisteredAccounts, registerAccounts, type QueueContext } from '@wabulk/queue';
import { ACCOUNT_ID_RULE } from '@wabulk/config';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

/** One row of `wabulk accounts`: how the account is known, and its state. */
export interface AccountRow {
  account: string;
  /** 'worker' | 'operator' (from the registry), 'configured' (this process's settings only). */
  source: string;
  registeredAt: number | null;
  paused: boolean;
  pauseReason: string | null;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

async function rowsOf(ctx: QueueContext, configured: readonly string[]): Promise<AccountRow[]> {
  const registered = await listRegisteredAccounts(ctx);
  const all = new Map<string, { source: string; at: number | null }>(registered.map((r) => [r.account, { source: r.source, at: r.at }]));
  for (const id of configured) if (!all.has(id)) all.set(id, { source: 'configured', at: null });
  const ids = [...all.keys()].sort();
  return Promise.all(
    ids.map(async (account) => {
      const s = await getAccountState(ctx, account);
      const c = s.counts;
      return {
        account,
        source: all.get(account)!.source,
        registeredAt: all.get(account)!.at,
        paused: s.paused,
        pauseReason: s.pauseReason,
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
      };
    }),
  );
}

function print(rows: AccountRow[], json: boolean | undefined) {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('no known accounts: start a worker for one, or register one with `wabulk accounts add ID`\n');
    return;
  }
  for (const r of rows) {
    const state = r.paused ? `paused (${r.pauseReason})` : 'running';
    process.stdout.write(`${r.account}\t${r.source}\t${state}\twaiting ${r.waiting}, active ${r.active}, delayed ${r.delayed}, failed ${r.failed}\n`);
  }
}

/** `wabulk accounts [--json]`: every known account (registered, or configured for this process) with its state. */
export async function accountsCommand(o: { json?: boolean }): Promise<number> {
  return withContext<number>(async (c) => {
    print(await rowsOf(c.ctx, c.configuredAccounts), o.json);
    return 0;
  });
}

/** `wabulk accounts add ID [--json]`: registers an account ahead of its workers, so intake accepts messages for it. */
export async function accountsAddCommand(id: string, o: { json?: boolean }): Promise<number> {
  if (!ACCOUNT_ID.test(id)) throw new CliError(`account: ${ACCOUNT_ID_RULE}, got ${JSON.stringify(id.slice(0, 40))}`, 2);
  return withContext<number>(async (c) => {
    await registerAccounts(c.ctx, [id], 'operator');
    const rows = (await rowsOf(c.ctx, c.configuredAccounts)).filter((r) => r.account === id);
    if (o.json) print(rows, true);
    else process.stdout.write(`account ${id} registered (${rows[0]?.source ?? 'operator'}); messages for it are accepted now, and sent once a worker serving it runs\n`);
    return 0;
  });
}
