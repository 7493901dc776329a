import { jobIdFor, type CampaignImportResult, type QueueContext } from '@wabulk/queue';
import type { SourceCase } from './gen-source.js';
import { preview } from './prng.js';

export type SourceOutcome =
  | { kind: 'ok'; result: Pick<CampaignImportResult, 'read' | 'accepted' | 'duplicates' | 'rejectedTotal' | 'rejected'> }
  | { kind: 'unusable'; message: string; line?: number };

/**
 * A campaign file must be read whole or refused as a whole with a reason: a well-formed file gives
 * exactly its rows; every row is accepted, a duplicate or rejected with its line and a reason; the
 * ledger and the queue then hold exactly the accepted ones.
 */
export async function judgeSource(label: string, c: SourceCase, outcome: SourceOutcome, campaignId: string, ctx: QueueContext, account: string): Promise<string[]> {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${label} [${c.format} ${c.note}]: ${what}\n  file: ${preview(c.bytes)}\n  outcome: ${preview(outcome)}`);
  if (c.noColumn) {
    if (outcome.kind !== 'unusable' || !/no recipient column/.test(outcome.message)) fail('a file without a recipient column must be refused, saying so');
    return problems;
  }
  if (outcome.kind === 'unusable') {
    if (c.wellFormed) fail('a well-formed file was refused');
    if (outcome.message.trim() === '') fail('refused without a reason');
    const empty = /the file is empty/.test(outcome.message);
    if (!empty && outcome.line === undefined) fail('refused without the line of the problem');
    return problems;
  }
  const r = outcome.result;
  if (r.accepted + r.duplicates + r.rejectedTotal !== r.read) fail(`accepted ${r.accepted} + duplicates ${r.duplicates} + rejected ${r.rejectedTotal} ≠ ${r.read} rows read`);
  if (c.records !== undefined && r.read !== c.records) fail(`read ${r.read} rows of ${c.records}`);
  for (const x of r.rejected) {
    if (typeof x.reason !== 'string' || x.reason.trim() === '') fail(`row ${x.line} rejected without a reason`);
    if (typeof x.line !== 'number' || x.line < 1) fail(`rejected ${preview(x.input)} without its line`);
  }
  const mustReject = c.parts.filter((p) => p.expect === 'reject').length;
  if (r.rejectedTotal < mustReject) fail(`rejected ${r.rejectedTotal} rows, but ${mustReject} hold no valid recipient`);
  const counts = await ctx.ledger.counts(campaignId);
  if (counts.total !== r.accepted) fail(`ledger total ${counts.total} ≠ ${r.accepted} accepted`);
  for (const p of c.parts) {
    if (p.expect === 'accept' && !(await ctx.ledger.get(campaignId, p.e164!))) fail(`the valid ${p.kind} number ${preview(p.text)} (line of ${p.e164}) is not in the ledger`);
  }
  const queue = ctx.queues.get(account);
  for await (const row of ctx.ledger.rows(campaignId)) {
    if (row.status !== 'pending' || !(await queue.getJob(jobIdFor(campaignId, row.to)))) fail(`${row.to} is ${row.status} in the ledger with ${row.status === 'pending' ? 'no job' : 'a job'} in wa-${account}`);
  }
  return problems;
}
