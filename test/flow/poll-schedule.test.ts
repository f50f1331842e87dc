/**
 * snmp-get and snmp-bulkwalk polling on their own schedule (`schedule: "interval"`),
 * through node-red-node-test-helper against simulated devices: polls without any input,
 * a msg.targets list applied in place, entries that cannot be polled reported one by one
 * on output 2, immediate polls on other input, a busy device skipped and never polled
 * twice at once, the bad-configuration rule for the new properties, and no timer left
 * after close. Also the per-entry reporting of msg.targets in the input mode.
 */
import { strict as assert } from 'assert';
import { helper, collect, errorLogs, logText, statusesOf } from '../support/flow';
import { activeTimers, openUdpSockets } from '../support/handles';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { collectHealth } from '../../src/lib/red/health-registry';

const snmpConfigNode = require('../../src/snmp-config');
const snmpGetNode = require('../../src/snmp-get');
const snmpBulkwalkNode = require('../../src/snmp-bulkwalk');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const INTERVAL_S = 5;

function flow(configProps: Record<string, unknown>, getProps: Record<string, unknown> = {}, type = 'snmp-get') {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab-v2c', version: '2c', timeout: 1000, retries: 0, ...configProps },
    { id: 'poll', type, z: 'tab', name: '', x: 100, y: 200, snmp: 'cfg', oids: 'sysName.0\nsysUpTime.0', schedule: 'interval', interval: String(INTERVAL_S), wires: [['ok'], ['fail']], ...getProps },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'fail', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', name: '', x: 100, y: 100, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}
const creds = { cfg: { community: 'public' } };
const nodes = [snmpConfigNode, snmpGetNode, snmpBulkwalkNode, catchNode];

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The polls of one device never overlap: for snmp-get (one request a poll) `snmp.time`
 * is the answer, so a poll spans [time - elapsedMs, time].
 */
function assertNoOverlap(msgs: any[]): void {
  const byDevice = new Map<string, Array<[number, number]>>();
  for (const m of msgs) {
    const key = `${m.device.host}:${m.device.port}`;
    if (!byDevice.has(key)) byDevice.set(key, []);
    byDevice.get(key)!.push([m.snmp.time - m.snmp.elapsedMs, m.snmp.time]);
  }
  for (const [key, spans] of byDevice) {
    spans.sort((a, b) => a[0] - b[0]);
    // 2 ms: both ends are whole milliseconds of the same clock, read at different moments
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1] - 2, `${key}: a poll from ${spans[i][0]} while the one of ${spans[i - 1][0]}-${spans[i - 1][1]} ran`);
  }
}

