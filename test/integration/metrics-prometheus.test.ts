/**
 * snmp-metrics end to end: a real Node-RED process (httpNodeRoot /api, httpNodeAuth and
 * an httpNodeMiddleware in its settings.js) polling the fleet simulator every half
 * second into snmp-metrics, scraped every second by a real Debian Prometheus with basic
 * auth. Then PromQL, as a user would ask it:
 *
 * - rate() of every interface's counter within 2 % of the simulator's configured rate,
 *   also for counters beyond 2^63, whose exposition carries every digit;
 * - a Counter32 wrap (device 3) and a reboot (device 4) give no spike;
 * - a device that goes dark (device 5) is down in the health and its series go stale;
 * - label values with quotes, backslashes, line feeds and non-ASCII arrive intact;
 * - the series cap holds on a flood of 3,000 rows into a node capped at 1,000;
 * - without credentials the endpoint answers 401, with them 200.
 *
 * Timeline from the deploy (t0, right after the simulator starts): device 3's Counter32
 * octet counters wrap at about t0 + 25 s; device 4 reboots and device 5 goes dark at
 * t0 + 30 s; the queries are asked at t0 + 75 s, when 60 s of steady data lie behind.
 */
import { strict as assert } from 'assert';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { startPrometheus, type Prometheus } from '../support/prometheus';

const bcrypt = require('bcryptjs') as { hashSync(p: string, rounds: number): string };

const DEVICES = 6;
const INTERFACES = 4;
const COMMUNITY = 'prom-e2e-community';
const USER = 'prometheus';
const PASSWORD = 'scrape-pass-9d1';
/** In-direction bytes/s of each interface (out is half). */
const rateBytes = (device: number, ifIndex: number) => (20 + 7 * device + 3 * ifIndex) * 125_000;
const STEADY = [0, 1, 2];
const WRAP = { device: 3, inS: 25 };
const REBOOT = { device: 4, atS: 30 };
const DARK = { device: 5, atS: 30 };
const BIG = { device: 2, start: 2n ** 63n + 5n };
const QUERY_AT_S = 75;
const WINDOW = '60s';
const WEIRD = { name: 'core "1" \\ Zürich\nrack ✓', site: 'São Paulo "HQ" \\ 東京', rack: 'line1\nline2' };

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

function flows(fleet: Fleet): FlowNode[] {
  const z = 'prom-tab';
  const weird = fleet.devices[0];
  const targets = [{ host: weird.host, port: weird.port, name: WEIRD.name, labels: { site: WEIRD.site, rack: WEIRD.rack } }];
  return [
    { id: z, type: 'tab', label: 'prometheus e2e' },
    { id: 'cfg', type: 'snmp-config', name: 'fleet', version: '2c', timeout: 400, retries: 0, inventory: fleet.inventoryText(), credentials: { community: COMMUNITY } },
    { id: 'cfg-targets', type: 'snmp-config', name: 'by message', version: '2c', timeout: 400, retries: 0, inventory: '', credentials: { community: COMMUNITY } },
    { id: 'tick', type: 'inject', z, name: 'every 0.5 s', props: [{ p: 'payload' }], repeat: '0.5', once: true, onceDelay: '0.1', payload: '', payloadType: 'date', wires: [['walk', 'get']] },
    { id: 'walk', type: 'snmp-bulkwalk', z, name: 'interfaces', snmp: 'cfg', oids: 'ifName\nifAlias\nifHCInOctets\nifHCOutOctets\nifInOctets\nifOperStatus\nifHighSpeed', output: 'rows', wires: [['metrics'], ['metrics']] },
    { id: 'get', type: 'snmp-get', z, name: 'system', snmp: 'cfg', oids: 'sysUpTime.0', wires: [['metrics'], ['metrics']] },
    { id: 'tick-weird', type: 'inject', z, name: 'weird labels', props: [{ p: 'targets', v: JSON.stringify(targets), vt: 'json' }], repeat: '1', once: true, onceDelay: '0.1', wires: [['get-weird']] },
    { id: 'get-weird', type: 'snmp-get', z, name: 'weird', snmp: 'cfg-targets', oids: 'sysUpTime.0', wires: [['metrics'], []] },
    { id: 'metrics', type: 'snmp-metrics', z, name: 'fleet metrics', path: '/metrics', prefix: 'snmp_', labelColumns: 'ifName ifAlias', staleAfter: '3', maxSeries: '200000', health: true },
    { id: 'tick-flood', type: 'inject', z, name: 'flood', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 'flood', repeat: '2', once: true, onceDelay: '0.1', payload: '', payloadType: 'date', wires: [['rows']] },
    { id: 'rows', type: 'change', z, name: '3,000 rows', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '[1..3000].{"index": $string($), "v": $}', tot: 'jsonata' }], wires: [['metrics-capped']] },
    { id: 'metrics-capped', type: 'snmp-metrics', z, name: 'capped', path: '/capped', prefix: 'flood_', labelColumns: '', staleAfter: '3', maxSeries: '1000', health: false },
  ];
}

