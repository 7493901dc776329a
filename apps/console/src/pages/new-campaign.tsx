import { useMemo, useRef, useState } from 'preact/hooks';
import type { AccountState, ImportResult } from '../api.js';
import { ErrorNote, Figures, n } from '../components/bits.js';
import { duration, rate } from '../format.js';
import { go, usePoll } from '../hooks.js';
import { accountChoices, useSession } from '../session-context.js';

const isNdjson = (name: string) => /\.(nd)?jsonl?$|\.ndjson$/i.test(name);
const contentTypeOf = (file: File) => (isNdjson(file.name) ? 'application/x-ndjson' : 'text/csv');

/**
 * The columns a file offers for placeholders, from its first line only: the browser reads the first
 * 64 KiB of the file, never the whole of it (the upload itself streams from disk).
 */
async function headerOf(file: File): Promise<string[]> {
  const head = await file.slice(0, 64 * 1024).text();
  const first = head.split(/\r?\n/, 1)[0] ?? '';
  if (isNdjson(file.name)) {
    try {
      return Object.keys(JSON.parse(first) as Record<string, unknown>);
    } catch {
      return [];
    }
  }
  const delimiter = [',', ';', '\t'].map((d) => [d, first.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const cells = first.split(delimiter).map((c) => c.trim().replace(/^"|"$/g, ''));
  // A file of bare numbers has no header.
  return cells.every((c) => /^\+?[\d\s()-]+$/.test(c)) ? [] : cells.filter(Boolean);
}

/** `datetime-local` value (the browser's zone) → ISO 8601 with Z. */
const isoOf = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

interface Draft {
  campaignId: string;
  account: string;
  body: string;
  priority: string;
  at: string;
  windowFrom: string;
  windowTo: string;
  tz: string;
  column: string;
}

/** A new campaign from a CSV or NDJSON file: write the text, check it with a dry run, then send. */
export function NewCampaignPage() {
  const s = useSession();
  const accounts = usePoll((signal) => s.call<{ accounts: AccountState[] }>('/v1/accounts', { signal }), 'accounts', 0, s.can('read'));
  const accountOptions = accountChoices(s, accounts.data?.accounts);
  const paused = new Set((accounts.data?.accounts ?? []).filter((a) => a.paused).map((a) => a.account));
  const [sent, setSent] = useState<ImportResult | null>(null);
  const picks = useRef(0);
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [draft, setDraft] = useState<Draft>({ campaignId: '', account: '', body: '', priority: 'normal', at: '', windowFrom: '', windowTo: '', tz: '', column: '' });
  const [check, setCheck] = useState<{ key: string; result: ImportResult } | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [progress, setProgress] = useState<string | undefined>(undefined);

  const set = (field: keyof Draft) => (e: Event) => setDraft((d) => ({ ...d, [field]: (e.currentTarget as HTMLInputElement).value }));
  const sendWindow = draft.windowFrom && draft.windowTo ? `${draft.windowFrom}-${draft.windowTo}` : undefined;
  const query = (dryRun: boolean) => ({
    campaignId: draft.campaignId.trim(),
    body: draft.body,
    account: draft.account || undefined,
    priority: draft.priority,
    at: isoOf(draft.at),
    window: sendWindow,
    tz: sendWindow ? draft.tz.trim() || undefined : undefined,
    column: draft.column || undefined,
    dryRun: dryRun ? 'true' : undefined,
  });
  // The dry run counts only for exactly what it checked: any change asks for a new one.
  const key = useMemo(() => JSON.stringify([query(false), file?.name, file?.size, file?.lastModified]), [draft, file]);
  const checked = check?.key === key ? check.result : null;

  const pick = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0] ?? null;
    const mine = ++picks.current;
    setFile(f);
    setCheck(null);
    setColumns([]);
    // A column chosen for the previous file may not exist in this one.
    setDraft((d) => ({ ...d, column: '' }));
    const header = f ? await headerOf(f) : [];
    // A slower read of an earlier file must not overwrite this one's columns.
    if (mine === picks.current) setColumns(header);
  };

  const upload = async (dryRun: boolean) => {
    if (!file) {
      setError('file: choose a CSV or NDJSON file of recipients');
      return;
    }
    if (!draft.campaignId.trim()) {
      setError('campaignId: give the campaign a name (letters, digits, - and _)');
      return;
    }
    if ((draft.windowFrom === '') !== (draft.windowTo === '')) {
      setError('window: give both the start and the end of the sending window, or neither');
      return;
    }
    setError(undefined);
    setBusy(dryRun ? 'Checking every row (nothing is sent)…' : 'Queuing…');
    const started = Date.now();
    const timer = setInterval(() => setProgress(`${duration(Date.now() - started)} so far for ${n(file.size)} bytes`), 1000);
    try {
      const result = await s.call<ImportResult>('/v1/campaigns', { method: 'POST', body: file, contentType: contentTypeOf(file), query: query(dryRun) });
      if (dryRun) setCheck({ key, result });
      // Its page needs the read scope; a send-only token stays here, with the result.
      else if (s.can('read')) go(`/campaigns/${encodeURIComponent(result.campaignId)}`);
      else setSent(result);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      clearInterval(timer);
      setProgress(undefined);
      setBusy(undefined);
    }
  };

  if (!s.can('send')) return <ErrorNote>This token lacks the send scope: it cannot start campaigns.</ErrorNote>;
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New campaign</h1>
      <form class="new-campaign" onSubmit={(e) => { e.preventDefault(); void upload(true); }}>
        <div class="grid">
          <label>
            Campaign ID
            <input name="campaignId" required value={draft.campaignId} onInput={set('campaignId')} placeholder="spring-sale-2027" pattern="[A-Za-z0-9_\-]+" aria-describedby="campaign-id-help" />
            <span id="campaign-id-help" class="help">Letters, digits, - and _. Re-using an ID adds only recipients it does not have.</span>
          </label>
          <div class="field">
            <label for="new-account">Account</label>
            <select id="new-account" name="account" value={draft.account} onChange={set('account')}>
              <option value="">the API's default account</option>
              {accountOptions.map((a) => (
                <option key={a} value={a}>
                  {a}
                  {paused.has(a) ? ' (paused)' : ''}
                </option>
              ))}
            </select>
          </div>
          <label>
            Recipients file (CSV or NDJSON)
            <input name="file" type="file" accept=".csv,.txt,.tsv,.ndjson,.jsonl,text/csv,text/plain,application/x-ndjson" onChange={(e) => void pick(e)} aria-describedby="file-help" />
            <span id="file-help" class="help">
              A header naming the number column (to, phone, number, msisdn, mobile…) and one column per placeholder; or bare numbers, one per line. The file is streamed to the API, never loaded whole into the page.
            </span>
          </label>
          <div class="field">
            <label for="new-column">Number column</label>
            <select id="new-column" name="column" value={draft.column} onChange={set('column')}>
              <option value="">found from the header</option>
              {columns.map((col) => (
                <option key={col} value={col}>
                  {col}
                </option>
              ))}
            </select>
          </div>
        </div>
        <label class="wide">
          Message text
          <textarea name="body" rows={5} maxLength={4096} value={draft.body} onInput={set('body')} aria-describedby="body-help" />
          <span id="body-help" class="help">
            {'Placeholders: {{column}} or {{column|fallback}}.'}
            {columns.length > 0 && <> Columns in this file: {columns.map((col) => <code key={col}>{`{{${col}}}`}</code>)}</>} {n(draft.body.length)} / 4,096 characters.
          </span>
        </label>
        <div class="grid">
          <div class="field">
            <label for="new-priority">Priority</label>
            <select id="new-priority" name="priority" value={draft.priority} onChange={set('priority')}>
              <option value="normal">normal (shares the account's rate with other campaigns)</option>
              <option value="low">low</option>
              <option value="high">high (before everything at normal and low)</option>
            </select>
          </div>
          <label>
            Start time (optional, your browser's time zone)
            <input name="at" type="datetime-local" value={draft.at} onInput={set('at')} />
          </label>
          <fieldset class="window">
            <legend>Sending window (optional, each recipient's local time)</legend>
            <label>
              From
              <input name="windowFrom" type="time" value={draft.windowFrom} onInput={set('windowFrom')} />
            </label>
            <label>
              To
              <input name="windowTo" type="time" value={draft.windowTo} onInput={set('windowTo')} />
            </label>
            <label>
              Time zone (optional)
              <input name="tz" value={draft.tz} onInput={set('tz')} placeholder="Asia/Kolkata" disabled={!sendWindow} />
            </label>
          </fieldset>
        </div>
        {error && <ErrorNote>{error}</ErrorNote>}
        <div class="actions">
          <button type="submit" disabled={busy !== undefined}>
            Check (dry run)
          </button>
          <button type="button" class="primary" disabled={busy !== undefined || !checked || checked.accepted === 0} onClick={() => void upload(false)}>
            {checked ? `Send to ${n(checked.accepted)} recipient(s)` : 'Send (check first)'}
          </button>
        </div>
        {busy && (
          <p class="notice" role="status">
            {busy} {progress}
          </p>
        )}
      </form>
      {accounts.error && <ErrorNote>The accounts could not be listed: {accounts.error}</ErrorNote>}
      {sent && (
        <p class="notice" role="status">
          Campaign {sent.campaignId}: {n(sent.accepted)} recipient(s) queued, {n(sent.duplicates)} already in it, {n(sent.rejectedTotal)} rejected.
        </p>
      )}
      {checked && <DryRun result={checked} />}
      {check && !checked && <p class="notice">The form changed since the dry run: check again before sending.</p>}
    </section>
  );
}

function DryRun({ result }: { result: ImportResult }) {
  const shown = result.rejected.slice(0, 50);
  return (
    <section class="dry-run" aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">Dry run: nothing was sent or queued</h2>
      <Figures
        items={[
          ['Rows read', n(result.read)],
          ['Would be queued', n(result.accepted)],
          ['Already in the campaign', n(result.duplicates)],
          ['Rejected', n(result.rejectedTotal)],
          ['Suppressed', n(result.suppressed)],
          ['Estimated time', result.estimate ? `about ${duration(result.estimate.seconds * 1000)} at ${rate(result.estimate.ratePerSecond)} (${result.estimate.rateSource} rate)` : '—'],
        ]}
      />
      {result.samples && result.samples.length > 0 && (
        <>
          <h3>Samples</h3>
          <ol class="samples">
            {result.samples.map((x) => (
              <li key={x.to}>
                <span class="to">{x.to}</span>
                <p class="text">{x.text}</p>
              </li>
            ))}
          </ol>
        </>
      )}
      {shown.length > 0 && (
        <>
          <h3>Rejected rows</h3>
          <div class="table-wrap">
            <table class="rejected">
              <thead>
                <tr>
                  <th scope="col" class="num">Line</th>
                  <th scope="col">Input</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r, i) => (
                  <tr key={`${r.line ?? i}`}>
                    <td class="num">{r.line ?? '—'}</td>
                    <td>
                      <code>{r.input}</code>
                    </td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {result.rejectedTotal > shown.length && <p class="help">and {n(result.rejectedTotal - shown.length)} more rejected row(s).</p>}
        </>
      )}
    </section>
  );
}
