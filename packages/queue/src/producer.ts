import { createHash, randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { KnownAccounts } from './account-registry.js';
import { withDeadlineError } from './redis-errors.js';
import { getCampaignControlState } from './campaign-control.js';
import { archivedCampaign, archiveOf, locateCampaign } from './archive-port.js';
import { assertSameCampaign, ensureCampaign, getCampaignMeta, type CampaignMeta } from './campaigns.js';
import type { QueueContext } from './context.js';
import { wellFormed, type RecipientRefs } from './ledger.js';
import type { Priority } from './priority.js';
import { assertAccountId, assertCampaignId, campaignKeys } from './keys.js';
import { normaliseRecipient, rejection, splitRecipients, type CountryCode, type Rejected } from './normalise-recipients.js';
import { queueRecipients } from './queue-recipients.js';
import { enqueueSingleMessage } from './single-intake.js';
import { SUPPRESSED, suppressedAmong } from './suppression.js';
import { parseTemplate, renderTemplate, valuesOf, type Placeholder, type Template } from './template.js';
import { bodySchema, enqueueTextSchema, isStorableText, messageFieldsSchema, parseOrThrow, STORABLE_TEXT_RULE, truncateRef, ValidationError, type EnqueueTextFields, type EnqueueTextInput } from './validation.js';
import { reasonLabel } from './reason-label.js';

export interface EnqueueResult {
  campaignId: string;
  /** Recipients queued by this call (a dry run: that would be). */
  accepted: number;
  /** Inputs that were already queued: repeated in this call, or in the campaign before. */
  duplicates: number;
  rejected: Rejected[];
  /** Every rejection by its reason's label (`suppressed`, `not a valid number`, …). */
  rejectedByReason: Record<string, number>;
  /** Recipients rejected because a suppression list holds them (also in rejectedByReason). */
  suppressed: number;
  /** Set on a dry run: nothing was written. */
  dryRun?: true;
  /** Dry run: the first three accepted recipients with the text each would get. */
  samples?: Array<{ to: string; text: string }>;
}

/** One row of a CSV/NDJSON source; `error` marks a row the reader could not use. */
export interface SourceRow {
  line?: number;
  to?: string;
  ref?: string;
  ref1?: string;
  ref2?: string;
  /** The row's values of the template's placeholders (the reader's `fields`), by placeholder name. */
  vars?: Record<string, string>;
  error?: string;
  input?: string;
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
  /** The text; may hold placeholders `{{column}}` / `{{column|fallback}}` (template.ts). */
  body: string;
  previewUrl?: boolean;
  ref?: string;
  ref1?: string;
  ref2?: string;
  /** Default 'normal'; an existing campaign keeps its own priority. */
  priority?: Priority;
  /** Scheduled start, ISO 8601 with an offset (a new campaign only). */
  at?: string;
  /** Sending window in each recipient's local time, "HH:MM-HH:MM". */
  window?: string;
  /** One IANA zone for every recipient's window. */
  tz?: string;
  /** Read and check everything, write nothing (counts, rejections, samples). */
  dryRun?: boolean;
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
  /**
   * A single message (no campaign id, no schedule, no window, high priority) in three round trips
   * (single-intake.ts; default true). false: the general path's five (the intake benchmark's "before").
   */
  fastSingleMessages?: boolean;
  metrics?: {
    enqueued: { inc(labels: { account: string }, n?: number): void };
    rejected: { inc(labels: { account: string; reason: string }, n?: number): void };
  };
}

interface Row {
  to: string;
  refs?: RecipientRefs;
  vars?: string[];
  line?: number;
  input: string;
  /** Dry run: the rendered text and the row's place in the input (samples are the first accepted rows). */
  text?: string;
  seq?: number;
}

/** How many rendered samples a dry run answers. */
const SAMPLES = 3;

/** What one intake (a call or an import) counts as it goes; chunks add to it concurrently. */
interface Tally {
  accepted: number;
  duplicates: number;
  suppressed: number;
  /** Dry run only: numbers already counted (a real run has the ledger for that). */
  seen?: Set<string>;
  /** Dry run only: candidate samples, accepted rows only (a chunk adds at most SAMPLES; the lowest `seq` win). */
  samples?: Array<{ seq: number; to: string; text: string }>;
}

/** The first SAMPLES accepted rows of a dry run, in input order (chunks finish in any order). */
const firstSamples = (tally: Tally) => (tally.samples ?? []).sort((a, b) => a.seq - b.seq).slice(0, SAMPLES).map(({ to, text }) => ({ to, text }));


/** Intake for every path (library, API, CLI): validation, normalisation, the ledger, then BullMQ. */
export class Producer {
  readonly #known: KnownAccounts;

  constructor(
    readonly ctx: QueueContext,
    readonly options: ProducerOptions = {},
  ) {
    this.#known = new KnownAccounts(ctx, options.knownAccounts);
  }

  /**
   * One message to one or many recipients ("a,b,c", an array of numbers, or of {to, variables}):
   * one job per distinct valid number that no suppression list holds.
   */
  async enqueueText(input: EnqueueTextInput, options: EnqueueTextOptions = {}): Promise<EnqueueResult> {
    return withDeadlineError(this.#enqueueText(input, options));
  }

  async #enqueueText(input: EnqueueTextInput, options: EnqueueTextOptions): Promise<EnqueueResult> {
    const fields = parseOrThrow(enqueueTextSchema, input);
    const account = fields.account ?? this.options.defaultAccount ?? 'default';
    await this.#known.assertKnown(account);
    const single = fields.campaignId === undefined;
    const retryable = single && options.retryKey !== undefined;
    const campaignId = fields.campaignId ?? (retryable ? retryCampaignId(options.retryKey!) : newMessageCampaignId());
    const template = parseTemplate(fields.body);
    const inputs = recipientInputs(fields.to, fields.variables);
    assertEveryPlaceholderHasValues(template, inputs);
    const result: EnqueueResult = { campaignId, accepted: 0, duplicates: 0, rejected: [], rejectedByReason: {}, suppressed: 0 };
    const reject = this.#rejecter(account, result);
    if (inputs.length === 0) reject(rejection(typeof fields.to === 'string' ? fields.to : '', 'empty'));
    const rows: Row[] = [];
    const dryRun = fields.dryRun === true;
    for (const { input: text, vars } of inputs) {
      const row = this.#row(template, { to: text, vars }, reject, dryRun ? rows.length : undefined);
      if (row) rows.push(row);
    }
    const tally: Tally = { accepted: 0, duplicates: 0, suppressed: 0, seen: dryRun ? new Set() : undefined, samples: dryRun ? [] : undefined };
    if (fields.dryRun) {
      await this.#assertDryRunFits(campaignId, { account, body: fields.body, previewUrl: fields.previewUrl });
      await this.#chunk(account, campaignId, undefined, rows, tally, reject);
      return { ...result, accepted: tally.accepted, duplicates: tally.duplicates, suppressed: tally.suppressed, dryRun: true, samples: firstSamples(tally) };
    }
    if (rows.length === 0) return { ...result, duplicates: tally.duplicates };
    const meta = metaOf(account, fields, fields.priority ?? 'high', template);
    const ttl = Math.max(1, Math.round(this.options.singleMessageTtlSeconds ?? SINGLE_MESSAGE_TTL_SECONDS));
    if (single) meta.ttl = ttl;
    // A message without a campaign id, to start now, high priority, no window (an OTP, a notification):
    // three round trips instead of five (single-intake.ts).
    if (single && this.options.fastSingleMessages !== false && meta.priority === 'high' && fields.at === undefined && fields.window === undefined) {
      return this.#enqueueSingle(account, campaignId, meta, ttl, rows, result, reject, retryable);
    }
    let created: Promise<{ meta: CampaignMeta }> | undefined;
    const ensure = async () => {
      created ??= (async () => {
        const r = await ensureCampaign(this.ctx, campaignId, meta, { listed: !single });
        // A single message is kept for a while once finished, then expires (the ledger's RECORD sets the
        // TTL; the worker gives its message_id index the same one).
        if (single) await this.ctx.ledger.expireWhenDone(campaignId, ttl);
        return r;
      })();
      return created;
    };
    // A message without a campaign id is a campaign of one call: no fair-share cursor to keep.
    await this.#chunk(account, campaignId, ensure, rows, tally, reject, !single);
    return { ...result, accepted: tally.accepted, duplicates: tally.duplicates, suppressed: tally.suppressed };
  }

  /**
   * A campaign from a stream of any size: chunked ledger writes and addBulk, a few chunks in
   * flight, memory flat. Job ids are deterministic (campaign + recipient) and the ledger knows
   * every recipient, so re-running the same import after a crash adds nothing twice.
   */
  async enqueueCampaign(input: EnqueueCampaignInput): Promise<CampaignImportResult> {
    return withDeadlineError(this.#enqueueCampaign(input));
  }

  async #enqueueCampaign(input: EnqueueCampaignInput): Promise<CampaignImportResult> {
    const { recipients, onProgress, onRejected } = input;
    const fields = parseOrThrow(messageFieldsSchema, { ...input, recipients: undefined, onProgress: undefined, onRejected: undefined, dryRun: undefined, chunkSize: undefined, inFlight: undefined, keepRejected: undefined });
    parseOrThrow(bodySchema, input.body);
    const account = assertAccountId(fields.account ?? this.options.defaultAccount ?? 'default');
    const campaignId = assertCampaignId(input.campaignId);
    await this.#known.assertKnown(account);
    const template = parseTemplate(input.body);
    const dryRun = input.dryRun === true;
    if (dryRun) await this.#assertDryRunFits(campaignId, { account, body: input.body, previewUrl: fields.previewUrl });
    // The campaign is created with its first recipients, not before: a file refused as unreadable
    // (or with no valid row) leaves nothing behind, so the operator can fix it and reuse the id.
    let created: Promise<{ meta: CampaignMeta }> | undefined;
    const ensure = dryRun ? undefined : () => (created ??= ensureCampaign(this.ctx, campaignId, metaOf(account, fields, fields.priority ?? 'normal', template)));

    const chunkSize = input.chunkSize ?? 1000;
    const keep = input.keepRejected ?? 10_000;
    const limit = pLimit(input.inFlight ?? 4);
    const result: CampaignImportResult = { campaignId, account, read: 0, accepted: 0, duplicates: 0, rejected: [], rejectedTotal: 0, rejectedByReason: {}, suppressed: 0 };
    const tally: Tally = { accepted: 0, duplicates: 0, suppressed: 0, seen: dryRun ? new Set() : undefined, samples: dryRun ? [] : undefined };
    const progress = () => onProgress?.({ read: result.read, accepted: tally.accepted, duplicates: tally.duplicates, rejected: result.rejectedTotal });
    const reject = this.#rejecter(account, result, { keep, onRejected });
    const pending = new Set<Promise<void>>();
    let failure: unknown;
    const flush = (rows: Row[]) => {
      const p = limit(async () => {
        if (failure !== undefined) return;
        await this.#chunk(account, campaignId, ensure, rows, tally, reject);
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
        reject(rejection(row.input ?? row.to ?? '', row.error ?? 'no recipient', row.line));
        continue;
      }
      const r = this.#row(template, row as SourceRow & { to: string }, reject, dryRun ? result.read : undefined);
      if (!r) continue;
      chunk.push(r);
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
    Object.assign(result, { accepted: tally.accepted, duplicates: tally.duplicates, suppressed: tally.suppressed });
    progress();
    return dryRun ? { ...result, dryRun: true, samples: firstSamples(tally) } : result;
  }

  /** Puts the failed recipients of a campaign (only those with one of `codes`, if given) back in the queue. */
  async retryFailed(campaignId: string, options: { codes?: string[]; batch?: number } = {}): Promise<{ requeued: number; restored?: true }> {
    return withDeadlineError(this.#retryFailed(campaignId, options));
  }

  async #retryFailed(campaignId: string, options: { codes?: string[]; batch?: number }): Promise<{ requeued: number; restored?: true }> {
    const where = await locateCampaign(this.ctx, assertCampaignId(campaignId));
    if (!where) throw new Error(`campaignId: no campaign ${campaignId}`);
    let restored: true | undefined;
    if (where.where === 'archive') {
      // An archived campaign comes back to Redis (its whole ledger, as a new run) only when it has
      // failed recipients to retry; a cancelled one sends nothing more.
      const a = await archivedCampaign(this.ctx, campaignId);
      const failed = options.codes?.length ? options.codes.reduce((n, c) => n + (a.figures.byCode[c] ?? 0), 0) : a.figures.failed;
      if (a.state === 'cancelled' || failed === 0) return { requeued: 0 };
      await archiveOf(this.ctx).restore(this.ctx, campaignId);
      restored = true;
    }
    const meta = await getCampaignMeta(this.ctx, campaignId);
    if (!meta) throw new Error(`campaignId: no campaign ${campaignId}`);
    // A cancelled campaign sends nothing more, its failed recipients included.
    if ((await getCampaignControlState(this.ctx, campaignId)) === 'cancelled') return { requeued: 0 };
    const { ledger } = this.ctx;
    const generation = await ledger.nextGeneration(campaignId);
    let requeued = 0;
    // The refs and values of each failed recipient, read with it (RESET_FAILED keeps them in the entry too).
    let batch = new Map<string, { refs?: RecipientRefs; vars?: string[] }>();
    const flush = async () => {
      const of = batch;
      batch = new Map();
      const moved = await ledger.resetFailed(campaignId, [...of.keys()], options.codes ?? []);
      if (moved.length === 0) return;
      // Retried recipients continue the campaign's rounds (from the class's head at the latest), like a later chunk.
      await queueRecipients(this.ctx, campaignId, meta, moved.map((to) => ({ to, ...of.get(to) })), { generation });
      requeued += moved.length;
    };
    for await (const row of ledger.rows(campaignId)) {
      if (row.status !== 'failed') continue;
      if (options.codes?.length && !options.codes.includes(row.code ?? '')) continue;
      batch.set(row.to, { refs: row.refs, vars: row.vars });
      if (batch.size >= (options.batch ?? 1000)) await flush();
    }
    await flush();
    return restored ? { requeued, restored } : { requeued };
  }

  /** enqueueText's single message in three round trips: the same checks, writes, counts and answer as #chunk. */
  async #enqueueSingle(account: string, campaignId: string, meta: CampaignMeta, ttlSeconds: number, rows: Row[], result: EnqueueResult, reject: (r: Rejected) => void, retry = false): Promise<EnqueueResult> {
    const unique = new Map<string, Row>();
    let duplicates = 0;
    for (const row of rows) {
      if (unique.has(row.to)) duplicates++;
      else unique.set(row.to, row);
    }
    const out = await enqueueSingleMessage(this.ctx, { account, campaignId, meta, ttlSeconds, rows: [...unique.values()], retry });
    for (const to of out.suppressed) {
      const row = unique.get(to)!;
      reject(rejection(row.input, SUPPRESSED, row.line));
    }
    if (out.accepted > 0) this.options.metrics?.enqueued.inc({ account }, out.accepted);
    return { ...result, accepted: out.accepted, duplicates: duplicates + out.duplicates, suppressed: out.suppressed.length };
  }

  /**
   * Counts each rejection in the result (by reason label, and in `rejectedTotal` when it has one),
   * keeps the first `keep`, and counts it in the metric.
   */
  #rejecter(account: string, result: EnqueueResult & { rejectedTotal?: number }, options: { keep?: number; onRejected?: (r: Rejected) => void } = {}): (r: Rejected) => void {
    return (r) => {
      if (result.rejectedTotal !== undefined) result.rejectedTotal++;
      if (options.keep === undefined || result.rejected.length < options.keep) result.rejected.push(r);
      const label = reasonLabel(r.reason);
      result.rejectedByReason[label] = (result.rejectedByReason[label] ?? 0) + 1;
      this.options.metrics?.rejected.inc({ account, reason: label });
      options.onRejected?.(r);
    };
  }

  /** A dry run on an existing campaign is refused as the real import would be (another account or message). */
  async #assertDryRunFits(campaignId: string, meta: Pick<CampaignMeta, 'account' | 'body' | 'previewUrl'>): Promise<void> {
    const existing = await getCampaignMeta(this.ctx, campaignId);
    if (existing) assertSameCampaign(campaignId, existing, meta);
  }

  /**
   * One input checked as a recipient: its number normalised, its text rendered (refused with a
   * reason when a value is missing or the text too long), its refs kept. Undefined when rejected.
   */
  #row(template: Template, row: { to: string; ref?: string; ref1?: string; ref2?: string; vars?: Record<string, string>; line?: number }, reject: (r: Rejected) => void, seq?: number): Row | undefined {
    const n = normaliseRecipient(row.to, this.options.defaultCountry);
    if (!n.ok) {
      reject(rejection(row.to, n.reason, row.line));
      return undefined;
    }
    const out: Row = { to: n.e164, input: row.to, line: row.line };
    // A row's refs and placeholder values go where the campaign's text goes (the ledger, then the
    // archive): text PostgreSQL cannot store is refused here, the row alone (a file's other rows go on).
    const unstorable = unstorableField(template.names, row);
    if (unstorable !== undefined) {
      reject(rejection(row.to, `${unstorable}: ${STORABLE_TEXT_RULE}`, row.line));
      return undefined;
    }
    if (template.names.length > 0 || seq !== undefined) {
      // Well-formed as the ledger stores them (a lone surrogate becomes U+FFFD; intake refuses one, this
      // is for a row of a caller that bypassed it): the job, the ledger (resume, retry-failed) and a dry
      // run's sample all render the same text.
      const vars = valuesOf(template.names, row.vars).map(wellFormed);
      const rendered = renderTemplate(template, vars);
      if (!rendered.ok) {
        reject(rejection(row.to, rendered.reason, row.line));
        return undefined;
      }
      if (template.names.length > 0) out.vars = vars;
      // A dry run keeps the text: the row is a sample only if it is accepted (not a duplicate, not suppressed).
      if (seq !== undefined) Object.assign(out, { text: rendered.text, seq });
    }
    if (row.ref !== undefined || row.ref1 !== undefined || row.ref2 !== undefined) {
      const refs = { ref: truncateRef(row.ref), ref1: truncateRef(row.ref1), ref2: truncateRef(row.ref2) };
      if (refs.ref !== undefined || refs.ref1 !== undefined || refs.ref2 !== undefined) out.refs = refs;
    }
    return out;
  }

  /**
   * One chunk: duplicates within it dropped, then the suppression lists (one round trip), then the
   * ledger (pending) and the jobs: a crash in between leaves pending entries that a re-run re-adds.
   * A scheduled or paused campaign's recipients get no jobs here (its start or resume queues them).
   * `ensure` undefined = a dry run: only reads (the ledger's existing entries count as duplicates).
   */
  async #chunk(account: string, campaignId: string, ensure: (() => Promise<{ meta: CampaignMeta }>) | undefined, rows: Row[], tally: Tally, reject: (r: Rejected) => void, keepCursor = true): Promise<void> {
    const unique = new Map<string, Row>();
    for (const row of rows) {
      if (unique.has(row.to) || tally.seen?.has(row.to)) tally.duplicates++;
      else unique.set(row.to, row);
    }
    if (unique.size === 0) return;
    const suppressed = await suppressedAmong(this.ctx, account, [...unique.keys()]);
    for (const to of suppressed) {
      const row = unique.get(to)!;
      unique.delete(to);
      tally.suppressed++;
      reject(rejection(row.input, SUPPRESSED, row.line));
    }
    const list = [...unique.values()];
    if (list.length === 0) return;
    if (ensure === undefined) {
      // Dry run: what the ledger holds already would be a duplicate.
      const existing = await this.ctx.redis.hmget(campaignKeys(this.ctx.base, campaignId).recipients, ...list.map((r) => r.to));
      let sampled = 0;
      for (let i = 0; i < list.length; i++) {
        const row = list[i]!;
        tally.seen?.add(row.to);
        if (existing[i] !== null) {
          tally.duplicates++;
          continue;
        }
        tally.accepted++;
        if (sampled < SAMPLES && row.text !== undefined) {
          sampled++;
          tally.samples?.push({ seq: row.seq ?? 0, to: row.to, text: row.text });
        }
      }
      return;
    }
    const { meta } = await ensure();
    const { statuses, state } = await this.ctx.ledger.register(campaignId, list);
    const toQueue: Row[] = [];
    let accepted = 0;
    for (let i = 0; i < list.length; i++) {
      const status = statuses[i];
      if (status === 'new') accepted++;
      else tally.duplicates++;
      if (status === 'new' || status === 'pending') toQueue.push(list[i]!);
    }
    // Read in the same script as the registration: once a start has flipped the state to running it
    // queues what it finds pending, and what this chunk registered before is found.
    if (state !== 'scheduled' && state !== 'paused') await queueRecipients(this.ctx, campaignId, meta, toQueue, { keepCursor });
    tally.accepted += accepted;
    if (accepted > 0) this.options.metrics?.enqueued.inc({ account }, accepted);
  }
}

