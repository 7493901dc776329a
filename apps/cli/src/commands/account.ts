import { getAccountState, pauseAccount, resumeAccount } from '@wabulk/queue';
import { withContext } from '../cli-context.js';

/** `pause|resume [--account ID] [--json]`: every worker on every host stops or restarts taking the account's jobs. */
export async function accountCommand(action: 'pause' | 'resume', o: { account?: string; json?: boolean }): Promise<number> {
  return withContext<number>(async (c) => {
    const account = o.account ?? c.env.WABULK_ACCOUNT;
    if (action === 'pause') await pauseAccount(c.ctx, account, 'manual', { message: 'paused by an operator' });
    else await resumeAccount(c.ctx, account);
    const state = await getAccountState(c.ctx, account);
    if (o.json) process.stdout.write(`${JSON.stringify(state)}\n`);
    else {
      const waiting = (state.counts.waiting ?? 0) + (state.counts.prioritized ?? 0);
      process.stdout.write(`account ${account}: ${state.paused ? `paused (${state.pauseReason})` : 'running'}; waiting ${waiting}, active ${state.counts.active ?? 0}, delayed ${state.counts.delayed ?? 0}\n`);
    }
    return 0;
  });
}
