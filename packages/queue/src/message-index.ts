import { archiveOf } from './archive-port.js';
import { campaignKeys, canonicalMessageId, messageKeys } from './keys.js';
import type { DeliveryUpdate, LedgerEntry, RecipientStatus } from './ledger.js';
import { withScripts } from './scripts.js';
import type { QueueContext } from './context.js';

/**
 * message_id → (campaign, recipient), so delivery callbacks (which carry only Kaleyra's id) find
 * their ledger entry. One key per message, `<base>:msgid:{<id>}`, with a TTL; callbacks that arrive
 * before the send is recorded wait in `<base>:msgcb:{<id>}` (same hash tag: one slot, so writing the
 * index and taking those callbacks is one atomic script and no callback falls between the two).
 */

/** How long a message_id stays joinable: WhatsApp drops messages it could not deliver in 30 days. */
export const MESSAGE_INDEX_TTL_SECONDS = 30 * 24 * 3600;
/** How long a callback for an unknown message_id is kept waiting for its send to be recorded. */
export const PENDING_CALLBACK_TTL_SECONDS = 24 * 3600;
/** Callbacks kept per unknown message_id (the newest). */
const PENDING_CALLBACKS_MAX = 16;

/** KEYS: index, pending. ARGV: "<campaign>\n<to>", ttl. Writes the index; returns the waiting callbacks. */
const WRITE_INDEX = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return redis.call('LRANGE', KEYS[2], 0, -1)
`;

/** KEYS: index, pending. ARGV: callback JSON, ttl, max kept. The index value, or (unknown id) keeps the callback and returns false. */
const LOOKUP_OR_KEEP = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return false
`;

interface MessageIndexCommands {
  wabulkWriteMsgIndex(k1: string, k2: string, value: string, ttl: string): Promise<string[]>;
  wabulkLookupMsg(k1: string, k2: string, callback: string, ttl: string, max: string): Promise<string | null>;
}

const MESSAGE_INDEX_SCRIPTS = {
  wabulkWriteMsgIndex: { numberOfKeys: 2, lua: WRITE_INDEX },
  wabulkLookupMsg: { numberOfKeys: 2, lua: LOOKUP_OR_KEEP },
};

export interface MessageRef {
  campaignId: string;
  to: string;
}

export type CallbackOutcome =
  /** The ledger moved forward. */
  | 'applied'
  /** The ledger already held this state or a later one (duplicates, out of order). */
  | 'unchanged'
  /** The campaign is being archived: the callback waits beside it and is applied to the archive right after. */
  | 'deferred'
  /** No send recorded with this id (yet): kept, applied when the worker records it. */
  | 'unknown';

const parseRef = (value: string): MessageRef => {
  const i = value.indexOf('\n');
  return { campaignId: value.slice(0, i), to: value.slice(i + 1) };
};

/**
 * The worker's step right after the ledger records `sent`: indexes the message_id and applies the
 * callbacks that arrived before it. Idempotent (a re-run job calls it again to repair a crash
 * between the two writes). Returns how many early callbacks moved the ledger.
 */
export async function recordMessageId(ctx: QueueContext, messageId: string, ref: MessageRef, options: { ttlSeconds?: number } = {}): Promise<number> {
  const redis = withScripts<MessageIndexCommands>(ctx.redis, MESSAGE_INDEX_SCRIPTS);
  const keys = messageKeys(ctx.base, messageId);
  const waiting = await redis.wabulkWriteMsgIndex(keys.index, keys.pending, indexValue(ref), String(options.ttlSeconds ?? MESSAGE_INDEX_TTL_SECONDS));
  return applyWaiting(ctx, ref, keys.pending, waiting);
}

const indexValue = (ref: MessageRef) => `${ref.campaignId}\n${ref.to}`;

/** The callbacks that waited for a message_id, applied to its ledger entry, then dropped. */
async function applyWaiting(ctx: QueueContext, ref: MessageRef, pendingKey: string, waiting: readonly string[]): Promise<number> {
  if (waiting.length === 0) return 0;
  let applied = 0;
  for (const raw of waiting) {
    const update = JSON.parse(raw) as DeliveryUpdate;
    if ((await ctx.ledger.deliver(ref.campaignId, ref.to, update)).changed) applied++;
  }
  // Deleted only once applied: a crash before this leaves them for the re-run (applying twice changes nothing).
  await ctx.redis.del(pendingKey);
  return applied;
}

