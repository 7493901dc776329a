import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { e164Schema } from './e164.js';
import { KaleyraError } from './kaleyra-error.js';
import { toWaSource } from './send-text-input.js';
import type { WaSource } from './send-text-input.js';

/** Kaleyra's regional API hosts. */
export const KALEYRA_PODS = {
  in: 'https://api.in.kaleyra.io',
  sg: 'https://api.ap.kaleyra.io',
  eu: 'https://api.eu.kaleyra.io',
  na: 'https://api.na.kaleyra.ai',
} as const;
export type KaleyraPod = keyof typeof KALEYRA_PODS;
export const KALEYRA_POD_NAMES = Object.keys(KALEYRA_PODS) as [KaleyraPod, ...KaleyraPod[]];

export interface KaleyraClientOptions {
  /** Account SID, e.g. HXAP16XXXXXX97IN. */
  sid: string;
  /** The account's api-key. Kept private: never logged, inspected, serialised or put in an error. */
  apiKey: string;
  /** The sending WhatsApp business number (E.164, `+` optional), the `<phone_number>` in the path. */
  sender: string;
  /** Regional pod; default `in`. Ignored when `baseUrl` is given. */
  pod?: KaleyraPod;
  /** An origin, optionally with a path prefix, overriding the pod, e.g. `http://127.0.0.1:8089`. */
  baseUrl?: string;
  /** Use this undici dispatcher (an Agent, a MockAgent, a proxy) instead of creating a Pool. */
  dispatcher?: Dispatcher;
  /** Pool size (keep-alive connections to Kaleyra). Default 128. */
  connections?: number;
  /** TCP + TLS connect timeout of the created Pool. Default 5000. */
  connectTimeoutMs?: number;
  /** Time to wait for the response headers once the request is written. Default 30000. */
  headersTimeoutMs?: number;
  /** Longest gap between response body chunks. Default 30000. */
  bodyTimeoutMs?: number;
  /** Default `wa_source` for every send; unknown values become `api`. Default `api`. */
  waSource?: string;
}

/** Options after validation and defaults. */
export interface ResolvedClientOptions {
  sid: string;
  apiKey: string;
  sender: string;
  /** Origin plus path prefix, no trailing slash. */
  baseUrl: string;
  origin: string;
  pathPrefix: string;
  dispatcher: Dispatcher | undefined;
  connections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  waSource: WaSource;
}

const positiveInt = z.number({ error: 'must be a number' })
  .int('must be a positive integer').positive('must be a positive integer').optional();

const optionsSchema = z.object({
  sid: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]+$/, 'must be a non-empty SID of letters, digits, _ or -'),
  apiKey: z.string({ error: 'must be a string' }).regex(/^[\x21-\x7e]+$/, 'must be non-empty visible ASCII'),
  sender: e164Schema(),
  pod: z.enum(KALEYRA_POD_NAMES, { error: `must be one of ${KALEYRA_POD_NAMES.join(', ')}` }).optional(),
  baseUrl: z.string({ error: 'must be a string' }).optional(),
  dispatcher: z.custom<Dispatcher>((value) => typeof (value as Dispatcher | null)?.dispatch === 'function',
    'must be an undici Dispatcher').optional(),
  connections: positiveInt,
  connectTimeoutMs: positiveInt,
  headersTimeoutMs: positiveInt,
  bodyTimeoutMs: positiveInt,
  waSource: z.string({ error: 'must be a string' }).optional(),
}, { error: 'must be an object' });

const invalid = (message: string): KaleyraError =>
  new KaleyraError('INVALID_CONFIG', 0, message, { kind: 'account' });

function splitBaseUrl(baseUrl: string): { origin: string; pathPrefix: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid('baseUrl: must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('baseUrl: must use http or https');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalid('baseUrl: must be an origin with an optional path prefix (no credentials, query or fragment)');
  }
  return { origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

/** Validate client options and apply defaults. Throws `KaleyraError` `INVALID_CONFIG`. */
export function resolveClientOptions(options: KaleyraClientOptions): ResolvedClientOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalid(parsed.error.issues
      .map((issue) => `${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`)
      .join('; '));
  }
  const o = parsed.data;
  const { origin, pathPrefix } = splitBaseUrl(o.baseUrl ?? KALEYRA_PODS[o.pod ?? 'in']);
  return {
    sid: o.sid,
    apiKey: o.apiKey,
    sender: o.sender.startsWith('+') ? o.sender : `+${o.sender}`,
    baseUrl: `${origin}${pathPrefix}`,
    origin,
    pathPrefix,
    dispatcher: o.dispatcher,
    connections: o.connections ?? 128,
    connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
    headersTimeoutMs: o.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: o.bodyTimeoutMs ?? 30_000,
    waSource: toWaSource(o.waSource),
  };
}
