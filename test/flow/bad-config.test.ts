/**
 * The pack's one rule for a configuration a node cannot use, node by node: a red ring
 * (naming the property), one error line in the log, and done(err) for every message
 * that arrives, so a Catch node sees each of them with the reason.
 */
import { strict as assert } from 'assert';
import { catchNode, collect, errorLogs, helper, statusesOf } from '../support/flow';
import { freeUdpPort } from '../support/snmpd';

const snmpConfigNode = require('../../src/snmp-config');
const snmpGetNode = require('../../src/snmp-get');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const counterRateNode = require('../../src/counter-rate');
const alertNode = require('../../src/threshold-alert');
const trapInNode = require('../../src/trap-in');
const metricsNode = require('../../src/snmp-metrics');
const spoolNode = require('../../src/snmp-spool');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flow(node: Record<string, unknown>, configProps: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab', version: '2c', inventory: '127.0.0.1:1161 box', ...configProps },
    { id: 'n', z: 'tab', x: 100, y: 100, wires: [['out'], ['out']], ...node },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}
const NODES = [snmpConfigNode, snmpGetNode, bulkwalkNode, counterRateNode, alertNode, trapInNode, metricsNode, spoolNode, catchNode];
const creds = { cfg: { community: 'public' } };

/** Sends two messages and expects both at Catch with `reason`, nothing on the outputs. */
async function bothCaught(reason: RegExp): Promise<void> {
  const caught = collect('caught');
  const out = collect('out');
  helper.getNode('n').receive({ topic: 'core-1', payload: { x: 1 } });
  helper.getNode('n').receive({ topic: 'core-1', payload: { x: 2 } });
  const msgs = await caught.wait(2);
  for (const m of msgs) {
    assert.match(m.error.message, reason);
    assert.equal(m.error.source.id, 'n');
  }
  await sleep(50);
  assert.equal(out.msgs.length, 0, 'nothing goes on');
}

describe('a bad node property, the same in every node', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['snmp-get', { type: 'snmp-get', snmp: 'cfg', oids: 'sysUpTime.0' }, /./],
    ['snmp-bulkwalk', { type: 'snmp-bulkwalk', snmp: 'cfg', oids: 'ifTable', maxRepetitions: '5000' }, /maxRepetitions must be a whole number from 1 to 1000/],
    ['counter-rate', { type: 'counter-rate', scale: 'eight' }, /scale must be a number above 0/],
    ['threshold-alert', { type: 'threshold-alert', rules: [{ name: 'Hot', field: 'x', op: '>', threshold: '1' }], nodata: 'sometimes' }, /nodata must be one of resolve, keep, alert/],
    ['snmp-metrics', { type: 'snmp-metrics', path: '/metrics', staleAfter: 'never' }, /staleAfter must be a whole number from 1 to 1000/],
    ['snmp-spool', { type: 'snmp-spool', maxInFlight: 'lots' }, /maxInFlight must be a whole number from 1 to 1000/],
  ];
  for (const [type, node, reason] of cases.slice(1)) {
    it(`${type}: red ring, one log line, every input to Catch`, async () => {
      await helper.load(NODES, flow(node), creds);
      assert.equal(errorLogs(`${type}.errors.bad-property`).length, 1);
      assert.deepEqual(statusesOf('n').at(-1), { fill: 'red', shape: 'ring', text: `${type}.status.bad-property` });
      await bothCaught(reason);
      assert.equal(errorLogs(`${type}.errors.bad-property`).length, 1, 'logged once, not per message');
    });
  }

  it('snmp-get (a bad snmp-config property): the config logs once, its users show red and hand every input to Catch', async () => {
    await helper.load(NODES, flow(cases[0][1], { port: '70000' }), creds);
    assert.equal(errorLogs('snmp-config.errors.invalid').length, 1);
    assert.deepEqual(statusesOf('n').at(-1), { fill: 'red', shape: 'ring', text: 'snmp-get.status.bad-config' });
    // the helper's RED._ answers with the key; the reason itself is asserted in test/unit/red/poll-node.test.ts
    await bothCaught(/snmp-get\.errors\.bad-config$/);
  });

  it('trap-in (no input): red ring and one log line, and the port is not opened', async () => {
    const port = await freeUdpPort();
    await helper.load(NODES, flow({ type: 'trap-in', port: String(port), address: '127.0.0.1', snmp: 'cfg', rcvbuf: 'lots' }), creds);
    assert.equal(errorLogs('trap-in.errors.bad-property').length, 1);
    assert.deepEqual(statusesOf('n').at(-1), { fill: 'red', shape: 'ring', text: 'trap-in.status.bad-property' });
    // the port is still free
    const dgram = await import('dgram');
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(port, '127.0.0.1', () => resolve()); });
    s.close();
  });
});
