import { Counter, Histogram, type Registry } from 'prom-client';

/** The API's own metrics (the shared ones come from @wabulk/telemetry's createMetrics). Labels are bounded. */
export function createApiMetrics(registry: Registry) {
  const registers = [registry];
  return {
    callbacks: new Counter({
      name: 'wabulk_callbacks_total',
      help: 'Kaleyra delivery callbacks, by status (sent, delivered, read, failed, not-sent, other) and outcome (applied, unchanged, unknown, ignored)',
      labelNames: ['status', 'outcome'] as const,
      registers,
    }),
    requests: new Histogram({
      name: 'wabulk_api_request_duration_seconds',
      help: 'HTTP API requests, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
