/**
 * The queries of the Grafana dashboards in grafana/, as Grafana would send
 * them: every panel target and the device variable, with Grafana's template variables
 * replaced ($timeFilter, $__interval, $__rate_interval, $__range, $device = All), so
 * tests can run them against a real influxd and a real Prometheus.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './node-red-process';

export const GRAFANA_DIR = path.join(ROOT, 'grafana');

export interface DashboardQuery {
  /** `panel title / refId`, or `variable device`. */
  where: string;
  kind: 'influxdb' | 'prometheus';
  query: string;
  /** A Prometheus instant query (Grafana tables); range otherwise. */
  instant: boolean;
  variable: boolean;
}

/** Every query of one dashboard file. */
export function dashboardQueries(file: string): DashboardQuery[] {
  const d = JSON.parse(fs.readFileSync(path.join(GRAFANA_DIR, file), 'utf8'));
  const out: DashboardQuery[] = [];
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    out.push({ where: `variable ${v.name}`, kind: v.datasource.type, query: v.query, instant: true, variable: true });
  }
  for (const p of d.panels ?? []) {
    for (const t of p.targets ?? []) {
      const kind = (t.datasource ?? p.datasource)?.type;
      out.push({ where: `${p.title} / ${t.refId}`, kind, query: kind === 'influxdb' ? t.query : t.expr, instant: t.instant === true, variable: false });
    }
  }
  return out;
}

/** An InfluxQL panel query over the last `rangeS` seconds, all devices, `intervalS` buckets. */
export function influxQL(query: string, rangeS: number, intervalS: number): string {
  return query
    .replace(/\$timeFilter/g, `time > now() - ${rangeS}s`)
    .replace(/\$__interval/g, `${intervalS}s`)
    .replace(/\$device/g, '.*');
}

/** A PromQL panel query for all devices, with Grafana's rate interval and range. */
export function promQL(query: string, rateIntervalS: number, rangeS: number): string {
  return query
    .replace(/\$__rate_interval/g, `${rateIntervalS}s`)
    .replace(/\$__range/g, `${rangeS}s`)
    .replace(/\$device/g, '.*');
}

/** Grafana's `label_values(metric, label)` as the Prometheus API call it makes. */
export function labelValuesCall(query: string): { label: string; match: string } | undefined {
  const m = /^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query.trim());
  return m ? { match: m[1], label: m[2] } : undefined;
}
