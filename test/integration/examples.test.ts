/**
 * The shipped example flows (examples/*.json) as files: what they are built from, that
 * each explains itself, keeps secrets out, and is valid for the nodes it uses. The same
 * files run for real in examples-e2e.test.ts.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseRules } from '../../src/lib/alert/rules';
import { alertOptions } from '../../src/lib/red/alert-node';
import { buildProfile } from '../../src/lib/snmp/profile';
import { counterRateOptions } from '../../src/lib/red/counter-rate-node';
import { scheduleSettings } from '../../src/lib/red/poll-node';
import { readTrapSettings } from '../../src/lib/red/trap-node';
import { metricsOptions } from '../../src/lib/red/metrics-node';
import { spoolSettings } from '../../src/lib/red/spool-node';

const ROOT = path.resolve(__dirname, '..', '..');
const { loadExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
};
const jsonata = require('jsonata') as (expr: string) => unknown;

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  info?: string;
  wires?: string[][];
  credentials?: Record<string, string>;
  [key: string]: any;
}

/** Node types a module registers at runtime (`RED.nodes.registerType('x', ...)` in its .js files). */
function registeredTypes(dir: string): Set<string> {
  const types = new Set<string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(p);
      } else if (entry.name.endsWith('.js')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(m[1]);
      }
    }
  };
  walk(dir);
  return types;
}

const PACK_TYPES = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))['node-red'].nodes) as string[];
const CORE_TYPES = new Set([...registeredTypes(path.join(ROOT, 'node_modules', '@node-red', 'nodes', 'core')), 'tab', 'group', 'junction']);
const INFLUX_TYPES = registeredTypes(path.join(ROOT, 'node_modules', 'node-red-contrib-influxdb'));
const DASHBOARD_TYPES = registeredTypes(path.join(ROOT, 'node_modules', '@flowfuse', 'node-red-dashboard', 'nodes'));
const MYSQL_TYPES = registeredTypes(path.join(ROOT, 'node_modules', 'node-red-node-mysql'));
/** Properties that name other nodes (config nodes, link targets). */
const REFERENCES = ['snmp', 'snmp2', 'snmp3', 'snmp4', 'influxdb', 'mydb', 'group', 'page', 'ui', 'theme', 'tls', 'proxy'];
const ENV_REF = /^\$\{[A-Z][A-Z0-9_]*\}$/;

const examples = loadExamples();
const all = examples.flatMap((e) => e.flow);
const byName = (prefix: string) => {
  const e = examples.find((x) => x.name.startsWith(prefix));
  assert.ok(e, `example ${prefix} exists`);
  return e!.flow;
};

