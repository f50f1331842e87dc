/**
 * State saved by the released layout (0.1.0: one-letter keys, counter-rate v2 and
 * threshold-alert v1) read by this version through a real file context store, and
 * written back in the readable layout (counter-rate v3, threshold-alert v2).
 *
 * The fixtures in test/fixtures/state/released-0.1.0 were written by release 0.1.0 at
 * (fake) time T0 with the flow below:
 * - counter-rate `cr` got two walks of `r1` (T0, T0 + 5 s: ifHCInOctets.1 2^62 + 7 then
 *   2^62 + 1007 exact, ifInErrors.1 10 then 20, ifHCInOctets.2 1010 then 1020,
 *   ifInErrors.2 0, sysUpTime.0 500000 then 500500) and one of `r2` (T0 + 5 s);
 * - threshold-alert `ta` fired HighUtilization for core-1 instance 2 (900 Mb/s) and
 *   DeviceDown for core-2 (a timeout), both at T0.
 */
import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { catchNode, helper, collect, type Collected, firstAlert } from '../support/flow';
import { joinStored } from '../support/fakes';
import { counterStateLayout } from '../../src/lib/counter-rate/state-layout';
import { alertStateLayout } from '../../src/lib/alert/state-layout';

const counterRateNode = require('../../src/counter-rate');
const alertNode = require('../../src/threshold-alert');

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'state', 'released-0.1.0');
/** The fake time the fixtures were written at. */
const T0 = 1765000000000;
const BASE = 2n ** 62n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const UTIL_RULE = { name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: '800000000', clear: '500000000', for: '0', keepFiringFor: '0', severity: 'critical', summary: '{{device}} {{ifDescr}} ({{ifAlias}}) at {{value}} b/s' };
const DOWN_RULE = { kind: 'device-down', name: 'DeviceDown', for: '0', severity: 'critical', summary: '' };

