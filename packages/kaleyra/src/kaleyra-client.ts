import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { buildPayload } from './build-payload.js';
import { resolveClientOptions } from './client-options.js';
import type { KaleyraClientOptions, ResolvedClientOptions } from './client-options.js';
import { dispatchRequest } from './dispatch-request.js';
import { interpretResponse } from './interpret-response.js';
import type { SendTextResult } from './interpret-response.js';
import { KaleyraError } from './kaleyra-error.js';
import { validateSendText } from './send-text-input.js';
import type { SendTextInput } from './send-text-input.js';
import { transportError } from './transport-error.js';

/** Per-call options of `sendText`. */
export interface SendOptions {
  /** Abort the send; the error is `ABORTED`, `ambiguous` if the request had been written. */
  signal?: AbortSignal;
}

const REDACTED = '[redacted]';

type Undici = typeof import('undici');
let undici: Undici | undefined;

/**
 * undici, loaded when the first client without an injected dispatcher is made rather than when
 * something imports this package for its codes and schemas (@wabulk/config, @wabulk/queue: the
 * CLI's start-up, issue 15). undici is CommonJS only (no "exports"), so `require` returns the very
 * module instance a static `import … from 'undici'` elsewhere gets; under jest (this source run as
 * CommonJS) the module's own `require` is jest's, for the same reason.
 */
function loadUndici(): Undici {
  return (undici ??= (typeof require === 'function' ? require : createRequire(import.meta.url))('undici') as Undici);
}

/**
 * Typed client for Kaleyra's WhatsApp v2 send-text call. Holds one keep-alive undici Pool per
 * base URL (or uses the injected dispatcher). It never retries: BullMQ owns retries.
 *
 * The api-key lives in a private field and is masked in `util.inspect`, `JSON.stringify` and
 * `toString`; it is removed from any server text that ends up in an error.
 */
export class KaleyraClient {
  readonly sid: string;
  readonly sender: string;
  /** Origin plus optional path prefix the client posts to. */
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #options: ResolvedClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #path: string;
  #closing: Promise<void> | undefined;

  constructor(options: KaleyraClientOptions) {
    const resolved = resolveClientOptions(options);
    this.#options = { ...resolved, apiKey: REDACTED };
    this.#apiKey = resolved.apiKey;
    this.sid = resolved.sid;
    this.sender = resolved.sender;
    this.baseUrl = resolved.baseUrl;
    this.#path = `${resolved.pathPrefix}/v2/${encodeURIComponent(resolved.sid)}/whatsapp/${resolved.sender}/messages`;
    this.#ownsDispatcher = resolved.dispatcher === undefined;
    this.#dispatcher = resolved.dispatcher ?? new (loadUndici().Pool)(resolved.origin, {
      connections: resolved.connections,
      connect: { timeout: resolved.connectTimeoutMs },
      headersTimeout: resolved.headersTimeoutMs,
      bodyTimeout: resolved.bodyTimeoutMs,
    });
  }

  /**
   * Send one text message. Validates before any I/O (`INVALID_REQUEST`), then POSTs
   * `/v2/<sid>/whatsapp/<sender>/messages` once.
   *
   * @returns `{ messageId, code, status }` when Kaleyra accepts (202).
   * @throws KaleyraError for everything else; act on its `kind`.
   */
  async sendText(input: SendTextInput, options: SendOptions = {}): Promise<SendTextResult> {
    const request = validateSendText(input, this.#options.waSource);
    if (this.#closing !== undefined) {
      throw new KaleyraError('CLIENT_CLOSED', 0, 'The Kaleyra client is closed', { kind: 'retryable' });
    }
    const outcome = await dispatchRequest(this.#dispatcher, {
      origin: this.#options.origin,
      path: this.#path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': this.#apiKey },
      body: JSON.stringify(buildPayload(request)),
      headersTimeout: this.#options.headersTimeoutMs,
      bodyTimeout: this.#options.bodyTimeoutMs,
    }, options.signal);
    if (!outcome.ok) throw transportError(outcome);
    return interpretResponse(outcome.response, (text) => this.#redact(text));
  }

  /** Close the Pool this client created (waits for in-flight sends). An injected dispatcher is left open. */
  close(): Promise<void> {
    this.#closing ??= this.#ownsDispatcher ? this.#dispatcher.close() : Promise.resolve();
    return this.#closing;
  }

  /** A loggable description; the api-key is masked. */
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl, sid: this.sid, sender: this.sender, apiKey: REDACTED };
  }

  toString(): string {
    return `KaleyraClient(${this.baseUrl}, sid ${this.sid}, sender ${this.sender})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object): string {
    return `KaleyraClient ${inspect(this.toJSON(), options)}`;
  }

  #redact(text: string): string {
    return text.split(this.#apiKey).join(REDACTED);
  }
}

/** Create a client. Throws `KaleyraError` `INVALID_CONFIG` for bad options (never echoing the key). */
export function createKaleyraClient(options: KaleyraClientOptions): KaleyraClient {
  return new KaleyraClient(options);
}
