import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 3000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** ms since the epoch of the last answer. */
  updatedAt: number | undefined;
  reload: () => void;
}

/** A request that has not answered in this long is given up (the next poll tries again). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** A load that failed is tried again after this long, even when it does not poll. */
const RETRY_MS = 5000;

/** The signal, also aborted after REQUEST_TIMEOUT_MS (where the browser has AbortSignal.any). */
function withTimeout(signal: AbortSignal): AbortSignal {
  return typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : signal;
}

/**
 * Loads now and again every `intervalMs` (live updates without reloading the page); pauses while the
 * tab is hidden. A new `key` (another campaign, a filter) drops what was shown for the old one at
 * once and ignores its late answers. `enabled: false` loads nothing (a page the token may not read).
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, key: string, intervalMs = POLL_MS, enabled = true): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: string; updatedAt?: number }>({ key });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    setState((s) => (s.key === key ? s : { key }));
    if (!enabled) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.hidden) {
        timer = setTimeout(() => void run(), intervalMs || RETRY_MS);
        return;
      }
      let failed = false;
      try {
        const value = await loadRef.current(withTimeout(controller.signal));
        if (controller.signal.aborted) return;
        setState({ key, data: value, updatedAt: Date.now() });
      } catch (err) {
        if (controller.signal.aborted) return;
        failed = true;
        const message = (err as Error).name === 'TimeoutError' ? `the API did not answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (err as Error).message;
        setState((s) => ({ ...s, key, error: message }));
      }
      if (intervalMs > 0 || failed) timer = setTimeout(() => void run(), intervalMs > 0 ? intervalMs : RETRY_MS);
    };
    void run();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, intervalMs, enabled]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  // Until the new key's first answer, nothing of the old one is shown.
  const current = state.key === key ? state : { key };
  return { data: current.data, error: current.error, updatedAt: current.updatedAt, reload };
}

/** Follows location.hash: the console's pages are #/campaigns, #/campaigns/<id>, #/new, #/accounts, #/suppressions. */
export function useHashRoute(): string {
  const read = () => {
    const raw = location.hash.replace(/^#/, '');
    try {
      return decodeURI(raw) || '/campaigns';
    } catch {
      // A malformed %-escape in a pasted link: the raw text, not a blank page.
      return raw || '/campaigns';
    }
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (route: string): void => {
  location.hash = `#${route}`;
};
