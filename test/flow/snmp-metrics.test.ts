/**
 * snmp-metrics through node-red-node-test-helper: snmp-bulkwalk and snmp-get against the
 * simulator into snmp-metrics, scraped over HTTP from Node-RED's HTTP node app (served
 * by a real server here), with the poll node's health; one path per node; bad input to
 * Catch; and 50 redeploys that leave no route and no timer behind.
 */
import { strict as assert } from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { catchNode, collect, helper, statusesOf } from '../support/flow';
import { activeTimers } from '../support/handles';
import { startFleet, type Fleet } from '../../src/sim/fleet';

const snmpConfigNode = require('../../src/snmp-config');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const snmpGetNode = require('../../src/snmp-get');
const metricsModule = require('../../src/snmp-metrics');

/** The HTTP node app of the latest load (the helper makes a new one per load). */
let httpNode: any;
const metricsNode = (RED: any) => {
  httpNode = RED.httpNode;
  return metricsModule(RED);
};

const INTERFACES = 4;

function flow(fleet: Fleet, metrics: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab', version: '2c', inventory: fleet.inventoryText(), timeout: 500, retries: 0 },
    { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', name: 'interfaces', snmp: 'cfg', oids: 'ifName\nifHCInOctets\nifHighSpeed\nifOperStatus', output: 'rows', wires: [['m', 'done'], ['m', 'done']] },
    { id: 'get', type: 'snmp-get', z: 'tab', name: 'system', snmp: 'cfg', oids: 'sysUpTime.0\nsysName.0', wires: [['m', 'done'], ['m', 'done']] },
    { id: 'm', type: 'snmp-metrics', z: 'tab', name: '', path: '/metrics', prefix: 'snmp_', labelColumns: 'ifName', staleAfter: '3', maxSeries: '1000', health: true, ...metrics },
    { id: 'done', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** Serves the current HTTP node app on a free port for the length of `fn`. */
async function scrape(path = '/metrics', headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; body: string }> {
  const server = http.createServer((req, res) => httpNode(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, { headers });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/** Routes of the HTTP node app whose path is `path`. */
function routesAt(path: string): number {
  const stack = (httpNode._router ?? httpNode.router)?.stack ?? [];
  return stack.filter((l: any) => l.route?.path === path).length;
}

describe('snmp-metrics node', function () {
  this.timeout(30000);
  let fleet: Fleet;

  before(async () => {
    fleet = await startFleet({ count: 3, interfaces: INTERFACES, labels: { site: ['paris', 'lyon'] } });
  });
  after(async () => {
    await fleet?.close();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('serves the walked interfaces and the polled scalars of every device, with the poll nodes\' health', async () => {
    await helper.load([snmpConfigNode, bulkwalkNode, snmpGetNode, metricsNode, catchNode], flow(fleet));
    const done = collect('done');
    helper.getNode('walk').receive({ payload: 1 });
    helper.getNode('get').receive({ payload: 1 });
    await done.wait(6);
    const res = await scrape();
    assert.equal(res.status, 200);
    assert.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
    const counters = res.body.split('\n').filter((l) => l.startsWith('snmp_ifHCInOctets_total{'));
    assert.equal(counters.length, 3 * INTERFACES);
    const d = fleet.devices[1];
    assert.ok(counters.some((l) => l.startsWith(`snmp_ifHCInOctets_total{device="${d.name}",host="${d.host}:${d.port}",site="lyon",index="2",ifName="`)), counters.join('\n'));
    assert.match(res.body, /^# TYPE snmp_ifHCInOctets_total counter$/m);
    assert.match(res.body, /^# TYPE snmp_ifHighSpeed gauge$/m);
    assert.match(res.body, new RegExp(`^snmp_sysUpTime\\{device="${d.name}",host="${d.host}:${d.port}",site="lyon"\\} \\d+$`, 'm'));
    // health: the poll nodes report up, durations, polls, requests and varbinds
    assert.match(res.body, new RegExp(`^snmp_fleet_device_up\\{node="interfaces",node_id="walk",device="${d.name}",host="${d.host}:${d.port}"\\} 1$`, 'm'));
    assert.match(res.body, /^snmp_fleet_polls_total\{node="system",node_id="get"\} 3$/m);
    assert.match(res.body, /^snmp_fleet_varbinds_total\{node="interfaces",node_id="walk"\} 48$/m);
    assert.match(res.body, /^snmp_fleet_device_poll_duration_seconds\{node="interfaces",node_id="walk",.*\} [0-9.e-]+$/m);
    // the status tells at a glance
    await new Promise((r) => setTimeout(r, 1200));
    assert.match(statusesOf('m').at(-1).text, /snmp-metrics\.status\.series/);
  });

  it('turns a dark device down in the health and lets its series go stale', async () => {
    await helper.load([snmpConfigNode, bulkwalkNode, snmpGetNode, metricsNode, catchNode], flow(fleet, { staleAfter: '1' }));
    const done = collect('done');
    // two cycles answered, then two with the last device dark; each a little over a second apart
    for (let cycle = 0; cycle < 4; cycle++) {
      if (cycle === 2) fleet.device(2).setSilent(true);
      if (cycle > 0) await new Promise((r) => setTimeout(r, 1100));
      helper.getNode('walk').receive({ payload: cycle });
      await done.wait(3 * (cycle + 1));
    }
    fleet.device(2).setSilent(false);
    const body = (await scrape()).body;
    const dark = fleet.devices[2].name;
    assert.match(body, new RegExp(`^snmp_fleet_device_up\\{node="interfaces",node_id="walk",device="${dark}",.*\\} 0$`, 'm'));
    assert.match(body, /^snmp_fleet_poll_failures_total\{node="interfaces",node_id="walk",code="timeout"\} 2$/m);
    assert.ok(!body.includes(`snmp_ifHCInOctets_total{device="${dark}"`), 'the dark device\'s series are gone after one interval');
    assert.ok(body.includes(`snmp_ifHCInOctets_total{device="${fleet.devices[0].name}"`), 'the others stay');
  });

  it('hands a payload that is no object to Catch, and refuses a second node on its path', async () => {
    const f = flow(fleet);
    f.push({ id: 'm2', type: 'snmp-metrics', z: 'tab', name: 'again', path: '/metrics', wires: [] } as any);
    await helper.load([snmpConfigNode, bulkwalkNode, snmpGetNode, metricsNode, catchNode], f);
    const first = statusesOf('m').at(-1);
    const second = statusesOf('m2').at(-1);
    // which of the two starts first is Node-RED's choice; exactly one serves
    const red = [first, second].filter((s) => s?.fill === 'red');
    assert.equal(red.length, 1, JSON.stringify([first, second]));
    assert.match(red[0].text, /snmp-metrics\.status\.path-in-use/);
    assert.equal(routesAt('/metrics'), 1);
    const caught = collect('caught');
    helper.getNode(first?.fill === 'red' ? 'm2' : 'm').receive({ topic: 'x', payload: 'just text' });
    const [m] = await caught.wait(1);
    assert.match(m.error.message, /snmp-metrics\.errors\.bad-payload/);
  });

  it('leaves no route and no timer behind after 50 redeploys', async function () {
    this.timeout(60000);
    const f = flow(fleet);
    await helper.load([snmpConfigNode, bulkwalkNode, snmpGetNode, metricsNode, catchNode], f);
    const timers = activeTimers();
    for (let i = 0; i < 50; i++) {
      const next = JSON.parse(JSON.stringify(f));
      next.find((n: any) => n.id === 'm').name = `metrics-${i}`;
      await (helper as any).setFlows(next, 'nodes');
      helper.getNode('m').receive({ topic: 'x', payload: { v: i } });
    }
    assert.equal(routesAt('/metrics'), 1);
    const body = (await scrape()).body;
    assert.match(body, /^snmp_v\{device="x"\} 49$/m);
    // the last node's status update (at most one a second) is due by then
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(activeTimers() <= timers, `timers ${timers} → ${activeTimers()}`);
  });
});
