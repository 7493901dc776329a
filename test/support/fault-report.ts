import { appendFileSync } from 'node:fs';
import type { Simulator } from '@wabulk/kaleyra-sim';
import { failedTotal, type Classification } from './fault-ground-truth.js';

/** The figures each fault scenario reports (never asserted as speeds: for the reader and the closing note). */
export interface ScenarioFigures {
  scenario: string;
  recipients: number;
  sentOnce: number;
  duplicated: number;
  lost: number;
  failed: number;
  failedByCode: Record<string, number>;
  cancelled: number;
  misrecorded: number;
  requests: number;
  rejectedByCode: Record<string, number>;
  maxPerSecond: number;
  wallMs: number;
  [extra: string]: unknown;
}

export function figures(scenario: string, c: Classification, sim: Simulator, startedAt: number, extra: Record<string, unknown> = {}): ScenarioFigures {
  const stats = sim.stats();
  return {
    scenario,
    recipients: c.recipients,
    sentOnce: c.sentOnce,
    duplicated: c.duplicated.size,
    lost: c.lost.length,
    failed: failedTotal(c),
    failedByCode: Object.fromEntries([...c.failed].map(([code, l]) => [code, l.length])),
    cancelled: c.cancelled.length + c.cancelledButAccepted.length,
    misrecorded: c.misrecorded.length,
    requests: stats.requests,
    rejectedByCode: stats.rejected.byCode,
    maxPerSecond: stats.maxPerSecond,
    wallMs: Date.now() - startedAt,
    ...extra,
  };
}

/**
 * Prints the figures (one JSON line, so CI logs can be grepped) and, when WABULK_FAULTS_REPORT names
 * a file, appends them there too.
 */
export function report(f: ScenarioFigures): void {
  const line = JSON.stringify(f);
  console.log(`fault figures ${line}`);
  const file = process.env.WABULK_FAULTS_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}