/** The fixtures' flow: both nodes on tab `tab`, state in the store `file`. */
function flow() {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cr', type: 'counter-rate', z: 'tab', name: '', x: 300, y: 100, width: 'auto', mode: 'rate', scale: '1', maxRate: '', expire: '3600', store: 'file', wires: [['crOut']] },
    { id: 'ta', type: 'threshold-alert', z: 'tab', name: '', x: 300, y: 200, rules: [UTIL_RULE, DOWN_RULE], repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'alert', store: 'file', wires: [['taOut']] },
    { id: 'crOut', type: 'helper', z: 'tab' },
    { id: 'taOut', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** A walk of `r1` as snmp-bulkwalk sends it: ifTable rows with types and varbinds (Counter64 exact). */
function walkMsg(time: number, uptime: number, rows: Array<{ index: string; octets: bigint; errors: number }>) {
  const varbinds: any[] = [{ oid: '1.3.6.1.2.1.1.3.0', name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: uptime }];
  for (const r of rows) {
    varbinds.push({ oid: `1.3.6.1.2.1.31.1.1.1.6.${r.index}`, name: `IF-MIB::ifHCInOctets.${r.index}`, type: 'Counter64', value: Number(r.octets), exact: r.octets.toString() });
    varbinds.push({ oid: `1.3.6.1.2.1.2.2.1.14.${r.index}`, name: `IF-MIB::ifInErrors.${r.index}`, type: 'Counter32', value: r.errors });
  }
  return {
    topic: 'r1',
    payload: rows.map((r) => ({ index: r.index, ifDescr: `Gi0/${r.index}`, ifHCInOctets: Number(r.octets), ifInErrors: r.errors })),
    types: { ifDescr: 'OctetString', ifHCInOctets: 'Counter64', ifInErrors: 'Counter32' },
    varbinds,
    snmp: { time, elapsedMs: 3, version: '2c' },
  };
}

/** A rate of core-1's interface 2, without device labels: those come from the stored state. */
function rateMsg(bps: number, time: number, topic = 'core-1') {
  return { topic, payload: [{ index: '2', ifDescr: 'Gi0/2', ifAlias: 'uplink', ifHCInOctets: bps }], snmp: { time, elapsedMs: 2, version: '2c' } };
}

/** Loads the file context store configured in helper.settings before the flows start. */
const loadContextStores = () => (helper as any)._redNodes.loadContextsPlugin();

/** Node-RED's shutdown order (see test/flow/counter-rate.test.ts for why the store is detached). */
async function stopNodeRed(): Promise<void> {
  await (helper as any)._redNodes.stopFlows();
  await (helper as any)._redNodes.closeContextsPlugin();
  (helper as any)._context.init({});
  await helper.unload();
}

/** All status objects a node has shown since it was created (the helper spies Node.prototype.status). */
function statusesOf(id: string): any[] {
  return (helper as any)._NodePrototype.status.getCalls().filter((c: any) => c.thisValue.id === id).map((c: any) => c.args[0]);
}

async function waitFor(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const FIRING = { fill: 'red', shape: 'ring', text: 'threshold-alert.status.counts' };
const CLEAR = { fill: 'green', shape: 'dot', text: 'threshold-alert.status.clear' };

/** Paths of every one-letter key in a JSON value (row indexes and instances are digits). */
function letterKeys(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => letterKeys(x, `${at}[${i}]`));
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => [...(/^[A-Za-z]$/.test(k) ? [`${at}.${k}`] : []), ...letterKeys(x, `${at}.${k}`)]);
}

describe('state saved by release 0.1.0, through a file context store', function () {
  this.timeout(30000);

  let dir: string;
  let clock: sinon.SinonFakeTimers;
  let running = false;

  const readSaved = (node: 'cr' | 'ta'): any => JSON.parse(fs.readFileSync(path.join(dir, 'context', 'tab', `${node}.json`), 'utf8'));

  async function start(): Promise<{ crOut: Collected; taOut: Collected; caught: Collected }> {
    await helper.load([counterRateNode, alertNode, catchNode, loadContextStores], flow());
    running = true;
    return { crOut: collect('crOut'), taOut: collect('taOut'), caught: collect('caught') };
  }

  async function stop(): Promise<void> {
    running = false;
    await stopNodeRed();
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-upgrade-'));
    fs.cpSync(FIXTURE, path.join(dir, 'context'), { recursive: true });
    helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } });
    clock = sinon.useFakeTimers({ now: T0 + 10_000, toFake: ['Date'], shouldAdvanceTime: true });
  });

  afterEach(async () => {
    if (running) await stop(); // its last write would bring the folder back
    clock.restore();
    sinon.restore();
    helper.settings({ contextStorage: {} });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The next walk of r1, 5 s after the one before: every counter has a rate on the first message. */
  async function nextWalkRatesExactly(crOut: Collected, time: number, step: number): Promise<void> {
    // ifHCInOctets.1 grows by 1000 per 5 s beyond 2^53 (only its exact text can say so),
    // ifInErrors.1 by 10, ifHCInOctets.2 by 10; sysUpTime by 5 s.
    helper.getNode('cr').receive(walkMsg(time, 500_500 + 500 * step, [
      { index: '1', octets: BASE + 1007n + 1000n * BigInt(step), errors: 20 + 10 * step },
      { index: '2', octets: 1020n + 10n * BigInt(step), errors: 0 },
    ]));
    const [m] = await crOut.wait(1);
    assert.deepEqual(m.payload, [
      { index: '1', ifDescr: 'Gi0/1', ifHCInOctets: 200, ifInErrors: 2 },
      { index: '2', ifDescr: 'Gi0/2', ifHCInOctets: 2, ifInErrors: 0 },
    ], 'exact rates on the first message after the start');
    assert.equal(m.counterEvents, undefined, 'no reset: the sysUpTime baseline survived');
  }

  /**
   * The two firing alerts resume: firing status, no second firing for a still-high
   * value, one resolution each with the startsAt of T0.
   */
  async function firingAlertsResume(taOut: Collected, time: number): Promise<void> {
    await waitFor('the firing status', () => JSON.stringify(statusesOf('ta').at(-1)) === JSON.stringify(FIRING));
    const ta = helper.getNode('ta');
    ta.receive(rateMsg(950e6, time));
    await sleep(300);
    assert.equal(taOut.msgs.length, 0, `a still-high value does not announce the alert again: ${JSON.stringify(taOut.msgs)}`);

    ta.receive(rateMsg(100e6, time + 1000));
    const [util] = await taOut.wait(1);
    assert.deepEqual(
      [firstAlert(util).status, firstAlert(util).alertname, firstAlert(util).device, firstAlert(util).instance, firstAlert(util).startsAt],
      ['resolved', 'HighUtilization', 'core-1', 'Gi0/2', new Date(T0).toISOString()],
    );
    assert.deepEqual(firstAlert(util).labels, { site: 'ams' }, 'the device labels were kept');

    ta.receive(rateMsg(100e6, time + 2000, 'core-2'));
    await taOut.wait(2);
    const down = firstAlert(taOut.msgs[1]);
    assert.deepEqual(
      [down.status, down.alertname, down.device, down.instance, down.startsAt],
      ['resolved', 'DeviceDown', 'core-2', '', new Date(T0).toISOString()],
    );
    assert.equal(down.summary, 'core-2 does not answer: no answer', 'the resolution carries the error it fired with');
    await sleep(300);
    assert.equal(taOut.msgs.length, 2, 'each resolves once');
    await waitFor('the clear status', () => JSON.stringify(statusesOf('ta').at(-1)) === JSON.stringify(CLEAR));
  }

  /** The counter-rate file after the walks up to `step`, in the readable layout. */
  function assertCounterRateSaved(step: number): void {
    const saved = readSaved('cr');
    assert.deepEqual(letterKeys(saved), ['.counterRate.v'], 'no one-letter key but the version');
    assert.deepEqual(Object.keys(saved).sort(), ['counterRate', 'counterRate~r1', 'counterRate~r2'], 'a key per device');
    const state = joinStored(saved, 'counterRate', counterStateLayout);
    assert.equal(state.v, 3);
    const time = T0 + 5000 + 5000 * step;
    assert.deepEqual(state.devices.r1, {
      lastPoll: time,
      uptime: { ticks: 500_500 + 500 * step, time },
      rows: {
        1: { ifHCInOctets: [(BASE + 1007n + 1000n * BigInt(step)).toString(), time], ifInErrors: [20 + 10 * step, time] },
        2: { ifHCInOctets: [1020 + 10 * step, time], ifInErrors: [0, time] },
      },
    });
    assert.deepEqual(state.devices.r2, {
      lastPoll: T0 + 5000,
      uptime: { ticks: 100, time: T0 + 5000 },
      rows: {
        1: { ifHCInOctets: [5, T0 + 5000], ifInErrors: [1, T0 + 5000] },
        2: { ifHCInOctets: [1001, T0 + 5000], ifInErrors: [0, T0 + 5000] },
      },
    }, 'a device without news converted as it was');
  }

  it('resumes rates and alerts from the released layout, saves the readable one, and a second start resumes that alike', async () => {
    let { crOut, taOut, caught } = await start();
    await nextWalkRatesExactly(crOut, T0 + 10_000, 1);
    await firingAlertsResume(taOut, T0 + 10_000);
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs));
    await stop();

    assertCounterRateSaved(1);
    const taSaved = readSaved('ta');
    assert.deepEqual(letterKeys(taSaved), ['.thresholdAlert.v'], 'no one-letter key but the version');
    const ta = { thresholdAlert: joinStored(taSaved, 'thresholdAlert', alertStateLayout) };
    assert.equal(ta.thresholdAlert.v, 3);
    assert.deepEqual({ ...ta.thresholdAlert.alerts }, {}, 'both alerts resolved');
    const core1 = ta.thresholdAlert.devices['core-1'];
    assert.ok(Number.isFinite(core1.lastArrival) && !('arr' in core1), JSON.stringify(core1));
    assert.deepEqual(core1.labels, { site: 'ams' });
    assert.deepEqual(core1.instances['2'].lastPoll, T0 + 11_000, JSON.stringify(core1));
    assert.ok(ta.thresholdAlert.devices['core-2'].lastArrival > 0);

    // A second start, from the readable layout.
    ({ crOut, taOut, caught } = await start());
    await nextWalkRatesExactly(crOut, T0 + 15_000, 2);
    await waitFor('the clear status', () => JSON.stringify(statusesOf('ta').at(-1)) === JSON.stringify(CLEAR));
    helper.getNode('ta').receive(rateMsg(100e6, T0 + 15_000));
    await sleep(300);
    assert.equal(taOut.msgs.length, 0, `nothing left to resolve: ${JSON.stringify(taOut.msgs)}`);
    helper.getNode('ta').receive(rateMsg(900e6, T0 + 16_000));
    const [fired] = await taOut.wait(1);
    assert.deepEqual([firstAlert(fired).status, firstAlert(fired).startsAt, firstAlert(fired).labels], ['firing', new Date(T0 + 16_000).toISOString(), { site: 'ams' }], 'a new alert, not the old one');
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs));
    await stop();
    assertCounterRateSaved(2);
    assert.equal(helper.log().args.filter((a: any[]) => /bad-stored-time/.test(String(a[0]?.msg))).length, 0, 'nothing to repair');
  });

  it('alerts saved firing in the readable layout resume after a second start as from the released one', async () => {
    let { crOut, taOut, caught } = await start();
    await nextWalkRatesExactly(crOut, T0 + 10_000, 1);
    await waitFor('the firing status', () => JSON.stringify(statusesOf('ta').at(-1)) === JSON.stringify(FIRING));
    helper.getNode('ta').receive(rateMsg(950e6, T0 + 10_000));
    await sleep(300);
    assert.equal(taOut.msgs.length, 0, `a still-high value does not announce the alert again: ${JSON.stringify(taOut.msgs)}`);
    await stop();

    assertCounterRateSaved(1);
    const saved = readSaved('ta');
    assert.deepEqual(letterKeys(saved), ['.thresholdAlert.v'], 'no one-letter key but the version');
    const state = joinStored(saved, 'thresholdAlert', alertStateLayout);
    assert.equal(state.v, 3);
    assert.deepEqual(Object.keys(state.alerts).sort(), ['DeviceDown|6|core-2|', 'HighUtilization|6|core-1|2'], 'the same alert keys');
    assert.deepEqual(state.alerts['HighUtilization|6|core-1|2'], {
      phase: 'firing', activeAt: T0, firedAt: T0, notifiedAt: T0, seen: T0 + 10_000, value: 950e6,
      alertname: 'HighUtilization', device: 'core-1', instance: '2', instanceName: 'Gi0/2', vars: { ifDescr: 'Gi0/2', ifAlias: 'uplink' },
    }, 'the row index stays the key; the readable name (ifDescr here) is kept beside it');
    assert.deepEqual(state.outbox, [], 'nothing left to send');
    assert.deepEqual(state.alerts['DeviceDown|6|core-2|'], {
      phase: 'firing', activeAt: T0, firedAt: T0, notifiedAt: T0, seen: T0, value: 'timeout',
      alertname: 'DeviceDown', device: 'core-2', instance: '', vars: { error: 'no answer' },
    });
    const core1 = state.devices['core-1'];
    // interval appears once two messages arrived a second apart or more (a slow machine).
    assert.deepEqual(Object.keys(core1).filter((k) => k !== 'interval').sort(), ['instances', 'labels', 'lastArrival'], JSON.stringify(core1));
    assert.ok(Number.isFinite(core1.lastArrival) && core1.lastArrival >= T0 + 10_000, JSON.stringify(core1));
    assert.deepEqual(core1.labels, { site: 'ams' });
    assert.deepEqual(core1.instances, { 2: { lastPoll: T0 + 10_000, interval: 10_000 } });
    assert.deepEqual(state.devices['core-2'].instances, {});
    assert.deepEqual(state.silences, []);

    ({ crOut, taOut, caught } = await start());
    await nextWalkRatesExactly(crOut, T0 + 15_000, 2);
    await firingAlertsResume(taOut, T0 + 15_000);
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs));
    await stop();
    assertCounterRateSaved(2);
    assert.deepEqual({ ...joinStored(readSaved('ta'), 'thresholdAlert', alertStateLayout).alerts }, {});
  });
});
