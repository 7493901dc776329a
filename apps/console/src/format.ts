// Numbers and times for reading: 12,345 · 3.2 % · "in 4 min" · "about 2 h 5 min".

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : integer.format(n));

/** A share as a percentage with one decimal ("3.2 %"); "—" when there is nothing to divide by. */
export function percent(part: number, whole: number): string {
  if (!whole) return '—';
  const p = (part / whole) * 100;
  return `${p > 0 && p < 0.1 ? '< 0.1' : p.toFixed(1)} %`;
}

/** A span of time in words: "45 s", "4 min", "2 h 5 min", "3 d 4 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "in 4 min" / "4 min ago" / "just now", from `now`. */
export function relative(at: number, now = Date.now()): string {
  const diff = at - now;
  if (Math.abs(diff) < 5000) return 'just now';
  return diff > 0 ? `in ${duration(diff)}` : `${duration(-diff)} ago`;
}

export const when = (at: number | null | undefined): string => (at === null || at === undefined ? '—' : dateTime.format(new Date(at)));

/** A moment as its date and how far it is: "1 Dec 2026, 11:04 (4 min ago)". */
export const whenRelative = (at: number | null | undefined, now = Date.now()): string => (at === null || at === undefined ? '—' : `${when(at)} (${relative(at, now)})`);

export const rate = (perSecond: number | null | undefined): string => (perSecond === null || perSecond === undefined ? 'not reported' : `${count(perSecond)}/s`);
