/**
 * The Grafana dashboards of grafana/, built with Grafana's typed foundation SDK instead
 * of written as JSON: one for the InfluxDB points of example 01 (and the
 * trap events of example 02), one for the Prometheus series of example 05 (snmp-metrics
 * with the pack's health). Each has a data-source variable and a device variable, and
 * the panels the issue names: traffic per device and interface, utilisation, errors,
 * devices down, firing alerts, trap rate.
 *
 *     npm run dashboards        (writes grafana/*.json)
 *
 * They live in grafana/, not examples/grafana/: Node-RED lists every folder and JSON
 * file under examples/ in Import → Examples, and a dashboard is not a flow.
 *
 * test/unit/scripts/dashboards.test.ts checks the files are what this code builds;
 * test/integration/examples-e2e.test.ts runs every query against a real influxd and a
 * real Prometheus fed by the examples.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, VariableRefresh, VariableSort, type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** A raw InfluxQL query of Grafana's InfluxDB data source (the SDK has no builder for it). */
export interface InfluxQuery {
  refId?: string;
  hide?: boolean;
  datasource?: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxQuery;

  constructor(query: string) {
    this.internal = { query, rawQuery: true, resultFormat: 'time_series', _implementsDataqueryVariant() {} };
  }

  build(): InfluxQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  datasource(ref: common.DataSourceRef): this {
    this.internal.datasource = ref;
    return this;
  }
}

const INFLUX: common.DataSourceRef = { type: 'influxdb', uid: '${datasource}' };
const PROM: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** The data-source picker every panel uses through `${datasource}`. */
function datasourceVariable(type: 'influxdb' | 'prometheus'): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Data source').type(type);
}

/** The device picker: several devices or all of them. */
function deviceVariable(ds: common.DataSourceRef, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder('device')
    .label('Device')
    .datasource(ds)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

function timeseries(title: string, description: string, unit: string, ds: common.DataSourceRef): TimeseriesBuilder {
  return new TimeseriesBuilder().title(title).description(description).unit(unit).datasource(ds).height(8).span(12)
    .fillOpacity(10).showPoints(common.VisibilityMode.Never).legend(new common.VizLegendOptionsBuilder()
      .displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).showLegend(true).calcs(['lastNotNull', 'max']));
}

