import { archiveCampaign, describeArchiveUrl, isUnavailable, migrate, PgArchive, pruneArchive, PruneRefusedError, SchemaMismatchError, type ArchiveOutcome } from '@wabulk/archive';
import { baseEnvSchema, parseDuration, parseEnv } from '@wabulk/config';
import { ArchiveUnavailableError, assertCampaignId, InvalidIdError } from '@wabulk/queue';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { importBar } from '../import-output.js';

function archiveUrl(env: Record<string, string | undefined>): string {
  const url = parseEnv(baseEnvSchema, env).WABULK_ARCHIVE_URL;
  if (!url) throw new CliError('WABULK_ARCHIVE_URL is not set: point it at the archive database (postgres://user:password@host:5432/wabulk)', 2);
  return url;
}

/** A failure of PostgreSQL in an operator's words (the server, never the password). */
function archiveError(err: unknown, campaignId?: string): never {
  if (err instanceof CliError) throw err;
  if (err instanceof ArchiveUnavailableError || err instanceof SchemaMismatchError || err instanceof PruneRefusedError) throw new CliError(err.message, 1);
  // PostgreSQL refused the campaign's data (a pg DatabaseError: SQLSTATE and severity), e.g. a NUL in its text from before intake refused it.
  const e = err as Error & { code?: unknown; severity?: unknown };
  if (campaignId !== undefined && e instanceof Error && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string' && !isUnavailable(e)) {
    throw new CliError(`campaign ${campaignId} could not be archived: PostgreSQL refused it (SQLSTATE ${e.code}: ${e.message.split('\n')[0]}); it stays in Redis, readable as before`, 1);
  }
  throw err;
}

/** `archive migrate [--json]`: applies the schema steps the database lacks (safe to run again, and from several hosts at once). */
export async function archiveMigrateCommand(o: { json?: boolean }, env: Record<string, string | undefined> = process.env): Promise<number> {
  const url = archiveUrl(env);
  const store = new PgArchive({ url });
  try {
    const r = await migrate(store.pool);
    if (o.json) process.stdout.write(`${JSON.stringify({ archive: describeArchiveUrl(url), ...r })}\n`);
    else if (r.applied.length === 0) process.stdout.write(`archive schema at ${describeArchiveUrl(url)}: version ${r.to}, up to date\n`);
    else process.stdout.write(`archive schema at ${describeArchiveUrl(url)}: version ${r.from} → ${r.to} (${r.applied.map((m) => `${m.version} ${m.name}`).join('; ')})\n`);
    return 0;
  } catch (err) {
    if (err instanceof SchemaMismatchError) throw new CliError(err.message, 1);
    if (isUnavailable(err)) throw new CliError(`cannot reach the archive database at ${describeArchiveUrl(url)} (WABULK_ARCHIVE_URL): ${(err as Error).message}`, 1);
    throw err;
  } finally {
    await store.close();
  }
}

const MESSAGES: Record<Exclude<ArchiveOutcome['result'], 'archived' | 'busy'>, [string, number]> = {
  already: ['is already archived', 0],
  missing: ['does not exist', 3],
  single: ['is a single message (sent without a campaign id): those expire from Redis by themselves (WABULK_MESSAGE_TTL_S)', 1],
  live: ['is not finished (recipients are pending, or it is scheduled): only done or cancelled campaigns are archived', 1],
  early: ['had recipients added less than WABULK_ARCHIVE_QUIET_MS (default a minute) ago: an import may still be running; try again in a minute', 1],
  changed: ['changed while it was being copied (a late send was recorded); it stays in Redis: run the command again', 1],
};

/**
 * The claim's lease (ms): how long the claim of a process that died mid-run blocks the next run.
 * Hidden (tests and emergencies): WABULK_ARCHIVE_LEASE_MS, default the archiver's 60 s.
 */
function leaseMs(env: Record<string, string | undefined>): number | undefined {
  const raw = env['WABULK_ARCHIVE_LEASE_MS'];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100 || n > 3_600_000) throw new CliError(`WABULK_ARCHIVE_LEASE_MS: expected a whole number of milliseconds from 100 to 3600000, got ${JSON.stringify(raw)}`, 2);
  return n;
}

