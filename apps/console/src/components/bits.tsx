import type { ComponentChildren } from 'preact';
import type { CampaignState } from '../api.js';
import { count, percent } from '../format.js';

/** How far a campaign is: finished recipients (sent, failed, cancelled) of all, as a bar and a percentage. */
export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  return (
    <span class="progress">
      <progress max={Math.max(total, 1)} value={Math.min(done, total)} aria-label={label} />
      <span class="progress-text">{total ? percent(done, total) : '—'}</span>
    </span>
  );
}

const STATE_WORDS: Record<CampaignState, string> = {
  scheduled: 'scheduled',
  running: 'running',
  paused: 'paused',
  cancelled: 'cancelled',
  done: 'done',
};

export function StateBadge({ state, archived }: { state: CampaignState; archived?: boolean }) {
  return (
    <span class={`badge state-${state}`}>
      {STATE_WORDS[state]}
      {archived ? ' (archived)' : ''}
    </span>
  );
}

export function ErrorNote({ children }: { children: ComponentChildren }) {
  return (
    <p class="error" role="alert">
      {children}
    </p>
  );
}

/** A definition list of figures: label, value. */
export function Figures({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="figures">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export const finished = (c: { sent: number; failed: number; cancelled: number }) => c.sent + c.failed + c.cancelled;
export const n = count;
