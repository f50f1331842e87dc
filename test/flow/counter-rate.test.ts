/**
 * counter-rate through node-red-node-test-helper: snmp-bulkwalk → counter-rate against
 * the simulator (rates, reboots, counter resets), state in a real file-backed context
 * store across a Node-RED stop/start, bad input to Catch, status, and redeploys.
 */
import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { catchNode, fromNodeRed, helper, collect, nextStatus } from '../support/flow';
import { activeTimers } from '../support/handles';
import { startFleet, type Fleet } from '../../src/sim/fleet';

const snmpConfigNode = require('../../src/snmp-config');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const snmpGetNode = require('../../src/snmp-get');
const counterRateNode = require('../../src/counter-rate');
const localFileSystem = fromNodeRed('@node-red/runtime/lib/nodes/context/localfilesystem');
import { partKey, partName } from '../../src/lib/common/state-store';

/** The devices whose part counter-rate's state has in the node's (memory) context. */
function storedDevices(node: { context(): { keys(): string[] } }): string[] {
  return node.context().keys().map((k) => partName('counterRate', k)).filter((n): n is string => n !== undefined);
}

/**
 * Counts the file store's writes of a node's state kept under `key` (its head or any of
 * its parts, several keys in one set counting once): the node's context object cannot be
 * spied, Node-RED defines its methods read-only.
 */
function spyStoreWrites(key: string): { count(): number } {
  const proto = Object.getPrototypeOf(localFileSystem({ dir: os.tmpdir() }));
  const spy = sinon.spy(proto, 'set');
  const ours = (k: unknown) => typeof k === 'string' && (k === key || k.startsWith(`${key}~`));
  return { count: () => spy.getCalls().filter((c) => (Array.isArray(c.args[1]) ? c.args[1].some(ours) : ours(c.args[1]))).length };
}

// Poll times are checked against the clock (a day at most): an hour ago, on a whole second.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Loads the file context store configured in helper.settings before the flows start. */
const loadContextStores = () => (helper as any)._redNodes.loadContextsPlugin();

/**
 * Stops Node-RED as its shutdown does: flows stop (nodes write their state on close),
 * then the context stores close (the file store flushes). The file store is then
 * detached so helper.unload()'s context clean-up (which deletes the context of every
 * node not in a flow) cannot touch the files, as a real restart would not.
 */
async function stopNodeRed(): Promise<void> {
  await (helper as any)._redNodes.stopFlows();
  await (helper as any)._redNodes.closeContextsPlugin();
  (helper as any)._context.init({});
  await helper.unload();
}

