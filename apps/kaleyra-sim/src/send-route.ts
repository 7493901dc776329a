// POST /v2/:sid/whatsapp/:phone/messages — the hot path. Decision order, after the body is read:
//   rate limit (429) → hangNext → dropNext → injected failure (failNext, failRate) →
//   RBC001 (sid, api-key) → WA401 (business number) → WA400 (payload) → E110 (balance,
//   e110AfterAccepted) → 202.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackMessage } from './callbacks.js';
import { BODY_LIMIT_BYTES, readBody, writeBody } from './http-io.js';
import { SEED_RESPONSES, acceptedBody, genericFailure, isSeedCode, rawFailure, seedLayoutAcceptedBody, type CannedResponse } from './responses.js';
import type { SimState } from './sim-state.js';
import { isJsonContentType, validateSendPayload } from './validate-send.js';

export interface SendRoute {
  handle(req: IncomingMessage, res: ServerResponse, sid: string, phone: string): void;
  /** Cancels answers still waiting for their latency (close). */
  cancelPending(): void;
}

const RATE_LIMITED = SEED_RESPONSES['130429'];

function injectedFailure(failCode: string | null, failStatus: number | null, failBody: string | null): CannedResponse {
  if (failBody !== null) {
    const status = failStatus ?? 500;
    return rawFailure(status, failCode ?? `HTTP_${status}`, failBody);
  }
  const code = failCode ?? 'WA500';
  const seed = isSeedCode(code) ? SEED_RESPONSES[code] : undefined;
  if (seed !== undefined && (failStatus === null || failStatus === seed.status)) return seed;
  if (seed !== undefined) return { ...seed, status: failStatus! };
  return genericFailure(failStatus ?? 500, code);
}

function pathPhoneDigits(phone: string): string | null {
  let decoded = phone;
  if (phone.includes('%')) {
    try {
      decoded = decodeURIComponent(phone);
    } catch {
      return null;
    }
  }
  return decoded.charCodeAt(0) === 43 /* + */ ? decoded.slice(1) : decoded;
}

export function createSendRoute(state: SimState): SendRoute {
  const pending = new Set<NodeJS.Timeout>();

  function answer(res: ServerResponse, status: number, body: Buffer | string, extra?: readonly string[], after?: () => void, contentType?: string): void {
    const f = state.faults;
    const delay = f.latencyMs + (f.latencyJitterMs > 0 ? Math.floor(state.random() * (f.latencyJitterMs + 1)) : 0);
    if (delay === 0) {
      writeBody(res, status, body, extra, contentType);
      if (after !== undefined) after();
      return;
    }
    state.inFlight += 1;
    const timer = setTimeout(() => {
      pending.delete(timer);
      state.inFlight -= 1;
      writeBody(res, status, body, extra, contentType);
      if (after !== undefined) after();
    }, delay);
    pending.add(timer);
  }

  function reject(res: ServerResponse, canned: CannedResponse, extra?: readonly string[]): void {
    state.rejected(canned.code);
    answer(res, canned.status, canned.body, extra, undefined, canned.contentType);
  }

  function decide(req: IncomingMessage, res: ServerResponse, sid: string, phone: string, raw: string | null, inWindow: number): void {
    const f = state.faults;
    if (f.rateLimitPerSecond !== null && f.rateLimitPerSecond > 0 && inWindow > f.rateLimitPerSecond) {
      const retryAfter = String(f.retryAfterSeconds ?? Math.max(1, Math.ceil(state.window.msToNextWindow(Date.now()) / 1000)));
      return reject(res, RATE_LIMITED, ['retry-after', retryAfter]);
    }
    if (f.hangNext > 0) {
      f.hangNext -= 1;
      state.hung += 1;
      state.inFlight += 1;
      res.on('close', () => { state.inFlight -= 1; });
      return;
    }
    if (f.dropNext > 0) {
      f.dropNext -= 1;
      state.dropped += 1;
      req.socket.destroy();
      return;
    }
    if (f.failNext > 0) {
      f.failNext -= 1;
      return reject(res, injectedFailure(f.failCode, f.failStatus, f.failBody));
    }
    if (f.failRate > 0 && state.random() < f.failRate) return reject(res, injectedFailure(f.failCode, f.failStatus, f.failBody));
    if (sid !== state.sid || req.headers['api-key'] !== state.apiKey) return reject(res, SEED_RESPONSES.RBC001);
    const digits = pathPhoneDigits(phone);
    const sender = digits === null ? undefined : state.senders.get(digits);
    if (sender === undefined) return reject(res, SEED_RESPONSES.WA401);
    if (!isJsonContentType(req.headers['content-type'])) return reject(res, SEED_RESPONSES.WA400, ['x-sim-reason', 'Content-Type must be application/json']);
    if (raw === null) return reject(res, SEED_RESPONSES.WA400, ['x-sim-reason', `body is larger than ${BODY_LIMIT_BYTES} bytes`]);
    const parsed = validateSendPayload(raw);
    if (!parsed.ok) return reject(res, SEED_RESPONSES.WA400, ['x-sim-reason', parsed.reason]);
    const { recipients } = parsed.value;
    const units = recipients.length;
    if (state.balance < units || (f.e110AfterAccepted !== null && f.e110AfterAccepted < units)) {
      return reject(res, SEED_RESPONSES.E110);
    }
    state.balance -= units;
    if (f.e110AfterAccepted !== null) f.e110AfterAccepted -= units;
    const ids = recipients.map(state.nextId);
    state.store.add(ids, recipients, sender, parsed.value, Date.now());
    state.accepted += 1;
    const first = ids[0]!;
    const body = f.invalidJson202 ? seedLayoutAcceptedBody(first) : acceptedBody(first);
    const after = f.callbackUrl === null ? undefined : (): void => {
      const v = parsed.value;
      const messages: CallbackMessage[] = ids.map((id, i) => ({ id, to: recipients[i]!, ref: v.ref, ref1: v.ref1, ref2: v.ref2 }));
      state.callbacks.accepted(messages);
    };
    answer(res, 202, body, undefined, after);
  }

  return {
    handle(req, res, sid, phone) {
      state.requests += 1;
      const inWindow = state.window.hit(Date.now());
      readBody(req, BODY_LIMIT_BYTES, (raw) => decide(req, res, sid, phone, raw, inWindow));
    },
    cancelPending() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
