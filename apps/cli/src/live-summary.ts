import { getCampaignStatus, type CampaignStatus, type ReadContext } from '@wabulk/queue/read';

/** What an operator does about a pause, for the reasons that need more than the code. */
function pauseHint(reason: string | null): string {
  if (reason === 'E110') return ': low balance — top up, then `wabulk resume`';
  if (reason === 'HTTP_401' || reason === 'HTTP_403') return ': Kaleyra (or a gateway in front of it) refuses the account — check the api-key and the base URL, then `wabulk resume`';
  if (reason?.startsWith('BREAKER:')) return ': the breaker — the same answer Kaleyra\'s page does not list, again and again; check the base URL or Kaleyra\'s new code, then `wabulk resume` and `wabulk retry-failed --codes`';
  return '';
}

export function formatStatusLine(s: CampaignStatus): string {
  const done = s.sent + s.failed + s.cancelled;
  const pct = s.total === 0 ? 100 : Math.floor((done / s.total) * 100);
  const codes = Object.entries(s.byCode).map(([c, n]) => `${c}×${n}`).join(' ');
  const paused = s.paused ? `  PAUSED (${s.pauseReason}${pauseHint(s.pauseReason)})` : '';
  const cancelled = s.cancelled > 0 ? `  cancelled ${s.cancelled}` : '';
  const control = s.state === 'paused' || s.state === 'cancelled' ? `  campaign ${s.state.toUpperCase()}` : '';
  const scheduled = s.state === 'scheduled' && s.startsAt !== null ? `  SCHEDULED (starts ${new Date(s.startsAt).toISOString()})` : '';
  const waiting = s.waitingForWindow > 0 ? `  waiting for their window ${s.waitingForWindow} (${s.window}${s.tz ? ` ${s.tz}` : ' local time'})` : '';
  return `${s.campaignId}: ${done}/${s.total} (${pct}%)  sent ${s.sent}  failed ${s.failed}${codes ? ` [${codes}]` : ''}${cancelled}  pending ${s.pending}${waiting}${paused}${control}${scheduled}`;
}

/**
 * Shows the campaign until no recipient is pending. On a terminal one line is redrawn in place;
 * otherwise a line is printed whenever the figures change (at most every `intervalMs`).
 */
export async function watchCampaign(
  ctx: ReadContext,
  campaignId: string,
  options: { intervalMs?: number; out?: NodeJS.WriteStream; onTick?: (s: CampaignStatus) => Promise<void> | void; signal?: AbortSignal } = {},
): Promise<CampaignStatus> {
  const out = options.out ?? process.stderr;
  const tty = out.isTTY === true;
  let last = '';
  for (;;) {
    const s = await getCampaignStatus(ctx, campaignId);
    if (!s) throw new Error(`no campaign ${campaignId}`);
    const line = formatStatusLine(s);
    if (line !== last) {
      if (tty) out.write(`\r\x1b[2K${line}`);
      else out.write(`${line}\n`);
      last = line;
    }
    await options.onTick?.(s);
    if (s.done || options.signal?.aborted) {
      if (tty) out.write('\n');
      return s;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
