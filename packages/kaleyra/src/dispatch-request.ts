import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RawResponse } from './interpret-response.js';

/** How much of an answer body is kept; the rest is read and dropped (keeps keep-alive healthy). */
const MAX_KEPT_BODY_BYTES = 64 * 1024;

/** The result of one exchange: an HTTP answer, or a failure with what had happened so far. */
export type DispatchOutcome =
  | { ok: true; response: RawResponse }
  | {
    ok: false;
    error: unknown;
    /** The request was handed to a socket: Kaleyra may have received it. */
    written: boolean;
    /** The caller's signal aborted the exchange. */
    aborted: boolean;
  };

/**
 * Collects one answer through undici's dispatch handler API. Unlike `dispatcher.request()`, it
 * knows whether the request was handed to a socket: undici calls `onRequestStart` right before it
 * writes the request, and never for a request that failed to connect. The body is always read to
 * the end (kept up to 64 KiB) so the connection can be reused.
 */
class CollectingHandler implements Dispatcher.DispatchHandler {
  #written = false;
  #settled = false;
  #abortReason: unknown;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #kept = 0;

  constructor(private readonly settle: (outcome: DispatchOutcome) => void) {}

  /** The caller gave up: fail now, and stop the request if undici already has it. */
  abort(reason: unknown): void {
    if (this.#settled) return;
    this.#abortReason = reason;
    this.#finish({ ok: false, error: reason, written: this.#written, aborted: true });
    this.#controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) {
      // Aborted while queued in the pool: stop before anything is written.
      const reason = this.#abortReason;
      controller.abort(reason instanceof Error ? reason : new Error('aborted'));
      return;
    }
    this.#written = true;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational answers are not the response
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#kept >= MAX_KEPT_BODY_BYTES) return;
    const room = MAX_KEPT_BODY_BYTES - this.#kept;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.#chunks.push(kept);
    this.#kept += kept.length;
  }

  onResponseEnd(): void {
    const body = Buffer.concat(this.#chunks).toString('utf8');
    this.#finish({ ok: true, response: { status: this.#status, headers: this.#headers, body } });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  fail(error: unknown): void {
    this.#finish({ ok: false, error, written: this.#written, aborted: false });
  }

  #finish(outcome: DispatchOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#chunks = [];
    this.settle(outcome);
  }
}

/** Send one request and collect its answer. Never rejects: failures come back as outcomes. */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<DispatchOutcome> {
  if (signal?.aborted) {
    return Promise.resolve({ ok: false, error: signal.reason, written: false, aborted: true });
  }
  return new Promise<DispatchOutcome>((resolve) => {
    const onAbort = (): void => handler.abort(signal?.reason);
    const handler = new CollectingHandler((outcome) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      // Dispatchers report failures through the handler; this guards against one that throws.
      handler.fail(error);
    }
  });
}
