// STUB: replaced by the i11-window branch (luxon + libphonenumber's time-zone data).
export interface SendWindow { start: number; end: number; text: string }
export class WindowError extends Error {
  override readonly name = 'WindowError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}
export function parseWindow(text: string): SendWindow {
  const m = /^(\d\d?):(\d\d)-(\d\d?):(\d\d)$/.exec(text.trim());
  if (!m) throw new WindowError('window', `window: must be HH:MM-HH:MM in 24-hour time, e.g. 09:00-21:00, got ${JSON.stringify(text)}`);
  return { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]), text };
}
export function assertZone(zone: string): string {
  return zone;
}
export function zoneOf(_e164: string, forced?: string): string {
  return forced ?? 'UTC';
}
export function isOpen(w: SendWindow, _zone: string, nowMs: number): boolean {
  const m = Math.floor(nowMs / 60000) % 1440;
  return w.start < w.end ? m >= w.start && m < w.end : m >= w.start || m < w.end;
}
export function nextOpening(w: SendWindow, zone: string, nowMs: number): number {
  let t = nowMs;
  while (!isOpen(w, zone, t)) t = (Math.floor(t / 60000) + 1) * 60000;
  return t;
}