describe('snmp-metrics scraped by a real Prometheus', function () {
  this.timeout(240000);
  let fleet: Fleet;
  let red: NodeRed;
  let prom: Prometheus;
  let t0 = 0;
  let end = 0;
  const timers: NodeJS.Timeout[] = [];

  before(async function () {
    red = await startNodeRed({
      settings: { httpNodeRoot: '/api', httpNodeAuth: { user: USER, pass: bcrypt.hashSync(PASSWORD, 8) } },
      settingsCode: 'module.exports.httpNodeMiddleware = function (req, res, next) { res.setHeader("X-Snmp-Fleet-Middleware", "ran"); next(); };',
      startTimeoutMs: 60000,
    });
    const target = `127.0.0.1:${red.port}`;
    const auth = { username: USER, password: PASSWORD };
    prom = await startPrometheus({
      scrapeConfigs: [
        { job_name: 'snmp-fleet', metrics_path: '/api/metrics', basic_auth: auth, static_configs: [{ targets: [target] }] },
        { job_name: 'capped', metrics_path: '/api/capped', basic_auth: auth, static_configs: [{ targets: [target] }] },
      ],
    });
    // the wrap is set up from the start: moving a counter later would be a jump, not a wrap
    fleet = await startFleet({
      count: DEVICES, interfaces: INTERFACES, community: COMMUNITY, rate: rateBytes,
      behaviours: { [BIG.device]: { counter64Start: BIG.start }, [WRAP.device]: { wrapSoon: WRAP.inS } },
    });
    await red.deploy(flows(fleet));
    t0 = Date.now();
    const at = (s: number, fn: () => void) => timers.push(setTimeout(fn, s * 1000));
    at(REBOOT.atS, () => fleet.device(REBOOT.device).reboot());
    at(DARK.atS, () => fleet.device(DARK.device).setSilent(true));
    await prom.waitForTargetsUp(30000).catch((err: Error) => {
      throw new Error(`${err.message}\nNode-RED said:\n${red.problems().join('\n')}`);
    });
    await sleepUntil(t0 + QUERY_AT_S * 1000);
    end = Math.floor(Date.now() / 1000);
  });

  after(async function () {
    for (const t of timers) clearTimeout(t);
    await prom?.stop();
    await red?.stop();
    await fleet?.close();
  });

  it('scrapes cleanly: both targets up, no error in Node-RED\'s log', async function () {
    for (const t of await prom.targets()) assert.deepEqual([t.job, t.health, t.lastError], [t.job, 'up', ''], JSON.stringify(t));
    assert.deepEqual(red.output().split('\n').filter((l) => /\[error\]/.test(l)), []);
    assert.ok(!red.output().includes(COMMUNITY) && !red.output().includes(PASSWORD), 'no secret in the log');
  });

  it('gives rate() of every interface within 2 % of the simulator\'s rate, counters beyond 2^63 included', async function () {
    const errors: number[] = [];
    for (const d of STEADY) {
      const name = fleet.devices[d].name;
      for (const [metric, factor] of [['snmp_ifHCInOctets_total', 1], ['snmp_ifHCOutOctets_total', 0.5]] as const) {
        const series = await prom.query(`rate(${metric}{device="${name}"}[${WINDOW}])`, end);
        assert.equal(series.length, INTERFACES, `${metric} of ${name}: ${JSON.stringify(series)}`);
        for (const s of series) {
          const expected = rateBytes(d, Number(s.metric.index)) * factor;
          const got = Number(s.value![1]);
          errors.push(got / expected - 1);
          assert.ok(Math.abs(got / expected - 1) < 0.02, `${name} ifIndex ${s.metric.index} ${metric}: ${got} B/s, configured ${expected}`);
        }
      }
    }
    errors.sort((a, b) => Math.abs(a) - Math.abs(b));
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
    console.log(`      rate() over ${WINDOW}: ${errors.length} series, error median ${pct(errors[errors.length >> 1])}, largest ${pct(errors[errors.length - 1])}`);
  });

  it('writes every digit of a Counter64 beyond 2^63 and serves OpenMetrics to Prometheus', async function () {
    const res = await fetch(`${red.url}/api/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = await res.text();
    const big = new RegExp(`^snmp_ifHCInOctets_total\\{device="${fleet.devices[BIG.device].name}",.*index="(\\d+)".*\\} (\\d+)$`, 'gm');
    const values = [...body.matchAll(big)].map((m) => ({ ifIndex: m[1], v: BigInt(m[2]) }));
    assert.equal(values.length, INTERFACES);
    for (const { ifIndex, v } of values) {
      const now = fleet.device(BIG.device).value(`1.3.6.1.2.1.31.1.1.1.6.${ifIndex}`)!.value as bigint;
      assert.ok(v > BIG.start && v > now - 10n ** 9n && v <= now, `ifIndex ${ifIndex}: ${v}, the simulator now at ${now}`);
    }
    // a double near 2^63 is a multiple of 2048: a value that went through one would show it
    assert.ok(values.some(({ v }) => v % 2048n !== 0n), `exact digits: ${values.map(({ v }) => v).join(' ')}`);
    assert.ok(body.endsWith('# EOF\n'));
  });

  it('gives no spike for a Counter32 wrap or a reboot: rate() stays near the configured rate', async function () {
    const span = `${end - Math.floor(t0 / 1000) - 5}s`;
    for (const [d, metric] of [[WRAP.device, 'snmp_ifInOctets_total'], [REBOOT.device, 'snmp_ifHCInOctets_total']] as const) {
      const name = fleet.devices[d].name;
      const resets = await prom.query(`resets(${metric}{device="${name}"}[${span}])`, end);
      assert.ok(resets.length === INTERFACES && resets.every((s) => Number(s.value![1]) >= 1), `${name}: the counters went back once: ${JSON.stringify(resets)}`);
      // a wrap read as a jump would be 2^32 bytes in one poll: hundreds of times the rate
      const peaks = await prom.query(`max_over_time(rate(${metric}{device="${name}"}[20s])[${span}:1s])`, end);
      assert.equal(peaks.length, INTERFACES);
      for (const s of peaks) {
        const expected = rateBytes(d, Number(s.metric.index));
        assert.ok(Number(s.value![1]) < expected * 1.5, `${name} ifIndex ${s.metric.index}: peak ${s.value![1]} B/s, configured ${expected}`);
      }
    }
    // the reboot shows in sysUpTime too
    const uptime = await prom.query(`resets(snmp_sysUpTime{device="${fleet.devices[REBOOT.device].name}"}[${span}])`, end);
    assert.ok(Number(uptime[0]?.value?.[1]) >= 1);
  });

  it('shows the dark device down in the health, and its series stale', async function () {
    const name = fleet.devices[DARK.device].name;
    const up = await prom.query(`snmp_fleet_device_up{device="${name}"}`, end);
    assert.deepEqual(up.map((s) => [s.metric.node, s.value![1]]).sort(), [['interfaces', '0'], ['system', '0']]);
    const failures = await prom.query('snmp_fleet_poll_failures_total{node="interfaces",code="timeout"}', end);
    assert.ok(Number(failures[0]?.value?.[1]) > 10);
    assert.deepEqual(await prom.query(`snmp_ifHCInOctets_total{device="${name}"}`, end), [], 'stale now');
    const before = await prom.query(`snmp_ifHCInOctets_total{device="${name}"}`, Math.floor(t0 / 1000) + DARK.atS - 5);
    assert.equal(before.length, INTERFACES, 'present before it went dark');
    const others = await prom.query(`count(snmp_fleet_device_up{node="interfaces"} == 1)`, end);
    assert.equal(Number(others[0].value![1]), DEVICES - 1);
  });

  it('keeps label values with quotes, backslashes, line feeds and non-ASCII intact', async function () {
    const series = await prom.query('snmp_sysUpTime{rack!=""}', end);
    assert.equal(series.length, 1, JSON.stringify(series));
    const m = series[0].metric;
    assert.equal(m.device, WEIRD.name);
    assert.equal(m.site, WEIRD.site);
    assert.equal(m.rack, WEIRD.rack);
    // and the label columns: ifName from the walk
    const named = await prom.query(`snmp_ifHighSpeed{device="${fleet.devices[0].name}",index="1"}`, end);
    assert.ok(named[0]?.metric.ifName, JSON.stringify(named));
  });

  it('holds the series cap: 1,000 of 3,000 rows served, the rest counted as dropped', async function () {
    const count = await prom.query('count(flood_v)', end);
    assert.equal(Number(count[0].value![1]), 1000);
    const dropped = await prom.query('snmp_fleet_metrics_dropped_total{job="capped",reason="cap"}', end);
    assert.ok(Number(dropped[0].value![1]) >= 2000, JSON.stringify(dropped));
    assert.equal(Number((await prom.query('snmp_fleet_metrics_series{job="capped"}', end))[0].value![1]), 1000);
    assert.equal((await prom.query('snmp_fleet_device_up{job="capped"}', end)).length, 0, 'no pack health where not asked for');
  });

  it('answers 401 without credentials and 200 with them, under httpNodeRoot, after httpNodeMiddleware', async function () {
    assert.equal((await fetch(`${red.url}/api/metrics`)).status, 401);
    assert.equal((await fetch(`${red.url}/metrics`)).status, 404, 'served under httpNodeRoot only');
    const ok = await fetch(`${red.url}/api/metrics`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-snmp-fleet-middleware'), 'ran');
    assert.equal(ok.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await ok.text(), /^snmp_fleet_metrics_series\{node="fleet metrics",node_id="metrics"\} \d+$/m);
  });
});
