/**
 * threshold-alert through node-red-node-test-helper: the whole pipeline
 * snmp-bulkwalk → counter-rate → threshold-alert against the simulator (a 900 Mb/s
 * interface on a 1 Gb/s link fires once and resolves once; a hostile ifAlias arrives
 * escaped in the Slack body; a dead device pages once via output 2), state in a real
 * file context store across a Node-RED stop/start, silences, status, Catch, redeploys.
 */
import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { catchNode, fromNodeRed, helper, statusesOf, collect, logText, firstAlert, nextStatus } from '../support/flow';
import { activeTimers } from '../support/handles';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { treeFor } from '../../src/sim/tree';

const snmpConfigNode = require('../../src/snmp-config');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const counterRateNode = require('../../src/counter-rate');
const alertNode = require('../../src/threshold-alert');
const localFileSystem = fromNodeRed('@node-red/runtime/lib/nodes/context/localfilesystem');
import { joinStored } from '../support/fakes';
import { alertStateLayout } from '../../src/lib/alert/state-layout';

const HOSTILE = '<!channel> & <script>alert(1)</script> <@U024BE7LH> @here';
// Poll times are checked against the clock (a day at most): an hour ago, on a whole second.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const UTIL_RULE = { name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: '800000000', clear: '500000000', for: '0', keepFiringFor: '0', severity: 'critical', summary: '{{device}} {{ifDescr}} ({{ifAlias}}) at {{value}} b/s' };
const DOWN_RULE = { kind: 'device-down', name: 'DeviceDown', for: '0', severity: 'critical', summary: '' };

/** Resolves once the node's latest status satisfies `accept` (it may already). */
async function waitForStatus(id: string, accept: (s: { text?: string }) => boolean, ms = 10000): Promise<void> {
  if (accept(statusesOf(id).at(-1) ?? {})) return;
  await nextStatus(id, accept, ms);
}

const loadContextStores = () => (helper as any)._redNodes.loadContextsPlugin();

