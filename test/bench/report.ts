// Results of a benchmark: measured figures beside a baseline from the same run, the ratio, and the
// target they are held to; printed as aligned plain-text tables.

/** One measured figure. `baseline` is measured in the same run (or derived from its settings). */
export interface Figure {
  measure: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** The ratio value ÷ baseline must be ≥ min (throughput) or ≤ max (memory growth, rate ceilings). */
  target?: { min?: number; max?: number; text: string };
  /** Shown in the table; not held to a target. */
  note?: string;
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  /** Caveats printed under the figures (a disturbed measurement, a missing tool). */
  notes?: string[];
  /** Extra tables (per-phase CPU, memory) for the analysis. */
  details: Array<{ title: string; header: string[]; rows: Array<Array<string | number>> }>;
}

export const ratioOf = (f: Figure): number | undefined =>
  f.baseline === undefined || f.baseline.value === 0 ? undefined : f.value / f.baseline.value;

export function verdict(f: Figure): 'ok' | 'BELOW TARGET' | 'ABOVE LIMIT' | '' {
  const r = ratioOf(f);
  if (f.target === undefined || r === undefined) return '';
  if (f.target.min !== undefined && r < f.target.min) return 'BELOW TARGET';
  if (f.target.max !== undefined && r > f.target.max) return 'ABOVE LIMIT';
  return 'ok';
}

/** 12345.6 → "12 346"; small numbers keep up to 3 significant decimals. */
export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  const [int, frac] = Math.abs(n).toFixed(d).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

export const mib = (bytes: number) => bytes / (1024 * 1024);

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function figureRows(figures: Figure[]): Array<Array<string | number>> {
  return figures.map((f) => {
    const r = ratioOf(f);
    return [
      f.measure,
      `${fmt(f.value)} ${f.unit}`,
      f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.label})` : '',
      r === undefined ? '' : `${fmt(r, 2)}x`,
      f.target?.text ?? f.note ?? '',
      verdict(f),
    ];
  });
}

export const FIGURE_HEADER = ['measure', 'value', 'baseline (same run)', 'ratio', 'target', ''];

export function printResult(result: BenchResult): void {
  const out = [`\n== ${result.name} ==`, table(FIGURE_HEADER, figureRows(result.figures))];
  for (const note of result.notes ?? []) out.push(`note: ${note}`);
  for (const d of result.details) out.push(`\n${d.title}`, table(d.header, d.rows));
  process.stdout.write(`${out.join('\n')}\n`);
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Of back-to-back runs of a measure and its baseline, the pair the rest of the machine disturbed
 * least (`otherLoad`: CPU % other processes used meanwhile). On a shared box the quietest pair is
 * the fairest comparison; every pair is still printed.
 */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A note when the pair a headline figure comes from was disturbed by other processes. */
export function disturbance(what: string, loads: number[], limit = 20): string[] {
  const worst = Math.max(...loads);
  return worst > limit ? [`${what}: other processes used up to ${fmt(worst)} % CPU (of 200 %) meanwhile; the CPU-per-item ratio is the steadier reading`] : [];
}

export function quietestPair<T>(pairs: Array<[T, T]>, otherLoad: (run: T) => number): [T, T] {
  const load = ([a, b]: [T, T]) => Math.max(otherLoad(a), otherLoad(b));
  return [...pairs].sort((x, y) => load(x) - load(y))[0]!;
}
