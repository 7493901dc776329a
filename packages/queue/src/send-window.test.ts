import { assertZone, isOpen, nextOpening, parseWindow, WindowError, zoneOf, type SendWindow } from './send-window.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function windowError(fn: () => unknown): WindowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WindowError) return err;
    throw err;
  }
  throw new Error('expected a WindowError');
}

describe('parseWindow', () => {
  it.each([
    ['09:00-21:00', 540, 1260, '09:00-21:00'],
    ['9:00-21:00', 540, 1260, '09:00-21:00'],
    [' 9:05 - 17:30 ', 545, 1050, '09:05-17:30'],
    ['21:00-06:00', 1260, 360, '21:00-06:00'],
    ['00:00-24:00', 0, 1440, '00:00-24:00'],
    ['18:00-24:00', 1080, 1440, '18:00-24:00'],
    ['23:59-00:00', 1439, 0, '23:59-00:00'],
  ])('%j', (text, start, end, canonical) => {
    expect(parseWindow(text)).toEqual({ start, end, text: canonical });
  });

  it.each([
    ['9am-5pm', 'window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got "9am-5pm"'],
    ['', 'window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got ""'],
    ['09:00', 'window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got "09:00"'],
    ['9:0-21:00', 'window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got "9:0-21:00"'],
    ['09:00-21:00:00', 'window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got "09:00-21:00:00"'],
    ['25:00-26:00', 'window: hours must be 00-23 (24:00 only as the end), got "25:00-26:00"'],
    ['09:00-24:01', 'window: hours must be 00-23 (24:00 only as the end), got "09:00-24:01"'],
    ['09:60-10:00', 'window: minutes must be 00-59, got "09:60-10:00"'],
    ['24:00-06:00', 'window: 24:00 is allowed only as the end, got "24:00-06:00"'],
    ['09:00-09:00', 'window: start and end must differ (use 00:00-24:00 for always open), got "09:00-09:00"'],
    ['00:00-00:00', 'window: start and end must differ (use 00:00-24:00 for always open), got "00:00-00:00"'],
  ])('refuses %j', (text, message) => {
    const err = windowError(() => parseWindow(text));
    expect(err.field).toBe('window');
    expect(err.message).toBe(message);
  });
});

