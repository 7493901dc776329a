/**
 * Counts requests per 1-second window (aligned on the clock's whole seconds, like a fixed-window
 * rate limiter) and remembers the busiest window.
 */
export class RateWindow {
  #second = -1;
  #count = 0;
  #max = 0;

  /** Counts one request at `nowMs`; returns how many arrived in its window so far (itself included). */
  hit(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#count = 0;
    }
    this.#count += 1;
    if (this.#count > this.#max) this.#max = this.#count;
    return this.#count;
  }

  /** Milliseconds until the current window ends. */
  msToNextWindow(nowMs: number): number {
    return 1000 - (nowMs % 1000);
  }

  get max(): number {
    return this.#max;
  }

  reset(): void {
    this.#second = -1;
    this.#count = 0;
    this.#max = 0;
  }
}
