import { archiveOf, locateCampaign } from './archive-port.js';
import type { QueueContext } from './context.js';
import type { LedgerRow, RecipientStatus } from './ledger.js';

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_COLUMNS = ['to', 'status', 'messageId', 'code', 'attempts', 'reason', 'updatedAt'] as const;

const csvField = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The export's shape of one recipient (also the API's recipient listing). */
export function exportRecord(row: LedgerRow) {
  return {
    to: row.to,
    status: row.status,
    messageId: row.messageId ?? null,
    code: row.code ?? null,
    attempts: row.attempts ?? 0,
    reason: row.reason ?? null,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/**
 * A campaign's recipients, from the ledger while it is live, from the archive once it is archived
 * (ordered by number there; Redis's order is its own). Only those of `status`, when given.
 */
export async function* campaignRows(ctx: QueueContext, campaignId: string, options: { status?: RecipientStatus } = {}): AsyncGenerator<LedgerRow> {
  const where = await locateCampaign(ctx, campaignId);
  if (where?.where === 'archive') {
    yield* archiveOf(ctx).rows(campaignId, options);
    return;
  }
  for await (const row of ctx.ledger.rows(campaignId)) {
    if (options.status === undefined || row.status === options.status) yield row;
  }
}

/**
 * One page of a campaign's recipients for the API: HSCAN pages while it is live (Ledger.page), pages
 * by number once archived; either way a cursor of digits, '0' = start / no more.
 */
export async function campaignRecipientsPage(ctx: QueueContext, campaignId: string, options: { cursor?: string; limit?: number; status?: RecipientStatus }): Promise<{ cursor: string; rows: LedgerRow[] }> {
  const where = await locateCampaign(ctx, campaignId);
  if (where?.where === 'archive') return archiveOf(ctx).page(campaignId, { cursor: options.cursor, limit: options.limit ?? 100, status: options.status });
  return ctx.ledger.page(campaignId, options);
}

/**
 * One line per recipient (CSV with a header, or NDJSON), streamed from the ledger or the archive;
 * optionally only one status. Callers that must fail before the first byte when the archive cannot
 * answer ask `archivedCampaign` first (the CLI's export and the API's download do).
 */
export async function* exportCampaign(ctx: QueueContext, campaignId: string, format: ExportFormat, options: { status?: RecipientStatus } = {}): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\n`;
  for await (const row of campaignRows(ctx, campaignId, options)) {
    const rec = exportRecord(row);
    yield format === 'csv' ? `${EXPORT_COLUMNS.map((c) => csvField(rec[c])).join(',')}\n` : `${JSON.stringify(rec)}\n`;
  }
}
