import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { apiUrl, type CampaignStatus } from '../api.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { ErrorNote, Figures, finished, n, Progress, StateBadge } from '../components/bits.js';
import { percent, relative, whenRelative } from '../format.js';
import { usePoll } from '../hooks.js';
import { useSession } from '../session-context.js';

/** One campaign: its figures, failures by code, schedule, and the operator's controls. */
export function CampaignPage({ id }: { id: string }) {
  const s = useSession();
  const path = `/v1/campaigns/${encodeURIComponent(id)}`;
  const status = usePoll((signal) => s.call<CampaignStatus>(path, { signal }), id);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [downloading, setDownloading] = useState<string | undefined>(undefined);
  const c = status.data;

  if (status.error && !c) {
    return (
      <section>
        <h1>Campaign {id}</h1>
        <ErrorNote>{status.error}</ErrorNote>
        <a href="#/campaigns">Back to the campaigns</a>
      </section>
    );
  }
  if (!c) return <p class="loading">Loading campaign {id}…</p>;

  // An archived campaign (moved to PostgreSQL) is finished: it can only have its failed recipients retried.
  const control = s.can('control') && !c.archived;
  // A cancelled campaign stays cancelled: nothing of it is sent again.
  const canRetry = s.can('control') && c.state !== 'cancelled';
  const act = (action: 'pause' | 'resume' | 'cancel') => {
    const bodies = {
      pause: <p>Pause campaign <strong>{c.campaignId}</strong>? Its {n(c.pending)} pending recipient(s) wait until you resume it; messages already with Kaleyra are not recalled.</p>,
      resume: <p>Resume campaign <strong>{c.campaignId}</strong>? Its {n(c.pending)} pending recipient(s) are queued again.</p>,
      cancel: (
        <p>
          Cancel campaign <strong>{c.campaignId}</strong>? <strong>{n(c.pending)}</strong> recipient(s) will not be sent. This cannot be undone.
        </p>
      ),
    };
    setConfirm({
      title: `${action[0]!.toUpperCase()}${action.slice(1)} campaign ${c.campaignId}`,
      body: bodies[action],
      action: () => s.call<CampaignStatus>(`${path}/${action}`, { method: 'POST' }),
      done: () => {
        setMessage(`Campaign ${c.campaignId}: ${action === 'cancel' ? 'cancelled' : action === 'pause' ? 'paused' : 'resumed'}.`);
        status.reload();
      },
    });
  };
  const retry = (code?: string) => {
    const howMany = code ? (c.byCode[code] ?? 0) : c.failed;
    setConfirm({
      title: `Retry failed recipients of ${c.campaignId}`,
      body: (
        <p>
          Queue the <strong>{n(howMany)}</strong> failed recipient(s) {code ? <>with code <code>{code}</code> </> : ''}of campaign <strong>{c.campaignId}</strong> again?
        </p>
      ),
      action: () => s.call<{ requeued: number; restored: boolean }>(`${path}/retry-failed`, { method: 'POST', json: code ? { codes: [code] } : {} }),
      done: (r) => {
        const result = r as { requeued: number; restored: boolean };
        setMessage(`${n(result.requeued)} failed recipient(s) queued again${result.restored ? ' (brought back from the archive)' : ''}.`);
        status.reload();
      },
    });
  };
  // The export as a plain download: the API gives a one-time link (valid a minute, not the token),
  // and the browser saves the file as it streams, whatever its size.
  const download = async (e: Event) => {
    e.preventDefault();
    if (downloading === 'busy') return;
    setDownloading('busy');
    try {
      const link = await s.call<{ url: string }>(`${path}/export-link`, { method: 'POST', json: { format: 'csv' } });
      const a = document.createElement('a');
      a.href = link.url;
      a.download = `${c.campaignId}.csv`;
      a.rel = 'noopener';
      document.body.append(a);
      a.click();
      a.remove();
      setDownloading(undefined);
    } catch (err) {
      setDownloading(`The export could not start: ${(err as Error).message}`);
    }
  };

  const now = Date.now();
  const codes = Object.entries(c.byCode).sort((a, b) => b[1] - a[1]);
  const afterSend = Object.entries(c.failedAfterSendByCode).sort((a, b) => b[1] - a[1]);
  const canPause = c.state === 'running' || c.state === 'scheduled';
  const canResume = c.state === 'paused';
  const canCancel = c.state !== 'done' && c.state !== 'cancelled';

  return (
    <section aria-labelledby="campaign-title">
      <p class="crumbs">
        <a href="#/campaigns">Campaigns</a> /
      </p>
      <div class="title-row">
        <h1 id="campaign-title">
          Campaign {c.campaignId} <StateBadge state={c.state} archived={c.archived} />
        </h1>
        <div class="actions">
          {control && canPause && (
            <button type="button" onClick={() => act('pause')}>
              Pause
            </button>
          )}
          {control && canResume && (
            <button type="button" class="primary" onClick={() => act('resume')}>
              Resume
            </button>
          )}
          {control && canCancel && (
            <button type="button" class="danger" onClick={() => act('cancel')}>
              Cancel
            </button>
          )}
          <a class="button" href={apiUrl(`${path}/recipients`, { format: 'csv' })} onClick={(e) => void download(e)} aria-disabled={downloading === 'busy' ? true : undefined}>
            {downloading === 'busy' ? 'Preparing the download…' : 'Download CSV'}
          </a>
        </div>
      </div>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {downloading && downloading !== 'busy' && <ErrorNote>{downloading}</ErrorNote>}
      {status.error && <ErrorNote>{status.error} (showing the last answer)</ErrorNote>}
      <p class="state-line" data-state={c.state}>
        This campaign is <strong>{c.state}</strong>
        {c.state === 'paused' && c.pauseReason ? ` (${c.pauseReason})` : ''}. Account <strong>{c.account}</strong>, priority <strong>{c.priority}</strong>.
        <span class="updated"> Updated {status.updatedAt ? relative(status.updatedAt, now) : '—'}.</span>
      </p>
      <Progress done={finished(c)} total={c.total} label={`progress of ${c.campaignId}`} />
      <h2>Recipients</h2>
      <Figures
        items={[
          ['Total', n(c.total)],
          ['Sent', n(c.sent)],
          ['Failed', n(c.failed)],
          ['Cancelled', n(c.cancelled)],
          ['Pending', n(c.pending)],
          ['Delivered', `${n(c.delivered)} (${percent(c.delivered, c.sent)} of sent)`],
          ['Read', `${n(c.read)} (${percent(c.read, c.sent)} of sent)`],
          ['Failed after sending', n(c.failedAfterSend)],
        ]}
      />
      <h2>Schedule</h2>
      <Figures
        items={[
          ['Created', whenRelative(c.createdAt, now)],
          ['Starts', c.startsAt ? whenRelative(c.startsAt, now) : 'at once'],
          ['Started', c.startedAt ? whenRelative(c.startedAt, now) : '—'],
          ['Sending window', c.window ? `${c.window} ${c.tz ? `(${c.tz})` : "(each recipient's local time)"}` : 'any time'],
          ['Waiting for the window', n(c.waitingForWindow)],
        ]}
      />
      <h2>Failures by code</h2>
      {codes.length === 0 ? (
        <p class="empty">No recipient failed.</p>
      ) : (
        <CodeTable
          rows={codes}
          reason={(code) => c.failureReasons?.[code] ?? '—'}
          action={
            canRetry
              ? (code) => (
                  <button type="button" onClick={() => retry(code)} aria-label={`Retry failed ${code}`}>
                    Retry failed {code}
                  </button>
                )
              : undefined
          }
        />
      )}
      {canRetry && c.failed > 0 && codes.length !== 1 && (
        <button type="button" onClick={() => retry()}>
          Retry all failed ({n(c.failed)})
        </button>
      )}
      {afterSend.length > 0 && (
        <>
          <h2>Failed after sending (delivery callbacks)</h2>
          <CodeTable rows={afterSend} />
        </>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}

/** Recipients by code: the code, how many, and optionally Kaleyra's reason and an action per code. */
function CodeTable({ rows, reason, action }: { rows: [string, number][]; reason?: (code: string) => string; action?: (code: string) => ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="codes">
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col" class="num">Recipients</th>
            {reason && <th scope="col">Kaleyra's reason</th>}
            {action && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map(([code, k]) => (
            <tr key={code} data-code={code}>
              <th scope="row">
                <code>{code}</code>
              </th>
              <td class="num">{n(k)}</td>
              {reason && <td>{reason(code)}</td>}
              {action && <td>{action(code)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
