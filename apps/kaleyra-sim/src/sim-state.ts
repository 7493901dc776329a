// The mutable state of one simulator: settings, faults, balance, counters and the accepted messages.
import { CallbackDispatcher } from './callbacks.js';
import { defaultFaults, type SimFaults } from './faults.js';
import { createMessageIdGenerator } from './message-id.js';
import { MessageStore } from './message-store.js';
import { createRandom } from './random.js';
import { RateWindow } from './rate-window.js';

export interface SimStats {
  /** Requests to the send route (every outcome, hung and dropped included). */
  requests: number;
  /** 202 answers. */
  accepted: number;
  /** Accepted messages: one per recipient (equals `accepted` when each request has one recipient). */
  messages: number;
  rejected: { total: number; byCode: Record<string, number> };
  hung: number;
  dropped: number;
  /** Remaining units; null = unlimited. */
  balance: number | null;
  /** The highest number of send requests that arrived in one 1-second window. */
  maxPerSecond: number;
  /** Send requests read but not answered yet (latency, hangNext). */
  inFlight: number;
  startedAt: string;
  callbacks: { sent: number; failed: number; pending: number };
}

export interface SimStateInit {
  readonly sid: string;
  readonly apiKey: string;
  /** Business numbers as digits without '+'. */
  readonly senders: readonly string[];
  readonly balance: number;
  readonly seed: number;
  readonly faults: Partial<SimFaults>;
}

export class SimState {
  readonly sid: string;
  readonly apiKey: string;
  /** Business number digits → the same string (so every stored message shares one copy). */
  readonly senders: ReadonlyMap<string, string>;
  readonly faults: SimFaults = defaultFaults();
  readonly store = new MessageStore();
  readonly window = new RateWindow();
  readonly random: () => number;
  readonly nextId = createMessageIdGenerator();
  readonly callbacks: CallbackDispatcher;
  balance: number;
  requests = 0;
  accepted = 0;
  hung = 0;
  dropped = 0;
  inFlight = 0;
  rejectedByCode: Record<string, number> = {};
  startedAt = Date.now();

  constructor(init: SimStateInit) {
    this.sid = init.sid;
    this.apiKey = init.apiKey;
    this.senders = new Map(init.senders.map((s) => [s, s]));
    this.balance = init.balance;
    this.random = createRandom(init.seed);
    Object.assign(this.faults, init.faults);
    const f = this.faults;
    this.callbacks = new CallbackDispatcher(
      () => ({ url: f.callbackUrl, delayMs: f.callbackDelayMs, failedShare: f.callbackFailedShare, readShare: f.callbackReadShare }),
      this.random,
    );
  }

  rejected(code: string): void {
    this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + 1;
  }

  /** Sets (or tops up) the balance; a balance change also lifts an e110AfterAccepted trigger. */
  setBalance(balance: number): void {
    this.balance = balance;
    this.faults.e110AfterAccepted = null;
  }

  /** Clears messages, counters and queued callbacks; keeps settings, faults and balance. */
  reset(): void {
    this.store.clear();
    this.window.reset();
    this.callbacks.clear();
    this.requests = 0;
    this.accepted = 0;
    this.hung = 0;
    this.dropped = 0;
    this.rejectedByCode = {};
    this.startedAt = Date.now();
  }

  stats(): SimStats {
    const byCode = { ...this.rejectedByCode };
    let total = 0;
    for (const n of Object.values(byCode)) total += n;
    return {
      requests: this.requests,
      accepted: this.accepted,
      messages: this.store.items.length,
      rejected: { total, byCode },
      hung: this.hung,
      dropped: this.dropped,
      balance: Number.isFinite(this.balance) ? this.balance : null,
      maxPerSecond: this.window.max,
      inFlight: this.inFlight,
      startedAt: new Date(this.startedAt).toISOString(),
      callbacks: { ...this.callbacks.counters, pending: this.callbacks.pending },
    };
  }
}