function metaOf(account: string, f: { body: string; previewUrl?: boolean; ref?: string; ref1?: string; ref2?: string; at?: number; window?: string; tz?: string }, priority: Priority, template: Template): CampaignMeta {
  const meta: CampaignMeta = { account, body: f.body, priority, createdAt: Date.now() };
  if (template.names.length > 0) meta.vars = [...template.names];
  if (f.at !== undefined) meta.startsAt = f.at;
  if (f.window !== undefined) meta.window = f.window;
  if (f.tz !== undefined) meta.tz = f.tz;
  if (f.previewUrl !== undefined) meta.previewUrl = f.previewUrl;
  if (f.ref !== undefined) meta.ref = f.ref;
  if (f.ref1 !== undefined) meta.ref1 = f.ref1;
  if (f.ref2 !== undefined) meta.ref2 = f.ref2;
  return meta;
}

/** enqueueText's options beside the message itself. */
export interface EnqueueTextOptions {
  /**
   * A message without a campaign id that may be a retry of one whose outcome is unknown (the API's
   * Idempotency-Key, with the caller: a request that timed out may still have been applied): its
   * campaign id is derived from this key instead of drawn at random, so a retry queues into the same
   * campaign (the same job ids) and adds nothing twice; what an earlier attempt queued is counted
   * as accepted again, so the retry answers as the first attempt would have.
   */
  retryKey?: string;
}

