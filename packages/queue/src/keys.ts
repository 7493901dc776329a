import { createHash } from 'node:crypto';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, KEY_PREFIX, KEY_PREFIX_RULE } from '@wabulk/config/light';

/**
 * The Redis layout, in one place (only this package knows key names).
 *
 * Redis Cluster: every key carries a hash tag, so each group of keys that one script touches lives
 * in one slot, and different accounts and campaigns spread over the cluster:
 *   BullMQ queue of an account   {<base>-<account>}:wa-<account>:…   (BullMQ prefix `{<base>-<account>}`)
 *   account state                {<base>-<account>}:account
 *   breaker run                  {<base>-<account>}:breaker          (hash code, count: the current run of same-code unlisted failures; breaker.ts)
 *   fair-share cursor            {<base>-<account>}:fair:<campaignId>  (string "<round> <used>", TTL; priority.ts)
 *   campaign meta / ledger       <base>:campaign:{<campaignId>}:meta | :recipients | :counts
 *   campaign control state       <base>:campaign:{<campaignId>}:state  (hash: state running|paused|cancelled, at;
 *                                archiving, archivingUntil: the archiver's claim while it copies the campaign)
 *   archived campaign            <base>:campaign:{<campaignId>}:archived  (string JSON {account, archivedAt}: the campaign
 *                                is in PostgreSQL; its meta, ledger, counters and state are gone from Redis)
 *   callbacks during archiving   <base>:campaign:{<campaignId>}:deferred  (list of {to, update} JSON, applied to the archive after)
 *   finished campaigns           <base>:index:{finished}               (sorted set campaign → time it finished, ms: the archive's queue)
 *   restores under way           <base>:index:{restoring}              (sorted set campaign → its restore's lease end, ms: a
 *                                restore that died is found there and undone; pg-archive.ts recoverStaleRestores)
 *   archive retries              <base>:index:{finished}:retry         (sorted set campaign → when the archiver tries it again, ms: a campaign
 *                                whose archive failed leaves the queue for this; <base>:index:{finished}:failures, hash campaign →
 *                                failures in a row, sets the backoff; same slot as the queue, so one script moves a campaign between them)
 *   known accounts               <base>:accounts:{registry}            (hash account → JSON {source, at}: who registered it, when)
 *   campaign list                <base>:index:{campaigns}              (sorted set by creation time; single messages stay out)
 *   schedule                     <base>:index:{schedule}               (sorted set campaign → start time, ms; schedule.ts)
 *   message_id → recipient       <base>:msgid:{<messageId>}            (string "<campaignId>\n<to>", TTL;
 *                                <base>:msgid~:{<sha256>} for an id that is empty or starts with '}')
 *   callbacks before their send  <base>:msgcb:{<messageId>}            (list of callback JSON, TTL)
 *   idempotent API answers       <base>:idem:{<caller>}:<key>          (string, TTL; <caller> = sha256(token id),
 *                                <key> = sha256(token id, key), both base64url)
 *   a caller's live answers      <base>:idem-keys:{<caller>}           (sorted set <key> → expiry ms: the per-caller bound)
 *   suppression lists            <base>:suppress:{acct-<account>} | <base>:suppress:{global}
 *                                (hash E.164 number → ms it was added; suppression.ts)
 * The message-id keys of one message share its hash tag, so one script can write the index and
 * take the callbacks that arrived before it atomically; different messages spread over the cluster.
 * BullMQ 6 refuses ':' in queue names and job ids; ours are built from ids without ':'.
 */
export { ACCOUNT_ID } from '@wabulk/config/light';
export const CAMPAIGN_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const CAMPAIGN_ID_RULE = 'must be 1-64 letters, digits, _ . or -';
export const DEFAULT_BASE = 'wabulk';

/** An id that breaks the layout's rules: `field` names it ('account', 'campaignId', 'key prefix'), `reason` says what is wrong. */
export class InvalidIdError extends Error {
  override readonly name = 'InvalidIdError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export function assertAccountId(account: string): string {
  if (!ACCOUNT_ID.test(account)) throw new InvalidIdError('account', `${ACCOUNT_ID_RULE}, got ${JSON.stringify(account.slice(0, 40))}`);
  return account;
}