describe('example flows (files)', function () {
  it('ships the six examples, numbered in the order Node-RED lists them', function () {
    assert.deepEqual(examples.map((e) => e.file), [
      '01 fleet poller.json',
      '02 trap receiver.json',
      '03 inventory from CSV or HTTP.json',
      '04 live dashboard.json',
      '05 Prometheus.json',
      '06 inventory from a database.json',
    ]);
    for (const e of examples) assert.ok(Array.isArray(e.flow) && e.flow.length > 5, e.file);
  });

  it('uses only core nodes, this pack, node-red-contrib-influxdb, @flowfuse/node-red-dashboard and node-red-node-mysql', function () {
    assert.ok(CORE_TYPES.has('http request') && CORE_TYPES.has('change') && INFLUX_TYPES.has('influxdb batch') && DASHBOARD_TYPES.has('ui-chart') && MYSQL_TYPES.has('mysql'));
    const foreign: string[] = [];
    for (const e of examples) {
      for (const n of e.flow) {
        const known = CORE_TYPES.has(n.type) || PACK_TYPES.includes(n.type) || INFLUX_TYPES.has(n.type) || DASHBOARD_TYPES.has(n.type) || MYSQL_TYPES.has(n.type);
        if (!known) foreign.push(`${e.file}: ${n.type}`);
      }
    }
    assert.deepEqual(foreign, []);
    // the dashboard only where the example is about it, the database likewise
    for (const e of examples) {
      const types = new Set(e.flow.map((n) => n.type));
      const dashboard = [...types].some((t) => DASHBOARD_TYPES.has(t));
      assert.equal(dashboard, e.name.includes('dashboard'), `${e.file} dashboard nodes`);
      const mysql = [...types].some((t) => MYSQL_TYPES.has(t));
      assert.equal(mysql, e.name.includes('database'), `${e.file} MySQL nodes`);
    }
  });

  it('puts each of the eight pack nodes in some example', function () {
    assert.equal(PACK_TYPES.length, 8);
    const used = new Set(all.map((n) => n.type));
    assert.deepEqual(PACK_TYPES.filter((t) => !used.has(t)), []);
  });

  it('uses no function node', function () {
    assert.deepEqual(all.filter((n) => n.type === 'function').map((n) => n.name), []);
  });

  it('starts each example with a comment saying what it shows and what to set', function () {
    for (const e of examples) {
      const [tab, first] = e.flow;
      assert.equal(tab.type, 'tab', `${e.file} begins with its tab`);
      assert.equal(first.type, 'comment', `${e.file}: first node`);
      assert.ok(first.y <= Math.min(...e.flow.filter((n) => n.z === tab.id).map((n) => n.y)), `${e.file}: the comment is at the top`);
      assert.match(first.info ?? '', /Set before deploying/, `${e.file}: what to set`);
      assert.ok((first.info ?? '').length > 400, `${e.file}: the comment explains`);
    }
    assert.match(byName('01')[1].info!, /SLACK_WEBHOOK_URL[\s\S]*PAGERDUTY_ROUTING_KEY/);
    assert.match(byName('01')[1].info!, /node-red-contrib-influxdb/);
    assert.match(byName('02')[1].info!, /10162[\s\S]*SLACK_WEBHOOK_URL/);
    assert.match(byName('03')[1].info!, /INVENTORY_URL/);
    assert.match(byName('04')[1].info!, /@flowfuse\/node-red-dashboard/);
    assert.match(byName('06')[1].info!, /node-red-node-mysql[\s\S]*06 inventory\.sql[\s\S]*CREATE TABLE[\s\S]*MYSQL_USER/);
    assert.match(byName('05')[1].info!, /scrape_configs:[\s\S]*metrics_path: \/metrics[\s\S]*basic_auth/);
  });

  it('explains every step with a comment node that has details', function () {
    for (const e of examples) {
      const steps = e.flow.filter((n) => n.type === 'comment' && /^\d+ · /.test(n.name ?? ''));
      assert.ok(steps.length >= 2, `${e.file}: ${steps.length} step comments`);
      const numbers = steps.map((n) => Number(n.name!.split(' ')[0]));
      assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `${e.file}: steps numbered 1..n`);
      for (const s of steps) assert.ok((s.info ?? '').length > 80, `${e.file}: "${s.name}" has details`);
    }
  });

  it('keeps secrets out: credentials only as ${ENV} references, webhook URLs from the environment', function () {
    const text = JSON.stringify(all);
    assert.doesNotMatch(text, /hooks\.slack\.com|xox[abpr]-|"routing_key"|"community"\s*:|"authKey"\s*:|"privKey"\s*:|"password"\s*:\s*"(?!\$\{[A-Z][A-Z0-9_]*\}")/);
    for (const n of all) {
      for (const [k, v] of Object.entries(n.credentials ?? {})) assert.match(v, ENV_REF, `${n.type} credential ${k}`);
    }
    const posts = all.filter((n) => n.type === 'http request' && n.method === 'POST');
    assert.ok(posts.length >= 3);
    for (const n of posts) {
      assert.ok(n.url === '${SLACK_WEBHOOK_URL}' || n.url === 'https://events.pagerduty.com/v2/enqueue', `${n.name}: ${n.url}`);
    }
    const pd = byName('01').find((n) => n.type === 'threshold-alert' && n.format === 'pagerduty');
    assert.deepEqual(pd?.credentials, { routingKey: '${PAGERDUTY_ROUTING_KEY}' });
  });

  it('retries every POST on HTTP 429 after Retry-After: http request → switch → change (msg.delay) → delay → the same request', function () {
    for (const post of all.filter((n) => n.type === 'http request' && n.method === 'POST')) {
      const nodes = new Map(all.map((n) => [n.id, n]));
      const next = (n: FlowNode, port = 0) => (n.wires?.[port] ?? []).map((id) => nodes.get(id)!);
      const [status] = next(post);
      assert.equal(status.type, 'switch');
      assert.equal(status.property, 'statusCode');
      const port429 = status.rules.findIndex((r: any) => r.t === 'eq' && String(r.v) === '429');
      assert.ok(port429 >= 0, `${post.name}: a 429 rule`);
      const [wait] = next(status, port429);
      assert.equal(wait.type, 'change');
      const delayRule = wait.rules.find((r: any) => r.p === 'delay');
      assert.ok(delayRule && delayRule.tot === 'jsonata' && /retry-after/.test(delayRule.to), `${post.name}: msg.delay from Retry-After`);
      assert.ok(wait.rules.some((r: any) => r.t === 'delete' && r.p === 'headers'), 'response headers are not sent back');
      assert.ok(wait.rules.some((r: any) => r.t === 'set' && r.p === 'payload' && r.to === 'requestBody'), 'the original body is restored');
      // follow the change node's wires to a delay node in "override with msg.delay" mode
      let cur = next(wait)[0];
      while (cur.type === 'switch') cur = next(cur, 0)[0];
      assert.equal(cur.type, 'delay');
      assert.equal(cur.pauseType, 'delayv');
      assert.deepEqual(cur.wires, [[post.id]], `${post.name}: the delay leads back to the same request`);
    }
  });

  it('is wired consistently: unique ids across examples, every wire and reference resolves', function () {
    const ids = all.map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique across all examples (npm start deploys them together)');
    for (const e of examples) {
      const local = new Map(e.flow.map((n) => [n.id, n]));
      const tab = e.flow[0];
      for (const n of e.flow) {
        if (n.type === 'tab') continue;
        if ('x' in n) assert.equal(n.z, tab.id, `${e.file}: ${n.type} ${n.name} is on the example's tab`);
        for (const port of n.wires ?? []) for (const id of port) assert.ok(local.has(id), `${e.file}: ${n.type} ${n.name} wires to ${id}`);
        for (const key of REFERENCES) {
          if (typeof n[key] === 'string' && n[key] !== '') assert.ok(local.has(n[key]), `${e.file}: ${n.type}.${key}`);
        }
        for (const id of n.links ?? []) assert.ok(local.has(id), `${e.file}: ${n.type} ${n.name} links to ${id}`);
      }
    }
  });

  it('gives the pack nodes properties their own checks accept', function () {
    for (const n of all) {
      // the stored properties, as the runtime hands them to each node
      const def: any = n;
      if (n.type === 'snmp-config') buildProfile(def, { community: 'public' });
      if (n.type === 'snmp-get' || n.type === 'snmp-bulkwalk') scheduleSettings(def);
      if (n.type === 'counter-rate') counterRateOptions(def);
      if (n.type === 'snmp-spool') spoolSettings(def);
      if (n.type === 'threshold-alert') {
        parseRules(n.rules);
        alertOptions(def, 'a-routing-key');
      }
      if (n.type === 'trap-in') {
        const s = readTrapSettings(def);
        assert.equal(s.port, 10162, 'the examples use 10162 (162 needs root)');
      }
      if (n.type === 'snmp-metrics') metricsOptions(def);
    }
  });

  it('writes to InfluxDB 1.x through "influxdb batch" with ms timestamps, tags device/ifName/labels', function () {
    const fleet = byName('01');
    const influx = fleet.filter((n) => n.type === 'influxdb batch');
    assert.equal(influx.length, 1);
    assert.equal(influx[0].precision, 'ms');
    const points = fleet.find((n) => n.name === 'interface points')!.rules[0].to as string;
    for (const part of ['"measurement": "snmp_interface"', '$$.device.labels', '"device": $$.topic', '"ifName": ifName', '"timestamp": $$.snmp.time']) {
      assert.ok(points.includes(part), `interface points: ${part}`);
    }
    const config = fleet.find((n) => n.type === 'influxdb')!;
    assert.equal(config.influxdbVersion, '1.x');
    assert.ok(!('credentials' in config));
  });

  it('writes to InfluxDB through snmp-spool, released by a complete node and retried from a catch node, both scoped to the batch node', function () {
    const fleet = byName('01');
    const [batch] = fleet.filter((n) => n.type === 'influxdb batch');
    const spools = fleet.filter((n) => n.type === 'snmp-spool');
    assert.equal(spools.length, 1);
    const spool = spools[0];
    assert.deepEqual(spool.wires, [[batch.id]], 'the spool feeds the batch node');
    const feeders = fleet.filter((n) => (n.wires ?? []).some((port) => port.includes(batch.id)));
    assert.deepEqual(feeders.map((n) => n.id), [spool.id], 'only the spool feeds the batch node');
    const intoSpool = fleet.filter((n) => (n.wires ?? []).some((port) => port.includes(spool.id)));
    assert.deepEqual(intoSpool.map((n) => n.name).sort(), ['any points?', 'not written', 'system point', 'written']);
    for (const type of ['complete', 'catch']) {
      const n = intoSpool.find((x) => x.type === type)!;
      assert.deepEqual(n.scope, [batch.id], `the ${type} node watches the batch node only`);
    }
  });

  it('polls every 60 s with the rules the issue names: utilization > 80 % for 5 min, interface down, device unreachable', function () {
    const fleet = byName('01');
    const tick = fleet.find((n) => n.type === 'inject')!;
    assert.equal(tick.repeat, '60');
    assert.equal(tick.once, true);
    const slack = fleet.find((n) => n.type === 'threshold-alert' && n.format === 'slack')!;
    const rules = parseRules(slack.rules);
    const util = rules.find((r) => r.field === 'utilization')!;
    assert.deepEqual([util.op, util.threshold, util.forMs], ['>', 80, 300000]);
    assert.ok(rules.some((r) => r.field === 'ifOperStatus' && r.op === '==' && r.threshold === 2));
    assert.ok(rules.some((r) => r.kind === 'device-down'));
    const counter = fleet.find((n) => n.type === 'counter-rate')!;
    assert.equal(counter.scale, '8', 'bits per second');
  });

  it('example 04 computes utilization to one decimal, halves up, so its alerts read "runs at 99.1 % of 1000 Mbit/s"', async function () {
    const flow = loadExamples().find((e) => e.name.startsWith('04'))!.flow;
    const util = flow.find((n) => n.type === 'change' && n.name === 'utilization %')!;
    const expr = jsonata(util.rules.find((r: any) => r.p === 'payload').to) as { evaluate(input: unknown): Promise<any> };
    const row = (inBps: number) => ({ index: '5', ifName: 'Gi0/5', ifHCInOctets: inBps, ifHCOutOctets: 0, ifHighSpeed: 1000 });
    const percent = async (inBps: number) => (await expr.evaluate({ payload: [row(inBps)] }))[0].utilization;
    assert.equal(await percent(990783000), 99.1);
    assert.equal(await percent(122500000), 12.3, 'a half goes up, as people round');
    assert.equal(await percent(0), 0);
    const rule = parseRules(flow.find((n) => n.type === 'threshold-alert')!.rules).find((r) => r.field === 'utilization')!;
    assert.equal(rule.summary, '{{device}} {{ifName}} runs at {{value}} % of {{ifHighSpeed}} Mbit/s');
  });

  it('keeps the database inventory of example 06 as the issue draws it: a refresh every minute, rows straight to msg.targets, a self-scheduled walk → counter-rate → InfluxDB', function () {
    const flow = byName('06');
    const nodes = new Map(flow.map((n) => [n.id, n]));
    const next = (n: FlowNode, port = 0) => (n.wires?.[port] ?? []).map((id) => nodes.get(id)!);
    const tick = flow.find((n) => n.type === 'inject')!;
    assert.equal(tick.repeat, '60');
    assert.equal(tick.once, true);
    const [query] = next(tick);
    const sql = query.rules[0].to as string;
    assert.match(sql, /SELECT host, port, name, profile, poll_interval AS `interval`, labels\s+FROM snmp_inventory/);
    const [mysql] = next(query);
    assert.equal(mysql.type, 'mysql');
    const db = nodes.get(mysql.mydb)!;
    assert.equal(db.type, 'MySQLdatabase');
    assert.deepEqual(db.credentials, { user: '${MYSQL_USER}', password: '${MYSQL_PASSWORD}' });
    const [targets] = next(mysql);
    assert.deepEqual(targets.rules, [{ t: 'move', p: 'payload', pt: 'msg', to: 'targets', tot: 'msg' }]);
    const [walk] = next(targets);
    assert.equal(walk.type, 'snmp-bulkwalk');
    assert.equal(walk.schedule, 'interval');
    const cfg = nodes.get(walk.snmp)!;
    assert.equal(cfg.inventory, '', 'the rows are the inventory');
    const [rate] = next(walk);
    assert.equal(rate.type, 'counter-rate');
    const [bad] = next(walk, 1);
    assert.equal(bad.property, 'error.code');
    assert.equal(bad.rules[0].v, 'bad-target');
    // every node the rows reach ends in InfluxDB
    let cur = rate;
    while (cur.type !== 'influxdb batch') cur = next(cur)[0];
    // the SQL file beside it creates the table the query reads
    const file = fs.readFileSync(path.join(ROOT, 'examples', '06 inventory.sql'), 'utf8');
    for (const column of ['host', 'port', 'name', 'profile', 'poll_interval', 'labels', 'enabled']) assert.match(file, new RegExp(`^\\s+${column}\\s`, 'm'), column);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('examples/*.sql'), 'the SQL file is published with the examples');
  });

  it('exposes the fleet for Prometheus: raw counters (no counter-rate) into snmp-metrics with the health, alerts as series, the same scrape config as the README', function () {
    const prom = byName('05');
    const metrics = prom.filter((n) => n.type === 'snmp-metrics');
    assert.equal(metrics.length, 1);
    const m = metricsOptions(metrics[0] as any);
    assert.deepEqual([m.path, m.prefix, m.health], ['/metrics', 'snmp_', true]);
    assert.deepEqual(m.labelColumns, ['ifName', 'ifAlias']);
    assert.equal(prom.filter((n) => n.type === 'counter-rate').length, 0, 'Prometheus rates the raw counters itself');
    const feeds = new Set(prom.filter((n) => (n.wires ?? []).some((port) => port.includes(metrics[0].id))).map((n) => n.type));
    assert.deepEqual([...feeds].sort(), ['snmp-bulkwalk', 'snmp-get', 'threshold-alert']);
    const walk = prom.find((n) => n.type === 'snmp-bulkwalk')!;
    assert.deepEqual(walk.wires, [[metrics[0].id, prom.find((n) => n.type === 'threshold-alert')!.id], [metrics[0].id, prom.find((n) => n.type === 'threshold-alert')!.id]], 'both outputs: failures turn devices down');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(prom[1].info!)![1];
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(yaml), 'the README shows the scrape config of the example');
  });

  it('has JSONata expressions that compile', function () {
    let count = 0;
    for (const n of all) {
      const exprs: string[] = [];
      if (n.type === 'change') for (const r of n.rules) if (r.tot === 'jsonata') exprs.push(r.to);
      if (n.type === 'switch' && n.propertyType === 'jsonata') exprs.push(n.property);
      for (const expr of exprs) {
        assert.doesNotThrow(() => jsonata(expr), `${n.name}: ${expr.slice(0, 60)}`);
        count++;
      }
    }
    assert.ok(count >= 10, `${count} expressions`);
  });
});