/** Busy: another process holds the claim, or held it and died (SIGKILL, a lost host): then it lapses at `until`. */
function busyText(until: number): string {
  const s = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return (
    `is claimed by another archiving process until ${new Date(until).toISOString()} (in ${s} s): either it is archiving the campaign right now (its result will show in \`wabulk status\`), ` +
    `or it stopped mid-run and its claim lapses then; run the command again after that time: it continues from the last batch copied`
  );
}

/**
 * `archive --campaign ID [--json]`: moves a done or cancelled campaign to PostgreSQL now, whatever
 * WABULK_ARCHIVE_AFTER says (a run interrupted before continues where it stopped).
 */
export async function archiveCampaignCommand(o: { campaign: string; json?: boolean; batch?: number }): Promise<number> {
  try {
    assertCampaignId(o.campaign);
  } catch (err) {
    if (err instanceof InvalidIdError) throw new CliError(`--campaign: ${err.reason}`, 2);
    throw err;
  }
  archiveUrl(process.env);
  const lease = leaseMs(process.env);
  return withContext<number>(async (c) => {
    const bar = importBar(o.json, 'copied {copied}');
    let started = false;
    try {
      const out = await archiveCampaign(c.ctx, c.archive!, o.campaign, {
        afterMs: 0,
        force: true,
        quietMs: c.env.WABULK_ARCHIVE_QUIET_MS,
        batch: o.batch,
        leaseMs: lease,
        onProgress: (copied, total) => {
          if (!bar) return;
          if (!started) bar.start(Math.max(total, 1), copied, { read: copied, copied });
          started = true;
          bar.update(copied, { read: copied, copied });
        },
      });
      bar?.stop();
      if (o.json) process.stdout.write(`${JSON.stringify({ campaignId: o.campaign, ...out })}\n`);
      if (out.result === 'archived') {
        if (!o.json) process.stdout.write(`campaign ${o.campaign}: ${out.rows} recipient(s) archived to ${c.archive!.where} in ${(out.ms / 1000).toFixed(1)} s${out.resumedAt ? ` (continued from ${out.resumedAt})` : ''}; its ledger left Redis\n`);
        return 0;
      }
      const [text, code] = out.result === 'busy' ? [busyText(out.until), 1] : MESSAGES[out.result];
      if (!o.json) (code === 0 ? process.stdout : process.stderr).write(`campaign ${o.campaign} ${text}\n`);
      return code;
    } catch (err) {
      bar?.stop();
      archiveError(err, o.campaign);
    }
  });
}

export interface PruneCommandOptions {
  /** `archive`'s own option, which commander also reads after `prune`: refused (prune goes by time, never by id). */
  campaign?: string;
  finishedBefore?: string;
  olderThan?: string;
  dryRun?: boolean;
  json?: boolean;
  batch?: number;
  orphanedMarkers?: boolean;
}

/** A date (midnight UTC) or a date and time with its offset or Z, as `send --at` takes it. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const MAX_PRUNE_BATCH = 10_000;

/** The cutoff (ms) the options give: exactly one of --finished-before and --older-than, in the past. */
export function pruneCutoff(o: PruneCommandOptions, now = Date.now()): number {
  if ((o.finishedBefore === undefined) === (o.olderThan === undefined)) {
    throw new CliError('give exactly one of --finished-before <ISO date or time> (2025-01-01, 2025-01-01T00:00:00+05:30) or --older-than <duration> (395d, 36h)', 2);
  }
  if (o.finishedBefore !== undefined) {
    const t = ISO_TIME.test(o.finishedBefore.trim()) ? Date.parse(o.finishedBefore.trim()) : Number.NaN;
    if (!Number.isFinite(t)) throw new CliError(`--finished-before: expected an ISO 8601 date (2025-01-01, read as UTC) or a date and time with an offset or Z (2025-01-01T09:00:00+05:30), got ${JSON.stringify(o.finishedBefore.slice(0, 40))}`, 2);
    if (t > now) throw new CliError(`--finished-before: must not be in the future (got ${new Date(t).toISOString()})`, 2);
    return t;
  }
  const raw = o.olderThan!.trim();
  // Days or hours only: "13m" would be 13 minutes (parseDuration's unit), not months.
  const ms = /^\d+(?:\.\d+)?\s*[dh]$/i.test(raw) ? parseDuration(raw.toLowerCase()) : undefined;
  if (ms === undefined || ms <= 0) throw new CliError(`--older-than: expected a number of days or hours greater than 0, such as 395d or 36h (no months: 13 months ≈ 396d), got ${JSON.stringify(o.olderThan!.slice(0, 40))}`, 2);
  return now - ms;
}

