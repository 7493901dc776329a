// The fault suite runs in CI at a small size (every scenario, all together a few minutes on 2 cores);
// WABULK_FAULTS_FULL=1 selects the full run: bigger campaigns and the 30-second Redis outage.
// Nothing is ever skipped: the default run is the same scenarios, smaller.

export const FULL = process.env.WABULK_FAULTS_FULL === '1';

const pick = <T>(ci: T, full: T): T => (FULL ? full : ci);

export const SIZES = {
  /** 1: SIGKILL one of three workers at ~30%, another at ~60%. */
  kills: { recipients: pick(900, 6000) },
  /** 2: SIGTERM all workers mid-campaign, start them again. */
  terms: { recipients: pick(600, 4000) },
  /**
   * 3: Redis killed and restarted. The importer's first chunk (1000 rows, the CLI's chunk size) is
   * queued before the outage; the rest arrives during it. The long outage exceeds BullMQ's drain
   * delay (5 s) in CI too.
   */
  redis: { recipients: pick(1500, 5000), ratePerSecond: pick(300, 400), outagesMs: [3000, pick(8000, 30_000)] },
  /** 4: WA500 storm. */
  storm: { recipients: pick(300, 2000), ratePerSecond: pick(200, 300) },
  /** 5: E110 at ~40%. */
  e110: { recipients: pick(600, 4000) },
  /**
   * 7: workers cut off from Redis (a TCP proxy holding the bytes). CI: a 3 s lock, cuts of 1 s and
   * 6 s (shorter and longer than it), all workers for 3 s. Full run: the production lock (30 s) and
   * the cuts, 10 s and 60 s, all workers for 20 s.
   */
  partition: { ratePerSecond: pick(200, 100), lockMs: pick(3000, 30_000), cutsMs: pick([1000, 6000], [10_000, 60_000]), allCutMs: pick(3000, 20_000) },
  /** 6: 80/s held across 3 worker processes (the campaign lasts recipients / 80 seconds). */
  rate: { recipients: pick(400, 2400) },
};

/** Deadlines: generous, because CI machines are slow; a deadline is a hang detector, not a speed assertion. */
export const timeout = (ms: number) => (FULL ? ms * 4 : ms);
