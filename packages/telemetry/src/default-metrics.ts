import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client gauges whose names end in `_total`: promtool's lint rejects a non-counter with that
 * suffix. Each is the sum over a labelled gauge that stays (`nodejs_active_handles{type}`, …).
 */
const LINT_FAILING = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Node's process metrics under their standard names (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, …), without a `wabulk_` prefix,
 * so the usual Node.js dashboards and alerts work; the scrape job tells the apps apart.
 */
export function registerDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING) registry.removeSingleMetric(name);
}
