import type { Ledger, LedgerRow } from './ledger.js';

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_COLUMNS = ['to', 'status', 'messageId', 'code', 'attempts', 'reason', 'updatedAt'] as const;

const csvField = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function toRecord(row: LedgerRow) {
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

/** One line per recipient (CSV with a header, or NDJSON), streamed from the ledger. */
export async function* exportCampaign(ledger: Ledger, campaignId: string, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\n`;
  for await (const row of ledger.rows(campaignId)) {
    const rec = toRecord(row);
    yield format === 'csv' ? `${EXPORT_COLUMNS.map((c) => csvField(rec[c])).join(',')}\n` : `${JSON.stringify(rec)}\n`;
  }
}
