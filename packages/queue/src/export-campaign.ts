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

/** One line per recipient (CSV with a header, or NDJSON), streamed from the ledger; optionally only one status. */
export async function* exportCampaign(ctx: QueueContext, campaignId: string, format: ExportFormat, options: { status?: RecipientStatus } = {}): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\n`;
  for await (const row of ctx.ledger.rows(campaignId)) {
    if (options.status !== undefined && row.status !== options.status) continue;
    const rec = exportRecord(row);
    yield format === 'csv' ? `${EXPORT_COLUMNS.map((c) => csvField(rec[c])).join(',')}\n` : `${JSON.stringify(rec)}\n`;
  }
}
