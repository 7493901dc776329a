import { archiveCampaign, describeArchiveUrl, isUnavailable, migrate, PgArchive, SchemaMismatchError, type ArchiveOutcome } from '@wabulk/archive';
import { baseEnvSchema, parseEnv } from '@wabulk/config';
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
  if (err instanceof ArchiveUnavailableError || err instanceof SchemaMismatchError) throw new CliError(err.message, 1);
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
