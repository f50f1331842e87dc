/**
 * The shipped examples, end to end: imported as shipped into a real Node-RED process
 * (with this pack, node-red-contrib-influxdb, @flowfuse/node-red-dashboard and
 * node-red-node-mysql in its userDir), run against the fleet simulator, writing into a
 * real influxd, reading example 06's inventory from a real MariaDB, posting to a local
 * HTTP server standing in for Slack and PagerDuty, and scraped by a real Prometheus
 * (example 05). Every query of the Grafana dashboards in grafana/ then runs against that
 * influxd and that Prometheus. Only addresses, credentials
 * and timing are substituted (scripts/lib/examples.js): the poll every 2 s instead of
 * 60 s, the alert durations by the same factor (5 min → 10 s), and the database rows
 * without an interval of their own every 5 s (the floor) instead of 300 s.
 *
 * The scenario, from the deploy: device 1 saturates ifIndex 2 from 6 s to 30 s, device 2
 * goes dark from 6 s to 22 s, device 3 reboots at 10 s, and at 8 s Debian's snmptrap
 * sends one linkDown with the right community and three traps with a wrong one. The
 * first Slack request is answered 429 with Retry-After: 2.
 */
import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, linkModule, watchDebug, ROOT, type NodeRed, type FlowNode } from '../support/node-red-process';
import { startInfluxd, influxRows, type Influxd } from '../support/influxd';
import { startMariadb, sqlString, type Mariadb } from '../support/mariadb';
import { startTogether } from '../support/together';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../support/http-receiver';
import { freeUdpPort } from '../support/snmpd';
import { startPrometheus, type Prometheus } from '../support/prometheus';
import { dashboardQueries, influxQL, labelValuesCall, promQL } from '../support/dashboards';

const { loadExamples, prepareExamples, PAGERDUTY_URL } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
  PAGERDUTY_URL: string;
};

const SNMPTRAP = fs.existsSync('/usr/bin/snmptrap') ? '/usr/bin/snmptrap' : 'snmptrap';
const POLL_S = 2;
const TIME_SCALE = POLL_S / 60;
const DB = 'snmp_fleet';
const COMMUNITY = 'e2e-community-7f3a';
const SLACK_PATH = '/services/T0E2E/B0E2E/not-a-real-secret';
const ROUTING_KEY = 'e2e-routing-key-42';
const RETRY_AFTER_S = 2;
const DEVICES = 8;
/** Devices past DEVICES are rows of example 06's table, polled by it alone. */
const DB_DEVICES = 2;
const DB_INTERVAL_S = 5;
const MYSQL_PASSWORD = 'e2e-Inventory-Reader-3';
const INTERFACES = 8;
/** The configured inbound rate of every interface, bytes/s (outbound is half). */
const rateBytes = (device: number, ifIndex: number) => (10 + 3 * device + ifIndex) * 125_000;
const SAT = { device: 1, ifIndex: 2, fromS: 6, forS: 24 };
const DARK = { device: 2, fromS: 6, toS: 22 };
const REBOOT = { device: 3, atS: 10 };
const TRAPS_AT_S = 8;

