import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { KnownAccounts } from './account-registry.js';
import { getCampaignControlState } from './campaign-control.js';
import { ensureCampaign, getCampaignMeta, type CampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { sendJobData } from './job.js';
import type { RecipientRefs } from './ledger.js';
import { allocatePriorities, jobOptions, priorityOf, type Priority } from './priority.js';
import { assertAccountId, assertCampaignId, jobIdFor } from './keys.js';
import { reasonLabel } from './reason-label.js';
import { normaliseRecipient, normaliseRecipients, type CountryCode, type Rejected } from './normalise-recipients.js';
import { bodySchema, enqueueTextSchema, messageFieldsSchema, parseOrThrow, truncateRef, type EnqueueTextInput } from './validation.js';

export interface EnqueueResult {
  campaignId: string;
  /** Recipients queued by this call. */
  accepted: number;
  /** Inputs that were already queued: repeated in this call, or in the campaign before. */
  duplicates: number;
  rejected: Rejected[];
}

/** One row of a CSV/NDJSON source; `error` marks a row the reader could not use. */
export interface SourceRow {
  line?: number;
  to?: string;
  ref?: string;
  ref1?: string;
  ref2?: string;
  error?: string;
  input?: string;
  /** The message template's placeholders for this row (SourceOptions.fields), by name. */
  vars?: Record<string, string>;
}

export interface ImportProgress {
  read: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

export interface EnqueueCampaignInput {
  account?: string;
  campaignId: string;
  body: string;
  previewUrl?: boolean;
  ref?: string;
  ref1?: string;
  ref2?: string;
  /** Default 'normal'; an existing campaign keeps its own priority. */
  priority?: Priority;
  recipients: AsyncIterable<SourceRow> | Iterable<SourceRow>;
  /** Recipients per ledger write + addBulk (default 1000). */
  chunkSize?: number;
  /** Chunks in flight at once (default 4): reading waits while they are, so memory stays flat. */
  inFlight?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Every rejected row, as it is found (the result keeps only the first `keepRejected`). */
  onRejected?: (rejected: Rejected) => void;
  keepRejected?: number;
}

export interface CampaignImportResult extends EnqueueResult {
  read: number;
  account: string;
  rejectedTotal: number;
}

export interface ProducerOptions {
  defaultAccount?: string;
  /**
   * Accounts this intake is configured for (KALEYRA_* / WABULK_ACCOUNTS_FILE / WABULK_ACCOUNT):
   * known without a worker or an operator having registered them. Any other account must be in
   * the registry, or the producer throws UnknownAccountError and queues nothing.
   */
  knownAccounts?: readonly string[];
  /**
   * How long a single message (enqueueText without a campaign id) is kept once it is finished:
   * its meta, ledger and counters expire this many seconds after its last recipient ended sent or
   * failed (default 2 days). Nothing expires while a recipient is pending.
   */
  singleMessageTtlSeconds?: number;
  defaultCountry?: CountryCode;
  metrics?: {
    enqueued: { inc(labels: { account: string }, n?: number): void };
    rejected: { inc(labels: { account: string; reason: string }, n?: number): void };
  };
}

interface Row { to: string; refs?: RecipientRefs }

/** Intake for every path (library, API, CLI): validation, normalisation, the ledger, then BullMQ. */
export class Producer {
  readonly #known: KnownAccounts;

  constructor(
    readonly ctx: QueueContext,
    readonly options: ProducerOptions = {},
  ) {
    this.#known = new KnownAccounts(ctx, options.knownAccounts);
  }

  /** One message to one or many recipients ("a,b,c" or an array): one job per distinct valid number. */
  async enqueueText(input: EnqueueTextInput): Promise<EnqueueResult> {
    const fields = parseOrThrow(enqueueTextSchema, input);
    const account = fields.account ?? this.options.defaultAccount ?? 'default';
    await this.#known.assertKnown(account);
    const single = fields.campaignId === undefined;
    const campaignId = fields.campaignId ?? newMessageCampaignId();
    const batch = normaliseRecipients(fields.to, this.options.defaultCountry);
    this.#countRejected(account, batch.rejected);
    if (batch.numbers.length === 0) return { campaignId, accepted: 0, duplicates: batch.duplicates, rejected: batch.rejected };
    const meta = metaOf(account, fields, fields.priority ?? 'high');
    const ttl = Math.max(1, Math.round(this.options.singleMessageTtlSeconds ?? SINGLE_MESSAGE_TTL_SECONDS));
    if (single) meta.ttl = ttl;
    const { meta: kept } = await ensureCampaign(this.ctx, campaignId, meta, { listed: !single });
    // A single message is kept for a while once finished, then expires (the ledger's RECORD sets the
    // TTL; the worker gives its message_id index the same one).
    if (single) await this.ctx.ledger.expireWhenDone(campaignId, ttl);
    // A message without a campaign id is a campaign of one call: no fair-share cursor to keep.
    const added = await this.#add(account, campaignId, priorityOf(kept), batch.numbers.map((to) => ({ to })), !single);
    return { campaignId, accepted: added.accepted, duplicates: batch.duplicates + added.duplicates, rejected: batch.rejected };
  }

  /**
   * A campaign from a stream of any size: chunked ledger writes and addBulk, a few chunks in
   * flight, memory flat. Job ids are deterministic (campaign + recipient) and the ledger knows
   * every recipient, so re-running the same import after a crash adds nothing twice.
   */
  async enqueueCampaign(input: EnqueueCampaignInput): Promise<CampaignImportResult> {
    const { recipients, onProgress, onRejected } = input;
    const fields = parseOrThrow(messageFieldsSchema, { ...input, recipients: undefined, onProgress: undefined, onRejected: undefined });
    parseOrThrow(bodySchema, input.body);
    const account = assertAccountId(fields.account ?? this.options.defaultAccount ?? 'default');
    const campaignId = assertCampaignId(input.campaignId);
    await this.#known.assertKnown(account);
    // The campaign is created with its first recipients, not before: a file refused as unreadable
    // (or with no valid row) leaves nothing behind, so the operator can fix it and reuse the id.
    let created: Promise<{ meta: CampaignMeta }> | undefined;
    const ensure = () => (created ??= ensureCampaign(this.ctx, campaignId, metaOf(account, fields, fields.priority ?? 'normal')));

    const chunkSize = input.chunkSize ?? 1000;
    const keep = input.keepRejected ?? 10_000;
    const limit = pLimit(input.inFlight ?? 4);
    const result: CampaignImportResult = { campaignId, account, read: 0, accepted: 0, duplicates: 0, rejected: [], rejectedTotal: 0 };
    const progress = () => onProgress?.({ read: result.read, accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejectedTotal });
    const reject = (r: Rejected) => {
      result.rejectedTotal++;
      if (result.rejected.length < keep) result.rejected.push(r);
      this.options.metrics?.rejected.inc({ account, reason: reasonLabel(r.reason) });
      onRejected?.(r);
    };
    const pending = new Set<Promise<void>>();
    let failure: unknown;
    const flush = (rows: Row[]) => {
      const p = limit(async () => {
        if (failure !== undefined) return;
        const { meta } = await ensure();
        const added = await this.#add(account, campaignId, priorityOf(meta), rows);
        result.accepted += added.accepted;
        result.duplicates += added.duplicates;
        progress();
      }).catch((err: unknown) => {
        failure ??= err;
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };

    let chunk: Row[] = [];
    for await (const row of recipients) {
      // Fail fast: a chunk that could not be written stops the import (a re-run adds nothing twice).
      if (failure !== undefined) break;
      result.read++;
      if (row.error !== undefined || row.to === undefined) {
        reject({ input: row.input ?? row.to ?? '', reason: row.error ?? 'no recipient', line: row.line });
        continue;
      }
      const n = normaliseRecipient(row.to, this.options.defaultCountry);
      if (!n.ok) {
        reject({ input: row.to, reason: n.reason, line: row.line });
        continue;
      }
      const refs = { ref: truncateRef(row.ref), ref1: truncateRef(row.ref1), ref2: truncateRef(row.ref2) };
      chunk.push(refs.ref === undefined && refs.ref1 === undefined && refs.ref2 === undefined ? { to: n.e164 } : { to: n.e164, refs });
      if (chunk.length >= chunkSize) {
        flush(chunk);
        chunk = [];
        // Back-pressure: stop reading while the allowed chunks are all in flight.
        while (pending.size >= (input.inFlight ?? 4)) await Promise.race(pending);
      }
    }
    if (chunk.length > 0) flush(chunk);
    while (pending.size > 0) await Promise.race(pending);
    if (failure !== undefined) throw failure;
    progress();
    return result;
  }

  /** Puts the failed recipients of a campaign (only those with one of `codes`, if given) back in the queue. */
  async retryFailed(campaignId: string, options: { codes?: string[]; batch?: number } = {}): Promise<{ requeued: number }> {
    const meta = await getCampaignMeta(this.ctx, assertCampaignId(campaignId));
    if (!meta) throw new Error(`campaignId: no campaign ${campaignId}`);
    // A cancelled campaign sends nothing more, its failed recipients included.
    if ((await getCampaignControlState(this.ctx, campaignId)) === 'cancelled') return { requeued: 0 };
    const { ledger, queues } = this.ctx;
    const generation = await ledger.nextGeneration(campaignId);
    const queue = queues.get(meta.account);
    let requeued = 0;
    // The refs of each failed recipient, read with it (RESET_FAILED keeps them in the entry too).
    let batch = new Map<string, RecipientRefs | undefined>();
    const flush = async () => {
      const refsOf = batch;
      batch = new Map();
      const moved = await ledger.resetFailed(campaignId, [...refsOf.keys()], options.codes ?? []);
      if (moved.length === 0) return;
      // Retried recipients continue the campaign's rounds (from the class's head at the latest), like a later chunk.
      const priorities = await allocatePriorities(this.ctx.redis, queue, this.ctx.base, meta.account, campaignId, priorityOf(meta), moved.length);
      await queue.addBulk(moved.map((to, i) => ({ name: 'send', data: sendJobData(campaignId, to, refsOf.get(to)), opts: jobOptions(jobIdFor(campaignId, to, generation), priorities?.[i]) })));
      requeued += moved.length;
    };
    for await (const row of ledger.rows(campaignId)) {
      if (row.status !== 'failed') continue;
      if (options.codes?.length && !options.codes.includes(row.code ?? '')) continue;
      batch.set(row.to, row.refs);
      if (batch.size >= (options.batch ?? 1000)) await flush();
    }
    await flush();
    return { requeued };
  }

  /** Ledger first (pending), then the jobs: a crash in between leaves pending entries that a re-run re-adds. */
  async #add(account: string, campaignId: string, priority: Priority, rows: Row[], keepCursor = true): Promise<{ accepted: number; duplicates: number }> {
    const unique = new Map<string, Row>();
    let duplicates = 0;
    for (const row of rows) {
      if (unique.has(row.to)) duplicates++;
      else unique.set(row.to, row);
    }
    const list = [...unique.values()];
    const statuses = await this.ctx.ledger.register(campaignId, list);
    const jobs = [];
    let accepted = 0;
    for (let i = 0; i < list.length; i++) {
      const status = statuses[i];
      if (status === 'new') accepted++;
      else duplicates++;
      if (status !== 'new' && status !== 'pending') continue;
      const { to, refs } = list[i]!;
      jobs.push({ name: 'send', data: sendJobData(campaignId, to, refs), jobId: jobIdFor(campaignId, to) });
    }
    if (jobs.length > 0) {
      const queue = this.ctx.queues.get(account);
      const priorities = await allocatePriorities(this.ctx.redis, queue, this.ctx.base, account, campaignId, priority, jobs.length, keepCursor);
      await queue.addBulk(jobs.map(({ name, data, jobId }, j) => ({ name, data, opts: jobOptions(jobId, priorities?.[j]) })));
    }
    if (accepted > 0) this.options.metrics?.enqueued.inc({ account }, accepted);
    return { accepted, duplicates };
  }

  #countRejected(account: string, rejected: Rejected[]) {
    for (const r of rejected) this.options.metrics?.rejected.inc({ account, reason: reasonLabel(r.reason) });
  }
}

function metaOf(account: string, f: { body: string; previewUrl?: boolean; ref?: string; ref1?: string; ref2?: string }, priority: Priority): CampaignMeta {
  const meta: CampaignMeta = { account, body: f.body, priority, createdAt: Date.now() };
  if (f.previewUrl !== undefined) meta.previewUrl = f.previewUrl;
  if (f.ref !== undefined) meta.ref = f.ref;
  if (f.ref1 !== undefined) meta.ref1 = f.ref1;
  if (f.ref2 !== undefined) meta.ref2 = f.ref2;
  return meta;
}

/** How long a finished single message is kept by default (status, export, delivery callbacks): 2 days. */
export const SINGLE_MESSAGE_TTL_SECONDS = 2 * 24 * 3600;

/**
 * Messages sent without a campaign id get a campaign of their own, so they have a ledger too; it is
 * not listed (ensureCampaign `listed: false`) and expires once finished (expireWhenDone).
 */
function newMessageCampaignId(): string {
  return `msg-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}