function rateFlow(props: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cr', type: 'counter-rate', z: 'tab', name: '', x: 300, y: 100, width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** A walk message as snmp-bulkwalk sends it, for tests that need exact control of time. */
function walkMsg(octets: bigint, time: number, topic = 'r1') {
  return {
    topic,
    payload: [{ index: '1', ifDescr: 'eth0', ifHCInOctets: Number(octets) }],
    types: { ifDescr: 'OctetString', ifHCInOctets: 'Counter64' },
    varbinds: [{ oid: '1.3.6.1.2.1.31.1.1.1.6.1', name: 'IF-MIB::ifHCInOctets.1', type: 'Counter64', value: Number(octets), exact: octets.toString() }],
    snmp: { time, elapsedMs: 3, version: '2c' },
  };
}

describe('counter-rate node', function () {
  this.timeout(30000);

  afterEach(async () => {
    sinon.restore();
    await helper.unload();
  });

  describe('against the simulator', () => {
    let fleet: Fleet;
    before(async () => {
      // Interface 2 runs at 900 Mb/s on its 1 Gb/s link; the others at 8 Mb/s.
      fleet = await startFleet({ count: 2, interfaces: 4, rate: (_d, ifIndex) => (ifIndex === 2 ? 900e6 / 8 : 1e6) });
    });
    after(async () => {
      await fleet.close();
    });

    function walkFlow() {
      return [
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 1000, retries: 0, inventory: fleet.inventoryText() },
        { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', x: 100, y: 100, snmp: 'cfg', oids: 'sysUpTime.0\nifDescr\nifHighSpeed\nifHCInOctets\nifInOctets\nifCounterDiscontinuityTime', nonRepeaters: 1, wires: [['cr'], ['failures']] },
        { id: 'cr', type: 'counter-rate', z: 'tab', x: 300, y: 100, width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'failures', type: 'helper', z: 'tab' },
      ];
    }

    async function poll(out: ReturnType<typeof collect>, n: number): Promise<any[]> {
      helper.getNode('walk').receive({ payload: 'tick' });
      const msgs = await out.wait(n);
      return msgs.slice(n - fleet.devices.length, n);
    }

    // Rates here are measured over real time between polls, so a busy machine shifts them
    // by a few percent; the exactness of the arithmetic is the unit tests' job.
    it('turns the walked counters into bit rates that match the simulated traffic', async () => {
      await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode], walkFlow(), { cfg: { community: 'public' } });
      const out = collect('out');
      const statuses: any[] = [];
      helper.getNode('cr').on('call:status', (c: any) => statuses.push(c.args[0]));
      const first = await poll(out, 2);
      for (const m of first) {
        assert.deepEqual(Object.keys(m.payload[0]).sort(), ['ifDescr', 'ifHighSpeed', 'ifCounterDiscontinuityTime', 'ifIndex', 'index'].sort(), 'first poll: no rates, tags kept');
        assert.equal(m.counterEvents, undefined);
      }
      await sleep(2000);
      const second = await poll(out, 4);
      for (const m of second) {
        const rows = m.payload;
        assert.equal(rows.length, 4);
        const bps = rows[1].ifHCInOctets;
        assert.ok(Math.abs(bps - 900e6) / 900e6 < 0.15, `ifIndex 2 at ${bps} b/s`);
        assert.ok(Math.abs(rows[1].ifInOctets - 900e6) / 900e6 < 0.15, 'Counter32 agrees');
        assert.ok(Math.abs(rows[0].ifHCInOctets - 8e6) / 8e6 < 0.15, `ifIndex 1 at ${rows[0].ifHCInOctets} b/s`);
        assert.equal(rows[0].ifDescr, 'GigabitEthernet0/1');
        assert.equal(rows[0].ifHighSpeed, 1000);
      }
      await sleep(200);
      assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: 'counter-rate.status.series' }, 'RED._ of the test helper returns the key');
      const identity = `127.0.0.1:${fleet.devices[0].port}`;
      assert.ok(helper.getNode('cr').context().get(partKey('counterRate', identity)), 'the device has its key in the context, under its identity');
    });

    // issue 14, defect 9: two agents on one host, unnamed or given one name, are two series.
    // One inventory refuses a name twice; two profiles (or two flows) may still send one
    // name for two agents, and counter-rate keeps them apart by host and port.
    for (const names of [['', ''], ['edge', 'edge']]) {
      it(`rates two agents of one host apart (${names[0] ? 'one name for both, from two profiles' : 'unnamed'})`, async () => {
        const oids = 'sysUpTime.0\nifHCInOctets.2\nifHCInOctets.1';
        const cr = { id: 'cr', type: 'counter-rate', z: 'tab', width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [['out']] };
        const perAgent = fleet.devices.slice(0, 2).flatMap((d, i) => [
          { id: `cfg${i}`, type: 'snmp-config', z: 'tab', version: '2c', timeout: 1000, retries: 0, inventory: `127.0.0.1:${d.port} ${names[i]}` },
          { id: `get${i}`, type: 'snmp-get', z: 'tab', snmp: `cfg${i}`, oids, wires: [['cr'], []] },
        ]);
        await helper.load([snmpConfigNode, snmpGetNode, counterRateNode], [
          { id: 'tab', type: 'tab', label: 'test' }, ...perAgent, cr, { id: 'out', type: 'helper', z: 'tab' },
        ], { cfg0: { community: 'public' }, cfg1: { community: 'public' } });
        const out = collect('out');
        const tick = () => ['get0', 'get1'].forEach((id) => helper.getNode(id).receive({ payload: 'tick' }));
        tick();
        const first = await out.wait(2);
        if (!names[0]) assert.deepEqual(first.map((m) => m.topic).sort(), fleet.devices.map((d) => `127.0.0.1:${d.port}`).sort(), 'named host:port');
        else assert.deepEqual(first.map((m) => m.topic), ['edge', 'edge']);
        await sleep(1500);
        tick();
        const second = (await out.wait(4)).slice(2);
        for (const m of second) {
          // interface 2 at 900 Mb/s, interface 1 at 8 Mb/s on both devices: mixed series would give
          // a rate of one device's counter against the other's, far off either
          assert.ok(Math.abs(m.payload['ifHCInOctets.2'] - 900e6) / 900e6 < 0.15, `${m.device.port}: ifIndex 2 at ${m.payload['ifHCInOctets.2']} b/s`);
          assert.ok(Math.abs(m.payload['ifHCInOctets.1'] - 8e6) / 8e6 < 0.15, `${m.device.port}: ifIndex 1 at ${m.payload['ifHCInOctets.1']} b/s`);
        }
        assert.deepEqual(storedDevices(helper.getNode('cr')).sort(), fleet.devices.map((d) => `127.0.0.1:${d.port}`).sort(), 'one part per agent');
      });
    }

    it('sees a reboot (sysUpTime) and a counter reset (ifCounterDiscontinuityTime) as resets, not rates', async () => {
      await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode], walkFlow(), { cfg: { community: 'public' } });
      const out = collect('out');
      await poll(out, 2);
      await sleep(300);
      await poll(out, 4);
      fleet.device(0).reboot();
      fleet.device(1).resetCounters();
      await sleep(1200);
      const after = await poll(out, 6);
      const rebooted = after.find((m) => m.topic === fleet.devices[0].name);
      const reset = after.find((m) => m.topic === fleet.devices[1].name);
      assert.deepEqual(rebooted.counterEvents.map((e: any) => [e.kind, e.reason]), [['reset', 'uptime']]);
      assert.ok(rebooted.payload.every((r: any) => !('ifHCInOctets' in r) && !('ifInOctets' in r)), 'no rate across a reboot');
      assert.deepEqual(reset.counterEvents.map((e: any) => [e.kind, e.reason, e.index]), [1, 2, 3, 4].map((i) => ['reset', 'discontinuity', String(i)]));
      assert.ok(reset.payload.every((r: any) => !('ifHCInOctets' in r)));
      await sleep(2000);
      const resumed = await poll(out, 8);
      for (const m of resumed) assert.ok(Math.abs(m.payload[1].ifHCInOctets - 900e6) / 900e6 < 0.15, `rates resume: ${JSON.stringify(m)}`);
    });
  });

  it('keeps its counters in a file context store across a Node-RED stop and start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-rate-ctx-'));
    try {
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } });
      const flow = rateFlow({ store: 'file', scale: '1' });
      await helper.load([counterRateNode, catchNode, loadContextStores], flow);
      let out = collect('out');
      const big = 2n ** 62n + 7n;
      helper.getNode('cr').receive(walkMsg(big, T0));
      await out.wait(1);
      await stopNodeRed();

      const files = fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String);
      const file = files.find((f) => f.endsWith('cr.json'));
      assert.ok(file, `context file written: ${files.join(', ')}`);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'context', file!), 'utf8'));
      assert.deepEqual(saved[partKey('counterRate', 'r1')].rows['1'].ifHCInOctets, [big.toString(), T0], 'exact value as a decimal string');

      await helper.load([counterRateNode, catchNode, loadContextStores], flow);
      out = collect('out');
      helper.getNode('cr').receive(walkMsg(big + 12_345n, T0 + 5000));
      const [m] = await out.wait(1);
      assert.equal(m.payload[0].ifHCInOctets, 2469, 'the first message after the restart already has an exact rate');
    } finally {
      await stopNodeRed(); // its last write would bring the folder back
      helper.settings({ contextStorage: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a file store without cache about once a second, not per message; close writes the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-rate-nocache-'));
    try {
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, cache: false } } } });
      const flow = rateFlow({ store: 'file', scale: '1' });
      await helper.load([counterRateNode, catchNode, loadContextStores], flow);
      const writes = spyStoreWrites('counterRate');
      let out = collect('out');
      // 50 devices polled 10 times: one message every 10 ms of poll time.
      for (let i = 0; i < 500; i++) helper.getNode('cr').receive(walkMsg(BigInt(i * 1000), T0 + i * 1000, `d${i % 50}`));
      await out.wait(500);
      await sleep(1500);
      assert.ok(writes.count() >= 1 && writes.count() <= 2, `${writes.count()} writes for 500 messages`);
      helper.getNode('cr').receive(walkMsg(123_456n, T0 + 600_000, 'last'));
      await out.wait(501);
      await stopNodeRed();

      await helper.load([counterRateNode, catchNode, loadContextStores], flow);
      out = collect('out');
      helper.getNode('cr').receive(walkMsg(133_456n, T0 + 610_000, 'last'));
      const [m] = await out.wait(1);
      assert.equal(m.payload[0].ifHCInOctets, 1000, 'close wrote the message just before the stop');
    } finally {
      await stopNodeRed(); // its last write would bring the folder back
      helper.settings({ contextStorage: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rates by the clock when msg.snmp.time is nanoseconds, with one warning, and keeps rating after', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow({ scale: '1' }));
    const out = collect('out');
    const caught = collect('caught');
    const node = helper.getNode('cr');
    node.receive(walkMsg(1000n, Date.now() * 1e6));
    await sleep(1100);
    node.receive(walkMsg(2000n, Date.now() * 1e6));
    await sleep(1100);
    node.receive(walkMsg(3000n, Date.now()));
    const msgs = await out.wait(3);
    for (const m of msgs.slice(1)) {
      const rate = m.payload[0].ifHCInOctets;
      // 1000 octets over the real time between the messages (1.1 s, longer on a busy
      // machine); read as ns, the same gap would give about 0.001 per second.
      assert.ok(rate > 50 && rate < 1000, `1000 octets per second or so: ${rate}`);
    }
    const warns = helper.log().args.filter((a: any[]) => a[0]?.msg === 'counter-rate.warn.bad-time');
    assert.equal(warns.length, 1);
    assert.equal(caught.msgs.length, 0);
  });

  it('rates a late message by its poll time, not its arrival', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow({ scale: '1' }));
    const out = collect('out');
    const now = Date.now();
    helper.getNode('cr').receive(walkMsg(1000n, now - 70_000));
    helper.getNode('cr').receive(walkMsg(11_000n, now - 60_000)); // polled 60 s ago, arriving now
    const msgs = await out.wait(2);
    assert.equal(msgs[1].payload[0].ifHCInOctets, 1000, '10,000 octets over the 10 s between polls');
  });

  it('passes poll failures through and sends bad input to Catch without stopping', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow());
    const out = collect('out');
    const caught = collect('caught');
    const node = helper.getNode('cr');
    const failure = { topic: 'r1', payload: null, error: { code: 'timeout', message: 'no answer', source: { id: 'w', type: 'snmp-bulkwalk' } } };
    node.receive(failure);
    node.receive({ payload: [{ index: '1', x: 1 }] }); // no topic
    node.receive({ topic: 'r1', payload: 'not a table' });
    node.receive({ topic: 'r1', payload: 42 });
    node.receive({ topic: '<script>', payload: [{ index: '1', ifHCInOctets: 'NaN' }], types: { ifHCInOctets: 'Counter64' }, snmp: { time: T0 } });
    node.receive({ ...walkMsg(5n, T0), topic: '__proto__' });
    const msgs = await out.wait(3);
    const errs = await caught.wait(3);
    assert.deepEqual(msgs[0], { ...failure, _msgid: msgs[0]._msgid });
    assert.deepEqual(msgs[1].counterEvents.map((e: any) => e.kind), ['bad-value']);
    assert.deepEqual(errs.map((e) => e.error.message), ['Error: counter-rate.errors.no-topic', 'Error: counter-rate.errors.bad-payload', 'Error: counter-rate.errors.bad-payload']);
    assert.ok(errs.every((e) => e.error.source.id === 'cr'));
  });

  it('warns once when msg.snmp.time is missing and rates by arrival time', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow({ scale: '1' }));
    const out = collect('out');
    const node = helper.getNode('cr');
    node.receive({ topic: 'r1', payload: { rx: 100 } });
    await sleep(50);
    node.receive({ topic: 'r1', payload: { rx: 200 } });
    const msgs = await out.wait(2);
    assert.ok(msgs[1].payload.rx > 0 && Number.isFinite(msgs[1].payload.rx));
    const warns = helper.log().args.filter((a: any[]) => a[0]?.msg === 'counter-rate.warn.no-time');
    assert.equal(warns.length, 1);
  });

  it('updates its status once for a burst of messages', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow());
    const out = collect('out');
    const node = helper.getNode('cr');
    await nextStatus('cr', (s) => s.fill === 'green').catch(() => undefined);
    await sleep(1100);
    const statuses: any[] = [];
    node.on('call:status', (c: any) => statuses.push(c.args[0]));
    // 30 devices, 10 polls each; one counter decreases once (a reset), which changes the
    // status text from "N series" to "N series · 1 reset" (the helper's RED._ gives keys).
    for (let i = 0; i < 300; i++) node.receive(walkMsg(BigInt(i === 150 ? 0 : i * 1000), T0 + i * 1000, `d${i % 30}`));
    await out.wait(300);
    await sleep(1300);
    assert.equal(statuses.length, 1, JSON.stringify(statuses));
    assert.deepEqual(statuses[0], { fill: 'green', shape: 'dot', text: 'counter-rate.status.series-reset' });
    // a second reset: the plural
    node.receive(walkMsg(0n, T0 + 400 * 1000, 'd0'));
    await sleep(1300);
    assert.deepEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: 'counter-rate.status.series-resets' });
  });

  it('reports a bad configuration once with a red ring naming the property, and hands every input to Catch', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow({ scale: '-8' }));
    const node = helper.getNode('cr');
    const errors = helper.log().args.filter((a: any[]) => a[0]?.level === 20 && a[0]?.msg === 'counter-rate.errors.bad-property');
    assert.equal(errors.length, 1);
    const caught = collect('caught');
    const out = collect('out');
    node.receive(walkMsg(1n, T0));
    node.receive(walkMsg(2n, T0 + 1000));
    const msgs = await caught.wait(2);
    assert.match(msgs[0].error.message, /scale must be a number above 0/);
    assert.equal(msgs[0].error.source.id, 'cr');
    assert.equal(out.msgs.length, 0, 'nothing goes on');
  });

  it('leaks no timer across 50 redeploys', async () => {
    await helper.load([counterRateNode, catchNode], rateFlow());
    await sleep(200);
    const before = activeTimers();
    for (let i = 0; i < 50; i++) {
      await helper.setFlows(rateFlow({ expire: String(100 + i) }), 'nodes');
      helper.getNode('cr').receive(walkMsg(BigInt(i), T0 + i));
    }
    await sleep(1500);
    assert.ok(activeTimers() <= before + 1, `timers ${before} → ${activeTimers()}`);
  });
});
