/**
 * snmp-get and snmp-config through node-red-node-test-helper, against a real snmpd
 * plus dead and hostile ports: messages per device, output 2, status, Catch, warnings
 * logged once, no secret anywhere, and no leak across 100 redeploys.
 */
import { strict as assert } from 'assert';
import { catchNode, helper, collect, nextStatus, logText } from '../support/flow';
import { startSnmpd, freeUdpPort, type Snmpd } from '../support/snmpd';
import { openUdpSockets, activeTimers } from '../support/handles';

const snmpConfigNode = require('../../src/snmp-config');
const snmpGetNode = require('../../src/snmp-get');

const COMMUNITY = 'Flow-S3cret-Community';

function flow(configProps: Record<string, unknown>, getProps: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab', version: '2c', timeout: 300, retries: 0, ...configProps },
    { id: 'get', type: 'snmp-get', z: 'tab', name: '', x: 100, y: 200, snmp: 'cfg', oids: 'sysName.0\nsysUpTime.0', wires: [['ok'], ['fail']], ...getProps },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'fail', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', name: '', x: 100, y: 100, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}
const creds = { cfg: { community: COMMUNITY } };

describe('snmp-get node', function () {
  this.timeout(30000);
  let snmpd: Snmpd;
  let deadPort: number;

  before(async () => {
    snmpd = await startSnmpd({ community: COMMUNITY, sysName: 'flow-agent' });
    deadPort = await freeUdpPort();
  });
  after(async () => {
    if (snmpd) await snmpd.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('sends one message per device: answers on output 1, failures on output 2', async () => {
    const inventory = `127.0.0.1:${snmpd.port} core-1 site=lab role=core\n127.0.0.1:${deadPort} dead-1 site=lab`;
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({ inventory }), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    const caught = collect('caught');
    const status = nextStatus('get', (s) => s.fill === 'yellow' || s.fill === 'green' || s.fill === 'red');
    helper.getNode('get').receive({ payload: 'tick', keep: 'me' });
    const [answer] = await ok.wait(1);
    const [failure] = await fail.wait(1);
    assert.equal(answer.topic, 'core-1');
    assert.deepEqual(answer.device, { host: '127.0.0.1', port: snmpd.port, name: 'core-1', labels: { site: 'lab', role: 'core' } });
    assert.equal(answer.payload['sysName.0'], 'flow-agent');
    assert.equal(typeof answer.payload['sysUpTime.0'], 'number');
    assert.equal(answer.varbinds[0].name, 'SNMPv2-MIB::sysName.0');
    assert.equal(answer.keep, 'me', 'the input message is carried along');
    assert.equal(answer.snmp.version, '2c');
    assert.ok(answer.snmp.time > 0 && answer.snmp.elapsedMs >= 0);
    assert.equal(failure.topic, 'dead-1');
    assert.equal(failure.payload, null);
    assert.equal(failure.error.code, 'timeout');
    assert.deepEqual(failure.error.source, { id: 'get', type: 'snmp-get' });
    const s = await status;
    assert.equal(s.fill, 'yellow');
    assert.match(s.text, /snmp-get\.status\.summary/);
    assert.match(s.text, /timeout$/, 'the reason for the failures is in the status');
    // the device's fall is logged once, not every cycle
    const second = nextStatus('get', (x) => x.fill === 'yellow');
    helper.getNode('get').receive({ payload: 'tick' });
    await fail.wait(2);
    await second;
    const downs = helper.log().args.filter((a: any[]) => a[0] && a[0].msg === 'snmp-get.log.device-down');
    assert.equal(downs.length, 1);
    assert.equal(ok.msgs.length, 2);
    assert.equal(caught.msgs.length, 0, 'device failures do not go to Catch');
  });

  it('polls msg.targets when the inventory is empty, and msg.oids when the node has none', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({}, { oids: '' }), creds);
    const ok = collect('ok');
    helper.getNode('get').receive({ targets: [`127.0.0.1:${snmpd.port} edge-7 site=x`, { host: '127.0.0.1', port: snmpd.port }], oids: ['sysName.0'] });
    const msgs = await ok.wait(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(msgs.length, 1, 'duplicate targets are polled once');
    assert.equal(msgs[0].topic, 'edge-7');
    assert.deepEqual(msgs[0].device.labels, { site: 'x' });
    assert.deepEqual(Object.keys(msgs[0].payload), ['sysName.0']);
    assert.equal(msgs[0].targets, undefined);
  });

  it('polls one device per name: a second row with a taken name, or whose host\'s port disagrees with its port, is a bad-target, the other polled', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({}), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    // rows as node-red-node-mysql hands them: a JSON column parsed, the port column's default 161
    const rows = [
      { host: '127.0.0.1', port: snmpd.port, name: 'core-2', labels: { site: 'lyon' } },
      { host: '127.0.0.1', port: deadPort, name: 'core-2', labels: { site: 'paris', rack: { row: 3 } } },
      { host: `127.0.0.1:${deadPort}`, port: 161, name: 'access-1', labels: null },
      { host: '192.0.2.9', port: 161, name: 'labels-a-string', labels: 'paris' },
    ];
    helper.getNode('get').receive({ targets: rows });
    const bad = await fail.wait(3);
    const [answer] = await ok.wait(1);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(ok.msgs.length, 1);
    assert.equal(answer.topic, 'core-2');
    assert.equal(answer.device.port, snmpd.port, 'the first row of the name is polled');
    assert.equal(fail.msgs.length, 3, 'nothing else is polled: no timeout from the dead port');
    assert.deepEqual(bad.map((m) => [m.error.code, m.error.index, m.topic]), [
      ['bad-target', 1, `127.0.0.1:${deadPort}`],
      ['bad-target', 2, 'access-1'],
      ['bad-target', 3, 'labels-a-string'],
    ], 'a row refused for its name goes by its host:port, not as a failure of the core-2 polled');
    assert.equal(bad[0].error.message, `msg.targets[1] (127.0.0.1:${deadPort}): name core-2 is already used by msg.targets[0] (127.0.0.1:${snmpd.port})`);
    assert.equal(bad[0].device, undefined);
    assert.deepEqual(bad[0].target, rows[1], 'the row as it was, its labels included');
    assert.equal(bad[1].error.message, `msg.targets[2] (127.0.0.1:${deadPort}): host 127.0.0.1:${deadPort} carries port ${deadPort} but port is 161`);
    assert.equal(bad[2].error.message, 'msg.targets[3] (192.0.2.9:161): labels must be a JSON object of key: value pairs such as {"site":"paris"}, not a string: "paris"');
  });

  it('lets a configured inventory win over msg.targets, with one warning', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({ inventory: `127.0.0.1:${snmpd.port} inv-1` }), creds);
    const ok = collect('ok');
    helper.getNode('get').receive({ targets: ['127.0.0.1:1'] });
    helper.getNode('get').receive({ targets: ['127.0.0.1:1'] });
    await ok.wait(1);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(ok.msgs.every((m) => m.topic === 'inv-1'));
    const warns = helper.log().args.filter((a: any[]) => a[0] && a[0].msg === 'snmp-get.warn.inventory-wins');
    assert.equal(warns.length, 1);
  });

  for (const [label, props, msg, expected] of [
    ['no target', {}, { payload: 1 }, /no target/],
    ['an unknown OID name', { oids: 'sysNoSuchThing.0' }, { target: '127.0.0.1' }, /unknown OID name "sysNoSuchThing.0"/],
    ['bad msg.targets', {}, { targets: 'not-an-array' }, /msg.targets must be an array/],
    ['a hostile target string', {}, { target: '127.0.0.1:99999\u0000<script>' }, /port/],
  ] as const) {
    it(`reports ${label} to a Catch node with done(err)`, async () => {
      await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({}, props), creds);
      const caught = collect('caught');
      helper.getNode('get').receive(msg);
      const [m] = await caught.wait(1);
      assert.match(m.error.message, expected);
      assert.equal(m.error.source.id, 'get');
    });
  }

  it('shows a red status and reports an invalid snmp-config', async () => {
    const f = flow({ version: '3', user: '' });
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], f, creds);
    const caught = collect('caught');
    const statusCalls = helper.getNode('get').status.args.map((a: any[]) => a[0]);
    assert.ok(statusCalls.some((s: any) => s.fill === 'red' && /bad-config/.test(s.text)));
    helper.getNode('get').receive({ target: '127.0.0.1' });
    const [m] = await caught.wait(1);
    assert.match(m.error.message, /snmp-get.errors.bad-config/);
  });

  it('never puts the community into a message, a log line or a status', async () => {
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], flow({ inventory: `127.0.0.1:${snmpd.port} a\n127.0.0.1:${deadPort} b` }), creds);
    const ok = collect('ok');
    const fail = collect('fail');
    helper.getNode('get').receive({ payload: 1 });
    await ok.wait(1);
    await fail.wait(1);
    const everything = JSON.stringify([ok.msgs, fail.msgs, helper.getNode('get').status.args]) + logText();
    assert.ok(everything.length > 200);
    assert.ok(!everything.includes(COMMUNITY));
  });

  it('leaves sockets and timers where they were after 100 redeploys of a polling flow', async function () {
    this.timeout(120000);
    const f = flow({ inventory: `127.0.0.1:${snmpd.port} a\n127.0.0.1:${deadPort} b`, timeout: 50 });
    await helper.load([snmpConfigNode, snmpGetNode, catchNode], f, creds);
    const poll = async () => {
      const ok = collect('ok');
      const fail = collect('fail');
      helper.getNode('get').receive({ payload: 1 });
      await Promise.all([ok.wait(1), fail.wait(1)]);
    };
    await poll();
    const sockets = openUdpSockets();
    const timers = activeTimers();
    for (let i = 0; i < 100; i++) {
      const next = JSON.parse(JSON.stringify(f));
      next[1].name = `lab-${i}`; // a changed config node restarts it and its users
      await helper.setFlows(next, 'full', creds);
      await poll();
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(openUdpSockets(), sockets, 'UDP sockets');
    assert.ok(activeTimers() <= timers, `timers ${activeTimers()} > ${timers}`);
  });
});
