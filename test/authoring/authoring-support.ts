import type { Redis } from 'ioredis';
import type { Simulator } from '@wabulk/kaleyra-sim';

/** E.164 with '+' (the simulator keeps what it was sent; the client may send digits only). */
export const plus = (to: string) => (to.startsWith('+') ? to : `+${to}`);

/** What the simulator accepted: recipient → every body it got, in order. */
export function bodiesAtSim(sim: Simulator): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of sim.messages()) {
    const to = plus(m.to);
    out.set(to, [...(out.get(to) ?? []), m.body]);
  }
  return out;
}

/**
 * Every key of a test's prefix (its own keys `<base>:…` and BullMQ's `{<base>-…}`) with its type,
 * its DUMP (the exact serialised value) and whether it has a TTL: two snapshots are equal only if
 * nothing was created, deleted or changed. Independent of DBSIZE (other tests share the server).
 */
export async function snapshotKeys(redis: Redis, base: string): Promise<Record<string, string>> {
  const keys = new Set<string>();
  for (const pattern of [`${base}*`, `{${base}*`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const k of found) keys.add(k);
    } while (cursor !== '0');
  }
  const snap: Record<string, string> = {};
  for (const key of [...keys].sort()) {
    const [type, dump, ttl] = await Promise.all([redis.type(key), redis.dumpBuffer(key), redis.pttl(key)]);
    snap[key] = `${type}:${ttl === -1 ? 'persistent' : 'expiring'}:${dump?.toString('hex') ?? 'gone'}`;
  }
  return snap;
}

const hhmm = (minutesOfDay: number) => {
  const m = ((minutesOfDay % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
const minuteOfDayUtc = (ms: number) => Math.floor(ms / 60_000) % 1440;

/** A window (read in UTC) from now+`fromH` hours to now+`toH` hours, "HH:MM-HH:MM", wrapping past midnight. */
export function utcWindow(fromH: number, toH: number, now = Date.now()): string {
  const m = minuteOfDayUtc(now);
  return `${hhmm(m + fromH * 60)}-${hhmm(m + toH * 60)}`;
}
/** Closed now and for the next two hours (a test never runs that long). */
export const closedWindow = () => utcWindow(2, 3);
/** Open now, for an hour either side. */
export const openWindow = () => utcWindow(-1, 1);
