/**
 * A small seeded PRNG (xorshift128) so every fuzz run is reproducible from its seed: a failure
 * message names the seed and the case, and `WABULK_FUZZ_SEED=<seed>` replays it.
 */
export class Rng {
  #x: number;
  #y: number;
  #z: number;
  #w: number;

  constructor(readonly seed: number) {
    // splitmix32 to spread the seed over the four words (a zero state would stick at zero).
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.#x = next();
    this.#y = next();
    this.#z = next();
    this.#w = next() || 1;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = this.#x ^ (this.#x << 11);
    this.#x = this.#y;
    this.#y = this.#z;
    this.#z = this.#w;
    this.#w = (this.#w ^ (this.#w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.#w;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** Integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(table: ReadonlyArray<readonly [number, T]>): T {
    const total = table.reduce((s, [w]) => s + w, 0);
    let r = this.float() * total;
    for (const [w, v] of table) {
      if ((r -= w) < 0) return v;
    }
    return table[table.length - 1]![1];
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }

  /** A child generator for one case: the case replays alone from (seed, index). */
  fork(index: number): Rng {
    return new Rng((Math.imul(this.seed ^ 0x5bd1e995, 31) + index * 0x27d4eb2d) >>> 0);
  }
}

/** How many cases and which seed: a few hundred in CI, `WABULK_FUZZ_CASES=N` for more. */
export function fuzzSettings(defaultCases: number): { cases: number; seed: number } {
  const cases = Number(process.env.WABULK_FUZZ_CASES ?? defaultCases);
  const seed = Number(process.env.WABULK_FUZZ_SEED ?? 20261129);
  if (!Number.isInteger(cases) || cases < 1) throw new Error('WABULK_FUZZ_CASES must be a positive integer');
  if (!Number.isInteger(seed)) throw new Error('WABULK_FUZZ_SEED must be an integer');
  return { cases, seed };
}

/** What a failure message shows of an input: short, printable, and enough to find the case. */
export function preview(value: unknown, max = 300): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : Buffer.isBuffer(value) ? `<${value.length} bytes> ${JSON.stringify(value.subarray(0, max).toString('latin1'))}` : JSON.stringify(value) ?? String(value);
  } catch {
    text = `<unserialisable ${typeof value}>`;
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
