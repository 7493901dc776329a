#!/usr/bin/env node
// Draws the wabulk dashboard's data as one SVG, from the report the live test writes:
//   WABULK_MONITORING_REPORT=/tmp/wabulk-monitoring.json npx jest -c test/jest.config.mjs test/monitoring/live-prometheus.test.ts
//   node test/monitoring/render-panels.mjs /tmp/wabulk-monitoring.json docs/img/dashboard.svg
//   rsvg-convert -o docs/img/dashboard.png docs/img/dashboard.svg
// Stats are the instant values while the account was paused; charts are range queries (1 s step,
// $__rate_interval = 5s) over the whole run. Plain Node, no dependencies.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: node test/monitoring/render-panels.mjs <report.json> <out.svg>\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(input, 'utf8'));

const W = 1200;
const COLORS = ['#73bf69', '#f2cc0c', '#f2495c', '#5794f2', '#b877d9', '#ff9830', '#8ab8ff', '#96d98d'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v, unit) => {
  if (!Number.isFinite(v)) return '–';
  if (unit === 'percent') return `${(v * 100).toFixed(1)}%`;
  if (unit === 's') return v >= 1 ? `${v.toFixed(2)} s` : `${Math.round(v * 1000)} ms`;
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2);
};
const legendOf = (format, metric) => (format && format !== '__auto' ? format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '') : JSON.stringify(metric));

const out = [];
out.push(`<text x="20" y="32" class="h1">wabulk — dashboard panels evaluated against a real worker (test/monitoring/live-prometheus.test.ts)</text>`);
out.push(`<text x="20" y="50" class="sub">Campaign of 900 recipients: 60 slow WA400 answers, then 10% WA500 (retried), E110 after 500 accepted (account paused), top-up + resume, worker stopped.</text>`);
out.push(`<text x="20" y="64" class="sub">Alerts that fired (rules of infra/prometheus/alerts.yml, for: 0s): ${esc(report.firedEver.join(', '))}</text>`);

// Stat row: instant values at the moment of the pause.
const STATS = [['Workers up', 'short'], ['Paused accounts', 'short'], ['Sent / s', 'short'], ['Failure ratio (5m)', 'percent'], ['Backlog', 'short'], ['Send p95 (5m)', 's']];
STATS.forEach(([title, unit], i) => {
  const panel = report.panels.find((p) => p.panel === title);
  const value = panel ? Number(/ (\S+)$/.exec(panel.result)?.[1]) : NaN;
  const x = 20 + i * 195;
  const bad = (title === 'Paused accounts' && value >= 1) || (title === 'Failure ratio (5m)' && value >= 0.05) || (title === 'Send p95 (5m)' && value >= 2);
  out.push(`<rect x="${x}" y="74" width="185" height="70" rx="4" fill="${bad ? '#c4162a' : '#1a7f37'}"/>`);
  out.push(`<text x="${x + 10}" y="94" class="stat-t">${esc(title)}</text><text x="${x + 92}" y="130" class="stat-v" text-anchor="middle">${esc(fmt(value, unit))}</text>`);
});

// Charts: 2 columns × 3 rows.
const CHARTS = [['Messages per second', 'short'], ['Failures and retries by Kaleyra code', 'short'], ['Send latency quantiles', 's'], ['Queue depth by state', 'short'], ['Account paused', 'short'], ['Workers', 'short']];
// The time axis starts at Prometheus' first sample (the stack starts before Prometheus does).
const times = report.ranges.filter((q) => CHARTS.some(([title]) => title === q.panel)).flatMap((q) => q.data.flatMap((d) => d.values.map(([t]) => t)));
const t0 = Math.min(...times);
const t1 = Math.max(...times);
CHARTS.forEach(([title, unit], i) => {
  const x0 = 20 + (i % 2) * 590;
  const y0 = 160 + Math.floor(i / 2) * 250;
  const cw = 570;
  const series = report.ranges.filter((q) => q.panel === title).flatMap((q) => q.data.map((d) => ({ name: legendOf(q.legend, d.metric), points: d.values.map(([t, v]) => [t, Number(v)]).filter(([, v]) => Number.isFinite(v)) })));
  const visible = series.filter((s) => s.points.some(([, v]) => v !== 0)).slice(0, 8);
  const max = Math.max(1e-9, ...visible.flatMap((s) => s.points.map(([, v]) => v)));
  const px = (t) => x0 + 50 + ((t - t0) / (t1 - t0)) * (cw - 70);
  const py = (v) => y0 + 200 - (v / max) * 150;
  out.push(`<rect x="${x0}" y="${y0}" width="${cw}" height="235" rx="4" class="panel"/><text x="${x0 + 10}" y="${y0 + 20}" class="title">${esc(title)}</text>`);
  out.push(`<line x1="${x0 + 50}" y1="${y0 + 200}" x2="${x0 + cw - 20}" y2="${y0 + 200}" class="axis"/><line x1="${x0 + 50}" y1="${y0 + 50}" x2="${x0 + cw - 20}" y2="${y0 + 50}" class="grid"/>`);
  out.push(`<text x="${x0 + 45}" y="${y0 + 54}" class="tick" text-anchor="end">${esc(fmt(max, unit))}</text><text x="${x0 + 45}" y="${y0 + 204}" class="tick" text-anchor="end">0</text>`);
  for (let s = 0; s <= t1 - t0; s += 5) out.push(`<text x="${px(t0 + s)}" y="${y0 + 215}" class="tick" text-anchor="middle">${s}s</text>`);
  visible.forEach((s, j) => {
    const color = COLORS[j % COLORS.length];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${s.points.map(([t, v]) => `${px(t).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
    const lx = x0 + 60 + (j % 3) * 170;
    const ly = y0 + 34 + Math.floor(j / 3) * 12;
    out.push(`<rect x="${lx}" y="${ly - 7}" width="8" height="8" fill="${color}"/><text x="${lx + 12}" y="${ly}" class="legend">${esc(s.name.slice(0, 28))}</text>`);
  });
  if (visible.length === 0) out.push(`<text x="${x0 + cw / 2}" y="${y0 + 130}" class="tick" text-anchor="middle">all series 0</text>`);
});

const H = 160 + 3 * 250;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<style>text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;fill:#d8d9da}.h1{font-size:17px;font-weight:bold}.sub{font-size:11.5px;fill:#9fa7b3}
.title{font-size:13px;font-weight:bold}.tick{font-size:10px;fill:#9fa7b3}.legend{font-size:10.5px}.stat-t{font-size:12px;fill:#fff}.stat-v{font-size:26px;font-weight:bold;fill:#fff}
.panel{fill:#181b1f;stroke:#2c3235}.axis{stroke:#464c54}.grid{stroke:#2c3235;stroke-dasharray:3 3}</style>
<rect width="100%" height="100%" fill="#111217"/>
${out.join('\n')}
</svg>
`;
writeFileSync(output, svg);
process.stdout.write(`wrote ${output} (${CHARTS.length} charts, ${STATS.length} stats)\n`);