function snmptrap(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(SNMPTRAP, args, { timeout: 10000 }, (err, _out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
  });
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const slackText = (r: ReceivedRequest): string => (typeof r.body === 'object' && r.body ? String(r.body.text ?? '') : '');

describe('example flows, end to end (Node-RED, simulator, influxd, Slack/PagerDuty stand-in)', function () {
  this.timeout(240000);

  let fleet: Fleet;
  let influx: Influxd;
  let db: Mariadb;
  let rx: HttpReceiver;
  let red: NodeRed;
  let prom: Prometheus;
  let debug: ReturnType<typeof watchDebug>;
  let shipped: FlowNode[];
  let deployed: FlowNode[];
  let trapPort: number;
  let t0 = 0;
  let ifIndexOf: Map<string, number>;
  const timers: NodeJS.Timeout[] = [];
  let userDir = '';

  before(async function () {
    fleet = await startFleet({
      count: DEVICES + DB_DEVICES, interfaces: INTERFACES, community: COMMUNITY, rate: rateBytes,
      labels: { site: ['paris', 'lyon'], role: ['access', 'core'] },
    });
    ifIndexOf = new Map();
    for (let i = 1; i <= INTERFACES; i++) {
      const v = fleet.device(0).value(`1.3.6.1.2.1.31.1.1.1.1.${i}`);
      ifIndexOf.set(Buffer.from(v!.value as Buffer).toString(), i);
    }
    [influx, db] = await startTogether([startInfluxd({ database: DB }), startMariadb({ database: DB, user: 'nodered', password: MYSQL_PASSWORD })]);
    // example 06's table, made by its SQL file, with rows for the last devices instead of the samples
    await db.sql(fs.readFileSync(path.join(ROOT, 'examples', '06 inventory.sql'), 'utf8'), DB);
    await db.sql(`DELETE FROM snmp_inventory; INSERT INTO snmp_inventory (host, port, name, labels) VALUES ${fleet.devices.slice(DEVICES).map((d) => `(${sqlString(d.host)}, ${d.port}, ${sqlString(d.name)}, '{"site": "db", "role": "database"}')`).join(', ')};`, DB);
    rx = await startHttpReceiver();
    trapPort = await freeUdpPort();

    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'examples-e2e-'));
    linkModule(userDir, 'node-red-contrib-influxdb');
    linkModule(userDir, '@flowfuse/node-red-dashboard');
    linkModule(userDir, 'node-red-node-mysql');
    const csv = path.join(userDir, 'devices.csv');
    fs.writeFileSync(csv, ['host,port,name,site,rack', ...fleet.devices.slice(0, 2).map((d) => `${d.host},${d.port},${d.name},csv-site-${d.index},r${d.index}`), ''].join('\n'));
    rx.serve('/inventory.json', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fleet.devices.slice(4, 6).map((d) => ({ host: d.host, port: d.port, name: d.name, site: `http-site-${d.index}` }))),
    });

    shipped = loadExamples().flatMap((e) => e.flow);
    deployed = prepareExamples(shipped, {
      inventory: fleet.inventoryText().split('\n').slice(0, DEVICES).join('\n'),
      community: COMMUNITY,
      pollSeconds: POLL_S,
      timeScale: TIME_SCALE,
      influx: { hostname: '127.0.0.1', port: influx.port, database: DB },
      pagerDutyUrl: `${rx.url}/v2/enqueue`,
      trapPort,
      trapAddress: '127.0.0.1',
      inventoryFile: csv,
      mysql: { host: db.host, port: db.port, database: DB },
      intervalSeconds: DB_INTERVAL_S,
    });
    // Example 05 polls the same fleet as example 01. At a 2 s interval their cycles would
    // coincide and the extra work would jitter example 01's poll times, which its
    // single-point rate check (10 %) feels; start 05 half an interval later (the inject's
    // first trigger starts its repeat).
    const prometheusTab = shipped.find((n) => n.type === 'snmp-metrics')!.z;
    for (const n of deployed) if (n.type === 'inject' && n.z === prometheusTab) n.onceDelay = String(Number(n.onceDelay) + POLL_S / 2);

    red = await startNodeRed({
      userDir,
      env: { SLACK_WEBHOOK_URL: `${rx.url}${SLACK_PATH}`, PAGERDUTY_ROUTING_KEY: ROUTING_KEY, INVENTORY_URL: '', MYSQL_USER: db.user, MYSQL_PASSWORD },
      settings: { fileWorkingDirectory: userDir },
      startTimeoutMs: 60000,
    });
    debug = watchDebug(red.port);
    // example 05 serves /metrics on Node-RED's port
    // scraped at the poll interval: no more work than the data needs beside the rate checks above
    prom = await startPrometheus({ interval: `${POLL_S}s`, scrapeConfigs: [{ job_name: 'snmp-fleet', static_configs: [{ targets: [`127.0.0.1:${red.port}`] }] }] });
    rx.rateLimitOnce('/services/', RETRY_AFTER_S);
    await red.deploy(deployed);
    t0 = Date.now();
    const at = (s: number, fn: () => void) => timers.push(setTimeout(fn, s * 1000));
    at(SAT.fromS, () => fleet.device(SAT.device).saturate(SAT.ifIndex, SAT.forS * 1000));
    at(DARK.fromS, () => fleet.device(DARK.device).setSilent(true));
    at(DARK.toS, () => fleet.device(DARK.device).setSilent(false));
    at(REBOOT.atS, () => fleet.device(REBOOT.device).reboot());
    const traps = new Promise<void>((resolve, reject) => at(TRAPS_AT_S, () => {
      const target = `127.0.0.1:${trapPort}`;
      const numeric = ['-m', '', '-On'];
      (async () => {
        await snmptrap(['-v', '2c', '-c', COMMUNITY, ...numeric, target, '', '1.3.6.1.6.3.1.1.5.3',
          '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.2.3', 's', 'ge-0/0/3 <!channel> & co', '1.3.6.1.2.1.2.2.1.8.3', 'i', '2']);
        for (let i = 0; i < 3; i++) await snmptrap(['-v', '2c', '-c', 'guessed-community', ...numeric, target, '', '1.3.6.1.6.3.1.1.5.3']);
      })().then(resolve, reject);
    }));

    // The scenario is over once both alerts are resolved on both channels they go to.
    await rx.waitFor((r) => r.status === 200 && /^RESOLVED: HighUtilization on sim-0001/.test(slackText(r)), 1, 120000);
    await rx.waitFor((r) => r.status === 200 && /^RESOLVED: DeviceUnreachable on sim-0002/.test(slackText(r)), 1, 60000);
    await rx.waitFor((r) => r.path.startsWith('/v2/enqueue') && r.body?.event_action === 'resolve', 1, 60000);
    await traps;
    // a few more cycles, in which nothing more may be announced
    await new Promise((r) => setTimeout(r, 3 * POLL_S * 1000));
  });

  after(async function () {
    for (const t of timers) clearTimeout(t);
    debug?.close();
    await prom?.stop();
    await red?.stop();
    await influx?.stop();
    await db?.stop();
    await rx?.close();
    await fleet?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('deploys the examples as shipped: only addresses, credentials and timing differ', function () {
    const allowed = new Set(['inventory', 'credentials', 'repeat', 'onceDelay', 'rules', 'hostname', 'host', 'port', 'database', 'db', 'usetls', 'protocol', 'url', 'address', 'filename', 'interval']);
    const byId = new Map(shipped.map((n) => [n.id, n]));
    const changed = new Set<string>();
    assert.equal(deployed.length, shipped.length);
    for (const n of deployed) {
      const s = byId.get(n.id)!;
      assert.equal(n.type, s.type);
      for (const key of new Set([...Object.keys(n), ...Object.keys(s)])) {
        if (JSON.stringify(n[key]) !== JSON.stringify(s[key])) changed.add(`${n.type}.${key}`);
        if (JSON.stringify(n[key]) !== JSON.stringify(s[key])) assert.ok(allowed.has(key), `${n.type} ${n.name}: ${key} changed`);
      }
      if (n.type === 'threshold-alert') {
        // rules keep everything but their durations
        (n.rules as any[]).forEach((r, i) => {
          const orig = (s.rules as any[])[i];
          assert.deepEqual({ ...r, for: orig.for, keepFiringFor: orig.keepFiringFor }, orig);
        });
      }
    }
    assert.ok(changed.has('snmp-config.inventory') && changed.has('influxdb.port') && changed.has('inject.repeat'));
    assert.doesNotMatch(red.output(), /Waiting for missing types/);
  });

  it('writes interface rates into InfluxDB that match the simulator\'s configured rates', async function () {
    const rows = influxRows(await influx.query('SELECT in_bps, out_bps FROM snmp_interface GROUP BY device, ifName', DB));
    const series = new Map<string, Array<{ t: number; in: number; out: number }>>();
    for (const r of rows) {
      const key = `${r.device}|${r.ifName}`;
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push({ t: r.time, in: r.in_bps, out: r.out_bps });
    }
    assert.equal(series.size, (DEVICES + DB_DEVICES) * INTERFACES, 'every interface of every device has points');
    const pointErrors: number[] = [];
    const meanErrors: number[] = [];
    for (const [key, points] of series) {
      const [device, ifName] = key.split('|');
      const d = Number(device.slice(4));
      const ifIndex = ifIndexOf.get(ifName)!;
      // devices with events are checked by the alert tests; the others run steadily
      if (d === SAT.device || d === DARK.device || d === REBOOT.device) continue;
      // example 06's devices have their own test
      if (d >= DEVICES) continue;
      const expectIn = rateBytes(d, ifIndex) * 8;
      points.sort((a, b) => a.t - b.t);
      // the first rate covers the deploy's first two polls, which set up sessions
      const steady = points.slice(1);
      assert.ok(steady.length >= 8, `${key}: ${steady.length} points`);
      for (const p of steady) {
        pointErrors.push(Math.abs(p.in / expectIn - 1), Math.abs(p.out / (expectIn / 2) - 1));
        assert.ok(Math.abs(p.in / expectIn - 1) < 0.1, `${key} at ${p.t}: ${p.in} b/s, configured ${expectIn}`);
      }
      // rate × interval summed over the series: the average over the whole window
      let bitsIn = 0;
      let bitsOut = 0;
      for (let i = 1; i < steady.length; i++) {
        const dt = (steady[i].t - steady[i - 1].t) / 1000;
        bitsIn += steady[i].in * dt;
        bitsOut += steady[i].out * dt;
      }
      const window = (steady[steady.length - 1].t - steady[0].t) / 1000;
      meanErrors.push(Math.abs(bitsIn / window / expectIn - 1), Math.abs(bitsOut / window / (expectIn / 2) - 1));
      assert.ok(Math.abs(bitsIn / window / expectIn - 1) < 0.01, `${key}: mean ${bitsIn / window} b/s in, configured ${expectIn}`);
      assert.ok(Math.abs(bitsOut / window / (expectIn / 2) - 1) < 0.01, `${key}: mean ${bitsOut / window} b/s out`);
    }
    pointErrors.sort((a, b) => a - b);
    meanErrors.sort((a, b) => a - b);
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    const median = pointErrors[pointErrors.length >> 1];
    assert.ok(median < 0.01, `median error of single points ${pct(median)}`);
    console.log(`      rates: ${pointErrors.length / 2} points; single-point error median ${pct(median)}, 95th ${pct(pointErrors[Math.floor(pointErrors.length * 0.95)])}, max ${pct(pointErrors[pointErrors.length - 1])}; per-series mean error max ${pct(meanErrors[meanErrors.length - 1])}`);
  });

  it('never changes the type of a field (SHOW FIELD KEYS), with device, ifName and labels as tags', async function () {
    const fields = influxRows(await influx.query('SHOW FIELD KEYS', DB)).map((r) => `${r._measurement}.${r.fieldKey}:${r.fieldType}`);
    assert.deepEqual(fields.sort(), [
      'snmp_interface.in_bps:float', 'snmp_interface.oper_status:float', 'snmp_interface.out_bps:float',
      'snmp_interface.speed_mbps:float', 'snmp_interface.utilization:float',
      'snmp_system.poll_ms:float', 'snmp_system.sys_name:string', 'snmp_system.up:float', 'snmp_system.uptime_s:float',
      'snmp_trap.count:float', 'snmp_trap.varbinds:string',
    ]);
    const tags = influxRows(await influx.query('SHOW TAG KEYS FROM snmp_interface', DB)).map((r) => r.tagKey);
    assert.deepEqual(tags.sort(), ['device', 'ifName', 'role', 'site']);
    // the dark device is recorded as down, with the same field type as up
    const down = influxRows(await influx.query(`SELECT up FROM snmp_system WHERE device = 'sim-0002' AND up = 0`, DB));
    assert.ok(down.length >= 1, 'the dark device has up = 0 points');
    assert.doesNotMatch(red.output(), /field type conflict|partial write/);
  });

  it('sends Slack exactly one firing and one resolved message for the saturated link and for the dark device', function () {
    const delivered = rx.on('/services/').filter((r) => r.status === 200).map(slackText);
    const count = (re: RegExp) => delivered.filter((t) => re.test(t)).length;
    assert.equal(count(/^FIRING: HighUtilization on sim-0001 Gi0\/2 /), 1, delivered.join('\n'));
    assert.equal(count(/^RESOLVED: HighUtilization on sim-0001 Gi0\/2 /), 1);
    assert.equal(count(/^FIRING: DeviceUnreachable on sim-0002 /), 1);
    assert.equal(count(/^RESOLVED: DeviceUnreachable on sim-0002 /), 1);
    // nothing else fired: no other link, no other device, no reboot artefact
    assert.deepEqual(delivered.filter((t) => /^(FIRING|RESOLVED|STILL FIRING): /.test(t)).filter((t) => !/HighUtilization on sim-0001 Gi0\/2 |DeviceUnreachable on sim-0002 /.test(t)), []);
    const firing = rx.on('/services/').find((r) => r.status === 200 && /^FIRING: HighUtilization/.test(slackText(r)))!;
    assert.ok(Array.isArray(firing.body.blocks) && firing.body.blocks.length >= 2, 'a Block Kit body');
    assert.match(firing.headers['content-type'] ?? '', /application\/json/);
  });

  it('sends PagerDuty one trigger and one resolve for the dark device, with the routing key from the environment', function () {
    const events = rx.on('/v2/enqueue').filter((r) => r.status === 202).map((r) => r.body);
    assert.deepEqual(events.map((e) => e.event_action), ['trigger', 'resolve']);
    assert.equal(events[0].dedup_key, events[1].dedup_key);
    assert.equal(events[0].routing_key, ROUTING_KEY);
    assert.equal(events[0].payload.source, 'sim-0002');
    assert.equal(events[0].payload.severity, 'critical');
    assert.ok(!JSON.stringify(shipped).includes(ROUTING_KEY), 'the key is not in the flow');
  });

  it('retries a 429 after its Retry-After, not before, and delivers it once', function () {
    const slack = rx.on('/services/');
    const limited = slack.filter((r) => r.status === 429);
    assert.equal(limited.length, 1);
    const retry = slack.find((r) => r.at > limited[0].at && r.text === limited[0].text);
    assert.ok(retry, 'the same body was sent again');
    const waited = retry!.at - limited[0].answeredAt;
    assert.ok(waited >= RETRY_AFTER_S * 1000 - 5, `retried ${waited} ms after the 429, Retry-After ${RETRY_AFTER_S} s`);
    assert.equal(retry!.status, 200);
    assert.equal(slack.filter((r) => r.text === limited[0].text).length, 2, 'one 429, one delivery, nothing more');
  });

  it('turns one linkDown from snmptrap into one Slack message, escaped, and an event point in InfluxDB', async function () {
    const traps = rx.on('/services/').filter((r) => r.status === 200 && /\*linkDown\*/.test(slackText(r)));
    assert.equal(traps.length, 1, rx.on('/services/').map(slackText).join('\n'));
    assert.equal(slackText(traps[0]), ':red_circle: *linkDown* from 127.0.0.1, ge-0/0/3 &lt;!channel&gt; &amp; co');
    const events = influxRows(await influx.query(`SELECT * FROM snmp_trap WHERE trap = 'IF-MIB::linkDown'`, DB));
    assert.equal(events.length, 1);
    assert.equal(events[0].version, '2c');
    assert.equal(JSON.parse(events[0].varbinds)['ifOperStatus.3'], 2);
  });

  it('raises one "possible SNMP scan" alert for repeated traps with a wrong community', function () {
    const scans = rx.on('/services/').filter((r) => r.status === 200 && /Possible SNMP scan/.test(slackText(r)));
    assert.equal(scans.length, 1);
    assert.match(slackText(scans[0]), /from 127\.0\.0\.1: unknown-community/);
    assert.ok(!slackText(scans[0]).includes('guessed-community'), 'the community sent is not repeated');
  });

  it('serves example 05 to Prometheus: every interface counter, the dark device down in the health, its alert as a series, the trap counters', async function () {
    await prom.waitForTargetsUp(20000);
    // after a scrape or two every interface is there (a redeploy would empty snmp-metrics until the next poll)
    const served = () => prom.query('count(snmp_ifHCInOctets_total{job="snmp-fleet"})').then((c) => Number(c[0]?.value?.[1]) === DEVICES * INTERFACES);
    await until('every interface counter served', served, 20000);
    const end = Math.floor(Date.now() / 1000);
    const window = `${end - Math.floor(t0 / 1000)}s`;
    const dark = fleet.devices[DARK.device].name;
    const down = await prom.query(`min_over_time(snmp_fleet_device_up{device="${dark}"}[${window}])`, end);
    assert.ok(down.length >= 2 && down.every((x) => x.value![1] === '0'), `the poll nodes saw ${dark} down: ${JSON.stringify(down)}`);
    assert.ok((await prom.query(`snmp_fleet_device_up{device="${dark}"} == 1`, end)).length >= 2, 'and back up');
    const fired = await prom.query(`max_over_time(snmp_alert_firing{alertname="DeviceUnreachable",device="${dark}"}[${window}])`, end);
    assert.equal(fired.length, 1, 'example 05\'s threshold-alert fired into snmp-metrics');
    assert.equal((await prom.query('snmp_alert_firing', end)).length, 0, 'and it resolved');
    const traps = await prom.query('sum(snmp_fleet_trap_received_total)', end);
    assert.ok(Number(traps[0].value![1]) >= 4, 'one linkDown and three with a wrong community');
    assert.equal(Number((await prom.query('sum(snmp_fleet_trap_rejected_total)', end))[0].value![1]), 3);
  });

  it('runs every query of the InfluxDB Grafana dashboard against the examples\' data, and each returns data', async function () {
    const rangeS = Math.ceil((Date.now() - t0) / 1000) + 60;
    const empty: string[] = [];
    const queries = dashboardQueries('snmp-fleet-influxdb.json');
    for (const q of queries) {
      const answer = await influx.query(q.variable ? q.query : influxQL(q.query, rangeS, 5), DB);
      const values = (answer.results[0]?.series ?? []).flatMap((x) => x.values ?? []).filter((row) => row.slice(q.variable ? 0 : 1).some((v) => v !== null));
      if (values.length === 0) empty.push(`${q.where}: ${q.query}`);
    }
    assert.deepEqual(empty, []);
    assert.ok(queries.length >= 12);
  });

  it('runs every query of the Prometheus Grafana dashboard against example 05\'s series, and each returns data', async function () {
    const end = Math.floor(Date.now() / 1000);
    const start = Math.floor(t0 / 1000);
    const empty: string[] = [];
    const queries = dashboardQueries('snmp-fleet-prometheus.json');
    for (const q of queries) {
      if (q.variable) {
        const call = labelValuesCall(q.query)!;
        const res = await fetch(`${prom.url}/api/v1/label/${call.label}/values?${new URLSearchParams({ 'match[]': call.match })}`);
        const values = ((await res.json()) as { data: string[] }).data;
        if (!values.includes(fleet.devices[0].name)) empty.push(`${q.where}: ${q.query} → ${JSON.stringify(values)}`);
        continue;
      }
      // Grafana's $__rate_interval is at least 4 scrape intervals
      const expr = promQL(q.query, 4 * POLL_S + 2, end - start);
      const series = q.instant ? await prom.query(expr, end) : await prom.queryRange(expr, start, end, 2);
      const values = series.flatMap((x) => (x.values ?? (x.value ? [x.value] : [])).filter(([, v]) => v !== 'NaN'));
      if (values.length === 0) empty.push(`${q.where}: ${expr}`);
    }
    assert.deepEqual(empty, []);
    assert.ok(queries.length >= 15);
  });

  it('polls the devices a CSV file lists, with the file\'s columns as labels', function () {
    const answers = debug.messages.filter((m) => m.name === 'device and labels');
    const names = new Set(answers.map((m) => m.msg.name));
    assert.deepEqual([...names].sort(), ['sim-0000', 'sim-0001']);
    const d1 = answers.find((m) => m.msg.name === 'sim-0001')!.msg;
    assert.deepEqual(d1.labels, { site: 'csv-site-1', rack: 'r1' });
    assert.equal(d1.port, fleet.devices[1].port);
  });

  it('polls the devices an HTTP endpoint lists once INVENTORY_URL is set', async function () {
    const flows = deployed.map((n) => (n.type === 'tab' && n.label === 'SNMP inventory from CSV or HTTP'
      ? { ...n, env: [{ name: 'INVENTORY_URL', value: `${rx.url}/inventory.json`, type: 'str' }] }
      : n));
    const res = await red.request('POST', '/flows', { flows }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'flows' });
    assert.equal(res.status, 200);
    const since = debug.messages.length;
    const got = await until('answers from the HTTP inventory', () => {
      const names = new Set(debug.messages.slice(since).filter((m) => m.name === 'device and labels').map((m) => m.msg.name));
      return names.has('sim-0004') && names.has('sim-0005') && names;
    }, 20000);
    assert.ok(!got.has('sim-0000'), 'the CSV file is no longer read');
    assert.ok(rx.on('/inventory.json').length >= 1);
    const d4 = debug.messages.slice(since).find((m) => m.msg.name === 'sim-0004')!.msg;
    assert.deepEqual(d4.labels, { site: 'http-site-4' });
  });

  it('example 06 polls the rows of its database table on their own interval, tagged with the rows\' labels', async function () {
    const rows = influxRows(await influx.query("SELECT in_bps FROM snmp_interface WHERE role = 'database' GROUP BY device, ifName", DB));
    const names = new Set(rows.map((r) => r.device));
    assert.deepEqual([...names].sort(), fleet.devices.slice(DEVICES).map((d) => d.name));
    for (const r of rows) {
      const d = Number(String(r.device).slice(4));
      const expectIn = rateBytes(d, ifIndexOf.get(r.ifName)!) * 8;
      assert.ok(Math.abs(r.in_bps / expectIn - 1) < 0.1, `${r.device} ${r.ifName}: ${r.in_bps} b/s, configured ${expectIn}`);
    }
    // one poll every 5 s per device since the first read: a rate from the second on
    assert.ok(rows.length >= DB_DEVICES * INTERFACES * 3, `${rows.length} points`);
    assert.doesNotMatch(red.output(), new RegExp(MYSQL_PASSWORD));
  });

  it('serves the dashboard page and runs every example without an error in the log', async function () {
    const page = await fetch(`${red.url}/dashboard/snmp-fleet`);
    assert.equal(page.status, 200);
    const errors = red.output().split('\n').filter((l) => /\[error\]/.test(l));
    assert.deepEqual(errors, []);
    // secrets stayed out of the log and the debug sidebar
    assert.ok(!red.output().includes(COMMUNITY) && !red.output().includes(ROUTING_KEY) && !red.output().includes(SLACK_PATH));
    assert.ok(!JSON.stringify(debug.messages).includes(SLACK_PATH));
    void t0;
  });
});
