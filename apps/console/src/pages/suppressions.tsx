import { useState } from 'preact/hooks';
import type { AccountState, Rejected } from '../api.js';
import { ErrorNote, n } from '../components/bits.js';
import { when } from '../format.js';
import { usePoll } from '../hooks.js';
import { accountChoices, useSession } from '../session-context.js';

interface CheckAnswer {
  number: string;
  account: string;
  suppressed: boolean;
  lists: { account?: string; global?: string };
}
interface ListPage {
  cursor: string | null;
  entries: { number: string; addedAt: string }[];
}
interface Change {
  list: string;
  added?: number;
  alreadyListed?: number;
  removed?: number;
  notListed?: number;
  read?: number;
  rejected: Rejected[];
  rejectedTotal?: number;
}

const PAGE = 100;
const splitNumbers = (text: string) => text.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

/** The do-not-message lists: the global one every account obeys, and one per account. */
export function SuppressionsPage() {
  const s = useSession();
  const accounts = usePoll((signal) => s.call<{ accounts: AccountState[] }>('/v1/accounts', { signal }), 'accounts', 0, s.can('read'));
  // A token for some accounts starts on its first account's list (the global list needs every account).
  const [list, setList] = useState(s.allAccounts ? 'global' : (s.me.accounts[0] ?? ''));
  const scope = list === 'global' ? { global: 'true' } : { account: list };
  // The first page loads on a list change and after every change made here; "Show more" pages on.
  const entries = usePoll((signal) => s.call<ListPage>('/v1/suppressions', { query: { ...scope, limit: PAGE }, signal }), list, 0, list !== '' && s.can('read'));
  const [more, setMore] = useState<{ key: string; entries: ListPage['entries']; cursor: string | null } | null>(null);
  const extra = more?.key === list ? more : null;
  const cursor = extra ? extra.cursor : (entries.data?.cursor ?? null);
  const shown = [...new Map([...(entries.data?.entries ?? []), ...(extra?.entries ?? [])].map((e) => [e.number, e])).values()];
  const showMore = async () => {
    if (cursor === null) return;
    try {
      const page = await s.call<ListPage>('/v1/suppressions', { query: { ...scope, limit: PAGE, cursor } });
      setMore({ key: list, entries: [...(extra?.entries ?? []), ...page.entries], cursor: page.cursor });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const [number, setNumber] = useState('');
  const [found, setFound] = useState<CheckAnswer | string | undefined>(undefined);
  const [numbers, setNumbers] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [rejected, setRejected] = useState<Rejected[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const control = s.can('control');
  const accountIds = accountChoices(s, accounts.data?.accounts);

  const search = async (e: Event) => {
    e.preventDefault();
    setFound(undefined);
    try {
      setFound(await s.call<CheckAnswer>('/v1/suppressions/check', { query: { number, account: list !== 'global' ? list : undefined } }));
    } catch (err) {
      setFound((err as Error).message);
    }
  };
  const run = async (what: () => Promise<Change>, say: (c: Change) => string) => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    setRejected([]);
    try {
      const c = await what();
      setResult(say(c));
      setRejected(c.rejected);
      setMore(null);
      entries.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const listJson = list === 'global' ? { global: true } : { account: list };
  const add = () => run(() => s.call<Change>('/v1/suppressions', { method: 'POST', json: { numbers: splitNumbers(numbers), ...listJson } }), (c) => `${n(c.added)} added to ${c.list}, ${n(c.alreadyListed)} already on it, ${n(c.rejected.length)} rejected.`);
  const remove = () => run(() => s.call<Change>('/v1/suppressions/remove', { method: 'POST', json: { numbers: splitNumbers(numbers), ...listJson } }), (c) => `${n(c.removed)} removed from ${c.list}, ${n(c.notListed)} were not on it, ${n(c.rejected.length)} rejected.`);
  const importFile = () =>
    file
      ? run(
          () => s.call<Change>('/v1/suppressions/import', { method: 'POST', body: file, contentType: /\.csv$/i.test(file.name) ? 'text/csv' : 'text/plain', query: scope }),
          (c) => `${n(c.read)} row(s) read: ${n(c.added)} added to ${c.list}, ${n(c.alreadyListed)} already on it, ${n(c.rejectedTotal)} rejected.`,
        )
      : setError('file: choose a CSV or text file of numbers');

  if (!s.can('read')) return <ErrorNote>This token lacks the read scope: it cannot see the suppression lists.</ErrorNote>;
  return (
    <section aria-labelledby="suppressions-title">
      <h1 id="suppressions-title">Suppression list</h1>
      <p class="help">Numbers on a list are never messaged: intake rejects them (reason "suppressed") and a queued message to one ends cancelled.</p>
      <div class="field inline">
        <label for="list-select">List</label>
        <select id="list-select" value={list} onChange={(e) => setList(e.currentTarget.value)}>
          {s.allAccounts && <option value="global">global (every account)</option>}
          {!s.allAccounts && <option value="">choose an account</option>}
          {accountIds.map((a) => (
            <option key={a} value={a}>
              account {a}
            </option>
          ))}
        </select>
      </div>

      <h2>Search a number</h2>
      <form class="inline-form" onSubmit={(e) => void search(e)}>
        <label>
          Phone number
          <input name="number" value={number} onInput={(e) => setNumber(e.currentTarget.value)} placeholder="+919876543210" required />
        </label>
        <button type="submit" disabled={list === ''}>
          Search
        </button>
      </form>
      {typeof found === 'string' && <ErrorNote>{found}</ErrorNote>}
      {found && typeof found !== 'string' && (
        <p class="notice" role="status">
          {found.number}{' '}
          {found.suppressed ? (
            <>
              is <strong>suppressed</strong>
              {found.lists.global && <> on the global list since {when(Date.parse(found.lists.global))}</>}
              {found.lists.account && <> on account {found.account}'s list since {when(Date.parse(found.lists.account))}</>}.
            </>
          ) : (
            <>is not on the global list nor on account {found.account}'s: it may be messaged.</>
          )}
        </p>
      )}

      {control && list && (
        <>
          <h2>Add or remove numbers</h2>
          <label class="wide">
            Numbers (one per line, or separated by commas)
            <textarea name="numbers" rows={3} value={numbers} onInput={(e) => setNumbers(e.currentTarget.value)} />
          </label>
          <div class="actions">
            <button type="button" disabled={busy || !numbers.trim()} onClick={() => void add()}>
              Add to the list
            </button>
            <button type="button" disabled={busy || !numbers.trim()} onClick={() => void remove()}>
              Remove from the list
            </button>
          </div>
          <h2>Import a file</h2>
          <div class="inline-form">
            <label>
              CSV (with a number column) or text (one number per line)
              <input name="suppressionFile" type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
            </label>
            <button type="button" disabled={busy || !file} onClick={() => void importFile()}>
              Import
            </button>
          </div>
        </>
      )}
      {error && <ErrorNote>{error}</ErrorNote>}
      {result && (
        <p class="notice" role="status">
          {result}
        </p>
      )}
      {rejected.length > 0 && (
        <ul class="rejected-list">
          {rejected.slice(0, 20).map((r, i) => (
            <li key={i}>
              {r.line !== undefined && <>line {r.line}: </>}
              <code>{r.input}</code>: {r.reason}
            </li>
          ))}
        </ul>
      )}

      <h2>On the list</h2>
      {entries.error && <ErrorNote>{entries.error}</ErrorNote>}
      {entries.data && shown.length > 0 && (
        <div class="table-wrap">
          <table class="suppressions">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.number}>
                  <td>{e.number}</td>
                  <td>{when(Date.parse(e.addedAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.data && shown.length === 0 && <p class="empty">{cursor === null ? 'This list is empty.' : 'Nothing on this page of the list: "Show more" reads on.'}</p>}
      {cursor !== null && (
        <button type="button" onClick={() => void showMore()}>
          Show more
        </button>
      )}
    </section>
  );
}
