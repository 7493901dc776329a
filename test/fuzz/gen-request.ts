import { isStorableText } from '@wabulk/queue';
import type { Rng } from './prng.js';
import { randomBody, randomString } from './gen-text.js';
import { countedParts, recipientParts, toField, type RecipientPart } from './gen-phone.js';

/** Accounts the fuzz's worker serves: a valid account outside this list would never be sent. */
export const FUZZ_ACCOUNTS = ['acme', 'fz-b'] as const;

/** One call of POST /v1/messages / Producer.enqueueText, and what must come of it. */
export interface MessageCase {
  input: Record<string, unknown>;
  /** Fields the input breaks: the answer must be a validation error naming exactly these. */
  broken: Set<string>;
  /** The recipients (when `to` is a well-formed string or array). */
  parts: RecipientPart[];
  campaignId?: string;
}

/** Values of every JSON type (and deep nesting) to put where another type belongs. */
export function wrongValue(rng: Rng, notType: 'string' | 'boolean' | 'to'): unknown {
  const table: Array<[number, () => unknown]> = [
    [2, () => rng.int(-1e6, 1e6)],
    [1, () => rng.pick([0, -0, 1.5, 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2])],
    [2, () => null],
    [1, () => ({})],
    [1, () => ({ to: '+919876543210', nested: { a: [1, 2] } })],
    [1, () => [rng.int(0, 9), true, null]],
    [1, () => deepNest(rng.int(10, 2000), rng.chance(0.5))],
  ];
  if (notType !== 'boolean') table.push([2, () => rng.chance(0.5)]);
  if (notType !== 'string' && notType !== 'to') table.push([2, () => rng.pick(['true', 'false', 'yes', '1', ''])]);
  if (notType === 'to') table.push([2, () => ['+919876543210', rng.pick([7, null, {}, ['+919876543211'], true])]]);
  return rng.weighted(table.map(([w, f]) => [w, f] as const))();
}

/** [[[[…]]]] or {"a":{"a":…}} `depth` levels deep. */
export function deepNest(depth: number, arrays: boolean): unknown {
  let v: unknown = arrays ? [] : {};
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}

const badCampaignIds = ['', 'a:b', 'has space', 'x'.repeat(65), 'émoji😀', 'a/b', '{tag}', 'new\nline', '\u0000', 'ok\u200b'];
const badAccounts = ['', 'a b', 'x'.repeat(33), 'acme:1', 'ünï', '{acme}', 'a.b'];

/**
 * A message request: mostly valid (so most cases reach Redis), with 0..3 fields broken by a wrong
 * type, a bad value, or removal. `reuse` offers earlier campaign ids (duplicates across calls, conflicts).
 */
export function messageCase(rng: Rng, opts: { defaultCountry?: string; pool: string[]; reuse: string[]; newCampaignId: () => string }): MessageCase {
  const broken = new Set<string>();
  const parts = recipientParts(rng, opts.defaultCountry, opts.pool, rng.chance(0.05) ? rng.int(50, 300) : undefined);
  const input: Record<string, unknown> = { to: toField(rng, parts) };
  const body = randomBody(rng);
  input.body = body.value;
  if (!body.valid) broken.add('body');
  let campaignId: string | undefined;
  if (rng.chance(0.7)) {
    campaignId = opts.reuse.length > 0 && rng.chance(0.25) ? rng.pick(opts.reuse) : opts.newCampaignId();
    input.campaignId = campaignId;
  }
  if (rng.chance(0.4)) input.account = rng.pick(FUZZ_ACCOUNTS);
  if (rng.chance(0.3)) input.previewUrl = rng.chance(0.5);
  for (const f of ['ref', 'ref1', 'ref2']) {
    if (!rng.chance(0.2)) continue;
    const ref = rng.chance(0.1) ? '😀'.repeat(rng.int(250, 400)) : randomString(rng);
    input[f] = ref;
    if (!isStorableText(ref)) broken.add(f); // NUL, a lone surrogate: PostgreSQL could not archive it
  }
  if (rng.chance(0.1)) {
    // Unknown fields are ignored; an own "__proto__" key (as JSON.parse makes one) is refused by the API's JSON parser.
    const key = rng.pick(['extra', '__proto__', 'constructor', 'To', 'BODY']);
    Object.defineProperty(input, key, { value: rng.chance(0.5) ? randomString(rng) : deepNest(rng.int(1, 500), rng.chance(0.5)), enumerable: true, writable: true, configurable: true });
  }

  const mutations = rng.weighted([[10, 0], [4, 1], [2, 2], [1, 3]] as const);
  for (let i = 0; i < mutations; i++) {
    const field = rng.pick(['to', 'to', 'body', 'campaignId', 'account', 'previewUrl', 'ref', 'ref1', 'ref2'] as const);
    const how = rng.weighted([[3, 'type'], [2, 'value'], [1, 'remove']] as const);
    if (how === 'remove') {
      delete input[field];
      if (field === 'to' || field === 'body') broken.add(field);
      else broken.delete(field);
      if (field === 'campaignId') campaignId = undefined;
      continue;
    }
    if (field === 'campaignId' && how === 'value') {
      input.campaignId = rng.pick(badCampaignIds);
    } else if (field === 'account' && how === 'value') {
      input.account = rng.pick(badAccounts);
    } else if (field === 'to' && how === 'value') {
      // Too many recipients for one call, as an array or as one comma-separated string.
      const n = rng.int(10_001, 12_000);
      input.to = rng.chance(0.5) ? Array.from({ length: n }, (_, k) => `+9198${String(k).padStart(8, '0')}`) : Array.from({ length: n }, (_, k) => `+9198${String(k).padStart(8, '0')}`).join(',');
    } else if (field === 'body' && how === 'value') {
      input.body = rng.pick(['', '   ', 'a'.repeat(4097)]);
    } else if ((field === 'ref' || field === 'ref1' || field === 'ref2') && how === 'value') {
      const ref = randomString(rng, rng.int(0, 300)); // any storable string is fine: truncated to 255
      input[field] = ref;
      if (isStorableText(ref)) broken.delete(field);
      else broken.add(field);
      continue;
    } else if (field === 'previewUrl' && how === 'value') {
      input.previewUrl = rng.pick(['true', 'false', 1, 0, 'yes']);
    } else {
      input[field] = wrongValue(rng, field === 'previewUrl' ? 'boolean' : field === 'to' ? 'to' : 'string');
    }
    broken.add(field);
    if (field === 'campaignId') campaignId = undefined;
  }
  return { input, broken, parts: broken.has('to') ? [] : countedParts(parts), campaignId };
}
