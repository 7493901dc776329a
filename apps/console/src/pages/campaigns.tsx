import { useState } from 'preact/hooks';
import { CAMPAIGN_STATES, type AccountState, type CampaignList } from '../api.js';
import { ErrorNote, finished, n, Progress, StateBadge } from '../components/bits.js';
import { relative, when } from '../format.js';
import { usePoll } from '../hooks.js';
import { useSession } from '../session-context.js';

const PAGE = 50;

/** Every campaign of the token's accounts, newest first, filtered by state and account, updated every few seconds. */
export function CampaignsPage() {
  const s = useSession();
  const [state, setState] = useState('');
  const [account, setAccount] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const list = usePoll((signal) => s.call<CampaignList>('/v1/campaigns', { query: { state, account, limit }, signal }), `${state}|${account}|${limit}`);
  const accounts = usePoll((signal) => s.call<{ accounts: AccountState[] }>('/v1/accounts', { signal }), 'accounts', 30_000);
  const now = Date.now();

  if (!s.can('read')) return <ErrorNote>This token lacks the read scope: it cannot list campaigns.</ErrorNote>;
  return (
    <section aria-labelledby="campaigns-title">
      <div class="title-row">
        <h1 id="campaigns-title">Campaigns</h1>
        {s.can('send') && (
          <a class="button primary" href="#/new">
            New campaign
          </a>
        )}
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter campaigns">
        <div class="field">
          <label for="filter-state">State</label>
          <select id="filter-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">any state</option>
            {CAMPAIGN_STATES.map((st) => (
              <option key={st} value={st}>
                {st}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-account">Account</label>
          <select id="filter-account" value={account} onChange={(e) => setAccount(e.currentTarget.value)}>
            <option value="">any account</option>
            {(accounts.data?.accounts ?? []).map((a) => (
              <option key={a.account} value={a.account}>
                {a.account}
              </option>
            ))}
          </select>
        </div>
        <span class="updated" aria-live="off">
          {list.updatedAt ? `updated ${relative(list.updatedAt, now)}` : 'loading…'}
        </span>
      </form>
      {list.error && <ErrorNote>{list.error}</ErrorNote>}
      {list.data?.archiveUnavailable && <p class="notice">{list.data.archiveUnavailable.message} ({list.data.archiveUnavailable.campaignIds.length} archived campaign(s) not shown)</p>}
      <div class="table-wrap">
        <table class="campaigns">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">State</th>
              <th scope="col">Account</th>
              <th scope="col">Priority</th>
              <th scope="col">Progress</th>
              <th scope="col" class="num">Sent</th>
              <th scope="col" class="num">Failed</th>
              <th scope="col" class="num">Cancelled</th>
              <th scope="col" class="num">Pending</th>
              <th scope="col" class="num">Delivered</th>
              <th scope="col" class="num">Read</th>
              <th scope="col">Created</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.campaigns ?? []).map((c) => (
              <tr key={c.campaignId} data-campaign={c.campaignId}>
                <th scope="row">
                  <a href={`#/campaigns/${encodeURIComponent(c.campaignId)}`}>{c.campaignId}</a>
                </th>
                <td>
                  <StateBadge state={c.state} archived={c.archived} />
                </td>
                <td>{c.account}</td>
                <td>{c.priority}</td>
                <td>
                  <Progress done={finished(c)} total={c.total} label={`progress of ${c.campaignId}`} />
                </td>
                <td class="num" data-field="sent">{n(c.sent)}</td>
                <td class="num" data-field="failed">{n(c.failed)}</td>
                <td class="num" data-field="cancelled">{n(c.cancelled)}</td>
                <td class="num" data-field="pending">{n(c.pending)}</td>
                <td class="num" data-field="delivered">{n(c.delivered)}</td>
                <td class="num" data-field="read">{n(c.read)}</td>
                <td title={when(c.createdAt)}>{relative(c.createdAt, now)}</td>
                <td title={when(c.startedAt)}>{c.startedAt ? relative(c.startedAt, now) : c.startsAt && c.startsAt > now ? `starts ${relative(c.startsAt, now)}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && list.data.campaigns.length === 0 && <p class="empty">No campaigns{state || account ? ' match these filters' : ' yet'}.</p>}
      {list.data?.cursor && (
        <button type="button" onClick={() => setLimit((l) => Math.min(l + PAGE, 500))} disabled={limit >= 500}>
          Show more
        </button>
      )}
    </section>
  );
}
