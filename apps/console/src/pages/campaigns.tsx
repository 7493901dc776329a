import { useState } from 'preact/hooks';
import { CAMPAIGN_STATES, type AccountState, type CampaignList, type CampaignStatus } from '../api.js';
import { ErrorNote, finished, n, Progress, StateBadge } from '../components/bits.js';
import { relative, when } from '../format.js';
import { usePoll } from '../hooks.js';
import { accountChoices, useSession } from '../session-context.js';

const PAGE = 50;

/** Every campaign of the token's accounts, newest first, filtered by state and account, updated every few seconds. */
export function CampaignsPage() {
  const s = useSession();
  const [state, setState] = useState('');
  const [account, setAccount] = useState('');
  const filterKey = `${state}|${account}`;
  // The first page is polled (live); "Show older" appends older pages through the API's cursor.
  const list = usePoll((signal) => s.call<CampaignList>('/v1/campaigns', { query: { state, account, limit: PAGE }, signal }), filterKey, undefined, s.can('read'));
  const accounts = usePoll((signal) => s.call<{ accounts: AccountState[] }>('/v1/accounts', { signal }), 'accounts', 30_000, s.can('read'));
  const [older, setOlder] = useState<{ key: string; rows: CampaignStatus[]; cursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const extra = older?.key === filterKey ? older : null;
  const cursor = extra ? extra.cursor : (list.data?.cursor ?? null);
  const firstIds = new Set((list.data?.campaigns ?? []).map((c) => c.campaignId));
  // A campaign created meanwhile shifts the first page: one already shown there is not shown twice.
  const rows = [...(list.data?.campaigns ?? []), ...(extra?.rows ?? []).filter((c) => !firstIds.has(c.campaignId))];
  const showMore = async () => {
    if (cursor === null) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await s.call<CampaignList>('/v1/campaigns', { query: { state, account, limit: PAGE, cursor } });
      setOlder({ key: filterKey, rows: [...(extra?.rows ?? []), ...page.campaigns], cursor: page.cursor });
    } catch (err) {
      setMoreError((err as Error).message);
    } finally {
      setLoadingMore(false);
    }
  };
  const accountOptions = accountChoices(s, accounts.data?.accounts);
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
            {accountOptions.map((a) => (
              <option key={a} value={a}>
                {a}
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
            {rows.map((c) => (
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
      {list.data && rows.length === 0 && (
        <p class="empty">{cursor === null ? `No campaigns${state || account ? ' match these filters' : ' yet'}.` : 'None of the newest campaigns match these filters: "Show older" looks further back.'}</p>
      )}
      {moreError && <ErrorNote>{moreError}</ErrorNote>}
      {cursor !== null && list.data && (
        <button type="button" onClick={() => void showMore()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show older'}
        </button>
      )}
      {extra && <p class="help">Older pages are read once, when shown; the first {PAGE} update every few seconds.</p>}
    </section>
  );
}
