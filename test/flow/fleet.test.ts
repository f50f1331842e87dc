/**
 * A fleet through the nodes: 200 simulated devices plus 5 dead ports in one cycle of
 * snmp-get (200 results, 5 failures, each dead device logged once), and an
 * ifTable + ifXTable walk of simulated devices in lock-step with exact Counter64.
 */
import { strict as assert } from 'assert';
import { helper, collect, nextStatus } from '../support/flow';
import { freeUdpPort } from '../support/snmpd';
import { startFleet, type Fleet } from '../../src/sim/fleet';

const snmpConfigNode = require('../../src/snmp-config');
const snmpGetNode = require('../../src/snmp-get');
const snmpBulkwalkNode = require('../../src/snmp-bulkwalk');

describe('fleet polling through the nodes', function () {
  this.timeout(60000);
  let fleet: Fleet;
  before(async () => { fleet = await startFleet({ count: 200, interfaces: 8, labels: { site: ['paris', 'lyon'] } }); });
  after(async () => { if (fleet) await fleet.close(); });
  afterEach(() => helper.unload());

  it('polls 200 devices and 5 dead ports in one cycle: 200 results, 5 failures', async () => {
    const dead: number[] = [];
    for (let i = 0; i < 5; i++) dead.push(await freeUdpPort());
    const inventory = fleet.inventoryText() + dead.map((p, i) => `127.0.0.1:${p} dead-${i} site=nowhere`).join('\n');
    await helper.load([snmpConfigNode, snmpGetNode], [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 500, retries: 1, concurrency: 50, inventory },
      { id: 'get', type: 'snmp-get', z: 'tab', x: 1, y: 1, snmp: 'cfg', oids: 'sysUpTime.0\nsysName.0\nifNumber.0', wires: [['ok'], ['fail']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
    ], { cfg: { community: 'public' } });
    const ok = collect('ok');
    const fail = collect('fail');
    const status = nextStatus('get', (s) => s.fill === 'yellow');
    helper.getNode('get').receive({ payload: 'cycle' });
    await ok.wait(200, 30000);
    await fail.wait(5, 30000);
    const s = await status;
    assert.equal(ok.msgs.length, 200);
    assert.equal(fail.msgs.length, 5);
    assert.deepEqual(new Set(ok.msgs.map((m) => m.topic)), new Set(fleet.devices.map((d) => d.name)));
    for (const m of ok.msgs) {
      assert.equal(m.payload['sysName.0'], m.topic);
      assert.equal(m.payload['ifNumber.0'], 8);
      assert.ok(['paris', 'lyon'].includes(m.device.labels.site));
    }
    assert.ok(fail.msgs.every((m) => m.error.code === 'timeout' && m.device.labels.site === 'nowhere'));
    assert.match(s.text, /timeout/);
    const downs = helper.log().args.filter((a: any[]) => a[0] && a[0].msg === 'snmp-get.log.device-down');
    assert.equal(downs.length, 5, 'one log line per dead device');
  });

  it('walks ifTable + ifXTable of simulated devices in lock-step with exact Counter64', async () => {
    const inventory = fleet.devices.slice(0, 20).map((d) => `${d.host}:${d.port} ${d.name}`).join('\n');
    fleet.device(3).setCounter64Start(2n ** 63n + 12345n);
    await helper.load([snmpConfigNode, snmpBulkwalkNode], [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 1000, retries: 1, inventory },
      { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', x: 1, y: 1, snmp: 'cfg', oids: 'ifTable\nifXTable', output: 'rows', wires: [['ok'], ['fail']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
    ], { cfg: { community: 'public' } });
    const ok = collect('ok');
    helper.getNode('walk').receive({ payload: 1 });
    await ok.wait(20, 30000);
    for (const m of ok.msgs) {
      assert.equal(m.payload.length, 8, `${m.topic}: 8 interfaces`);
      assert.equal(m.payload[0].index, '1');
      assert.ok('ifDescr' in m.payload[0] && 'ifHCInOctets' in m.payload[0] && 'ifName' in m.payload[0]);
      assert.equal(m.types.ifHCInOctets, 'Counter64');
      // 22 + 19 columns × 8 rows in one or two GETBULKs
      assert.ok(m.snmp.requests <= 3, `${m.topic}: ${m.snmp.requests} requests`);
    }
    const big = ok.msgs.find((m) => m.topic === fleet.devices[3].name);
    const vb = big.varbinds.find((v: any) => v.name === 'IF-MIB::ifHCInOctets.1');
    assert.ok(BigInt(vb.exact) >= 2n ** 63n + 12345n, vb.exact);
    assert.equal(vb.value, Number(BigInt(vb.exact)));
  });
});