/**
 * The worker's record of an accepted send: the ledger's 'sent' entry (Ledger.record), then, unless
 * the campaign is archived, the message_id index with the callbacks that came early applied
 * (recordMessageId). On a single Redis both writes are one script (one round trip); on a cluster
 * the index is in another slot, so they are two calls, the ledger's first. `early` = callbacks
 * applied. Either way a failure fails the attempt: the re-run finds the message_id, or sends.
 */
export async function recordSentMessage(
  ctx: QueueContext,
  ref: MessageRef,
  entry: LedgerEntry & { status: 'sent'; messageId: string },
  options: { ttlSeconds?: number } = {},
): Promise<{ status: RecipientStatus | 'archived'; messageId?: string; early: number }> {
  const ttlSeconds = options.ttlSeconds ?? MESSAGE_INDEX_TTL_SECONDS;
  if (ctx.redis.isCluster) {
    const kept = await ctx.ledger.record(ref.campaignId, ref.to, entry);
    if (kept.status === 'archived') return { ...kept, early: 0 };
    return { ...kept, early: await recordMessageId(ctx, entry.messageId, ref, { ttlSeconds }) };
  }
  const keys = messageKeys(ctx.base, entry.messageId);
  const { waiting, ...kept } = await ctx.ledger.recordSent(ref.campaignId, ref.to, entry, { keys, value: indexValue(ref), ttlSeconds });
  return { ...kept, early: await applyWaiting(ctx, ref, keys.pending, waiting) };
}

/**
 * A delivery callback by message_id (`<id>` or `<id>:<n>`): applied to the ledger when the send is
 * recorded, otherwise kept for `pendingTtlSeconds` and applied when it is.
 */
export async function applyDeliveryCallback(
  ctx: QueueContext,
  messageId: string,
  update: DeliveryUpdate,
  options: { pendingTtlSeconds?: number } = {},
): Promise<{ outcome: CallbackOutcome; status?: RecipientStatus | 'missing' }> {
  const redis = withScripts<MessageIndexCommands>(ctx.redis, MESSAGE_INDEX_SCRIPTS);
  const keys = messageKeys(ctx.base, messageId);
  let ref: MessageRef | undefined;
  if (ctx.archive) {
    // With an archive, an id Redis does not know may be an archived message whose index entry
    // expired (Kaleyra's "read" can come weeks later): the archive's message_id index answers.
    const value = await ctx.redis.get(keys.index);
    ref = value === null ? await ctx.archive.lookupMessageId(canonicalMessageId(messageId)) : parseRef(value);
  }
  if (ref === undefined) {
    const found = await redis.wabulkLookupMsg(keys.index, keys.pending, JSON.stringify(update), String(options.pendingTtlSeconds ?? PENDING_CALLBACK_TTL_SECONDS), String(PENDING_CALLBACKS_MAX));
    if (found === null) return { outcome: 'unknown' };
    ref = parseRef(found);
  }
  const r = await deliverTo(ctx, ref, update);
  return { outcome: r.status === 'deferred' ? 'deferred' : r.changed ? 'applied' : 'unchanged', status: r.status === 'deferred' ? undefined : r.status };
}

/**
 * A delivery update for one recipient, wherever its campaign is: the ledger while the campaign is
 * live, beside it while it is being archived, the archive once it is there (its index entry outlives
 * the ledger it points to). An ArchiveUnavailableError when the archive cannot take it (the API
 * answers 503: Kaleyra sends it again).
 */
export async function deliverTo(ctx: QueueContext, ref: MessageRef, update: DeliveryUpdate): Promise<{ status: RecipientStatus | 'missing' | 'deferred'; changed: boolean }> {
  const r = await ctx.ledger.deliver(ref.campaignId, ref.to, update);
  if (r.status !== 'missing') return r;
  if ((await ctx.redis.exists(campaignKeys(ctx.base, ref.campaignId).archived)) === 0) return r;
  return archiveOf(ctx).deliver(ref.campaignId, ref.to, update);
}

/** The recipient a message_id was sent to, if the index still holds it. */
export async function lookupMessageId(ctx: QueueContext, messageId: string): Promise<MessageRef | undefined> {
  const value = await ctx.redis.get(messageKeys(ctx.base, messageId).index);
  return value === null ? undefined : parseRef(value);
}

