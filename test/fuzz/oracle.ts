import { jobIdFor, REJECTED_INPUT_MAX, rejectedInput, type QueueContext } from '@wabulk/queue';
import type { MessageCase } from './gen-request.js';
import { preview } from './prng.js';

/** What a call came back with, whichever way it was made (library or HTTP). */
export type Outcome =
  | { kind: 'ok'; result: { campaignId: string; accepted: number; duplicates: number; rejected: Array<{ input: string; reason: string }> } }
  | { kind: 'invalid'; fields: string[]; messages: string[] }
  | { kind: 'conflict' };

interface CampaignState {
  account: string;
  body: string;
  previewUrl: boolean;
  accepted: number;
  /** Numbers that must be in the ledger (the `accept` parts of successful calls). */
  numbers: Set<string>;
}

/** Reasons intake gives for a recipient: each names the rule it broke. */
const RECIPIENT_REASON = /^(empty|not a phone number|too short for a phone number|too long for a phone number|wrong length for its country|unknown country calling code|no country code: .+|not a phone number: holds .+ beside the number.*|read as \+.+: not a valid number there.*)$/s;

/**
 * The properties every message call must have, whatever the input: a validation error naming
 * exactly the broken fields; or counts that add up (accepted + duplicates + rejected = inputs),
 * valid numbers never rejected, invalid ones always rejected with a reason; or a 409 only where a
 * campaign id is reused for another message. Afterwards, `verifyStore` checks that every accepted
 * recipient is in the ledger (pending) with a job in its account's queue: nothing silently dropped.
 */
export class MessageOracle {
  readonly campaigns = new Map<string, CampaignState>();
  readonly problems: string[] = [];
  readonly tally = { ok: 0, invalid: 0, conflict: 0, accepted: 0, duplicates: 0, rejected: 0 };

  constructor(readonly defaultAccount: string) {}

  judge(label: string, c: MessageCase, outcome: Outcome): void {
    const fail = (what: string): void => void this.problems.push(`${label}: ${what}\n  input: ${preview(c.input)}\n  outcome: ${preview(outcome)}`);
    this.tally[outcome.kind]++;
    if (c.broken.size > 0) {
      if (outcome.kind !== 'invalid') return fail(`expected a validation error naming ${[...c.broken].join(', ')}`);
      const named = new Set(outcome.fields.map((f) => f.split('.')[0]!));
      if ([...named].sort().join() !== [...c.broken].sort().join()) fail(`the error names ${[...named].join(', ')}, expected ${[...c.broken].join(', ')}`);
      if (outcome.messages.some((m) => typeof m !== 'string' || m.trim() === '')) fail('an issue without a message');
      return;
    }
    if (outcome.kind === 'invalid') return fail(`refused as invalid (${outcome.fields.join(', ')}) though every field is valid`);

    const account = (c.input.account as string | undefined) ?? this.defaultAccount;
    const body = c.input.body as string;
    const previewUrl = (c.input.previewUrl as boolean | undefined) ?? false;
    const known = c.campaignId === undefined ? undefined : this.campaigns.get(c.campaignId);
    const differs = known !== undefined && (known.account !== account || known.body !== body || known.previewUrl !== previewUrl);
    const inputs = Math.max(1, c.parts.length);

    if (outcome.kind === 'conflict') {
      if (!differs) fail('409 though the campaign id was not used for another message');
      return;
    }
    const r = outcome.result;
    this.tally.accepted += r.accepted;
    this.tally.duplicates += r.duplicates;
    this.tally.rejected += r.rejected.length;
    if (r.accepted + r.duplicates + r.rejected.length !== inputs) fail(`accepted ${r.accepted} + duplicates ${r.duplicates} + rejected ${r.rejected.length} ≠ ${inputs} inputs`);
    if (c.campaignId !== undefined && r.campaignId !== c.campaignId) fail(`answered for campaign ${r.campaignId}`);
    if (c.campaignId === undefined && !r.campaignId.startsWith('msg-')) fail(`a generated campaign id should start with msg-: ${r.campaignId}`);
    const rejectedInputs = new Set(r.rejected.map((x) => x.input));
    for (const x of r.rejected) if (!RECIPIENT_REASON.test(x.reason)) fail(`rejected ${preview(x.input)} with an unexpected reason ${preview(x.reason)}`);
    for (const x of r.rejected) if (x.input.length > REJECTED_INPUT_MAX) fail(`a rejected input of ${x.input.length} characters (at most ${REJECTED_INPUT_MAX})`);
    for (const p of c.parts) {
      // Answers show a rejected input cut to 100 characters.
      const text = rejectedInput(p.text.trim());
      if (p.expect === 'accept' && rejectedInputs.has(text)) fail(`rejected the valid ${p.kind} number ${preview(text)}`);
      if (p.expect === 'reject' && !rejectedInputs.has(text)) fail(`did not reject the ${p.kind} input ${preview(text)}`);
    }
    if (differs) {
      // Reusing an id for another message is refused only once a valid recipient is there to queue.
      if (r.accepted + r.duplicates > 0) fail('queued recipients into a campaign that belongs to another message');
      return;
    }
    if (r.accepted + r.duplicates === 0) return; // nothing queued: no campaign created
    const state = known ?? { account, body, previewUrl, accepted: 0, numbers: new Set<string>() };
    state.accepted += r.accepted;
    for (const p of c.parts) if (p.expect === 'accept') state.numbers.add(p.e164!);
    this.campaigns.set(r.campaignId, state);
  }

  /** Every accepted recipient is in the ledger, pending, with its job queued; the ledger holds nothing else. */
  async verifyStore(ctx: QueueContext): Promise<void> {
    const perAccount = new Map<string, number>();
    for (const [campaignId, state] of this.campaigns) {
      perAccount.set(state.account, (perAccount.get(state.account) ?? 0) + state.accepted);
      const counts = await ctx.ledger.counts(campaignId);
      if (counts.total !== state.accepted || counts.pending !== state.accepted) this.problems.push(`campaign ${campaignId}: ledger total ${counts.total}, pending ${counts.pending}; ${state.accepted} accepted`);
      for (const n of state.numbers) if (!(await ctx.ledger.get(campaignId, n))) this.problems.push(`campaign ${campaignId}: the valid number ${n} is not in the ledger`);
      const queue = ctx.queues.get(state.account);
      for await (const row of ctx.ledger.rows(campaignId)) {
        if (!(await queue.getJob(jobIdFor(campaignId, row.to)))) this.problems.push(`campaign ${campaignId}: ${row.to} is pending with no job in queue wa-${state.account}`);
      }
    }
    for (const [account, accepted] of perAccount) {
      const c = await ctx.queues.get(account).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      const jobs = Object.values(c).reduce((a, b) => a + b, 0);
      if (jobs !== accepted) this.problems.push(`queue wa-${account} holds ${jobs} jobs; ${accepted} recipients were accepted`);
    }
  }
}
