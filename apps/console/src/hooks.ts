import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 3000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** ms since the epoch of the last answer. */
  updatedAt: number | undefined;
  reload: () => void;
}

/**
 * Loads now and again every `intervalMs` (live updates without reloading the page); pauses while the
 * tab is hidden. `key` changes (a filter) load at once and drop the previous answer's late arrival.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, key: string, intervalMs = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [updatedAt, setUpdatedAt] = useState<number | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.hidden) {
        timer = setTimeout(() => void run(), intervalMs);
        return;
      }
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setUpdatedAt(Date.now());
      } catch (err) {
        if (controller.signal.aborted) return;
        setError((err as Error).message);
      }
      if (intervalMs > 0) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, intervalMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, updatedAt, reload };
}

/** Follows location.hash: the console's pages are #/campaigns, #/campaigns/<id>, #/new, #/accounts, #/suppressions. */
export function useHashRoute(): string {
  const read = () => decodeURI(location.hash.replace(/^#/, '')) || '/campaigns';
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