describe('assertZone', () => {
  it('accepts IANA names: as written, in the canonical case when it is the canonical name', () => {
    expect(assertZone('America/New_York')).toBe('America/New_York');
    expect(assertZone('UTC')).toBe('UTC');
    // As written: Node's ICU calls Kolkata by its old name, an operator should see the one they gave.
    expect(assertZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(assertZone('america/new_york')).toBe('America/New_York');
    expect(['asia/kolkata', 'Asia/Calcutta']).toContain(assertZone('asia/kolkata'));
    expect(assertZone('Australia/Lord_Howe')).toBe('Australia/Lord_Howe');
  });

  it.each(['Mars/Olympus_Mons', '', 'New York', '+05:30'])('refuses %j', (zone) => {
    const err = windowError(() => assertZone(zone));
    expect(err.field).toBe('tz');
    expect(err.message).toBe(`tz: unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Asia/Kolkata`);
  });
});

describe('zoneOf', () => {
  it.each([
    ['+12125550123', ['America/New_York']],
    ['+16505550123', ['America/Los_Angeles']],
    ['+919812345678', ['Asia/Calcutta', 'Asia/Kolkata']],
    ['+74951234567', ['Europe/Moscow']],
    ['+442071234567', ['Europe/London']],
    ['+14165550123', ['America/Toronto']],
    ['+5511987654321', ['America/Sao_Paulo']],
    ['+61255550123', ['Australia/Sydney']],
    ['+81312345678', ['Asia/Tokyo']],
    // Several zones: the country's main one when among them (KZ → Almaty)…
    ['+77012345678', ['Asia/Almaty']],
    // …else the first listed (South Dakota: Denver & North_Dakota/Center, New_York not among them).
    ['+16055550123', ['America/Denver']],
    // +1 with an area code the dataset does not list: the '1' entry has every NANP zone → the US main zone.
    ['+17495123456', ['America/New_York']],
    ['+15995550123', ['America/New_York']],
  ])('%s', (number, expected) => {
    expect(expected).toContain(zoneOf(number));
    expect(expected).toContain(zoneOf(number)); // memoised: same answer
  });

  it('takes the digits with or without +', () => {
    expect(zoneOf('12125550123')).toBe('America/New_York');
  });

  it('no dataset entry, no country: UTC', () => {
    expect(zoneOf('+99912345678')).toBe('UTC');
  });

  it('a forced zone wins (and is checked)', () => {
    expect(zoneOf('+12125550123', 'Europe/London')).toBe('Europe/London');
    expect(zoneOf('+12125550123', '')).toBe('America/New_York');
    expect(windowError(() => zoneOf('+12125550123', 'Nowhere/Land')).field).toBe('tz');
  });
});

/** Expects the window to open first at `opens` after `now` (and to be closed from now until then). */
function expectOpening(window: SendWindow, zone: string, now: string, opens: string) {
  expect(isOpen(window, zone, at(now))).toBe(now === opens);
  expect(iso(nextOpening(window, zone, at(now)))).toBe(new Date(opens).toISOString());
  expect(isOpen(window, zone, at(opens))).toBe(true);
  if (now !== opens) expect(isOpen(window, zone, at(opens) - 1)).toBe(false);
}

describe('isOpen / nextOpening', () => {
  const day = parseWindow('09:00-21:00');
  const night = parseWindow('21:00-06:00');

  it('a daytime window in New York (winter, UTC-5)', () => {
    expectOpening(day, 'America/New_York', '2026-01-15T12:00:00Z', '2026-01-15T14:00:00Z');
    expectOpening(day, 'America/New_York', '2026-01-15T15:00:00Z', '2026-01-15T15:00:00Z');
    // 21:00 is the end, excluded: closed from 02:00Z, opens the next morning.
    expect(isOpen(day, 'America/New_York', at('2026-01-16T01:59:59.999Z'))).toBe(true);
    expectOpening(day, 'America/New_York', '2026-01-16T02:00:00Z', '2026-01-16T14:00:00Z');
  });

  it('a window crossing midnight (Asia/Kolkata, UTC+5:30, no DST)', () => {
    expectOpening(night, 'Asia/Kolkata', '2026-06-01T10:00:00Z', '2026-06-01T15:30:00Z');
    expect(isOpen(night, 'Asia/Kolkata', at('2026-06-01T22:00:00Z'))).toBe(true); // 03:30 local
    expect(isOpen(night, 'Asia/Kolkata', at('2026-06-02T00:29:59.999Z'))).toBe(true); // 05:59:59.999
    expectOpening(night, 'Asia/Kolkata', '2026-06-02T00:30:00Z', '2026-06-02T15:30:00Z'); // 06:00 local
  });

  it('24:00 as the end', () => {
    const evening = parseWindow('18:00-24:00');
    expect(isOpen(evening, 'Asia/Kolkata', at('2026-06-01T18:29:59.999Z'))).toBe(true);
    expectOpening(evening, 'Asia/Kolkata', '2026-06-01T18:30:00Z', '2026-06-02T12:30:00Z');
  });

  it('New York spring forward (2026-03-08, 02:00 EST → 03:00 EDT at 07:00Z)', () => {
    // A start inside the gap opens when the gap ends.
    expectOpening(parseWindow('02:30-04:00'), 'America/New_York', '2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z');
    // A window wholly inside the gap does not open that day.
    expectOpening(parseWindow('02:00-02:30'), 'America/New_York', '2026-03-08T06:00:00Z', '2026-03-09T06:00:00Z');
    // The day after: 09:00 EDT.
    expectOpening(day, 'America/New_York', '2026-03-09T05:00:00Z', '2026-03-09T13:00:00Z');
  });

  it('New York fall back (2026-11-01, 02:00 EDT → 01:00 EST at 06:00Z): open during both 01:xx', () => {
    const w = parseWindow('01:00-01:30');
    expectOpening(w, 'America/New_York', '2026-11-01T04:00:00Z', '2026-11-01T05:00:00Z');
    expectOpening(w, 'America/New_York', '2026-11-01T05:30:00Z', '2026-11-01T06:00:00Z');
    expect(isOpen(w, 'America/New_York', at('2026-11-01T06:29:00Z'))).toBe(true);
    expectOpening(w, 'America/New_York', '2026-11-01T06:30:00Z', '2026-11-02T06:00:00Z');
  });

  it('London spring forward (2026-03-29, 01:00 GMT → 02:00 BST at 01:00Z)', () => {
    expectOpening(parseWindow('01:30-03:00'), 'Europe/London', '2026-03-29T00:30:00Z', '2026-03-29T01:00:00Z');
    expectOpening(parseWindow('01:15-01:45'), 'Europe/London', '2026-03-29T00:30:00Z', '2026-03-30T00:15:00Z');
    expectOpening(night, 'Europe/London', '2026-03-29T12:00:00Z', '2026-03-29T20:00:00Z');
  });

  it('London fall back (2026-10-25, 02:00 BST → 01:00 GMT at 01:00Z)', () => {
    const w = parseWindow('01:10-01:20');
    expectOpening(w, 'Europe/London', '2026-10-25T00:00:00Z', '2026-10-25T00:10:00Z');
    expectOpening(w, 'Europe/London', '2026-10-25T00:20:00Z', '2026-10-25T01:10:00Z');
  });

  it('Lord Howe: a 30-minute DST shift', () => {
    // 2026-04-05 02:00 (+11) → 01:30 (+10:30) at 15:00Z on the 4th: 01:40 shows twice.
    const w = parseWindow('01:40-01:50');
    expectOpening(w, 'Australia/Lord_Howe', '2026-04-04T14:00:00Z', '2026-04-04T14:40:00Z');
    expectOpening(w, 'Australia/Lord_Howe', '2026-04-04T14:55:00Z', '2026-04-04T15:10:00Z');
    const late = parseWindow('01:45-03:00');
    expect(isOpen(late, 'Australia/Lord_Howe', at('2026-04-04T14:59:59.999Z'))).toBe(true); // 01:59:59.999 (+11)
    expectOpening(late, 'Australia/Lord_Howe', '2026-04-04T15:00:00Z', '2026-04-04T15:15:00Z'); // back to 01:30, 01:45 again
    // 2026-10-04 02:00 (+10:30) → 02:30 (+11) at 15:30Z on the 3rd: 02:10-02:20 never shows.
    expectOpening(parseWindow('02:10-02:20'), 'Australia/Lord_Howe', '2026-10-03T15:00:00Z', '2026-10-04T15:10:00Z');
    expectOpening(parseWindow('02:10-02:40'), 'Australia/Lord_Howe', '2026-10-03T15:00:00Z', '2026-10-03T15:30:00Z');
  });

  it('Santiago: the spring-forward gap is at midnight (2026-09-06 00:00 -04 → 01:00 -03 at 04:00Z)', () => {
    expectOpening(parseWindow('00:00-06:00'), 'America/Santiago', '2026-09-05T20:00:00Z', '2026-09-06T04:00:00Z');
    const evening = parseWindow('23:00-00:30');
    expect(isOpen(evening, 'America/Santiago', at('2026-09-06T03:59:59.999Z'))).toBe(true);
    expectOpening(evening, 'America/Santiago', '2026-09-06T04:00:00Z', '2026-09-07T02:00:00Z');
  });

  it('Apia (UTC+13, no DST) and UTC', () => {
    expectOpening(day, 'Pacific/Apia', '2026-07-01T00:00:00Z', '2026-07-01T00:00:00Z');
    expectOpening(day, 'Pacific/Apia', '2026-07-01T08:00:00Z', '2026-07-01T20:00:00Z');
    expectOpening(day, 'UTC', '2026-07-01T08:00:00Z', '2026-07-01T09:00:00Z');
  });

  it('refuses an unknown zone', () => {
    expect(windowError(() => isOpen(day, 'Nowhere/Land', 0)).field).toBe('tz');
    expect(windowError(() => nextOpening(day, 'Nowhere/Land', 0)).field).toBe('tz');
  });
});