/**
 * `archive prune (--finished-before T | --older-than D) [--dry-run] [--batch N] [--json]`: retention.
 * Archived campaigns (done or cancelled, not restored) that finished before the cutoff leave the
 * archive and Redis (their marker and list entries first, then their rows: pruneArchive).
 */
export async function archivePruneCommand(o: PruneCommandOptions): Promise<number> {
  if (o.campaign !== undefined) throw new CliError('--campaign: archive prune takes no campaign id, it prunes every archived campaign that finished before the cutoff (see --dry-run)', 2);
  const cutoff = pruneCutoff(o);
  if (o.batch !== undefined && o.batch > MAX_PRUNE_BATCH) throw new CliError(`--batch: must be a whole number from 1 to ${MAX_PRUNE_BATCH}, got ${o.batch}`, 2);
  archiveUrl(process.env);
  return withContext<number>(async (c) => {
    const tty = !o.json && process.stderr.isTTY;
    try {
      const r = await pruneArchive(c.ctx, c.archive!, {
        cutoff,
        batch: o.batch,
        dryRun: o.dryRun,
        orphanedMarkers: o.orphanedMarkers,
        onProgress: tty ? (campaigns, recipients) => process.stderr.write(`\r${o.dryRun ? 'found' : 'pruned'} ${campaigns} campaign(s), ${recipients} recipient row(s)…`) : undefined,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const at = new Date(cutoff).toISOString();
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ archive: c.archive!.where, cutoff: at, campaigns: r.campaigns, recipients: r.recipients, dryRun: o.dryRun === true, ids: r.ids, orphanedMarkers: r.orphanedMarkers, skipped: r.skipped, skippedTotal: r.skippedTotal })}\n`);
        return 0;
      }
      if (o.dryRun) for (const id of r.ids) process.stdout.write(`${id}\n`);
      const more = r.campaigns > r.ids.length ? ` (the first ${r.ids.length} listed)` : '';
      process.stdout.write(
        o.dryRun
          ? `dry run: ${r.campaigns} archived campaign(s) finished before ${at} would be pruned from ${c.archive!.where}, ${r.recipients} recipient row(s)${more}; nothing was deleted\n`
          : `pruned ${r.campaigns} archived campaign(s) finished before ${at} from ${c.archive!.where} and Redis, ${r.recipients} recipient row(s)${r.campaigns > 0 ? '; their ids may be used again' : ''}\n`,
      );
      const orphans = r.orphanedMarkers;
      if (orphans.found > 0) {
        const ids = `${orphans.ids.slice(0, 10).join(', ')}${orphans.found > 10 ? ', …' : ''}`;
        if (orphans.removed > 0) process.stdout.write(`removed the Redis marker of ${orphans.removed} campaign(s) created before the cutoff whose archive rows were gone (their reads answered 503, now not found): ${ids}\n`);
        else if (o.dryRun && o.orphanedMarkers) process.stdout.write(`dry run: would remove the Redis marker of ${orphans.found} campaign(s) created before the cutoff whose archive rows are gone: ${ids}\n`);
        else
          process.stderr.write(
            `${orphans.found} campaign(s) created before the cutoff are marked archived in Redis but the archive has no rows for them (deleted by hand, or PostgreSQL restored from an older backup): ` +
              `every read of them answers 503. If their rows were deleted on purpose, run again with --orphaned-markers to remove the markers: ${ids}\n`,
          );
      }
      if (r.skippedTotal > 0) {
        const live = r.skipped.filter((s) => s.reason === 'live').map((s) => s.campaignId);
        const busy = r.skipped.filter((s) => s.reason === 'busy').map((s) => s.campaignId);
        const list = (ids: string[]) => `${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`;
        if (live.length > 0) process.stderr.write(`left ${live.length} campaign(s) alone that are live in Redis again (restored by retry-failed, or their id in use again): ${list(live)}\n`);
        if (busy.length > 0) process.stderr.write(`left ${busy.length} campaign(s) alone that an archive run or a restore holds right now; run the command again later: ${list(busy)}\n`);
      }
      return 0;
    } catch (err) {
      if (tty) process.stderr.write('\n');
      archiveError(err);
    }
  });
}