/** Node-RED's shutdown order (see test/flow/counter-rate.test.ts for why the store is detached). */
async function stopNodeRed(): Promise<void> {
  await (helper as any)._redNodes.stopFlows();
  await (helper as any)._redNodes.closeContextsPlugin();
  (helper as any)._context.init({});
  await helper.unload();
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


function alertFlow(props: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'ta', type: 'threshold-alert', z: 'tab', name: '', x: 300, y: 100, rules: [UTIL_RULE, DOWN_RULE], repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'alert', store: '', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function rowsMsg(bps: number, time: number, topic = 'core-1', alias = 'uplink') {
  return { topic, payload: [{ index: '2', ifDescr: 'Gi0/2', ifAlias: alias, ifHCInOctets: bps }], device: { host: '127.0.0.1', port: 161, name: topic, labels: { site: 'ams' } }, snmp: { time, elapsedMs: 2, version: '2c' } };
}

describe('threshold-alert node', function () {
  this.timeout(40000);

  afterEach(async () => {
    sinon.restore();
    await helper.unload();
  });

  describe('snmp-bulkwalk → counter-rate → threshold-alert against the simulator', () => {
    const INTERFACES = 5; // a tree of its own, so the hostile ifAlias stays in this test
    let fleet: Fleet;
    let savedAlias: Buffer;
    before(async () => {
      const tree = treeFor(INTERFACES);
      savedAlias = tree.ifStatic[1].alias;
      tree.ifStatic[1].alias = Buffer.from(HOSTILE);
      fleet = await startFleet({ count: 1, interfaces: INTERFACES, rate: (_d, ifIndex) => (ifIndex === 2 ? 900e6 / 8 : 1e6) });
    });
    after(async () => {
      treeFor(INTERFACES).ifStatic[1].alias = savedAlias;
      await fleet.close();
    });

    function pipeline() {
      // A wide hysteresis band: rates measured over real time on a busy machine wobble.
      const rules = [{ ...UTIL_RULE, clear: '300000000' }, DOWN_RULE];
      return [
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 300, retries: 0, inventory: fleet.inventoryText() },
        { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', x: 100, y: 100, snmp: 'cfg', oids: 'sysUpTime.0\nifDescr\nifAlias\nifHighSpeed\nifHCInOctets', nonRepeaters: 1, wires: [['cr'], ['slack', 'alert']] },
        { id: 'cr', type: 'counter-rate', z: 'tab', x: 200, y: 100, width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [['slack', 'alert']] },
        { id: 'slack', type: 'threshold-alert', z: 'tab', x: 300, y: 100, rules, repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'slack', store: '', wires: [['slackOut']] },
        { id: 'alert', type: 'threshold-alert', z: 'tab', x: 300, y: 200, rules, repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'alert', store: '', wires: [['alertOut']] },
        { id: 'slackOut', type: 'helper', z: 'tab' },
        { id: 'alertOut', type: 'helper', z: 'tab' },
      ];
    }

    async function cycles(n: number, gapMs = 1000): Promise<void> {
      for (let i = 0; i < n; i++) {
        helper.getNode('walk').receive({ payload: 'tick' });
        await sleep(gapMs);
      }
    }

    it('a 900 Mb/s interface on a 1 Gb/s link fires one alert and resolves once when it drops; its hostile ifAlias arrives escaped', async () => {
      await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode, alertNode], pipeline(), { cfg: { community: 'public' } });
      const slackOut = collect('slackOut');
      const alertOut = collect('alertOut');
      await cycles(5);
      assert.equal(alertOut.msgs.length, 1, JSON.stringify(alertOut.msgs.map((m) => m.payload)));
      const fired = firstAlert(alertOut.msgs[0]);
      assert.equal(fired.status, 'firing');
      assert.equal(fired.alertname, 'HighUtilization');
      assert.equal(fired.device, 'sim-0000');
      assert.deepEqual([fired.index, fired.instance], ['2', 'GigabitEthernet0/2'], 'named by the walked ifDescr');
      assert.ok(Math.abs(fired.value - 900e6) / 900e6 < 0.15, `rate ${fired.value}`);
      assert.ok(fired.summary.includes(HOSTILE), 'the generic alert carries the raw text (JSON escapes itself)');

      assert.equal(slackOut.msgs.length, 1);
      const body = slackOut.msgs[0].payload;
      const all = JSON.stringify(body);
      assert.ok(!all.includes('<!channel>') && !all.includes('<@U024BE7LH>') && !all.includes('<script>'), all);
      assert.ok(body.blocks[0].text.text.includes('&lt;!channel&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; &lt;@U024BE7LH&gt; @\u2060here'), body.blocks[0].text.text);
      assert.ok(body.text.length <= 3000 && body.blocks.length === 3);
      assert.equal(slackOut.msgs[0].alert.alerts[0].fingerprint, fired.fingerprint);

      fleet.device(0).linkDown(2);
      await cycles(4);
      assert.deepEqual(alertOut.msgs.map((m) => firstAlert(m).status), ['firing', 'resolved']);
      assert.equal(firstAlert(alertOut.msgs[1]).fingerprint, fired.fingerprint);
      assert.equal(firstAlert(alertOut.msgs[1]).startsAt, fired.startsAt);
      assert.match(slackOut.msgs[1].payload.text, /^RESOLVED: HighUtilization on sim-0000 GigabitEthernet0\/2/);
      assert.equal(slackOut.msgs.length, 2);
      fleet.device(0).linkUp(2);
    });

    it('a device that stops answering pages once (output 2 of snmp-bulkwalk) and resolves once', async () => {
      await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode, alertNode], pipeline(), { cfg: { community: 'public' } });
      const alertOut = collect('alertOut');
      await cycles(3, 400);
      const before = alertOut.msgs.length;
      fleet.device(0).setSilent(true);
      await cycles(4, 500);
      fleet.device(0).setSilent(false);
      await cycles(3, 400);
      const down = alertOut.msgs.slice(before).filter((m) => firstAlert(m).alertname === 'DeviceDown');
      assert.deepEqual(down.map((m) => firstAlert(m).status), ['firing', 'resolved']);
      assert.equal(firstAlert(down[0]).value, 'timeout');
      assert.match(firstAlert(down[0]).summary, /^sim-0000 does not answer: /);
    });
  });

  it('resumes firing alerts from a file context store after a stop/start without re-announcing them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-ctx-'));
    try {
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } });
      const flow = alertFlow({ store: 'file' });
      await helper.load([alertNode, catchNode, loadContextStores], flow);
      let out = collect('out');
      helper.getNode('ta').receive(rowsMsg(900e6, T0));
      await out.wait(1);
      assert.equal(firstAlert(out.msgs[0]).status, 'firing');
      await stopNodeRed();

      const files = fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String);
      assert.ok(files.some((f) => f.endsWith('ta.json')), files.join(', '));

      await helper.load([alertNode, catchNode, loadContextStores], flow);
      out = collect('out');
      await sleep(200);
      assert.deepEqual(statusesOf('ta').at(-1), { fill: 'red', shape: 'ring', text: 'threshold-alert.status.counts' }, 'firing right after the start');
      helper.getNode('ta').receive(rowsMsg(950e6, T0 + 60_000));
      await sleep(200);
      assert.equal(out.msgs.length, 0, 'no second firing after the restart');
      helper.getNode('ta').receive(rowsMsg(100e6, T0 + 120_000));
      const [resolved] = await out.wait(1);
      assert.equal(firstAlert(resolved).status, 'resolved');
      assert.equal(firstAlert(resolved).startsAt, new Date(T0).toISOString(), 'the same alert');
    } finally {
      await stopNodeRed(); // its last write would bring the folder back
      helper.settings({ contextStorage: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('msg.snmp.time far from the clock (nanoseconds) and a file context store', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-time-'));
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } });
    });
    afterEach(async () => {
      await stopNodeRed(); // its last write would bring the folder back
      helper.settings({ contextStorage: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('neither crashes Node-RED nor reaches the stored state, across a stop and start', async () => {
      const flow = alertFlow({ store: 'file', nodataAfter: '1' });
      await helper.load([alertNode, catchNode, loadContextStores], flow);
      let out = collect('out');
      const caught = collect('caught');
      const before = Date.now();
      helper.getNode('ta').receive(rowsMsg(900e6, 1.7e18));
      const [fired] = await out.wait(1);
      assert.equal(firstAlert(fired).status, 'firing');
      const startsAt = Date.parse(firstAlert(fired).startsAt);
      assert.ok(startsAt >= before && startsAt <= Date.now(), `startsAt ${firstAlert(fired).startsAt} is the clock`);
      const warns = helper.log().args.filter((a: any[]) => a[0]?.msg === 'threshold-alert.warn.bad-time');
      assert.equal(warns.length, 1);
      await stopNodeRed();
      const file = fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String).find((f) => f.endsWith('ta.json'));
      const saved = fs.readFileSync(path.join(dir, 'context', file!), 'utf8');
      assert.ok(!/e\+\d/.test(saved), `no far time stored: ${saved}`);

      await helper.load([alertNode, catchNode, loadContextStores], flow);
      out = collect('out');
      helper.getNode('ta').receive(rowsMsg(100e6, Date.now()));
      const [resolved] = await out.wait(1);
      assert.equal(firstAlert(resolved).status, 'resolved');
      assert.equal(firstAlert(resolved).startsAt, firstAlert(fired).startsAt);
      assert.equal(caught.msgs.length, 0);
    });

    it('a state poisoned by an older version is repaired on start instead of throwing from the timer', async () => {
      // What the old code saved after {snmp: {time: 1e300}}: the device's next no-data
      // tick turned into an uncaught RangeError, after every restart.
      const key = 'HighUtilization|6|core-1|2';
      const poisoned = { thresholdAlert: { v: 1,
        alerts: { [key]: { phase: 'firing', activeAt: 1e300, firedAt: 1e300, notifiedAt: 1e300, seen: 1e300, value: 9e8, r: 'HighUtilization', d: 'core-1', i: '2', vars: {} } },
        devices: { 'core-1': { arr: Date.now(), iv: 1000, inst: { 2: [1e300, 0] } } },
        silences: [] } };
      fs.mkdirSync(path.join(dir, 'context', 'tab'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'context', 'tab', 'ta.json'), JSON.stringify(poisoned));
      await helper.load([alertNode, catchNode, loadContextStores], alertFlow({ store: 'file', nodataAfter: '1' }));
      const out = collect('out');
      const [resolved] = await out.wait(1, 5000); // the no-data tick, a second or two after the start
      assert.equal(firstAlert(resolved).status, 'resolved');
      assert.ok(Math.abs(Date.parse(firstAlert(resolved).startsAt) - Date.now()) < 60_000, firstAlert(resolved).startsAt);
      assert.equal(helper.log().args.filter((a: any[]) => a[0]?.msg === 'threshold-alert.warn.bad-stored-time').length, 1);
    });
  });

  it('writes a file store without cache about once a second, not per message; close writes the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-nocache-'));
    try {
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, cache: false } } } });
      const flow = alertFlow({ store: 'file' });
      await helper.load([alertNode, catchNode, loadContextStores], flow);
      await sleep(1200); // the write after the start
      const set = spyStoreWrites('thresholdAlert');
      const out = collect('out');
      for (let i = 0; i < 500; i++) helper.getNode('ta').receive(rowsMsg(i % 50 === 0 ? 900e6 : 100e6, T0 + i, `d${i}`));
      await out.wait(10);
      await sleep(1500);
      assert.ok(set.count() >= 1 && set.count() <= 2, `${set.count()} writes for 500 messages`);
      helper.getNode('ta').receive(rowsMsg(900e6, T0 + 1000, 'last'));
      await out.wait(11);
      await stopNodeRed();
      const file = fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String).find((f) => f.endsWith('ta.json'));
      const saved = joinStored(JSON.parse(fs.readFileSync(path.join(dir, 'context', file!), 'utf8')), 'thresholdAlert', alertStateLayout);
      assert.ok(saved.devices.last, 'the message just before the stop is in the file');
      assert.equal(Object.keys(saved.alerts).length, 11);
    } finally {
      await stopNodeRed(); // its last write would bring the folder back
      helper.settings({ contextStorage: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('silences by control message: muted firing is announced when the silence is lifted', async () => {
    await helper.load([alertNode, catchNode], alertFlow());
    const out = collect('out');
    const node = helper.getNode('ta');
    node.receive({ silence: { device: 'core-1', duration: '1h', comment: 'maintenance' } });
    node.receive(rowsMsg(900e6, T0));
    node.receive(rowsMsg(900e6, T0, 'core-2'));
    await out.wait(1);
    await sleep(100);
    assert.deepEqual(out.msgs.map((m) => firstAlert(m).device), ['core-2']);
    node.receive({ silence: { device: 'core-1', duration: 0 } });
    await out.wait(2);
    assert.deepEqual([firstAlert(out.msgs[1]).device, firstAlert(out.msgs[1]).status], ['core-1', 'firing']);
  });

  it('shows pending (yellow), firing (red ring) and all clear (green)', async () => {
    const pendingRule = { ...UTIL_RULE, for: '5m' };
    await helper.load([alertNode, catchNode], alertFlow({ rules: [pendingRule] }));
    const node = helper.getNode('ta');
    await sleep(150);
    assert.deepEqual(statusesOf('ta').at(-1), { fill: 'green', shape: 'dot', text: 'threshold-alert.status.clear' });
    node.receive(rowsMsg(900e6, T0));
    await sleep(1200);
    assert.deepEqual(statusesOf('ta').at(-1), { fill: 'yellow', shape: 'ring', text: 'threshold-alert.status.pending' });
    node.receive(rowsMsg(900e6, T0 + 300_000));
    await sleep(1200);
    assert.deepEqual(statusesOf('ta').at(-1), { fill: 'red', shape: 'ring', text: 'threshold-alert.status.counts' });
    node.receive(rowsMsg(100e6, T0 + 360_000));
    await sleep(1200);
    assert.deepEqual(statusesOf('ta').at(-1), { fill: 'green', shape: 'dot', text: 'threshold-alert.status.clear' });
  });

  it('sends bad input to Catch and carries on', async () => {
    await helper.load([alertNode, catchNode], alertFlow());
    const out = collect('out');
    const caught = collect('caught');
    const node = helper.getNode('ta');
    node.receive({ payload: [{ index: '1', ifHCInOctets: 9e8 }] });
    node.receive({ silence: { device: 'x' } });
    node.receive({ silence: 'everything' });
    node.receive({ topic: 'r1', payload: [{ index: '1', ifHCInOctets: 'very high' }] });
    node.receive({ topic: '__proto__', payload: [{ index: '1', ifHCInOctets: 9e8 }] });
    const errs = await caught.wait(3);
    assert.deepEqual(errs.map((e) => e.error.message.replace(/^Error: /, '').split(':')[0]), ['threshold-alert.errors.no-topic', 'msg.silence needs for (or until)', 'msg.silence must be an object']);
    const [fired] = await out.wait(1);
    assert.equal(firstAlert(fired).device, '__proto__');
    await sleep(50);
    const warns = helper.log().args.filter((a: any[]) => a[0]?.msg === 'threshold-alert.warn.not-comparable');
    assert.equal(warns.length, 1);
  });

  it('fills the PagerDuty routing_key from the credential (an env variable named there), never from the flow', async () => {
    process.env.PD_FLOW_TEST_KEY = 'R0uting-Key-From-Env';
    try {
      const flow = alertFlow({ format: 'pagerduty' });
      await helper.load([alertNode, catchNode], flow, { ta: { routingKey: '${PD_FLOW_TEST_KEY}' } });
      const out = collect('out');
      helper.getNode('ta').receive(rowsMsg(900e6, T0));
      helper.getNode('ta').receive(rowsMsg(100e6, T0 + 60_000));
      const [trigger, resolve] = await out.wait(2);
      assert.equal(trigger.payload.routing_key, 'R0uting-Key-From-Env');
      assert.equal(trigger.payload.event_action, 'trigger');
      assert.equal(resolve.payload.event_action, 'resolve');
      assert.equal(resolve.payload.dedup_key, trigger.payload.dedup_key);
      assert.ok(!JSON.stringify(flow).includes('R0uting'), 'not in the flow');
      assert.ok(!logText().includes('R0uting'), 'not in the log');
    } finally {
      delete process.env.PD_FLOW_TEST_KEY;
    }
  });

  it('reports a bad rule once with a red ring', async () => {
    await helper.load([alertNode, catchNode], alertFlow({ rules: [{ ...UTIL_RULE, op: '=>' }] }));
    const errors = helper.log().args.filter((a: any[]) => a[0]?.msg === 'threshold-alert.errors.bad-property');
    assert.equal(errors.length, 1);
    assert.deepEqual(statusesOf('ta').at(-1), { fill: 'red', shape: 'ring', text: 'threshold-alert.status.bad-property' });
    const caught = collect('caught');
    helper.getNode('ta').receive(rowsMsg(900e6, T0));
    const [c] = await caught.wait(1);
    assert.match(c.error.message, /op/, 'the message names the problem');
    assert.equal(c.error.source.id, 'ta');
  });

  it('leaks no timer across 50 redeploys', async () => {
    await helper.load([alertNode, catchNode], alertFlow());
    await sleep(200);
    const before = activeTimers();
    for (let i = 0; i < 50; i++) {
      await helper.setFlows(alertFlow({ repeat: String(60 + i) }), 'nodes');
      helper.getNode('ta').receive(rowsMsg(900e6, T0 + i));
    }
    await sleep(1500);
    assert.ok(activeTimers() <= before + 1, `timers ${before} → ${activeTimers()}`);
  });

  describe('grouping, inhibition, silences, readable instances (every setting through the node)', () => {
    const IFDOWN = { name: 'InterfaceDown', field: 'ifOperStatus', op: '==', threshold: '2', for: '0', severity: 'warning', summary: '{{device}} {{instance}} is down' };
    const ports = (topic: string, down: number[], time: number, site = 'ams') => ({
      topic,
      payload: [1, 2, 3].map((i) => ({ index: String(i), ifName: `xe-0/0/${i}`, ifDescr: `port ${i}`, ifOperStatus: down.includes(i) ? 2 : 1 })),
      device: { host: '127.0.0.1', port: 161, name: topic, labels: { site } },
      snmp: { time, elapsedMs: 2, version: '2c' },
    });
    const fail = (topic: string, time: number) => ({ topic, payload: null, error: { code: 'timeout', message: 'no answer' }, device: { host: '127.0.0.1', port: 161, name: topic, labels: { site: 'ams' } }, snmp: { time } });
    function flow(props: Record<string, unknown>) {
      return [
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'ta', type: 'threshold-alert', z: 'tab', rules: [IFDOWN, DOWN_RULE], repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'alert', store: '', wires: [['out'], ['silences']], ...props },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'silences', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ];
    }

    it('by default one poll\'s changes on a device are one message, named by ifName', async () => {
      await helper.load([alertNode, catchNode], flow({}));
      const out = collect('out');
      helper.getNode('ta').receive(ports('core-1', [], T0));
      helper.getNode('ta').receive(ports('core-1', [1, 2, 3], T0 + 60_000));
      const [m] = await out.wait(1);
      assert.equal(m.payload.summary, 'core-1: 3 × InterfaceDown firing');
      assert.deepEqual(m.payload.alerts.map((a: any) => [a.instance, a.index]), [['xe-0/0/1', '1'], ['xe-0/0/2', '2'], ['xe-0/0/3', '3']]);
      assert.deepEqual(m.alert, m.payload, 'msg.alert carries the group too');
      await sleep(300);
      assert.equal(out.msgs.length, 1);
    });

    it('instanceLabel names instances by the chosen column', async () => {
      await helper.load([alertNode, catchNode], flow({ instanceLabel: 'ifDescr', grouping: 'none' }));
      const out = collect('out');
      helper.getNode('ta').receive(ports('core-1', [2], T0));
      const [m] = await out.wait(1);
      assert.deepEqual([m.payload.instance, m.payload.index, m.payload.summary], ['port 2', '2', 'core-1 port 2 is down'], 'grouping none: the 0.1 alert object');
    });

    it('grouping by labels: two devices of one site in one message after the wait', async () => {
      await helper.load([alertNode, catchNode], flow({ grouping: 'labels', groupBy: 'site', groupWait: '1s', groupInterval: '1m' }));
      const out = collect('out');
      helper.getNode('ta').receive(ports('a', [1], T0));
      helper.getNode('ta').receive(ports('b', [2], T0));
      helper.getNode('ta').receive(ports('c', [3], T0, 'par'));
      const msgs = await out.wait(2, 15000);
      await sleep(1500);
      assert.equal(out.msgs.length, 2);
      const ams = msgs.find((m) => m.payload.groupLabels.site === 'ams');
      assert.deepEqual(ams.payload.alerts.map((a: any) => `${a.device} ${a.instance}`), ['a xe-0/0/1', 'b xe-0/0/2']);
    });

    it('device-down holds back the device\'s interface alerts (status "held"); its recovery releases those still true', async () => {
      await helper.load([alertNode, catchNode], flow({ grouping: 'labels', groupBy: 'device', groupWait: '1s', groupInterval: '1s' }));
      const out = collect('out');
      const node = helper.getNode('ta');
      node.receive(ports('a', [], T0));
      node.receive(ports('a', [1, 2], T0 + 60_000));
      node.receive(fail('a', T0 + 70_000));
      const [down] = await out.wait(1, 15000);
      assert.deepEqual(down.payload.alerts.map((a: any) => `${a.status} ${a.alertname}`), ['firing DeviceDown']);
      await waitForStatus('ta', (st) => /threshold-alert\.status\.held/.test(st.text ?? ''));
      node.receive(ports('a', [2], T0 + 180_000));
      const [, back] = await out.wait(2, 15000);
      assert.deepEqual(back.payload.alerts.map((a: any) => `${a.status} ${a.alertname} ${a.instance}`).sort(), ['firing InterfaceDown xe-0/0/2', 'resolved DeviceDown '], 'port 1 came back meanwhile: never heard of');
    });

    it('a silence in the DESIGN form: nothing for its device while others notify; listed on output 2, counted in the status; after it ends a still-firing alert is sent once', async () => {
      await helper.load([alertNode, catchNode], flow({}));
      const out = collect('out');
      const silences = collect('silences');
      const node = helper.getNode('ta');
      node.receive({ silence: { match: { device: 'core-1' }, for: '2s', comment: 'reboot', by: 'ops' } });
      const [reply] = await silences.wait(1);
      assert.equal(reply.payload.length, 1);
      assert.deepEqual([reply.payload[0].match, reply.payload[0].comment, reply.payload[0].by], [{ device: 'core-1' }, 'reboot', 'ops']);
      assert.match(reply.payload[0].until, /^\d{4}-\d\d-\d\dT/);
      await waitForStatus('ta', (st) => /threshold-alert\.status\.silences/.test(st.text ?? ''));
      node.receive(ports('core-1', [1], T0));
      node.receive(ports('core-2', [1], T0));
      const [first] = await out.wait(1);
      assert.equal(first.payload.device, 'core-2');
      // the silence ends by itself; the alert still firing is announced once
      const [, late] = await out.wait(2, 15000);
      assert.equal(late.payload.device, 'core-1');
      await sleep(1500);
      assert.equal(out.msgs.length, 2);
      node.receive({ silence: 'list' });
      const [, listed] = await silences.wait(2);
      assert.deepEqual(listed.payload, [], 'expired by itself');
    });

    it('silences expire by id and by matchers, and survive a restart with a file store', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-silences-'));
      try {
        helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } });
        const f = flow({ store: 'file' });
        await helper.load([alertNode, catchNode, loadContextStores], f);
        let silences = collect('silences');
        helper.getNode('ta').receive({ silence: [{ match: { site: 'ams' }, for: '1h' }, { match: { device: 'x' }, for: '1h' }] });
        const [added] = await silences.wait(1);
        assert.equal(added.payload.length, 2);
        await stopNodeRed();
        await helper.load([alertNode, catchNode, loadContextStores], f);
        silences = collect('silences');
        const out = collect('out');
        helper.getNode('ta').receive(ports('core-1', [1], T0));
        await sleep(300);
        assert.equal(out.msgs.length, 0, 'the site silence came back with the state');
        helper.getNode('ta').receive({ silence: 'list' });
        const [listed] = await silences.wait(1);
        assert.deepEqual(listed.payload.map((x: any) => x.match), [{ site: 'ams' }, { device: 'x' }]);
        helper.getNode('ta').receive({ silence: { expire: listed.payload[1].id } });
        helper.getNode('ta').receive({ silence: { match: { site: 'ams' }, expire: true } });
        const replies = await silences.wait(3);
        assert.deepEqual([replies[1].silence.expired, replies[2].silence.expired, replies[2].payload], [1, 1, []]);
        const [late] = await out.wait(1);
        assert.equal(late.payload.device, 'core-1', 'lifting the silence announces what it held');
      } finally {
        await stopNodeRed();
        helper.settings({ contextStorage: {} });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
