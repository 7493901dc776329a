// The finished campaign the "archive" benchmark archives: row i of n, the same in the parent (which
// writes it to Redis in the ledger's own entry format, packRow) and in the COPY baseline child
// (which sends it straight to PostgreSQL). A mix like a real campaign's:
//   8 % failed (4 Kaleyra codes, 1–3 attempts), 2 % failed-after-send (a callback's code),
//   30 % sent, 35 % delivered, 25 % read — every accepted one with a 20-character message id;
//   half carry placeholder values (name, order, city), a fifth a ref of their own.
import type { LedgerRow } from '@wabulk/queue';
import { recipient, recipientVars } from './fixtures.js';

const FAILED = [
  { code: 'E110', reason: 'Insufficient balance in the account' },
  { code: 'E121', reason: 'Recipient number is not a WhatsApp user' },
  { code: '1006', reason: 'Invalid template parameters' },
  { code: '131026', reason: 'Message undeliverable' },
];

/** Kaleyra's message ids: "A" + 19 uppercase alphanumerics, distinct per i. */
export const messageIdOf = (i: number) =>
  `A${((i * 2_654_435_761) % 4_294_967_296).toString(36).toUpperCase().padStart(7, '0')}${i.toString(36).toUpperCase().padStart(12, '0')}`;

export function archiveRow(i: number, t0: number): LedgerRow {
  const k = i % 100;
  const row: LedgerRow = { to: recipient(i), status: 'sent', attempts: 1, updatedAt: t0 + Math.floor(i / 10) };
  if (i % 2 === 0) row.vars = recipientVars(i);
  if (i % 5 === 0) row.refs = { ref: `order-${1_000_000 + i}` };
  if (k < 8) {
    const f = FAILED[i % FAILED.length]!;
    return { ...row, status: 'failed', code: f.code, reason: f.reason, attempts: 1 + (i % 3) };
  }
  row.messageId = messageIdOf(i);
  if (k < 10) return { ...row, status: 'failed-after-send', code: '131047', reason: 'Re-engagement message' };
  if (k < 40) return row;
  if (k < 75) return { ...row, status: 'delivered' };
  return { ...row, status: 'read' };
}

/** The counters the ledger's scripts would hold for rows 0..n-1 (counts hash fields). */
export function archiveCounts(n: number, t0: number): Record<string, string> {
  const c: Record<string, number> = { total: n, pending: 0, sent: 0, failed: 0, cancelled: 0, delivered: 0, read: 0, 'failed-after-send': 0 };
  for (let i = 0; i < n; i++) {
    const r = archiveRow(i, t0);
    c[r.status] = (c[r.status] ?? 0) + 1;
    if (r.status === 'failed') c[`code:${r.code}`] = (c[`code:${r.code}`] ?? 0) + 1;
    if (r.status === 'failed-after-send') c[`fas:${r.code}`] = (c[`fas:${r.code}`] ?? 0) + 1;
  }
  // Every entry was written by REGISTER, then RECORD, and ~60 % by DELIVER: 'w' counts RECORD's writes.
  return { ...Object.fromEntries(Object.entries(c).map(([f, v]) => [f, String(v)])), w: String(n), finishedAt: String(t0 + n) };
}

/** The archiver's COPY line for a row (the same CSV as archiver.ts's csvLine: every value quoted). */
const q = (v: string) => `"${v.replace(/\0/g, '\uFFFD').replace(/"/g, '""')}"`;
const opt = (v: string | undefined) => (v === undefined ? '' : q(v));
const jsonCell = (v: unknown) => (v === undefined ? '' : q(JSON.stringify(v)));
export function copyLine(campaignId: string, r: LedgerRow): string {
  return `${[q(campaignId), q(r.to), q(r.status), opt(r.messageId), opt(r.code), opt(r.reason), String(r.attempts ?? 0), jsonCell(r.vars), jsonCell(r.refs), opt(r.sendCode), opt(r.sendReason), q(new Date(r.updatedAt).toISOString())].join(',')}\n`;
}
