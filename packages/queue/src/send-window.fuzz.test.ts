import { fuzzSettings, Rng } from '../../../test/fuzz/prng.js';
import { isOpen, nextOpening, type SendWindow } from './send-window.js';

// Random (window, zone, now in 2026-2028) against an oracle built apart from the module: each
// zone's UTC offsets and offset changes over the period, read from Intl.DateTimeFormat (not luxon)
// once, then the wall clock at any instant from that table. Offsets are whole minutes, so a window
// can only open on a UTC minute boundary: the expected next opening is `now` when the oracle says
// open, else the first minute boundary after `now` the oracle finds open — every minute in between
// is checked closed. Properties: nextOpening ≥ now; isOpen(result); nothing open in between;
// isOpen(now) ⇔ nextOpening(now) === now; isOpen agrees with the oracle.
// Replay a failure with WABULK_FUZZ_SEED=<seed> (and WABULK_FUZZ_CASES for more cases).

const { cases, seed } = fuzzSettings(3000);

const ZONES = [
  'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Apia', 'America/Santiago',
  'America/Havana', 'Pacific/Chatham', 'America/St_Johns', 'Asia/Kathmandu', 'Africa/Casablanca', 'Australia/Sydney',
  'America/Los_Angeles', 'Europe/Moscow', 'Asia/Tehran', 'UTC',
] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2029, 0, 1);
// The table covers a margin after TO: a next opening can be a few days after `now`.
const TABLE_FROM = FROM - 3 * DAY;
const TABLE_TO = TO + 10 * DAY;

interface OffsetTable {
  /** Instants at which the offset changes (the first ms of the new offset), ascending. */
  changes: number[];
  /** offsets[i] holds from changes[i - 1] (or TABLE_FROM) to changes[i]; in ms. */
  offsets: number[];
}

function intlOffset(format: Intl.DateTimeFormat, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const part = (name: string): number => {
    const value = parts[name];
    if (value === undefined) throw new Error(`Intl gave no ${name} part`);
    return value;
  };
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

function offsetTable(zone: string): OffsetTable {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const changes: number[] = [];
  const offsets = [intlOffset(format, TABLE_FROM)];
  const step = 3 * HOUR; // no zone changes its offset twice within three hours
  for (let a = TABLE_FROM; a < TABLE_TO; a += step) {
    const before = offsets[offsets.length - 1]!;
    const after = intlOffset(format, a + step);
    if (after === before) continue;
    let lo = a;
    let hi = a + step;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (intlOffset(format, mid) === before) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
    offsets.push(after);
  }
  return { changes, offsets };
}

function oracleOffset(table: OffsetTable, ms: number): number {
  let lo = 0;
  let hi = table.changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table.changes[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return table.offsets[lo]!;
}

function oracleOpen(table: OffsetTable, window: SendWindow, ms: number): boolean {
  const wall = ms + oracleOffset(table, ms);
  const ofDay = ((wall % DAY) + DAY) % DAY;
  const start = window.start * MINUTE;
  const end = window.end * MINUTE;
  return window.start < window.end ? ofDay >= start && ofDay < end : ofDay >= start || ofDay < end;
}

const tables = new Map<string, OffsetTable>(ZONES.map((z) => [z, offsetTable(z)]));

function randomWindow(rng: Rng): SendWindow {
  // Night hours (where the DST changes are) and short windows more often than their share.
  const clock = () => rng.weighted<() => number>([
    [3, () => rng.int(0, 1439)],
    [2, () => rng.int(0, 4 * 60)],
    [1, () => rng.int(0, 95) * 15],
  ])();
  const start = clock();
  let end = rng.weighted<() => number>([
    [3, () => clock()],
    [2, () => (start + rng.int(1, 90)) % 1440],
    [1, () => 1440],
  ])();
  if (end === start) end = start === 0 ? 1440 : (start + 1) % 1440;
  if (end === 0 && rng.chance(0.5)) end = 1440;
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return { start, end, text: `${hhmm(start)}-${hhmm(end)}` };
}

function randomNow(rng: Rng, table: OffsetTable): number {
  const changes = table.changes.filter((c) => c > FROM + 2 * DAY && c < TO - 2 * DAY);
  if (changes.length > 0 && rng.chance(0.6)) {
    // Near an offset change: within two days, sometimes within minutes, sometimes on the minute.
    const around = rng.pick(changes);
    const spread = rng.pick([2 * DAY, 6 * HOUR, 90 * MINUTE, 2 * MINUTE]);
    const t = around + rng.int(-spread, spread);
    return rng.chance(0.3) ? Math.floor(t / MINUTE) * MINUTE : t;
  }
  return FROM + Math.floor(rng.float() * (TO - FROM));
}

it(`nextOpening and isOpen agree with an Intl oracle (${cases} cases, seed ${seed})`, () => {
  const root = new Rng(seed);
  for (let i = 0; i < cases; i++) {
    const rng = root.fork(i);
    const zone = rng.pick(ZONES);
    const table = tables.get(zone)!;
    const window = randomWindow(rng);
    const now = randomNow(rng, table);
    const where = `case ${i} (seed ${seed}): window ${window.text} (${window.start}-${window.end}) in ${zone}, now ${new Date(now).toISOString()} (${now})`;
    try {
      const result = nextOpening(window, zone, now);
      const openNow = isOpen(window, zone, now);
      expect(openNow).toBe(oracleOpen(table, window, now));
      expect(result >= now).toBe(true);
      expect(openNow).toBe(result === now);
      expect(isOpen(window, zone, result)).toBe(true);
      let expected = now;
      if (!oracleOpen(table, window, now)) {
        expected = Math.floor(now / MINUTE) * MINUTE + MINUTE;
        while (!oracleOpen(table, window, expected)) {
          expected += MINUTE;
          if (expected > now + 10 * DAY) throw new Error('the oracle finds no opening within ten days');
        }
      }
      if (result !== expected) {
        throw new Error(`nextOpening gave ${new Date(result).toISOString()}, the oracle ${new Date(expected).toISOString()}`);
      }
      if (result > now) expect(isOpen(window, zone, result - 1)).toBe(false);
      // A few random instants in the next days: isOpen agrees with the oracle.
      for (let k = 0; k < 5; k++) {
        const t = now + rng.int(0, 3 * DAY);
        expect([t, isOpen(window, zone, t)]).toEqual([t, oracleOpen(table, window, t)]);
      }
    } catch (err) {
      throw new Error(`${where}\n${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
});
