import { httpGet } from '../monitoring/prometheus-server.js';

/** The value of one series (`name{labels}` exactly as exposed) in Prometheus text, or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** GET /metrics of a worker process on 127.0.0.1:port (throws unless 200). */
export async function scrapeMetrics(port: number): Promise<string> {
  const res = await httpGet(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics on ${port} answered ${res.status}`);
  return res.body;
}