describe('poll nodes on their own schedule', function () {
  this.timeout(90000);
  let fleet: Fleet;
  before(async () => { fleet = await startFleet({ count: 8, interfaces: 4, labels: { site: ['paris', 'lyon'] } }); });
  after(async () => { if (fleet) await fleet.close(); });
  afterEach(() => helper.unload());

  const line = (i: number, extra = '') => `${fleet.devices[i].host}:${fleet.devices[i].port} ${fleet.devices[i].name}${extra}`;

  it('polls every device of the inventory by itself, each at its interval, in fresh messages', async () => {
    const inventory = [line(0), line(1, ' interval=10 site=x'), line(2)].join('\n');
    await helper.load(nodes, flow({ inventory }), creds);
    const ok = collect('ok');
    const started = Date.now();
    // two turns of every 5-s device, one of the 10-s one, within two intervals of 10 s
    await until('three polls of each 5-s device', () => ['sim-0000', 'sim-0002'].every((n) => ok.msgs.filter((m) => m.topic === n).length >= 3) && ok.msgs.some((m) => m.topic === 'sim-0001'), 40000);
    const elapsed = Date.now() - started;
    for (const m of ok.msgs) {
      assert.equal(typeof m._msgid, 'string');
      assert.equal(m.payload['sysName.0'], m.topic);
      assert.equal(m.targets, undefined);
    }
    const times = (n: string) => ok.msgs.filter((m) => m.topic === n).map((m) => m.snmp.time);
    // the first turn also loads the MIBs; the next ones come one interval apart (answer times: + loopback latency)
    const [, a, b] = times('sim-0000');
    assert.ok(b - a > (INTERVAL_S - 1) * 1000 && b - a < (INTERVAL_S + 1) * 1000, `turns ${b - a} ms apart`);
    assert.deepEqual(ok.msgs.find((m) => m.topic === 'sim-0001').device.labels, { site: 'x' }, 'interval is not a label');
    assertNoOverlap(ok.msgs);
    const s = statusesOf('poll').filter((x) => /status\.scheduled/.test(x.text ?? '')).pop();
    assert.ok(s, 'the status shows the schedule');
    assert.equal(s.fill, 'green');
    console.log(`      three turns of every 5-s device within ${(elapsed / 1000).toFixed(1)} s`);
  });

  it('takes msg.targets as its inventory in place: new devices polled, removed ones stop, bad entries on output 2 one by one', async () => {
    await helper.load(nodes, flow({}), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const caught = collect('caught');
    const node = helper.getNode('poll');
    assert.ok(statusesOf('poll').some((s) => /status\.waiting/.test(s.text ?? '') && s.fill === 'grey'));
    const d = fleet.devices;
    const rows = [
      { host: d[3].host, port: d[3].port, name: d[3].name, profile: 'lab-v2c', interval: 5, labels: '{"site":"paris"}' },
      { host: d[4].host, port: d[4].port, name: d[4].name, profile: null, interval: null, labels: null },
      { host: 'not a host', port: 161, name: 'bad-host', labels: null },
      { host: d[5].host, port: d[5].port, name: 'too-fast', interval: 2 },
      { host: d[5].host, port: d[5].port, name: 'bad-json', labels: '{site: x}' },
      { host: d[6].host, port: d[6].port, name: 'bad-profile', profile: 7 },
      { host: d[3].host, port: d[3].port, name: 'twice' },
    ];
    node.receive({ topic: 'SELECT ...', payload: rows, targets: rows });
    const bad = await fail.wait(5, 10000);
    assert.deepEqual(bad.map((m) => m.error.code), ['bad-target', 'bad-target', 'bad-target', 'bad-target', 'bad-target']);
    assert.deepEqual(bad.map((m) => m.error.index).sort(), [2, 3, 4, 5, 6]);
    const byName = new Map(bad.map((m) => [m.topic, m]));
    assert.match(byName.get('bad-host').error.message, /^msg\.targets\[2\] \(not a host:161\): "not a host" is not a host name/);
    assert.match(byName.get('too-fast').error.message, /below the floor of 5 s/);
    assert.match(byName.get('bad-json').error.message, /labels are not JSON/);
    assert.match(byName.get('bad-profile').error.message, /profile of target 127\.0\.0\.1 must be the name of an snmp-config node/);
    assert.match(byName.get('twice').error.message, /the same device as msg\.targets\[0\]/);
    assert.deepEqual(byName.get('bad-host').target, { host: 'not a host', port: 161, name: 'bad-host', labels: null }, 'the row, to find it');
    assert.equal(byName.get('bad-host').payload, null);
    assert.equal(byName.get('bad-host').error.source.id, 'poll');
    assert.equal(byName.get('bad-host').topic, 'bad-host');
    // the two good rows are polled within one interval
    await until('both good rows polled', () => new Set(ok.msgs.map((m) => m.topic)).size === 2, 20000);
    // the scheduled turns feed the node's health (snmp-metrics): one series per device polled
    const healthOf = (name: string) => (collectHealth().find((f) => f.name === name)?.samples ?? []).filter((x) => x.labels.node_id === 'poll');
    assert.deepEqual(healthOf('snmp_fleet_device_up').map((x) => [x.labels.device, x.value]).sort(), [[d[3].name, 1], [d[4].name, 1]]);
    assert.ok(healthOf('snmp_fleet_polls_total')[0].value >= 2);
    assert.deepEqual(ok.msgs.find((m) => m.topic === d[3].name).device.labels, { site: 'paris' });
    assert.equal(ok.msgs[0].payload.length, undefined, 'a turn does not carry the rows of the list that set it up');
    // the same list again: the bad entries are sent again, not logged again
    const warnsBefore = logText().match(/snmp-get\.log\.bad-target/g)!.length;
    assert.equal(warnsBefore, 5);
    node.receive({ targets: rows });
    await fail.wait(10, 10000);
    assert.equal(logText().match(/snmp-get\.log\.bad-target/g)!.length, 5);
    const s = await until('status with the bad count', () => statusesOf('poll').filter((x) => /bad-targets/.test(x.text ?? '')).pop());
    assert.equal(s.text, 'snmp-get.status.scheduled · snmp-get.status.bad-targets');
    assert.equal(s.fill, 'yellow');
    // a new list: device 3 stays, 4 goes, 7 comes
    const polls4 = () => fleet.device(4).stats().requests;
    node.receive({ targets: [rows[0], { host: d[7].host, port: d[7].port, name: d[7].name }] });
    await until('device 7 polled', () => ok.msgs.some((m) => m.topic === d[7].name), 15000);
    const settled = polls4();
    await new Promise((r) => setTimeout(r, (INTERVAL_S + 1) * 1000));
    assert.equal(polls4(), settled, 'a removed device is polled no more');
    assert.deepEqual(healthOf('snmp_fleet_device_up').map((x) => x.labels.device).sort(), [d[3].name, d[7].name], 'nor reported');
    assert.equal(caught.msgs.length, 0);
    // an empty list empties the schedule
    node.receive({ targets: [] });
    await until('waiting again', () => statusesOf('poll').slice(-1)[0]?.text?.includes('status.waiting'));
    assertNoOverlap(ok.msgs);
  });

  it('polls at once what an input names: msg.target alone, any other message every scheduled device', async () => {
    await helper.load(nodes, flow({ inventory: [line(0), line(1)].join('\n') }, { interval: '3600' }), creds);
    const ok = collect('ok');
    const node = helper.getNode('poll');
    // with an hour's interval the devices' first turns lie far ahead; drain what came now
    await new Promise((r) => setTimeout(r, 300));
    const before = ok.msgs.length;
    node.receive({ payload: 'now', keep: 'me' });
    const msgs = await ok.wait(before + 2, 10000);
    const now = msgs.slice(before);
    assert.deepEqual(now.map((m) => m.topic).sort(), ['sim-0000', 'sim-0001']);
    assert.ok(now.every((m) => m.keep === 'me'), 'an immediate poll answers with copies of its input');
    node.receive({ target: line(2) });
    await ok.wait(before + 3, 10000);
    assert.equal(ok.msgs[before + 2].topic, 'sim-0002');
  });

  it('skips and counts a turn while the device is still busy, never polling it twice at once', async () => {
    // answers after 6 s: each poll outlasts the 5-s interval
    fleet.device(5).setSlow(6000);
    try {
      await helper.load(nodes, flow({ inventory: [line(5), line(6)].join('\n'), timeout: 8000 }), creds);
      const ok = collect('ok');
      await until('a skipped turn in the status', () => statusesOf('poll').some((s) => /status\.skipped/.test(s.text ?? '')), 40000);
      await until('two answers of the slow device', () => ok.msgs.filter((m) => m.topic === 'sim-0005').length >= 2, 40000);
      assertNoOverlap(ok.msgs);
      const slow = ok.msgs.filter((m) => m.topic === 'sim-0005');
      assert.ok(slow.every((m) => m.snmp.elapsedMs >= 5000));
      assert.ok(fleet.device(5).stats().requests <= slow.length + 1, 'one request per poll, none stacked');
      // the health counts the skipped turns too
      const skipped = collectHealth().find((f) => f.name === 'snmp_fleet_skipped_total')!.samples.find((x) => x.labels.node_id === 'poll')!;
      assert.ok(skipped.value >= 1, `skipped ${skipped.value}`);
    } finally {
      fleet.device(5).setSlow(0);
    }
  });

  it('keeps each device\'s moment across a redeploy, and its counter-rate series across one with another inventory', async () => {
    const counterRateNode = require('../../src/counter-rate');
    const f = (inventory: string, name = 'lab-v2c') => {
      const nodes: any[] = flow({ inventory }, { oids: 'ifHCInOctets.1\nsysUpTime.0', wires: [['ok', 'rate'], ['fail']] });
      nodes[1].name = name;
      nodes.push({ id: 'rate', type: 'counter-rate', z: 'tab', x: 1, y: 2, width: 'auto', mode: 'rate', wires: [['rated']] }, { id: 'rated', type: 'helper', z: 'tab' });
      return nodes;
    };
    const all = [...nodes, counterRateNode];
    const first = [line(0), line(1)].join('\n');
    await helper.load(all, f(first), creds);
    let ok = collect('ok');
    await until('two polls of sim-0000', () => ok.msgs.filter((m) => m.topic === 'sim-0000').length >= 2, 20000);
    const before = ok.msgs.filter((m) => m.topic === 'sim-0000').map((m) => m.snmp.time - m.snmp.elapsedMs);
    // the same devices under a renamed profile: the poll node restarts and polls at the same moments
    // ("modified nodes": Node-RED clears the context of every node a full deploy restarts
    // unless settings.js configures contextStorage, and counter-rate's series live there)
    await helper.setFlows(f(first, 'renamed'), 'nodes', creds);
    ok = collect('ok');
    await until('a poll of sim-0000 after the redeploy', () => ok.msgs.some((m) => m.topic === 'sim-0000'), 20000);
    const after = ok.msgs.find((m) => m.topic === 'sim-0000');
    const drift = ((after.snmp.time - after.snmp.elapsedMs - before[0]) % (INTERVAL_S * 1000) + INTERVAL_S * 1000) % (INTERVAL_S * 1000);
    // the phase, give or take the time a poll takes to start on a busy machine
    assert.ok(Math.min(drift, INTERVAL_S * 1000 - drift) < 1000, `moved by ${drift} ms in the interval`);
    // another inventory: sim-0000 stays, sim-0001 goes, sim-0002 comes; the rates of sim-0000 go on
    await helper.setFlows(f([line(0), line(2)].join('\n')), 'nodes', creds);
    const rated = collect('rated');
    ok = collect('ok');
    await until('a poll of sim-0000 and sim-0002', () => ok.msgs.some((m) => m.topic === 'sim-0000') && ok.msgs.some((m) => m.topic === 'sim-0002'), 20000);
    await until('counter-rate passed on the poll of sim-0000', () => rated.msgs.some((m) => m.topic === 'sim-0000'), 5000);
    const firstAfter = rated.msgs.find((m) => m.topic === 'sim-0000');
    assert.equal(typeof firstAfter.payload['ifHCInOctets.1'], 'number', 'the first poll after the redeploy already has a rate');
    assert.ok(!ok.msgs.some((m) => m.topic === 'sim-0001'), 'the removed device is not polled');
  });

  it('walks on its own schedule too', async () => {
    await helper.load(nodes, flow({ inventory: line(0) }, { oids: 'ifTable', output: 'rows' }, 'snmp-bulkwalk'), creds);
    const ok = collect('ok');
    const [m] = await ok.wait(1, 20000);
    assert.equal(m.payload.length, 4);
    assert.equal(m.types.ifDescr, 'OctetString');
  });

  for (const [label, props, reason] of [
    ['no OIDs of its own', { oids: '' }, /needs its own OID list/],
    ['an interval below the floor', { interval: '2' }, /interval 2 is below the floor of 5 s/],
    ['an unknown schedule', { schedule: 'cron' }, /schedule must be one of input, interval/],
  ] as const) {
    it(`refuses ${label}: red ring, one error line, every input to Catch`, async () => {
      await helper.load(nodes, flow({ inventory: line(0) }, props), creds);
      const caught = collect('caught');
      assert.deepEqual(statusesOf('poll').at(-1), { fill: 'red', shape: 'ring', text: 'snmp-get.status.bad-property' });
      assert.equal(errorLogs('snmp-get.errors.bad-property').length, 1);
      helper.getNode('poll').receive({ payload: 1 });
      const [m] = await caught.wait(1);
      assert.match(m.error.message, reason);
    });
  }

  it('leaves no timer or socket behind across 20 redeploys', async () => {
    const f = flow({ inventory: [line(0), line(1)].join('\n') });
    const pollNow = async () => {
      const ok = collect('ok');
      helper.getNode('poll').receive({ payload: 'now' });
      await ok.wait(2, 20000);
    };
    await helper.load(nodes, f, creds);
    await pollNow();
    const sockets = openUdpSockets();
    const timers = activeTimers();
    for (let i = 0; i < 20; i++) {
      const next = JSON.parse(JSON.stringify(f));
      next[1].name = `lab-${i}`; // a changed config node restarts it and its users
      await helper.setFlows(next, 'full', creds);
      await pollNow();
    }
    await until('timers and sockets back', () => activeTimers() <= timers && openUdpSockets() <= sockets, 5000);
  });
});

describe('poll nodes on messages: msg.targets entry by entry', function () {
  this.timeout(30000);
  let fleet: Fleet;
  before(async () => { fleet = await startFleet({ count: 2, interfaces: 2 }); });
  after(async () => { if (fleet) await fleet.close(); });
  afterEach(() => helper.unload());

  it('polls the good entries and reports each bad one on output 2, with a copy of the input', async () => {
    await helper.load(nodes, flow({}, { schedule: 'input', interval: '' }), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const caught = collect('caught');
    const d = fleet.devices;
    helper.getNode('poll').receive({ keep: 'me', targets: [`${d[0].host}:${d[0].port} a`, 'bad..host', { host: d[1].host, port: d[1].port, profile: 'elsewhere' }, `${d[0].host}:${d[0].port} again`] });
    await ok.wait(1);
    const bad = await fail.wait(3);
    // an entry read fine whose profile no snmp-config node has fails its poll (code profile), as on a scaled-out worker
    assert.deepEqual(bad.map((m) => m.error.code), ['bad-target', 'bad-target', 'profile']);
    assert.ok(bad.every((m) => m.keep === 'me' && m.targets === undefined));
    // unnamed, on a port other than the profile's: named host:port
    assert.deepEqual(bad.map((m) => m.topic).sort(), [`${d[1].host}:${d[1].port}`, 'again', 'bad..host'].sort());
    const unknown = bad.find((m) => m.error.code === 'profile');
    assert.deepEqual(unknown.device, { host: d[1].host, port: d[1].port, name: `${d[1].host}:${d[1].port}`, labels: {}, profile: 'elsewhere' }, 'the device of an unknown profile is named in full');
    assert.match(unknown.error.message, /snmp-get\.errors\.profile-unknown/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ok.msgs.length, 1);
    assert.equal(caught.msgs.length, 0);
    const s = statusesOf('poll').pop();
    assert.match(s.text, /status\.summary.*status\.bad-targets/);
  });

  it('still hands a message with no usable list to Catch', async () => {
    await helper.load(nodes, flow({}, { schedule: '', interval: '' }), creds);
    const caught = collect('caught');
    helper.getNode('poll').receive({ targets: [] });
    const [m] = await caught.wait(1);
    assert.match(m.error.message, /msg\.targets is empty/);
  });
});
