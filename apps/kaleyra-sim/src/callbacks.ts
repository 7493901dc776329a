// Kaleyra-style delivery callbacks: for each accepted message POST sent → delivered → read (or
// sent → failed), each one callbackDelayMs after the previous one was answered, so a receiver always
// sees a message's statuses in order. One FIFO queue and one timer for all messages (the delay is the
// same for every entry, so due times are in push order); at most MAX_IN_FLIGHT POSTs at a time.
// Best effort: errors are counted, never thrown. Credentials in the callback URL
// (http://user:pass@host/…) are sent as basic auth, as a Kaleyra callback profile with basic auth does.


export type CallbackStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface CallbackMessage {
  readonly id: string;
  readonly to: string;
  readonly ref: string | null;
  readonly ref1: string | null;
  readonly ref2: string | null;
}

/** The JSON body POSTed to the callback URL. */
export interface CallbackPayload {
  id: string;
  status: CallbackStatus;
  /** Recipient, digits. */
  mobile: string;
  ref: string;
  ref1: string;
  ref2: string;
  /** Unix seconds, as a string. */
  timestamp: string;
  error: string;
  error_code: string;
}

export interface CallbackSettings {
  readonly url: string | null;
  readonly delayMs: number;
  readonly failedShare: number;
  /** Share 0..1 of delivered messages that are then read (default 1). */
  readonly readShare?: number;
}

export interface CallbackCounters {
  sent: number;
  failed: number;
}

interface Entry {
  readonly due: number;
  readonly message: CallbackMessage;
  readonly status: CallbackStatus;
  /** Drawn when the message is accepted: `failed` follows `sent`. */
  readonly fails: boolean;
  /** Drawn when the message is accepted: `read` follows `delivered`. */
  readonly reads: boolean;
}

/** fetch refuses URLs with credentials: they move to an Authorization header (cached per URL). */
let lastTarget: { url: string; target: { href: string; headers: Record<string, string> } } | undefined;
export function callbackTarget(url: string): { href: string; headers: Record<string, string> } {
  if (lastTarget?.url === url) return lastTarget.target;
  const u = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const target = { href: u.href, headers };
  lastTarget = { url, target };
  return target;
}

const MAX_IN_FLIGHT = 32;
const POST_TIMEOUT_MS = 10_000;
// Meta's code for free-form text outside the 24-hour window, the usual fate of bulk text to cold contacts.
const FAILED_ERROR = { error: 'Re-engagement message', error_code: '131047' };

export function callbackPayload(m: CallbackMessage, status: CallbackStatus, nowMs: number): CallbackPayload {
  const failed = status === 'failed';
  return {
    id: m.id, status, mobile: m.to, ref: m.ref ?? '', ref1: m.ref1 ?? '', ref2: m.ref2 ?? '',
    timestamp: String(Math.floor(nowMs / 1000)),
    error: failed ? FAILED_ERROR.error : '', error_code: failed ? FAILED_ERROR.error_code : '',
  };
}

export class CallbackDispatcher {
  readonly counters: CallbackCounters = { sent: 0, failed: 0 };
  #queue: Entry[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #closed = false;

  constructor(private readonly settings: () => CallbackSettings, private readonly random: () => number) {}

  get pending(): number {
    return this.#queue.length - this.#head + this.#inFlight.size;
  }

  /** Starts the callbacks of newly accepted messages (no-op without a callback URL). */
  accepted(messages: readonly CallbackMessage[]): void {
    const { url, failedShare, readShare = 1 } = this.settings();
    if (this.#closed || url === null) return;
    for (const message of messages) {
      const fails = failedShare > 0 && this.random() < failedShare;
      this.#push(message, 'sent', fails, readShare >= 1 || (readShare > 0 && this.random() < readShare));
    }
    this.#pump();
  }

  /** Drops everything queued and in flight (reset). */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#clearTimer();
    this.#abort.abort();
    this.#abort = new AbortController();
    this.counters.sent = 0;
    this.counters.failed = 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#clearTimer();
    this.#abort.abort();
    await Promise.allSettled(this.#inFlight);
  }

  #push(message: CallbackMessage, status: CallbackStatus, fails: boolean, reads: boolean): void {
    this.#queue.push({ due: Date.now() + this.settings().delayMs, message, status, fails, reads });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #pump(): void {
    if (this.#closed) return;
    const now = Date.now();
    while (this.#inFlight.size < MAX_IN_FLIGHT && this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (entry.due > now) {
        this.#arm(entry.due, now);
        break;
      }
      this.#head += 1;
      this.#post(entry);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(due: number, now: number): void {
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      this.#pump();
    }, due - now);
  }

  #post(entry: Entry): void {
    const url = this.settings().url;
    if (url === null) return;
    const signal = this.#abort.signal;
    const body = JSON.stringify(callbackPayload(entry.message, entry.status, Date.now()));
    const target = callbackTarget(url);
    const p = fetch(target.href, {
      method: 'POST',
      headers: target.headers,
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(POST_TIMEOUT_MS)]),
    }).then(
      async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        if (signal.aborted) return;
        if (res.ok) this.counters.sent += 1;
        else this.counters.failed += 1;
        this.#next(entry);
      },
      () => {
        if (signal.aborted) return;
        this.counters.failed += 1;
        this.#next(entry);
      },
    ).finally(() => {
      this.#inFlight.delete(p);
      this.#pump();
    });
    this.#inFlight.add(p);
  }

  #next(entry: Entry): void {
    if (this.#closed) return;
    if (entry.status === 'sent') {
      this.#push(entry.message, entry.fails ? 'failed' : 'delivered', entry.fails, entry.reads);
    } else if (entry.status === 'delivered' && entry.reads) {
      this.#push(entry.message, 'read', false, true);
    }
  }
}