/** The campaign id of a single message retried under `key` (EnqueueTextOptions.retryKey). */
function retryCampaignId(key: string): string {
  return `msg-r-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** How long a finished single message is kept by default (status, export, delivery callbacks): 2 days. */
export const SINGLE_MESSAGE_TTL_SECONDS = 2 * 24 * 3600;

/**
 * Messages sent without a campaign id get a campaign of their own, so they have a ledger too; it is
 * not listed (ensureCampaign `listed: false`) and expires once finished (expireWhenDone).
 */
function newMessageCampaignId(): string {
  // 5 random bytes from a pool filled 4 KiB at a time: one getrandom call per ~800 messages, not one each
  // (randomBytes(5) per call was 3 % of the API's CPU at full load).
  if (randomOffset + 5 > randomPool.length) {
    randomPool = randomBytes(4096);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + 5);
  randomOffset += 5;
  return `msg-${Date.now().toString(36)}-${hex}`;
}
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/** The first ref or placeholder value of a row that is no storable text (isStorableText), named as the rejection says it. */
function unstorableField(names: readonly string[], row: { ref?: string; ref1?: string; ref2?: string; vars?: Record<string, string> }): string | undefined {
  for (const field of ['ref', 'ref1', 'ref2'] as const) {
    const v = row[field];
    if (v !== undefined && !isStorableText(v)) return field;
  }
  for (const name of names) {
    const v = row.vars?.[name];
    if (v !== undefined && !isStorableText(v)) return `the value of {{${name}}}`;
  }
  return undefined;
}

/** The API's `to` as one list of inputs, each with its variables (the call's, overridden by the recipient's own). */
function recipientInputs(to: EnqueueTextFields['to'], shared: Record<string, string> | undefined): Array<{ input: string; vars?: Record<string, string> }> {
  const items = typeof to === 'string' ? [to] : to;
  return items.flatMap((item) =>
    typeof item === 'string' ? splitRecipients(item).map((input) => ({ input, vars: shared })) : [{ input: item.to.trim(), vars: item.variables ? { ...shared, ...item.variables } : shared }],
  );
}

/**
 * A placeholder without a fallback that no recipient has a value for is a mistake in the request
 * (a typo in the name, a forgotten `variables`): refused whole, naming it, like a CSV without the column.
 */
function assertEveryPlaceholderHasValues(template: Template, inputs: ReadonlyArray<{ vars?: Record<string, string> }>): void {
  const needed = template.parts.filter((p): p is Placeholder => typeof p !== 'string' && p.fallback === undefined).map((p) => p.name);
  for (const name of new Set(needed)) {
    if (!inputs.some((i) => i.vars?.[name] !== undefined)) {
      throw new ValidationError([{ field: 'variables', message: `no recipient has a value for the placeholder {{${name}}} of body: give it in "variables" (or a fallback: {{${name}|…}})` }]);
    }
  }
}