function stat(title: string, description: string, ds: common.DataSourceRef): StatBuilder {
  return new StatBuilder().title(title).description(description).datasource(ds).height(4).span(6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .graphMode(common.BigValueGraphMode.Area).colorMode(common.BigValueColorMode.Background);
}

/** Example 01's InfluxDB points: snmp_interface, snmp_system; example 02's snmp_trap. */
export function influxDashboard(): Dashboard {
  const device = `"device" =~ /^$device$/`;
  const q = (query: string, refId: string, alias?: string) => {
    const b = new InfluxQueryBuilder(query).refId(refId).datasource(INFLUX);
    return alias ? b.alias(alias) : b;
  };
  return new DashboardBuilder('SNMP fleet (InfluxDB)')
    .uid('snmp-fleet-influxdb')
    .description('The fleet poller of @snmp-fleet/node-red-snmp-fleet example 01 (and the trap receiver of example 02), from InfluxDB 1.x database snmp_fleet.')
    .tags(['snmp', 'snmp-fleet', 'node-red', 'influxdb'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable('influxdb'))
    .withVariable(deviceVariable(INFLUX, 'SHOW TAG VALUES FROM "snmp_system" WITH KEY = "device"'))
    .withRow(new RowBuilder('Fleet'))
    .withPanel(stat('Devices down now', 'Devices whose last poll failed (up = 0 in snmp_system).', INFLUX).unit('none').noValue('0')
      .thresholds(thresholds([['green', null], ['red', 1]]))
      .withTarget(q(`SELECT sum("down") FROM (SELECT 1 - last("up") AS "down" FROM "snmp_system" WHERE ${device} AND $timeFilter GROUP BY "device")`, 'A')))
    .withPanel(stat('Busiest interface', 'The highest utilisation of any interface in its last poll; orange above 80 %, the HighUtilization threshold of example 01.', INFLUX).unit('percent')
      .thresholds(thresholds([['green', null], ['orange', 80]]))
      .withTarget(q(`SELECT max("last") FROM (SELECT last("utilization") FROM "snmp_interface" WHERE ${device} AND $timeFilter GROUP BY "device", "ifName")`, 'A')))
    .withPanel(stat('Traps received', 'SNMP traps received in the time range (example 02 writes each as a point of snmp_trap).', INFLUX).unit('none').noValue('0')
      .withTarget(q('SELECT sum("count") FROM "snmp_trap" WHERE $timeFilter', 'A')))
    .withPanel(stat('Slowest poll', 'The longest device poll in the range (poll_ms of snmp_system).', INFLUX).unit('ms')
      .withTarget(q(`SELECT max("poll_ms") FROM "snmp_system" WHERE ${device} AND $timeFilter`, 'A')))
    .withRow(new RowBuilder('Traffic'))
    .withPanel(timeseries('Traffic in per interface', 'Inbound bits per second (counter-rate × 8) per device and interface.', 'bps', INFLUX)
      .withTarget(q(`SELECT mean("in_bps") FROM "snmp_interface" WHERE ${device} AND $timeFilter GROUP BY time($__interval), "device", "ifName" fill(null)`, 'A', '$tag_device $tag_ifName')))
    .withPanel(timeseries('Traffic out per interface', 'Outbound bits per second per device and interface.', 'bps', INFLUX)
      .withTarget(q(`SELECT mean("out_bps") FROM "snmp_interface" WHERE ${device} AND $timeFilter GROUP BY time($__interval), "device", "ifName" fill(null)`, 'A', '$tag_device $tag_ifName')))
    .withPanel(timeseries('Utilisation', 'The busier direction in percent of ifHighSpeed, per interface.', 'percent', INFLUX).max(100)
      .withTarget(q(`SELECT max("utilization") FROM "snmp_interface" WHERE ${device} AND $timeFilter GROUP BY time($__interval), "device", "ifName" fill(null)`, 'A', '$tag_device $tag_ifName')))
    .withPanel(timeseries('Traffic per device', 'Inbound and outbound bits per second, all interfaces of a device together.', 'bps', INFLUX)
      .withTarget(q(`SELECT sum("in") AS "in", sum("out") AS "out" FROM (SELECT mean("in_bps") AS "in", mean("out_bps") AS "out" FROM "snmp_interface" WHERE ${device} AND $timeFilter GROUP BY time($__interval), "device", "ifName") GROUP BY time($__interval), "device"`, 'A', '$tag_device $col')))
    .withRow(new RowBuilder('Errors and alerts'))
    .withPanel(timeseries('Devices up', 'Whether each device answered its polls (1) or not (0): the DeviceUnreachable condition.', 'none', INFLUX).min(0).max(1)
      .withTarget(q(`SELECT min("up") FROM "snmp_system" WHERE ${device} AND $timeFilter GROUP BY time($__interval), "device" fill(null)`, 'A', '$tag_device')))
    .withPanel(timeseries('Poll errors', 'Polls that failed per device (timeouts, wrong community, bad responses): example 01 records the answer or its absence, not interface error counters.', 'none', INFLUX)
      .withTarget(q(`SELECT count("up") FROM "snmp_system" WHERE "up" = 0 AND ${device} AND $timeFilter GROUP BY time($__interval), "device" fill(0)`, 'A', '$tag_device')))
    .withPanel(new TableBuilder().title('Alert conditions').description('Interfaces above the HighUtilization threshold (80 %) or down (ifOperStatus 2) in the range, the conditions example 01 alerts on; the notifications themselves go to Slack and PagerDuty.').datasource(INFLUX).height(8).span(12)
      .withTarget(q(`SELECT max("utilization") AS "utilization %", max("oper_status") AS "ifOperStatus" FROM "snmp_interface" WHERE ("utilization" > 80 OR "oper_status" = 2) AND ${device} AND $timeFilter GROUP BY "device", "ifName"`, 'A').table()))
    .withPanel(timeseries('Trap rate', 'Traps per interval by trap name (example 02).', 'none', INFLUX)
      .withTarget(q('SELECT sum("count") FROM "snmp_trap" WHERE $timeFilter GROUP BY time($__interval), "trap" fill(0)', 'A', '$tag_trap')))
    .build();
}

/** Example 05's Prometheus series: snmp-metrics data and the pack's health. */
export function prometheusDashboard(): Dashboard {
  const d = 'device=~"$device"';
  const q = (expr: string, refId: string, legend?: string) => {
    const b = new PromQueryBuilder().expr(expr).refId(refId).datasource(PROM);
    return legend ? b.legendFormat(legend) : b;
  };
  return new DashboardBuilder('SNMP fleet (Prometheus)')
    .uid('snmp-fleet-prometheus')
    .description('The fleet served by snmp-metrics in @snmp-fleet/node-red-snmp-fleet example 05, with the pack\'s own health, scraped by Prometheus.')
    .tags(['snmp', 'snmp-fleet', 'node-red', 'prometheus'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable('prometheus'))
    .withVariable(deviceVariable(PROM, 'label_values(snmp_fleet_device_up, device)'))
    .withRow(new RowBuilder('Fleet'))
    .withPanel(stat('Devices down now', 'Devices whose last poll failed (snmp_fleet_device_up == 0, any poll node).', PROM).unit('none')
      .thresholds(thresholds([['green', null], ['red', 1]]))
      .withTarget(q(`count(min by (device) (snmp_fleet_device_up{${d}}) == 0) or vector(0)`, 'A')))
    .withPanel(stat('Alerts firing', 'Alerts of the threshold-alert nodes of this Node-RED firing now.', PROM).unit('none')
      .thresholds(thresholds([['green', null], ['red', 1]]))
      .withTarget(q('sum(snmp_fleet_alerts_firing) or vector(0)', 'A')))
    .withPanel(stat('Traps per second', 'Datagrams received by the trap-in listeners of this Node-RED (example 02).', PROM).unit('none')
      .withTarget(q('sum(rate(snmp_fleet_trap_received_total[$__rate_interval])) or vector(0)', 'A')))
    .withPanel(stat('Series served', 'Series held by the snmp-metrics nodes, and what their cap dropped.', PROM).unit('none')
      .withTarget(q('sum(snmp_fleet_metrics_series)', 'A', 'series'))
      .withTarget(q('sum(snmp_fleet_metrics_dropped_total)', 'B', 'dropped')))
    .withRow(new RowBuilder('Traffic'))
    .withPanel(timeseries('Traffic in per interface', 'rate() of the raw ifHCInOctets counter, in bits per second: PromQL handles counter wraps and reboots.', 'bps', PROM)
      .withTarget(q(`8 * rate(snmp_ifHCInOctets_total{${d}}[$__rate_interval])`, 'A', '{{device}} {{ifName}}')))
    .withPanel(timeseries('Traffic out per interface', 'rate() of ifHCOutOctets in bits per second.', 'bps', PROM)
      .withTarget(q(`8 * rate(snmp_ifHCOutOctets_total{${d}}[$__rate_interval])`, 'A', '{{device}} {{ifName}}')))
    .withPanel(timeseries('Utilisation', 'The busier direction in percent of ifHighSpeed (Mbit/s), per interface.', 'percent', PROM).max(100)
      // both counters and the speed of a row carry the same labels, so they divide one to one
      .withTarget(q(`100 * 8 * (rate(snmp_ifHCInOctets_total{${d}}[$__rate_interval]) > rate(snmp_ifHCOutOctets_total{${d}}[$__rate_interval]) or rate(snmp_ifHCOutOctets_total{${d}}[$__rate_interval])) / (1e6 * (snmp_ifHighSpeed{${d}} > 0))`, 'A', '{{device}} {{ifName}}')))
    .withPanel(timeseries('Traffic per device', 'All interfaces of a device together, bits per second.', 'bps', PROM)
      .withTarget(q(`8 * sum by (device) (rate(snmp_ifHCInOctets_total{${d}}[$__rate_interval]))`, 'A', '{{device}} in'))
      .withTarget(q(`8 * sum by (device) (rate(snmp_ifHCOutOctets_total{${d}}[$__rate_interval]))`, 'B', '{{device}} out')))
    .withRow(new RowBuilder('Errors and alerts'))
    .withPanel(timeseries('Interface errors', 'ifInErrors and ifOutErrors per second, per interface.', 'pps', PROM)
      .withTarget(q(`rate(snmp_ifInErrors_total{${d}}[$__rate_interval])`, 'A', '{{device}} {{ifName}} in'))
      .withTarget(q(`rate(snmp_ifOutErrors_total{${d}}[$__rate_interval])`, 'B', '{{device}} {{ifName}} out')))
    .withPanel(timeseries('Devices up', 'Whether each device answered its last poll (1) or not (0), and how long the poll took.', 'none', PROM).min(0).max(1)
      .withTarget(q(`min by (device) (snmp_fleet_device_up{${d}})`, 'A', '{{device}}')))
    .withPanel(timeseries('Poll failures and duration', 'Failed polls per second by error code, and the slowest device poll.', 'none', PROM)
      .withTarget(q('sum by (code) (rate(snmp_fleet_poll_failures_total[$__rate_interval]))', 'A', '{{code}}'))
      .withTarget(q(`max(snmp_fleet_device_poll_duration_seconds{${d}})`, 'B', 'slowest poll (s)')))
    .withPanel(new TableBuilder().title('Alerts fired').description('Alerts of threshold-alert that fired in the time range (snmp-metrics serves snmp_alert_firing while an alert fires); "Alerts firing" above counts those firing now.').datasource(PROM).height(8).span(12)
      .withTarget(q(`max by (alertname, severity, device, instance) (max_over_time(snmp_alert_firing{${d}}[$__range]))`, 'A').instant().format(PromQueryFormat.Table)))
    .withPanel(timeseries('Trap rate', 'Trap datagrams per second by outcome, over every trap-in listener of this Node-RED.', 'none', PROM)
      .withTarget(q('sum(rate(snmp_fleet_trap_accepted_total[$__rate_interval]))', 'A', 'accepted'))
      .withTarget(q('sum(rate(snmp_fleet_trap_rejected_total[$__rate_interval]))', 'B', 'rejected'))
      .withTarget(q('sum(rate(snmp_fleet_trap_malformed_total[$__rate_interval])) + sum(rate(snmp_fleet_trap_rate_limited_total[$__rate_interval]))', 'C', 'malformed or rate-limited')))
    .build();
}

/** Absolute thresholds from [color, from] steps (the first from null). */
function thresholds(steps: Array<[string, number | null]>): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([color, value]) => ({ color, value })));
}

/** Numbers the panels and rows 1, 2, ... in grid order (the builders leave ids to Grafana, rows at 0). */
function numbered(d: Dashboard): Dashboard {
  (d.panels ?? []).forEach((p, i) => { p.id = i + 1; });
  return d;
}

/** The dashboards by file name in grafana/. */
export function dashboards(): Record<string, Dashboard> {
  return {
    'snmp-fleet-influxdb.json': numbered(influxDashboard()),
    'snmp-fleet-prometheus.json': numbered(prometheusDashboard()),
  };
}

/** The file text of a dashboard: stable JSON, two-space indented. */
export function dashboardText(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
