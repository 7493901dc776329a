// The console's one way to the API: the public HTTP API with the operator's bearer token, nothing
// else. Errors keep the API's own words ({ error, message } or { issues: [{ field, message }] }).

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: string;
  message?: string;
  issues?: { field?: string; message?: string; line?: number }[];
}

/** The API's answer in one sentence: its message, or each field and rule it named. */
export function describeError(status: number, body: unknown): string {
  const b = (body ?? {}) as ErrorBody;
  if (Array.isArray(b.issues) && b.issues.length > 0) {
    return b.issues.map((i) => `${i.field ? `${i.field}: ` : ''}${i.message ?? 'invalid'}${i.line === undefined ? '' : ` (line ${i.line})`}`).join('; ');
  }
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error === 'string') return `${b.error} (HTTP ${status})`;
  return `the API answered HTTP ${status}`;
}

let onUnauthorized: (() => void) | undefined;
/** Called when a signed-in request gets 401: the token was revoked or changed under us. */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: Blob;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A request with the bearer token; a File body is streamed by the browser from disk, never read here. */
export async function request<T>(token: string, path: string, o: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  let body: BodyInit | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.body !== undefined) {
    headers['content-type'] = o.contentType ?? 'application/octet-stream';
    body = o.body;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, o.query), { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: o.signal, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'the API did not answer (network error): is it running?', undefined);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    if (res.status === 401 && onUnauthorized) onUnauthorized();
    throw new ApiError(res.status, describeError(res.status, parsed), parsed);
  }
  return parsed as T;
}

// ---- The shapes the console reads (the API's OpenAPI document at /openapi.json is the reference).

export const SCOPES = ['send', 'read', 'control', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Me {
  name: string;
  scopes: string[];
  accounts: string[];
}

export const CAMPAIGN_STATES = ['scheduled', 'running', 'paused', 'cancelled', 'done'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface CampaignStatus {
  campaignId: string;
  account: string;
  priority: 'high' | 'normal' | 'low';
  total: number;
  pending: number;
  sent: number;
  failed: number;
  cancelled: number;
  state: CampaignState;
  startsAt: number | null;
  window: string | null;
  tz: string | null;
  waitingForWindow: number;
  delivered: number;
  read: number;
  failedAfterSend: number;
  byCode: Record<string, number>;
  failedAfterSendByCode: Record<string, number>;
  failureReasons?: Record<string, string>;
  paused: boolean;
  pauseReason: string | null;
  createdAt: number;
  startedAt?: number | null;
  done: boolean;
  archived?: true;
}

export interface CampaignList {
  campaigns: CampaignStatus[];
  cursor: string | null;
  archiveUnavailable?: { message: string; campaignIds: string[] };
}

export interface AccountState {
  account: string;
  paused: boolean;
  pauseReason: string | null;
  pauseMessage: string | null;
  pausedAt: number | null;
  resumedAt: number | null;
  queueDepth: number;
  counts: Record<string, number>;
  ratePerSecond?: number | null;
  depthByPriority?: { high: number; normal: number; low: number };
}

export interface Rejected {
  input: string;
  reason: string;
  line?: number;
}

export interface ImportResult {
  campaignId: string;
  account: string;
  accepted: number;
  duplicates: number;
  rejected: Rejected[];
  rejectedByReason: Record<string, number>;
  rejectedTotal: number;
  suppressed: number;
  read: number;
  dryRun?: true;
  samples?: { to: string; text: string }[];
  estimate?: { ratePerSecond: number; rateSource: string; seconds: number };
  source?: { column: string; delimiter?: string };
}
