import { ACCOUNT_CODES } from '@wabulk/kaleyra';
import type { Counter, Gauge } from 'prom-client';
import { BREAKER_REASON_LABELS, pauseReasonLabel } from './code-label.js';

/**
 * Why an account can be paused (the queue package's PauseReason): Kaleyra's account-level codes, a
 * 401/403 without one (HTTP_401, HTTP_403), or an operator. The paused gauge reports every one of
 * them for every account, 1 for the current reason and 0 for the others (a Prometheus "state set"),
 * so each series exists before it is needed and an alert on any reason has data. A breaker pause
 * (`BREAKER:<code>`) is one of BREAKER_REASON_LABELS (the exact code is in status and the logs).
 */
export const PAUSE_REASONS = [...ACCOUNT_CODES, 'HTTP_401', 'HTTP_403', ...BREAKER_REASON_LABELS, 'manual'] as const;

/**
 * The states of `wabulk_queue_jobs`. BullMQ 6 keeps a paused queue's jobs in its wait list; they
 * are reported as `paused` (held) rather than `waiting` (ready to run), as older BullMQ did.
 */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'paused', 'failed'] as const;

/** What one read of an account gives; `getAccountState` of @wabulk/queue returns a superset. */
export interface AccountStateReading {
  paused: boolean;
  pauseReason: string | null;
  /** BullMQ `getJobCounts()`: waiting, active, delayed, failed, prioritized (and paused, if present). */
  counts: Readonly<Record<string, number | undefined>>;
}

/** The accounts a process reports at scrape time, and how to read each one. */
export interface AccountObservation {
  /** The accounts this process serves (a list, or a read of them, e.g. every known account). */
  accounts: readonly string[] | (() => Promise<readonly string[]>);
  readState(account: string): Promise<AccountStateReading>;
  /** Whether this process's worker for the account runs (leave out in processes without workers). */
  isRunning?(account: string): boolean;
  /** Longest wait for Redis during a scrape; past it the account's gauges are left out. Default 2000. */
  timeoutMs?: number;
}

export interface AccountGauges {
  queueJobs: Gauge<'account' | 'state'>;
  accountPaused: Gauge<'account' | 'reason'>;
  workerRunning: Gauge<'account'>;
  stateErrors: Counter;
}

/**
 * Fills the account gauges from Redis when Prometheus scrapes. The gauges' collect() calls all
 * land in one registry.metrics() call; they share one read, so a scrape reads each account once.
 */
export function createAccountCollector(gauges: () => AccountGauges) {
  let observation: AccountObservation | undefined;
  let inflight: Promise<void> | undefined;

  async function refresh(obs: AccountObservation | undefined): Promise<void> {
    const g = gauges();
    if (!obs) {
      resetAll(g);
      return;
    }
    const timeoutMs = obs.timeoutMs ?? 2000;
    let accounts: readonly string[];
    try {
      accounts = typeof obs.accounts === 'function' ? await withTimeout(obs.accounts(), timeoutMs) : obs.accounts;
    } catch {
      resetAll(g);
      g.stateErrors.inc();
      return;
    }
    const readings = await Promise.allSettled(accounts.map((a) => withTimeout(obs.readState(a), timeoutMs)));
    resetAll(g);
    accounts.forEach((account, i) => {
      if (obs.isRunning) g.workerRunning.set({ account }, obs.isRunning(account) ? 1 : 0);
      const reading = readings[i];
      if (reading?.status !== 'fulfilled') {
        g.stateErrors.inc();
        return;
      }
      setQueueJobs(g.queueJobs, account, reading.value);
      setPaused(g.accountPaused, account, reading.value);
    });
  }

  return {
    /** Starts reporting these accounts (replacing any earlier observation); the result stops it. */
    observe(next: AccountObservation): () => void {
      observation = next;
      return () => {
        if (observation === next) observation = undefined;
      };
    },
    /** For the gauges' collect(): one shared read per scrape. */
    collect(): Promise<void> {
      inflight ??= refresh(observation).finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}

function resetAll(g: AccountGauges) {
  g.queueJobs.reset();
  g.accountPaused.reset();
  g.workerRunning.reset();
}

function setQueueJobs(gauge: AccountGauges['queueJobs'], account: string, r: AccountStateReading) {
  const n = (state: string) => r.counts[state] ?? 0;
  const held = n('paused') + (r.paused ? n('waiting') : 0);
  const values: Record<(typeof QUEUE_STATES)[number], number> = {
    waiting: r.paused ? 0 : n('waiting'),
    prioritized: n('prioritized'),
    active: n('active'),
    delayed: n('delayed'),
    paused: held,
    failed: n('failed'),
  };
  for (const state of QUEUE_STATES) gauge.set({ account, state }, values[state]);
}

function setPaused(gauge: AccountGauges['accountPaused'], account: string, r: AccountStateReading) {
  const current = r.paused ? pauseReasonLabel(r.pauseReason || 'manual') : null;
  for (const reason of PAUSE_REASONS) gauge.set({ account, reason }, reason === current ? 1 : 0);
  // A reason outside the known set still shows, as `other` (the label stays bounded).
  if (current !== null && !(PAUSE_REASONS as readonly string[]).includes(current)) gauge.set({ account, reason: current }, 1);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`account state read took over ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