export function assertCampaignId(campaignId: string): string {
  if (!CAMPAIGN_ID.test(campaignId)) throw new InvalidIdError('campaignId', `${CAMPAIGN_ID_RULE}, got ${JSON.stringify(campaignId.slice(0, 70))}`);
  return campaignId;
}

export function assertBase(base: string): string {
  if (!KEY_PREFIX.test(base)) throw new InvalidIdError('key prefix', `${KEY_PREFIX_RULE}, got ${JSON.stringify(base)}`);
  return base;
}

export const queueName = (account: string) => `wa-${assertAccountId(account)}`;
export const queuePrefix = (base: string, account: string) => `{${base}-${account}}`;

export function accountKeys(base: string, account: string) {
  return { state: `${queuePrefix(base, account)}:account`, breaker: `${queuePrefix(base, account)}:breaker` };
}

/** A campaign's round cursor for fair share: in the account's slot, beside the queue it is read with. */
/** BullMQ's rate-limiter key of an account's queue (what worker.rateLimit sets): the hold of the whole queue. */
export const queueLimiterKey = (base: string, account: string) => `${queuePrefix(base, account)}:${queueName(account)}:limiter`;

export const fairShareKey = (base: string, account: string, campaignId: string) => `${queuePrefix(base, account)}:fair:${assertCampaignId(campaignId)}`;

export function campaignKeys(base: string, campaignId: string) {
  const p = `${base}:campaign:{${assertCampaignId(campaignId)}}`;
  return { meta: `${p}:meta`, recipients: `${p}:recipients`, counts: `${p}:counts`, state: `${p}:state`, archived: `${p}:archived`, deferred: `${p}:deferred` };
}

/** Kaleyra's callback id may be `<message_id>:<n>` (the n-th recipient of a request): the index keys drop the suffix. */
export const canonicalMessageId = (id: string) => id.trim().replace(/:\d+$/, '');

export function messageKeys(base: string, messageId: string) {
  const id = canonicalMessageId(messageId);
  // "{}" is no hash tag (Redis Cluster then hashes the whole key): an id that is empty or starts with
  // '}' would put its two keys in different slots (CROSSSLOT). Such ids get keys of their own,
  // tagged by a digest (a separate key family, so they never collide with a real id's keys).
  if (id === '' || id.startsWith('}')) {
    const tag = `{${createHash('sha256').update(id).digest('hex')}}`;
    return { index: `${base}:msgid~:${tag}`, pending: `${base}:msgcb~:${tag}` };
  }
  return { index: `${base}:msgid:{${id}}`, pending: `${base}:msgcb:{${id}}` };
}

/** A do-not-message list: one account's, or the global one that applies to every account. */
export type SuppressionScope = { account: string } | 'global';
export const suppressionKey = (base: string, scope: SuppressionScope) => (scope === 'global' ? `${base}:suppress:{global}` : `${base}:suppress:{acct-${assertAccountId(scope.account)}}`);

export const idempotencyKey = (base: string, caller: string, digest: string) => `${base}:idem:{${caller}}:${digest}`;
/** A caller's live idempotency keys, in the slot of its answers (one script claims both). */
export const idempotencyKeysKey = (base: string, caller: string) => `${base}:idem-keys:{${caller}}`;

/** A one-time export download link (`POST /v1/campaigns/:id/export-link`): JSON of what it downloads, with a short TTL. */
export const exportLinkKey = (base: string, ticket: string) => `${base}:export-link:{${ticket}}`;

/**
 * `accounts`: the registry of known accounts, a hash (field = account, value = JSON {source, at}).
 * It replaces the old set `<base>:index:{accounts}`, which any send wrote and so proved nothing.
 */
export const indexKeys = (base: string) => ({ accounts: `${base}:accounts:{registry}`, campaigns: `${base}:index:{campaigns}`, schedule: `${base}:index:{schedule}`, finished: `${base}:index:{finished}`, archiveRetry: `${base}:index:{finished}:retry`, archiveFailures: `${base}:index:{finished}:failures`, restoring: `${base}:index:{restoring}` });

/** Deterministic job id: re-adding the same recipient of a campaign is a no-op while the job exists. */
export function jobIdFor(campaignId: string, e164: string, generation = 0): string {
  const id = `${campaignId}-${e164.replace(/^\+/, '')}`;
  return generation > 0 ? `${id}-r${generation}` : id;
}
