/**
 * snmp-bulkwalk through node-red-node-test-helper against a real snmpd: rows and
 * varbinds output, tables expanded into lock-step columns, non-repeaters, the varbind
 * cap on output 2, and invalid properties; against an agent that goes back, the
 * "OID not increasing" stop, on output 2 or kept in part.
 */
import { strict as assert } from 'assert';
import { catchNode, helper, collect, nextStatus } from '../support/flow';
import { startSnmpd, type Snmpd } from '../support/snmpd';
import { int, octets, startScriptedAgent, varbind } from '../support/fake-agent';

const snmpConfigNode = require('../../src/snmp-config');
const snmpBulkwalkNode = require('../../src/snmp-bulkwalk');

function flow(snmpd: Snmpd, walkProps: Record<string, unknown>) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 500, retries: 0, inventory: `127.0.0.1:${snmpd.port} agent-1 site=lab` },
    { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', x: 100, y: 100, snmp: 'cfg', oids: 'ifTable', output: 'rows', maxRepetitions: '', nonRepeaters: 0, maxVarbinds: 100000, wires: [['ok'], ['fail']], ...walkProps },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'fail', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 200, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('snmp-bulkwalk node', function () {
  this.timeout(30000);
  let snmpd: Snmpd;
  before(async () => { snmpd = await startSnmpd({ community: 'public' }); });
  after(async () => { if (snmpd) await snmpd.stop(); });
  afterEach(() => helper.unload());

  it('walks a whole table in lock-step and sends rows sorted by index with types', async () => {
    await helper.load([snmpConfigNode, snmpBulkwalkNode, catchNode], flow(snmpd, {}), { cfg: { community: 'public' } });
    const ok = collect('ok');
    const status = nextStatus('walk', (s) => s.fill === 'green');
    helper.getNode('walk').receive({ payload: 1 });
    const [m] = await ok.wait(1);
    assert.equal(m.topic, 'agent-1');
    assert.ok(Array.isArray(m.payload) && m.payload.length >= 2);
    const indexes = m.payload.map((r: any) => Number(r.index));
    assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
    const lo = m.payload.find((r: any) => r.ifDescr === 'lo');
    assert.ok(lo, 'the loopback interface row');
    assert.equal(lo.ifType, 24);
    assert.equal(typeof lo.ifInOctets, 'number');
    assert.equal(m.types.ifDescr, 'OctetString');
    assert.equal(m.types.ifInOctets, 'Counter32');
    assert.ok(m.varbinds.length >= m.payload.length * 20);
    // 22 columns of a few rows each in one or two GETBULKs, not one stream per column
    assert.ok(m.snmp.requests <= 3, `took ${m.snmp.requests} requests`);
    assert.match((await status).text, /snmp-bulkwalk\.status\.summary/);
  });

  it('fetches non-repeaters once and gives payload by name in varbinds mode', async () => {
    await helper.load([snmpConfigNode, snmpBulkwalkNode, catchNode], flow(snmpd, { oids: 'sysUpTime.0\nifDescr', nonRepeaters: 1, output: 'varbinds' }), { cfg: { community: 'public' } });
    const ok = collect('ok');
    helper.getNode('walk').receive({ payload: 1 });
    const [m] = await ok.wait(1);
    assert.equal(typeof m.payload['sysUpTime.0'], 'number');
    assert.equal(m.payload['ifDescr.1'], 'lo');
    assert.ok(Object.keys(m.payload).every((k) => k === 'sysUpTime.0' || k.startsWith('ifDescr.')));
  });

  it('stops past the varbind cap with an error on output 2', async () => {
    await helper.load([snmpConfigNode, snmpBulkwalkNode, catchNode], flow(snmpd, { maxVarbinds: 5 }), { cfg: { community: 'public' } });
    const fail = collect('fail');
    const status = nextStatus('walk', (s) => s.fill === 'red');
    helper.getNode('walk').receive({ payload: 1 });
    const [m] = await fail.wait(1);
    assert.equal(m.error.code, 'bad-response');
    assert.match(m.error.message, /cap of 5 varbinds/);
    assert.equal((await status).shape, 'ring');
  });

  it('refuses an invalid property with a red status and done(err)', async () => {
    await helper.load([snmpConfigNode, snmpBulkwalkNode, catchNode], flow(snmpd, { maxRepetitions: 'lots' }), { cfg: { community: 'public' } });
    const caught = collect('caught');
    assert.ok(helper.getNode('walk').status.args.some((a: any[]) => a[0].fill === 'red'));
    helper.getNode('walk').receive({ payload: 1 });
    const [m] = await caught.wait(1);
    assert.match(m.error.message, /maxRepetitions must be a whole number/);
  });
});

describe('snmp-bulkwalk node against an agent whose walk goes back', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  // ifDescr.1, ifDescr.2, then sysDescr.0: back before the walked column
  const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
  const answer = (req: { oids: string[] }) => {
    const at = req.oids[0];
    if (at === IF_DESCR) return [varbind(`${IF_DESCR}.1`, octets('eth1')), varbind(`${IF_DESCR}.2`, octets('eth2'))];
    return [varbind('1.3.6.1.2.1.1.1.0', octets('back')), varbind('1.3.6.1.2.1.1.3.0', int(5, 0x43))];
  };

  async function load(keepPartial: boolean) {
    const agent = await startScriptedAgent(answer);
    const nodes = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 500, retries: 0, inventory: `127.0.0.1:${agent.port} backwards` },
      { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', snmp: 'cfg', oids: IF_DESCR, output: 'rows', maxRepetitions: 2, nonRepeaters: 0, maxVarbinds: 100000, keepPartial, wires: [['ok'], ['fail']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
    ];
    await helper.load([snmpConfigNode, snmpBulkwalkNode], nodes, { cfg: { community: 'public' } });
    return agent;
  }

  it('fails the walk with "OID not increasing" on output 2 by default', async () => {
    const agent = await load(false);
    try {
      const fail = collect('fail');
      const ok = collect('ok');
      helper.getNode('walk').receive({ payload: 1 });
      const [m] = await fail.wait(1);
      assert.equal(m.error.code, 'bad-response');
      assert.match(m.error.message, /^OID not increasing/);
      assert.equal(m.payload, null);
      assert.equal(ok.msgs.length, 0);
    } finally {
      await agent.close();
    }
  });

  it('sends the rows before the stop on output 1 with msg.snmp.incomplete when partial walks are kept', async () => {
    const agent = await load(true);
    try {
      const ok = collect('ok');
      const status = nextStatus('walk', (s) => s.fill === 'yellow');
      helper.getNode('walk').receive({ payload: 1 });
      const [m] = await ok.wait(1);
      assert.deepEqual(m.payload.map((r: any) => [r.index, r.ifDescr]), [['1', 'eth1'], ['2', 'eth2']]);
      assert.equal(m.snmp.incomplete.code, 'bad-response');
      assert.match(m.snmp.incomplete.message, /^OID not increasing/);
      assert.doesNotThrow(() => JSON.stringify(m));
      const s = await status;
      assert.equal(s.shape, 'dot');
      assert.match(s.text, /snmp-bulkwalk\.status\.incomplete/);
    } finally {
      await agent.close();
    }
  });
});
