import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INFRA } from './prometheus-tools.js';

export const DASHBOARD_FILE = path.join(INFRA, 'grafana/dashboards/wabulk.json');

interface Target {
  refId: string;
  expr?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; definition?: string; query?: unknown; datasource?: { uid?: string } }> };
}

/** One PromQL query of one panel, with the dashboard variables substituted. */
export interface PanelQuery {
  panelId: number;
  panel: string;
  refId: string;
  legend: string;
  expr: string;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Every panel's PromQL with Grafana's variables replaced as Grafana would: `$account` by the
 * "All" value (`.*`) or a chosen account, `$__rate_interval` by a window that fits the test's
 * 1-second scrapes. A `$` left over is an unknown variable and fails.
 */
export function panelQueries(d: Dashboard, vars: { account: string; rateInterval: string }): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of allPanels(d)) {
    for (const t of panel.targets ?? []) {
      if (!t.expr) continue;
      const expr = t.expr
        .replaceAll('$__rate_interval', vars.rateInterval)
        .replaceAll('${account}', vars.account)
        .replaceAll('$account', vars.account);
      if (expr.includes('$')) throw new Error(`panel "${panel.title}" ${t.refId}: unknown variable in ${t.expr}`);
      out.push({ panelId: panel.id, panel: panel.title, refId: t.refId, legend: t.legendFormat ?? '', expr });
    }
  }
  return out;
}

/** The dashboard variables' `label_values(metric, label)` as a query that has data when the variable has values. */
export function variableQueries(d: Dashboard): Array<{ name: string; expr: string }> {
  return d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(v.definition ?? '');
      if (!m) throw new Error(`variable ${v.name}: expected label_values(metric, label), got ${v.definition}`);
      return { name: v.name, expr: `count by (${m[2]}) (${m[1]})` };
    });
}
