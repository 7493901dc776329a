import { setTimeout as delay } from 'node:timers/promises';
import type { QueueContext } from './context.js';
import { campaignKeys } from './keys.js';
import { unpackRefs, unpackVars, type RecipientRefs } from './ledger.js';

/** Recipients per HSCAN page. */
const BATCH = 1000;
/** Idle time after each batch, as a share of the time the batch took. */
export const SWEEP_IDLE_SHARE = 1;

/** A pending recipient as a sweep hands it on: its number, own refs and placeholder values (when it has any). */
export interface PendingRecipient {
  to: string;
  refs?: RecipientRefs;
  vars?: string[];
}

/**
 * HSCAN over the ledger, `fn` on the pending recipients of each page (one page in flight). Paced:
 * as long idle as busy, so a sweep of millions leaves Redis (and this host's CPU) to the account's
 * other campaigns half the time.
 */
export async function forEachPendingBatch(ctx: QueueContext, campaignId: string, fn: (recipients: PendingRecipient[]) => Promise<void>): Promise<void> {
  const key = campaignKeys(ctx.base, campaignId).recipients;
  let cursor = '0';
  do {
    const started = performance.now();
    const [next, flat] = await ctx.redis.hscan(key, cursor, 'COUNT', BATCH);
    cursor = next;
    const pending: PendingRecipient[] = [];
    // A substring test avoids parsing each entry: inside a JSON string value the quotes are escaped,
    // so `"s":"pending"` can only be the status field (whatever the key order Lua's cjson wrote; the
    // object x has no key s). Only an entry with refs or values (`"x":`) is parsed, for them.
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const raw = flat[i + 1]!;
      if (!raw.includes('"s":"pending"')) continue;
      const r: PendingRecipient = { to: flat[i]! };
      if (raw.includes('"x":')) {
        const x = (JSON.parse(raw) as { x?: unknown }).x;
        const refs = unpackRefs(x);
        const vars = unpackVars(x);
        if (refs) r.refs = refs;
        if (vars) r.vars = vars;
      }
      pending.push(r);
    }
    if (pending.length > 0) await fn(pending);
    await delay((performance.now() - started) * SWEEP_IDLE_SHARE);
  } while (cursor !== '0');
}
