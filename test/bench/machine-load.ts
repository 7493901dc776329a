// How busy the whole machine was while a phase ran, so that load from other processes (other
// people's tests on a shared 2-core box) shows up next to the figures instead of hiding in them.
import { readFileSync } from 'node:fs';

/** CPU seconds all cores have spent busy since boot (Linux /proc/stat, USER_HZ = 100), else NaN. */
export function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}

/** Starts a measurement; the returned function gives busy CPU-ms of the whole machine since. */
export function machineBusyMeter(): () => number {
  const t0 = machineBusySeconds();
  return () => (machineBusySeconds() - t0) * 1000;
}
