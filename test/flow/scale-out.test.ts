/**
 * The scale-out pieces inside one Node-RED (test helper), against the simulator:
 * msg.targets entries naming the snmp-config profile to poll them with (mixed
 * credentials in one worker flow, an unknown profile a failure on output 2), results
 * in their JSON form read back by counter-rate and threshold-alert with no node in
 * between, and jobs past their deadline dropped and counted, never polled late.
 */
import { strict as assert } from 'assert';
import { helper, collect, nextStatus, statusesOf } from '../support/flow';
import { startFleet, type Fleet } from '../../src/sim/fleet';

const snmpConfigNode = require('../../src/snmp-config');
const snmpGetNode = require('../../src/snmp-get');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const counterRateNode = require('../../src/counter-rate');
const alertNode = require('../../src/threshold-alert');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scale-out in one flow: profiles by name, the JSON form, deadlines', function () {
  this.timeout(60000);
  let alpha: Fleet;
  let beta: Fleet;

  before(async () => {
    alpha = await startFleet({ count: 2, interfaces: 2, community: 'alpha-S3cret', namePrefix: 'a', rate: () => 1e6 });
    beta = await startFleet({ count: 2, interfaces: 2, community: 'beta-S3cret', namePrefix: 'b', rate: () => 2e6 });
  });
  after(async () => {
    await alpha?.close();
    await beta?.close();
  });
  afterEach(async () => {
    await helper.unload();
  });

  function workerFlow(getProps: Record<string, unknown> = {}) {
    return [
      { id: 'tab', type: 'tab', label: 'worker' },
      { id: 'cfgA', type: 'snmp-config', z: 'tab', name: 'site-a', version: '2c', timeout: 500, retries: 0, concurrency: 10 },
      { id: 'cfgB', type: 'snmp-config', z: 'tab', name: 'core-v2', version: '2c', timeout: 500, retries: 0 },
      { id: 'get', type: 'snmp-get', z: 'tab', snmp: 'cfgA', oids: 'sysName.0\nsysUpTime.0', wires: [['ok'], ['fail']], ...getProps },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
  }
  const creds = { cfgA: { community: 'alpha-S3cret' }, cfgB: { community: 'beta-S3cret' } };

  it('polls each target with the profile it names; an unknown profile is a failure on output 2', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], workerFlow(), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const caught = collect('caught');
    const [a0, a1] = alpha.devices;
    const [b0, b1] = beta.devices;
    helper.getNode('get').receive({
      targets: [
        `${a0.host}:${a0.port} ${a0.name}`,
        { host: a1.host, port: a1.port, name: a1.name, labels: { site: 'a' } },
        { host: b0.host, port: b0.port, name: b0.name, profile: 'core-v2' },
        `${b1.host}:${b1.port} ${b1.name} profile=core-v2 site=b`,
        { host: '127.0.0.1', port: 9, name: 'ghost', profile: 'no-such-profile' },
      ],
    });
    await ok.wait(4);
    const [failure] = await fail.wait(1);
    assert.deepEqual(ok.msgs.map((m) => m.payload['sysName.0']).sort(), [a0.name, a1.name, b0.name, b1.name]);
    const b1msg = ok.msgs.find((m) => m.topic === b1.name);
    assert.deepEqual(b1msg.device, { host: b1.host, port: b1.port, name: b1.name, labels: { site: 'b' }, profile: 'core-v2' }, 'profile is no label');
    assert.equal(failure.topic, 'ghost');
    assert.equal(failure.payload, null);
    assert.equal(failure.error.code, 'profile');
    assert.match(failure.error.message, /snmp-get\.errors\.profile-unknown/);
    assert.equal(caught.msgs.length, 0, 'not a Catch matter: one device fails, the others are polled');
    const all = JSON.stringify([...ok.msgs, ...fail.msgs]);
    assert.ok(!all.includes('S3cret'), 'no community in any message');
    // warned once, however often it comes
    helper.getNode('get').receive({ targets: [{ host: '127.0.0.1', port: 9, name: 'ghost', profile: 'no-such-profile' }] });
    await fail.wait(2);
    const warned = helper.log().args.filter((a: any[]) => /profile-unknown/.test(String(a[0]?.msg)));
    assert.equal(warned.length, 1);
  });

  it('two config nodes of one name, or an invalid one: the device fails with the reason, nothing crashes', async () => {
    const flow = workerFlow();
    flow.push({ id: 'cfgB2', type: 'snmp-config', z: 'tab', name: 'core-v2', version: '2c' } as any);
    flow.push({ id: 'cfgBad', type: 'snmp-config', z: 'tab', name: 'broken', version: '7' } as any);
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow, creds);
    const fail = collect('fail');
    const [b0, b1] = beta.devices;
    helper.getNode('get').receive({ targets: [{ host: b0.host, port: b0.port, profile: 'core-v2' }, { host: b1.host, port: b1.port, name: 'x', profile: 'broken' }] });
    await fail.wait(2);
    await sleep(300);
    assert.deepEqual(fail.msgs.map((m) => [m.error.code, m.error.message.split(' ')[0]]).sort(), [['profile', 'snmp-get.errors.profile-ambiguous'], ['profile', 'snmp-get.errors.profile-invalid']]);
    assert.equal(fail.msgs.length, 2);
  });

  it('results in the JSON form come back through counter-rate and threshold-alert as the poll node sent them', async () => {
    const flow = [
      { id: 'tab', type: 'tab', label: 'one process' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'fleet', version: '2c', timeout: 500, retries: 0 },
      { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', snmp: 'cfg', oids: 'sysUpTime\nifDescr\nifHCInOctets', nonRepeaters: 1, output: 'rows', form: 'json', wires: [['wire'], ['wire']] },
      // what MQTT does to a message: JSON text one way, parsed back on the other side
      { id: 'wire', type: 'helper', z: 'tab' },
      { id: 'cr', type: 'counter-rate', z: 'tab', scale: '8', store: '', wires: [['rates']] },
      { id: 'ta', type: 'threshold-alert', z: 'tab', store: '', rules: [{ kind: 'device-down', name: 'DeviceDown', for: '0', severity: 'critical', summary: '{{device}} down' }], wires: [['alerts']] },
      { id: 'rates', type: 'helper', z: 'tab' },
      { id: 'alerts', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode, alertNode, catchNode], flow, { cfg: { community: 'alpha-S3cret' } });
    const wire = collect('wire');
    const rates = collect('rates');
    const alerts = collect('alerts');
    const caught = collect('caught');
    const [a0] = alpha.devices;
    const targets = [{ host: a0.host, port: a0.port, name: a0.name }, { host: '127.0.0.1', port: 9, name: 'dead' }];
    const relay = (from: number) => {
      for (const m of wire.msgs.slice(from)) {
        assert.equal(typeof m.payload, 'object');
        assert.equal(m.payload.snmpResult, 1);
        const text = JSON.stringify(m.payload);
        helper.getNode('cr').receive({ topic: 'snmp-fleet/results', payload: JSON.parse(text) });
        helper.getNode('ta').receive({ topic: 'snmp-fleet/results', payload: JSON.parse(text) });
      }
    };
    helper.getNode('walk').receive({ targets });
    await wire.wait(2);
    relay(0);
    await sleep(1500);
    helper.getNode('walk').receive({ targets });
    await wire.wait(4);
    relay(2);
    await rates.wait(4);
    const withRates = rates.msgs.filter((m) => m.payload && m.payload[0] && typeof m.payload[0].ifHCInOctets === 'number');
    assert.equal(withRates.length, 1, JSON.stringify(rates.msgs.map((m) => m.payload)));
    const m = withRates[0];
    assert.equal(m.topic, a0.name);
    assert.deepEqual(m.device, { host: a0.host, port: a0.port, name: a0.name, labels: {} });
    for (const row of m.payload) assert.ok(Math.abs(row.ifHCInOctets - 8e6) / 8e6 < 0.02, `${row.ifHCInOctets} b/s`);
    assert.equal(m.payload[0].ifDescr !== undefined, true, 'the other columns stay');
    const down = await alerts.wait(1);
    assert.deepEqual([down[0].payload.status, down[0].payload.device], ['firing', 'dead'], 'the failure form feeds device-down');
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs));
    // a broken form is a Catch matter with the reason
    helper.getNode('cr').receive({ payload: { snmpResult: 1, topic: 'x' } });
    const [c] = await caught.wait(1);
    assert.match(c.error.message, /not a poll result in the snmp-fleet JSON form: device/);
  });

  it('an entry that cannot be polled comes out in the JSON form too, and the aggregator passes it on as a failure, not to Catch', async () => {
    const flow = [
      { id: 'tab', type: 'tab', label: 'one process' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'fleet', version: '2c', timeout: 500, retries: 0 },
      { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', snmp: 'cfg', oids: 'sysUpTime\nifHCInOctets', nonRepeaters: 1, output: 'rows', form: 'json', wires: [['wire'], ['wire']] },
      { id: 'wire', type: 'helper', z: 'tab' },
      { id: 'cr', type: 'counter-rate', z: 'tab', scale: '8', store: '', wires: [['rates']] },
      { id: 'ta', type: 'threshold-alert', z: 'tab', store: '', rules: [{ kind: 'device-down', name: 'DeviceDown', for: '0', severity: 'critical', summary: '{{device}} down' }], wires: [['alerts']] },
      { id: 'rates', type: 'helper', z: 'tab' },
      { id: 'alerts', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode, alertNode, catchNode], flow, { cfg: { community: 'alpha-S3cret' } });
    const wire = collect('wire');
    const rates = collect('rates');
    const caught = collect('caught');
    const [a0] = alpha.devices;
    // a host that does not parse (no device), and a device listed twice (its device known)
    const targets = [{ host: a0.host, port: a0.port, name: a0.name }, { host: 'bad host', name: 'typo' }, { host: a0.host, port: a0.port, name: 'again' }];
    helper.getNode('walk').receive({ targets });
    await wire.wait(3);
    const bad = wire.msgs.filter((m) => m.payload?.error?.code === 'bad-target');
    assert.deepEqual(bad.map((m) => m.topic).sort(), ['again', 'typo']);
    for (const m of bad) {
      assert.equal(m.payload.snmpResult, 1, 'in the JSON form');
      assert.equal(m.payload.payload, null);
      assert.equal(m.error, undefined, 'the form carries the error, as for the other failures');
    }
    const typo = bad.find((m) => m.topic === 'typo')!;
    assert.equal(typo.payload.device, undefined, 'no device for a host that does not parse');
    assert.deepEqual(typo.payload.target, { host: 'bad host', name: 'typo' });
    assert.deepEqual(bad.find((m) => m.topic === 'again')!.payload.device, { host: a0.host, port: a0.port, name: 'again', labels: {} });
    for (const m of bad) {
      const text = JSON.stringify(m.payload);
      helper.getNode('cr').receive({ topic: 'snmp-fleet/results', payload: JSON.parse(text) });
      helper.getNode('ta').receive({ topic: 'snmp-fleet/results', payload: JSON.parse(text) });
    }
    await rates.wait(2);
    const passed = rates.msgs.filter((m) => m.error?.code === 'bad-target');
    assert.equal(passed.length, 2, JSON.stringify(rates.msgs));
    const t = passed.find((m) => m.topic === 'typo')!;
    assert.equal(t.payload, null);
    assert.deepEqual(t.target, { host: 'bad host', name: 'typo' });
    assert.match(t.error.message, /bad host/);
    await sleep(300);
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs.map((m) => m.error?.message)));
  });

  it('a job past its deadline is dropped and counted; devices still waiting at the deadline are not polled', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], workerFlow(), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const [a0, a1] = alpha.devices;
    const expired = nextStatus('get', (s) => /status\.expired/.test(s.text ?? ''));
    helper.getNode('get').receive({ targets: [`${a0.host}:${a0.port}`, `${a1.host}:${a1.port}`], deadline: Date.now() - 1000 });
    const s = await expired;
    assert.equal(s.fill, 'yellow');
    await sleep(500);
    assert.equal(ok.msgs.length + fail.msgs.length, 0, 'not polled');
    assert.equal(helper.log().args.filter((a: any[]) => /warn\.expired/.test(String(a[0]?.msg))).length, 1);

    // in time: polled, and the deadline does not ride along on the results
    helper.getNode('get').receive({ targets: [`${a0.host}:${a0.port}`], deadline: new Date(Date.now() + 30_000).toISOString(), messageExpiryInterval: 30 });
    const [m] = await ok.wait(1);
    assert.equal('deadline' in m || 'messageExpiryInterval' in m, false);

    // one slot, slow devices: the deadline passes while the others wait
    alpha.device(0).setSlow(800);
    alpha.device(1).setSlow(800);
    const flow = workerFlow();
    Object.assign(flow[1], { concurrency: 1, timeout: 3000 });
    await helper.unload();
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow, creds);
    const ok2 = collect('ok');
    const fail2 = collect('fail');
    const summary = nextStatus('get', (x) => /status\.summary/.test(x.text ?? ''));
    helper.getNode('get').receive({ targets: [`${a0.host}:${a0.port}`, `${a1.host}:${a1.port}`], deadline: Date.now() + 400 });
    const st = await summary;
    alpha.device(0).setSlow(0);
    alpha.device(1).setSlow(0);
    await ok2.wait(1);
    await sleep(300); // messages reach the helper node after the status
    assert.equal(ok2.msgs.length, 1, 'the first device was in flight; the second waited past the deadline');
    assert.equal(fail2.msgs.length, 0, 'and is no failure');
    assert.match(st.text, /status\.expired/);
    // bad deadlines are bad input
    const caught = collect('caught');
    helper.getNode('get').receive({ targets: [`${a0.host}:${a0.port}`], deadline: 'soon' });
    const [c] = await caught.wait(1);
    assert.match(c.error.message, /msg\.deadline must be a time/);
  });
  it('on its own schedule: entries of two profiles (its own, one by name) polled each with its profile; an unknown profile fails each turn', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], workerFlow({ schedule: 'interval', interval: '5', form: 'json' }), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const caught = collect('caught');
    const [a0, a1] = alpha.devices;
    const [b0] = beta.devices;
    const node = helper.getNode('get');
    node.receive({
      targets: [
        { host: a0.host, port: a0.port, name: a0.name },
        // its own profile by name
        `${a1.host}:${a1.port} ${a1.name} profile=site-a`,
        // beta's agents answer only beta's community: answered means polled with core-v2
        { host: b0.host, port: b0.port, name: b0.name, profile: 'core-v2' },
        { host: '127.0.0.1', port: 9, name: 'ghost', profile: 'no-such-profile' },
      ],
    });
    // within one interval each device has its turn; two turns of the ghost within two
    const started = Date.now();
    while (fail.msgs.filter((m) => m.topic === 'ghost').length < 2 || new Set(ok.msgs.map((m) => m.topic)).size < 3) {
      if (Date.now() - started > 20000) assert.fail(`not every device had its turns: ${JSON.stringify([ok.msgs.map((m) => m.topic), fail.msgs.map((m) => m.topic)])}`);
      await sleep(100);
    }
    // results of a scheduled turn in the JSON form, fresh messages
    const byTopic = new Map(ok.msgs.map((m) => [m.topic, m]));
    for (const d of [a0, a1, b0]) {
      const m = byTopic.get(d.name);
      assert.equal(m.payload.snmpResult, 1);
      assert.equal(m.payload.payload['sysName.0'], d.name);
    }
    assert.equal(byTopic.get(b0.name).payload.device.profile, 'core-v2');
    const ghost = fail.msgs.filter((m) => m.topic === 'ghost');
    for (const m of ghost) {
      assert.equal(m.payload.snmpResult, 1, 'the failure in the JSON form too');
      assert.equal(m.payload.payload, null);
      assert.equal(m.payload.error.code, 'profile');
      assert.match(m.payload.error.message, /snmp-get\.errors\.profile-unknown/);
    }
    assert.equal(fail.msgs.filter((m) => m.topic !== 'ghost').length, 0, JSON.stringify(fail.msgs.map((m) => m.payload.error)));
    assert.equal(fail.msgs.filter((m) => m.payload?.error?.code === 'bad-target').length, 0, 'an unknown profile is no bad entry');
    assert.equal(helper.log().args.filter((a: any[]) => /profile-unknown/.test(String(a[0]?.msg))).length, 1, 'warned once for all turns');
    const s = statusesOf('get').filter((x) => /status\.scheduled/.test(x.text ?? '')).pop();
    assert.match(s.text, /· profile$/, 'the commonest failure of the last minute');
    assert.equal(caught.msgs.length, 0);

    // what a message polls at once honours msg.deadline: past it, nothing is polled
    const [, b1] = beta.devices;
    const target = { host: b1.host, port: b1.port, name: b1.name, profile: 'core-v2' };
    const expired = nextStatus('get', (x) => /status\.expired/.test(x.text ?? ''));
    node.receive({ target, deadline: Date.now() - 1000 });
    const e = await expired;
    assert.match(e.text, /^snmp-get\.status\.scheduled/, 'the schedule\'s status, with the expired count');
    assert.equal(helper.log().args.filter((a: any[]) => /warn\.expired/.test(String(a[0]?.msg))).length, 1);
    await sleep(300);
    assert.ok(!ok.msgs.some((m) => m.topic === b1.name), 'not polled');
    // in time: polled at once with the profile it names (b1 is not scheduled: never busy), a copy of the input
    node.receive({ target, keep: 'me', deadline: Date.now() + 30_000 });
    const started2 = Date.now();
    while (!ok.msgs.some((m) => m.topic === b1.name)) {
      if (Date.now() - started2 > 10000) assert.fail('msg.target not polled');
      await sleep(50);
    }
    const m = ok.msgs.find((x) => x.topic === b1.name);
    assert.equal(m.keep, 'me');
    assert.equal('deadline' in m, false);
    assert.equal(m.payload.payload['sysName.0'], b1.name);
  });
});
