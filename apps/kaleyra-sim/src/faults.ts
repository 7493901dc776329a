// Run-time fault settings: the JSON of GET/POST /__sim/faults and Simulator.setFaults(). Parsed with
// zod (these routes are not on the hot path); every error names the field.
import { z } from 'zod';

export interface SimFaults {
  /** Share 0..1 of send requests answered with the injected failure. */
  failRate: number;
  /** The next N send requests get the injected failure (counts down). */
  failNext: number;
  /** Code of the injected failure: a seed code (body and status from the seed) or any other code. null = WA500. */
  failCode: string | null;
  /** HTTP status of the injected failure. null = the seed's status of failCode (500 for other codes). */
  failStatus: number | null;
  /**
   * Body of the injected failure, sent as it is (an HTML 403 from a gateway, `""` for a 401 without a
   * body): text/html when it starts with `<`, else application/json. null = the body of failCode.
   */
  failBody: string | null;
  /** Accept N more messages (recipients), then answer E110. null = off. Counts down. */
  e110AfterAccepted: number | null;
  latencyMs: number;
  /** Uniform extra latency 0..latencyJitterMs per request. */
  latencyJitterMs: number;
  /** Answer 429 (code 130429, Retry-After) to requests beyond N in the current 1-second window. null or 0 = off. */
  rateLimitPerSecond: number | null;
  /** Retry-After (seconds) of those 429 answers. null = the seconds to the next window (1). */
  retryAfterSeconds: number | null;
  /** Read the next N requests and never answer (until the client gives up or the simulator closes). */
  hangNext: number;
  /** Destroy the socket after reading each of the next N requests. */
  dropNext: number;
  /** Answer 202 with the seed's body layout, missing commas included (not valid JSON). */
  invalidJson202: boolean;
  /** Where delivery callbacks go (credentials in the URL are sent as basic auth). null = no callbacks. */
  callbackUrl: string | null;
  /** Delay before each callback of a message (sent, then delivered/failed, then read). */
  callbackDelayMs: number;
  /** Share 0..1 of messages (drawn when each is accepted) that get `failed` after `sent`. */
  callbackFailedShare: number;
  /** Share 0..1 of delivered messages (drawn when each is accepted) that then get `read`. */
  callbackReadShare: number;
}

export function defaultFaults(): SimFaults {
  return {
    failRate: 0, failNext: 0, failCode: null, failStatus: null, failBody: null, e110AfterAccepted: null,
    latencyMs: 0, latencyJitterMs: 0, rateLimitPerSecond: null, retryAfterSeconds: null, hangNext: 0, dropNext: 0,
    invalidJson202: false, callbackUrl: null, callbackDelayMs: 200, callbackFailedShare: 0, callbackReadShare: 1,
  };
}

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);
const ms = z.number().int().min(0).max(3_600_000);

const faultsSchema = z.strictObject({
  failRate: share,
  failNext: count,
  failCode: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32').nullable(),
  failStatus: z.number().int().min(400).max(599).nullable(),
  failBody: z.string().max(8192, 'at most 8192 characters').nullable(),
  e110AfterAccepted: count.nullable(),
  latencyMs: ms,
  latencyJitterMs: ms,
  rateLimitPerSecond: count.nullable(),
  retryAfterSeconds: count.nullable(),
  hangNext: count,
  dropNext: count,
  invalidJson202: z.boolean(),
  callbackUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).nullable(),
  callbackDelayMs: ms,
  callbackFailedShare: share,
  callbackReadShare: share,
}).partial();

const balanceSchema = z.strictObject({
  balance: count.nullable(),
  add: count,
}).partial().refine((b) => (b.balance === undefined) !== (b.add === undefined), {
  message: 'give exactly one of "balance" (set; null = unlimited) or "add" (top up)',
  path: ['balance'],
});

export type BodyParse<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

function parseWith<T>(schema: z.ZodType<T>, input: unknown): BodyParse<T> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  if (issue === undefined) return { ok: false, field: 'body', message: 'invalid body' };
  const field = issue.code === 'unrecognized_keys' ? issue.keys[0] ?? 'body' : issue.path.join('.') || 'body';
  const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return { ok: false, field, message };
}

export function parseFaults(input: unknown): BodyParse<Partial<SimFaults>> {
  return parseWith(faultsSchema, input);
}

/** `{"balance": N | null}` sets (null = unlimited), `{"add": N}` tops up. */
export function parseBalanceBody(input: unknown): BodyParse<{ balance?: number | null; add?: number }> {
  return parseWith(balanceSchema, input);
}

export function applyFaults(current: SimFaults, patch: Partial<SimFaults>): void {
  for (const key of Object.keys(patch) as (keyof SimFaults)[]) {
    const value = patch[key];
    if (value !== undefined) (current as unknown as Record<string, unknown>)[key] = value;
  }
}
