import { useRef, useState } from 'preact/hooks';
import type { AccountState } from '../api.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { ErrorNote, n } from '../components/bits.js';
import { rate, relative, when } from '../format.js';
import { usePoll } from '../hooks.js';
import { useSession } from '../session-context.js';

/** What each account-level pause means and what the operator does about it. */
const REASONS: Record<string, string> = {
  E110: 'Low balance (E110): top up, then resume.',
  RBC001: 'Kaleyra refused the SID or API key (RBC001): fix the credentials, restart the workers, then resume.',
  WA401: 'The business number is not on the account or not approved (WA401): fix the sender, then resume.',
  'WA-401': 'The WhatsApp API is not enabled for the account (WA-401): ask Kaleyra, then resume.',
  WAV2101: "The account's daily limit is reached (WAV2101): resume tomorrow.",
  manual: 'Paused by an operator.',
};

export const pauseExplained = (reason: string | null): string => (reason === null ? '' : (REASONS[reason] ?? `Paused (${reason}).`));

/** Each account: running or paused (why, and what to do), queue depth by priority, rate limit; Pause and Resume. */
export function AccountsPage() {
  const s = useSession();
  const list = usePoll((signal) => s.call<{ accounts: AccountState[] }>('/v1/accounts', { signal }), 'accounts', undefined, s.can('read'));
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  // The reason typed in the pause dialog, read when Confirm runs.
  const reason = useRef('');
  const [message, setMessage] = useState<string | undefined>(undefined);
  const now = Date.now();

  if (!s.can('read')) return <ErrorNote>This token lacks the read scope: it cannot see accounts.</ErrorNote>;
  const control = s.can('control');
  const pause = (a: AccountState) => {
    reason.current = '';
    setConfirm({
      title: `Pause account ${a.account}`,
      body: (
        <>
          <p>
            Stop every worker from sending for account <strong>{a.account}</strong>? {n(a.queueDepth)} queued message(s) wait until it is resumed.
          </p>
          <label>
            Why (shown to other operators)
            <input name="pauseMessage" maxLength={500} onInput={(e) => (reason.current = e.currentTarget.value)} />
          </label>
        </>
      ),
      action: () => s.call<AccountState>(`/v1/accounts/${encodeURIComponent(a.account)}/pause`, { method: 'POST', json: reason.current ? { message: reason.current } : {} }),
      done: () => {
        setMessage(`Account ${a.account} paused.`);
        list.reload();
      },
    });
  };
  const resume = (a: AccountState) =>
    setConfirm({
      title: `Resume account ${a.account}`,
      body: (
        <p>
          Resume sending for account <strong>{a.account}</strong>? {a.pauseReason === 'E110' ? 'Make sure the balance was topped up: another E110 pauses it again. ' : ''}
          {n(a.queueDepth)} queued message(s) go out at {rate(a.ratePerSecond)}.
        </p>
      ),
      action: () => s.call<AccountState>(`/v1/accounts/${encodeURIComponent(a.account)}/resume`, { method: 'POST' }),
      done: () => {
        setMessage(`Account ${a.account} resumed.`);
        list.reload();
      },
    });

  return (
    <section aria-labelledby="accounts-title">
      <h1 id="accounts-title">Accounts</h1>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {list.error && <ErrorNote>{list.error}</ErrorNote>}
      <div class="table-wrap">
        <table class="accounts">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">State</th>
              <th scope="col">Why</th>
              <th scope="col" class="num">Queued</th>
              <th scope="col" class="num">High</th>
              <th scope="col" class="num">Normal</th>
              <th scope="col" class="num">Low</th>
              <th scope="col" class="num">Rate limit</th>
              {control && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {(list.data?.accounts ?? []).map((a) => (
              <tr key={a.account} data-account={a.account}>
                <th scope="row">{a.account}</th>
                <td>
                  <span class={`badge ${a.paused ? 'state-paused' : 'state-running'}`}>{a.paused ? 'paused' : 'running'}</span>
                  {a.paused && a.pausedAt && <span class="help"> since {relative(a.pausedAt, now)}</span>}
                </td>
                <td class="why" title={a.pausedAt ? when(a.pausedAt) : undefined}>
                  {a.paused ? (
                    <>
                      {pauseExplained(a.pauseReason)}
                      {a.pauseMessage && <span class="help"> {a.pauseMessage}</span>}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td class="num">{n(a.queueDepth)}</td>
                <td class="num">{n(a.depthByPriority?.high)}</td>
                <td class="num">{n(a.depthByPriority?.normal)}</td>
                <td class="num">{n(a.depthByPriority?.low)}</td>
                <td class="num">{rate(a.ratePerSecond)}</td>
                {control && (
                  <td>
                    {a.paused ? (
                      <button type="button" class="primary" onClick={() => resume(a)} aria-label={`Resume ${a.account}`}>
                        Resume
                      </button>
                    ) : (
                      <button type="button" onClick={() => pause(a)} aria-label={`Pause ${a.account}`}>
                        Pause
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && list.data.accounts.length === 0 && <p class="empty">No account is known yet: start a worker, or register one with `wabulk accounts add ID`.</p>}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
