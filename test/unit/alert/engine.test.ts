import { strict as assert } from 'assert';
import { AlertEngine, FORGET_MS, MAX_SILENCES, extract, restoreAlertState, type AlertEngineOptions, type AlertInput } from '../../../src/lib/alert/engine';
import { parseRules } from '../../../src/lib/alert/rules';
import { genericAlert } from '../../../src/lib/alert/format';
import type { AlertNotification } from '../../../src/lib/alert/notification';

const T0 = 1_700_000_000_000;
const S = 1000;

const utilRule = { name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: 800e6, clear: 500e6, for: 0, severity: 'critical', summary: '{{device}} {{ifDescr}} ({{ifAlias}}) at {{value}} b/s' };
const downRule = { kind: 'device-down', name: 'DeviceDown' };

class Harness {
  now = T0;
  engine: AlertEngine;
  constructor(rules: unknown[], opts: Partial<AlertEngineOptions> = {}, state?: ReturnType<typeof restoreAlertState>) {
    this.engine = new AlertEngine({ rules: parseRules(rules), repeatMs: 0, nodata: 'resolve', nodataAfter: 3, ...opts }, () => this.now, state);
  }
  rows(bps: Record<string, number>, topic = 'core-1', extra: Partial<AlertInput> = {}): AlertNotification[] {
    const payload = Object.entries(bps).map(([index, v]) => ({ index, ifDescr: `eth${index}`, ifAlias: `uplink ${index}`, ifHCInOctets: v }));
    return this.send({ topic, time: this.now, payload, msg: {}, ...extra });
  }
  send(input: AlertInput): AlertNotification[] {
    return this.engine.process(input).notifications;
  }
  failure(topic = 'core-1', code = 'timeout'): AlertNotification[] {
    return this.send({ topic, time: this.now, payload: null, msg: {}, failure: { code, message: `no answer from ${topic}` } });
  }
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Changes by row index (`n.instance` is the readable ifDescr these rows carry). */
const brief = (ns: AlertNotification[]): string[] => ns.map((n) => `${n.status}${n.repeat ? '(repeat)' : ''} ${n.alertname} ${n.device}/${n.index}`);

describe('alert engine', () => {
  it('fires once per series on rows and resolves once, with the generic alert fields', () => {
    const h = new Harness([utilRule]);
    assert.deepEqual(h.rows({ 1: 100e6, 3: 900e6 }).map((n) => [n.index, n.instance]), [['3', 'eth3']], 'named by ifDescr (no ifName in these rows)');
    for (let i = 0; i < 5; i++) {
      h.advance(60 * S);
      assert.deepEqual(h.rows({ 1: 100e6, 3: 900e6 }), [], 'only changes are sent');
    }
    h.advance(60 * S);
    assert.deepEqual(h.rows({ 1: 100e6, 3: 600e6 }), [], 'inside the hysteresis band: still firing');
    h.advance(60 * S);
    const resolved = h.rows({ 1: 100e6, 3: 400e6 });
    assert.deepEqual(brief(resolved), ['resolved HighUtilization core-1/3']);
    const a = genericAlert(resolved[0]);
    assert.deepEqual({ ...a, fingerprint: typeof a.fingerprint }, {
      status: 'resolved', alertname: 'HighUtilization', severity: 'critical', device: 'core-1', instance: 'eth3', index: '3',
      value: 400e6, threshold: 800e6, startsAt: new Date(T0).toISOString(), endsAt: new Date(h.now).toISOString(),
      summary: 'core-1 eth3 (uplink 3) at 400000000 b/s', labels: {}, fingerprint: 'string',
    });
  });

  it('reads object payload keys exactly or by prefix (instance), and msg.<path>', () => {
    const h = new Harness([
      { name: 'CpuHigh', field: 'cpuLoad', op: '>=', threshold: 90 },
      { name: 'UptimeLow', field: 'sysUpTime.0', op: '<', threshold: 6000 },
      { name: 'SlowPoll', field: 'msg.snmp.elapsedMs', op: '>', threshold: 5000 },
    ]);
    const ns = h.send({ topic: 'r1', time: T0, payload: { 'cpuLoad.1': 95, 'cpuLoad.2': 10, 'sysUpTime.0': 100 }, msg: { snmp: { elapsedMs: 9000 } } });
    assert.deepEqual(brief(ns), ['firing CpuHigh r1/1', 'firing UptimeLow r1/', 'firing SlowPoll r1/']);
    assert.deepEqual(extract('payload', { topic: 'x', time: 0, payload: 7, msg: {} }), [['', 7, undefined]]);
    assert.deepEqual(extract('msg.a[1].b', { topic: 'x', time: 0, payload: 7, msg: { a: [0, { b: 3 }] } }), [['', 3, 7]]);
    assert.deepEqual(extract('msg.__proto__.x', { topic: 'x', time: 0, payload: 7, msg: {} }), [['', undefined, 7]]);
  });

  it('compares text with == and != (enum labels)', () => {
    const h = new Harness([{ name: 'NotUp', field: 'ifOperStatus', op: '!=', threshold: 'up' }]);
    const ns = h.send({ topic: 'sw', time: T0, payload: [{ index: '1', ifOperStatus: 'up' }, { index: '2', ifOperStatus: 'down' }], msg: {} });
    assert.deepEqual(brief(ns), ['firing NotUp sw/2']);
  });

  it('`for` holds an alert pending until the value has stayed over the threshold long enough', () => {
    const h = new Harness([{ ...utilRule, for: '3m' }]);
    assert.deepEqual(h.rows({ 3: 900e6 }), []);
    assert.deepEqual(h.engine.counts(), { firing: 0, pending: 1 });
    h.advance(120 * S);
    assert.deepEqual(h.rows({ 3: 900e6 }), []);
    h.advance(60 * S);
    assert.deepEqual(brief(h.rows({ 3: 900e6 })), ['firing HighUtilization core-1/3']);
    assert.deepEqual(h.engine.counts(), { firing: 1, pending: 0 });
  });

  it('repeats a firing alert after the repeat interval', () => {
    const h = new Harness([utilRule], { repeatMs: 3600 * S });
    h.rows({ 3: 900e6 });
    const seen: string[] = [];
    for (let i = 1; i <= 120; i++) {
      h.advance(60 * S);
      seen.push(...brief(h.rows({ 3: 900e6 })));
    }
    assert.deepEqual(seen, ['firing(repeat) HighUtilization core-1/3', 'firing(repeat) HighUtilization core-1/3']);
  });

  it('flapping input inside the hysteresis band does not re-notify', () => {
    const h = new Harness([utilRule]);
    const out: string[] = [];
    for (let i = 0; i < 50; i++) {
      out.push(...brief(h.rows({ 3: i % 2 === 0 ? 900e6 : 700e6 })));
      h.advance(10 * S);
    }
    assert.deepEqual(out, ['firing HighUtilization core-1/3']);
  });

  describe('device-down rule', () => {
    it('pages once on failures and resolves once on the first answer', () => {
      const h = new Harness([utilRule, downRule]);
      h.rows({ 3: 100e6 });
      const out: string[] = [];
      for (let i = 0; i < 10; i++) {
        h.advance(60 * S);
        out.push(...brief(h.failure()));
      }
      h.advance(60 * S);
      out.push(...brief(h.rows({ 3: 100e6 })));
      h.advance(60 * S);
      out.push(...brief(h.rows({ 3: 100e6 })));
      assert.deepEqual(out, ['firing DeviceDown core-1/', 'resolved DeviceDown core-1/']);
    });

    it('carries the error in the summary, and `for` waits out short blips', () => {
      const h = new Harness([{ ...downRule, for: 120 }]);
      assert.deepEqual(h.failure('edge', 'unreachable'), []);
      h.advance(60 * S);
      assert.deepEqual(h.failure('edge', 'unreachable'), []);
      h.advance(60 * S);
      const fired = h.failure('edge', 'unreachable');
      assert.equal(fired.length, 1);
      assert.equal(genericAlert(fired[0]).summary, 'edge does not answer: no answer from edge');
      assert.equal(fired[0].value, 'unreachable');
      assert.equal(fired[0].severity, 'critical');
      h.advance(60 * S);
      const resolved = h.rows({ 3: 100e6 }, 'edge');
      assert.equal(resolved.length, 1);
      assert.equal(genericAlert(resolved[0]).status, 'resolved');
      assert.equal(genericAlert(resolved[0]).summary, 'edge does not answer: no answer from edge', 'the resolution keeps the error it fired with');
    });

    it('takes a configuration error (bad-target, profile) as saying nothing of the device: it neither fires nor resolves', () => {
      const h = new Harness([downRule]);
      const out: string[] = [];
      // a second inventory entry for a device that answers: its bad-target comes under the device's name
      for (let i = 0; i < 5; i++) {
        out.push(...brief(h.rows({ 3: 100e6 })));
        out.push(...brief(h.failure('core-1', 'bad-target')));
        h.advance(60 * S);
      }
      assert.deepEqual(out.slice(), [], 'no alert for a device that answers'); // a copy: asserting `out` itself would narrow its type to never[]
      out.push(...brief(h.failure('core-1', 'timeout')));
      h.advance(60 * S);
      out.push(...brief(h.failure('core-1', 'profile')));
      assert.deepEqual(out, ['firing DeviceDown core-1/'], 'a profile error does not resolve it');
    });

    it('failures do not count as data for threshold rules', () => {
      const h = new Harness([utilRule, downRule]);
      h.rows({ 3: 900e6 });
      h.advance(60 * S);
      assert.deepEqual(brief(h.failure()), ['firing DeviceDown core-1/'], 'no utilization resolve from a failure');
    });
  });

  describe('no data', () => {
    function steady(h: Harness, n: number, bps: Record<string, number>, topic = 'core-1'): string[] {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        h.advance(60 * S);
        out.push(...brief(h.rows(bps, topic)));
        out.push(...brief(h.engine.tick()));
      }
      return out;
    }

    it('resolve: a device gone quiet resolves its alerts after N missed intervals', () => {
      const h = new Harness([utilRule], { nodata: 'resolve', nodataAfter: 3 });
      h.rows({ 3: 900e6 });
      steady(h, 3, { 3: 900e6 });
      const out: string[] = [];
      for (let i = 0; i < 250; i++) {
        h.advance(S);
        out.push(...brief(h.engine.tick()));
      }
      assert.deepEqual(out, ['resolved HighUtilization core-1/3']);
    });

    it('resolve: a poll triggered by hand right after the first does not set the cadence (the alert kept resolving and firing again every cycle)', () => {
      const h = new Harness([utilRule], { nodata: 'resolve', nodataAfter: 3 });
      const out: string[] = [];
      out.push(...brief(h.rows({ 3: 900e6 })));
      h.advance(1200);
      out.push(...brief(h.rows({ 3: 900e6 })));
      // then every 60 s, ticking each second between the polls
      for (let poll = 0; poll < 6; poll++) {
        for (let i = 0; i < 60; i++) {
          h.advance(S);
          out.push(...brief(h.engine.tick()));
        }
        out.push(...brief(h.rows({ 3: 900e6 })));
      }
      assert.deepEqual(out, ['firing HighUtilization core-1/3'], 'one incident, firing throughout');
    });

    it('resolve: a poll interval changed from 10 s to 5 min is the cadence from the second long gap on', () => {
      const h = new Harness([utilRule], { nodata: 'resolve', nodataAfter: 3 });
      h.rows({ 3: 900e6 });
      for (let i = 0; i < 10; i++) {
        h.advance(10 * S);
        h.rows({ 3: 900e6 });
      }
      const perPoll: string[][] = [];
      for (let poll = 0; poll < 6; poll++) {
        const out: string[] = [];
        for (let t = 0; t < 300; t += 5) {
          h.advance(5 * S);
          out.push(...brief(h.engine.tick()));
        }
        out.push(...brief(h.rows({ 3: 900e6 })));
        perPoll.push(out);
      }
      // the first long gap is an outage as far as anyone can tell; the second like it is the new cadence
      assert.deepEqual(perPoll[0], ['resolved HighUtilization core-1/3', 'firing HighUtilization core-1/3']);
      assert.deepEqual(perPoll.slice(2), [[], [], [], []], JSON.stringify(perPoll));
    });

    it('resolve: a row that disappears resolves its alert, others stay', () => {
      const h = new Harness([utilRule], { nodata: 'resolve', nodataAfter: 3 });
      h.rows({ 3: 900e6, 4: 900e6 });
      steady(h, 3, { 3: 900e6, 4: 900e6 });
      assert.deepEqual(steady(h, 5, { 4: 900e6 }), ['resolved HighUtilization core-1/3']);
      assert.deepEqual(h.engine.counts(), { firing: 1, pending: 0 });
    });

    it('keep: alerts of a quiet device stay firing', () => {
      const h = new Harness([utilRule], { nodata: 'keep' });
      h.rows({ 3: 900e6 });
      steady(h, 3, { 3: 900e6 });
      h.advance(3600 * S);
      assert.deepEqual(h.engine.tick(), []);
      assert.deepEqual(h.engine.counts(), { firing: 1, pending: 0 });
    });

    it('alert: one NoData alert for a quiet device, resolved when data returns', () => {
      const h = new Harness([utilRule], { nodata: 'alert' });
      steady(h, 4, { 1: 100e6, 2: 100e6 });
      h.advance(200 * S);
      const fired = h.engine.tick();
      assert.deepEqual(brief(fired), ['firing NoData core-1/']);
      assert.equal(genericAlert(fired[0]).summary, 'no data from core-1');
      h.advance(600 * S);
      assert.deepEqual(h.engine.tick(), [], 'once');
      assert.deepEqual(brief(h.rows({ 1: 100e6, 2: 100e6 })), ['resolved NoData core-1/']);
    });

    it('alert: a poll made just before NoData fired and delivered after resolves it, ending no earlier than it started', () => {
      const h = new Harness([utilRule], { nodata: 'alert' });
      steady(h, 4, { 1: 100e6 });
      h.advance(200 * S);
      const fired = h.engine.tick();
      assert.deepEqual(brief(fired), ['firing NoData core-1/']);
      const resolved = h.send({ topic: 'core-1', time: h.now - 5 * S, payload: [{ index: '1', ifHCInOctets: 100e6 }], msg: {} });
      assert.deepEqual(brief(resolved), ['resolved NoData core-1/']);
      assert.equal(resolved[0].endsAt, fired[0].startsAt);
    });

    it('alert: a vanished row gets its own NoData alert, resolved when it is back', () => {
      const h = new Harness([utilRule], { nodata: 'alert' });
      steady(h, 4, { 1: 100e6, 2: 100e6 });
      assert.deepEqual(steady(h, 5, { 1: 100e6 }), ['firing NoData core-1/2']);
      assert.deepEqual(steady(h, 1, { 1: 100e6, 2: 100e6 }), ['resolved NoData core-1/2']);
    });
  });

  describe('late messages (older than the series\' last, the clock not set back)', () => {
    it('a late value after the alert resolved does not fire it again', () => {
      const h = new Harness([utilRule]);
      const out: string[] = [];
      out.push(...brief(h.rows({ 3: 900e6 })));
      h.advance(60 * S);
      out.push(...brief(h.rows({ 3: 100e6 })));
      h.advance(1 * S);
      // polled at 30 s, delivered now
      out.push(...brief(h.rows({ 3: 900e6 }, 'core-1', { time: T0 + 30 * S })));
      h.advance(59 * S);
      out.push(...brief(h.rows({ 3: 100e6 })));
      assert.deepEqual(out, ['firing HighUtilization core-1/3', 'resolved HighUtilization core-1/3']);
    });

    it('a message 20 minutes late neither resolves a firing alert nor shortens a pending one\'s for', () => {
      const h = new Harness([utilRule]);
      const out: string[] = [];
      for (let i = 0; i <= 30; i++) {
        out.push(...brief(h.rows({ 3: 900e6 })));
        h.advance(60 * S);
      }
      out.push(...brief(h.rows({ 3: 100e6 }, 'core-1', { time: T0 + 600 * S })));
      out.push(...brief(h.rows({ 3: 900e6 })));
      assert.deepEqual(out, ['firing HighUtilization core-1/3'], 'one incident throughout');

      const p = new Harness([{ ...utilRule, for: '5m' }]);
      const fired: number[] = [];
      p.rows({ 3: 100e6 });
      for (let i = 1; i <= 40; i++) {
        p.advance(60 * S);
        // pending from 30 min on
        const v = i >= 30 ? 900e6 : 100e6;
        if (p.rows({ 3: v }).length > 0) fired.push(i);
        if (i === 31) p.rows({ 3: 100e6 }, 'core-1', { time: T0 + 600 * S });
      }
      assert.deepEqual(fired, [35], 'fires after its 5 minutes, not sooner');
    });

    it('an older message while the last poll lies ahead of the clock (the clock set back) is taken', () => {
      const h = new Harness([utilRule]);
      h.rows({ 3: 900e6 }, 'core-1', { time: T0 + 3600 * S });
      // the clock is at T0: the message of T0 + 1 h was from before the clock went back an hour
      const out = brief(h.rows({ 3: 100e6 }));
      assert.deepEqual(out, ['resolved HighUtilization core-1/3']);
    });
  });

  describe('silences', () => {
    it('mute a device: no firing while silenced; announced when the silence ends', () => {
      const h = new Harness([utilRule]);
      h.engine.silence({ device: 'core-1', until: T0 + 600 * S });
      assert.deepEqual(h.rows({ 3: 900e6 }), []);
      assert.deepEqual(brief(h.rows({ 3: 900e6 }, 'core-2')), ['firing HighUtilization core-2/3'], 'other devices unaffected');
      h.advance(601 * S);
      assert.deepEqual(brief(h.engine.tick()), ['firing HighUtilization core-1/3']);
      h.advance(S);
      assert.deepEqual(h.engine.tick(), []);
    });

    it('an alert that fires and clears under a silence is never heard of', () => {
      const h = new Harness([utilRule]);
      h.engine.silence({ alertname: 'HighUtilization', until: T0 + 3600 * S });
      h.rows({ 3: 900e6 });
      h.advance(60 * S);
      assert.deepEqual(h.rows({ 3: 100e6 }), []);
    });

    it('a resolution of an alert announced before the silence is still sent', () => {
      const h = new Harness([utilRule]);
      h.rows({ 3: 900e6 });
      h.engine.silence({ device: 'core-1', instance: '3', until: T0 + 3600 * S });
      h.advance(60 * S);
      assert.deepEqual(brief(h.rows({ 3: 100e6 })), ['resolved HighUtilization core-1/3']);
    });

    it('bounds the number of active silences', () => {
      const h = new Harness([utilRule]);
      for (let i = 0; i < MAX_SILENCES; i++) h.engine.silence({ device: `d${i}`, until: T0 + 3600 * S });
      assert.throws(() => h.engine.silence({ device: 'one-more', until: T0 + 3600 * S }), /more than 1000 silences/);
      h.engine.silence({ device: 'd7', until: T0 + 7200 * S });
      assert.equal(h.engine.state.silences.length, MAX_SILENCES, 'same matchers replace, not add');
    });

    it('lifting a silence (until in the past) announces what it held back', () => {
      const h = new Harness([utilRule]);
      h.engine.silence({ device: 'core-1', until: T0 + 3600 * S });
      h.rows({ 3: 900e6 });
      assert.deepEqual(brief(h.engine.silence({ device: 'core-1', until: 0 })), ['firing HighUtilization core-1/3']);
      assert.equal(h.engine.state.silences.length, 0);
    });
  });

  describe('forgetting', () => {
    const HOUR = 3600 * S;

    it('a device seen once (no interval known) is forgotten a day after it reported, unless it has an alert', () => {
      const h = new Harness([utilRule], { nodata: 'alert' });
      h.rows({ 1: 100e6 }, 'ad-hoc');
      h.rows({ 1: 900e6 }, 'ad-hoc-firing');
      h.advance(FORGET_MS - S);
      h.engine.tick();
      assert.deepEqual(Object.keys(h.engine.state.devices).sort(), ['ad-hoc', 'ad-hoc-firing'], 'not before a day');
      h.advance(2 * S);
      assert.deepEqual(h.engine.tick(), [], 'forgotten quietly, no NoData');
      assert.deepEqual(Object.keys(h.engine.state.devices), ['ad-hoc-firing'], 'the one with a firing alert stays');
      assert.deepEqual(h.engine.counts(), { firing: 1, pending: 0 });
    });

    it('with no data resolving, a device seen once has its firing alerts resolved and is forgotten after a day (a target removed while its alert fired)', () => {
      const h = new Harness([utilRule, downRule], { nodata: 'resolve' });
      h.rows({ 1: 900e6 }, 'one-off');
      h.failure('gone');
      h.advance(FORGET_MS - S);
      assert.deepEqual(h.engine.tick(), []);
      assert.deepEqual(h.engine.counts(), { firing: 2, pending: 0 }, 'not before a day');
      h.advance(2 * S);
      assert.deepEqual(brief(h.engine.tick()).sort(), ['resolved DeviceDown gone/', 'resolved HighUtilization one-off/1']);
      assert.deepEqual(Object.keys(h.engine.state.devices), []);
    });

    it('a device seen once with only a pending alert is forgotten with it after a day (a forged or mistyped target)', () => {
      const h = new Harness([{ ...utilRule, for: '5m' }], { nodata: 'alert' });
      h.rows({ 1: 900e6 }, 'forged');
      assert.deepEqual(h.engine.counts(), { firing: 0, pending: 1 });
      h.advance(FORGET_MS - S);
      h.engine.tick();
      assert.deepEqual(h.engine.counts(), { firing: 0, pending: 1 }, 'not before a day');
      h.advance(2 * S);
      assert.deepEqual(h.engine.tick(), [], 'quietly: it was never announced');
      assert.deepEqual(h.engine.counts(), { firing: 0, pending: 0 });
      assert.deepEqual(Object.keys(h.engine.state.devices), []);
    });

    it('a device polled hourly keeps its series; rows seen once are forgotten after a day', () => {
      const h = new Harness([utilRule], { nodata: 'resolve', nodataAfter: 3 });
      // Row 1 reports every cycle; every cycle also brings a row index never seen again.
      for (let cycle = 0; cycle < 30; cycle++) {
        h.rows({ 1: 100e6, [`tmp${cycle}`]: cycle === 0 ? 900e6 : 100e6 });
        h.engine.tick();
        h.advance(HOUR);
      }
      const inst = Object.keys(h.engine.state.devices['core-1'].instances);
      assert.ok(inst.includes('1'));
      assert.ok(inst.includes('tmp0'), 'the row with a firing alert is kept');
      assert.ok(!inst.includes('tmp1') && !inst.includes('tmp4'), `rows older than a day are gone: ${inst.join(' ')}`);
      assert.ok(inst.includes('tmp29') && inst.includes('tmp6'), 'rows of the last day are kept');
      assert.ok(inst.length <= 27, `${inst.length} series`);
    });

    it('ad-hoc targets with changing names stay bounded over days', () => {
      const h = new Harness([utilRule]);
      for (let i = 0; i < 24 * 4; i++) { // four days, a new name every hour
        h.rows({ 1: 100e6, 2: 100e6 }, `adhoc-${i}`);
        h.advance(HOUR);
        h.engine.tick();
      }
      const n = Object.keys(h.engine.state.devices).length;
      assert.ok(n <= 25, `${n} devices kept`);
    });
  });

  it('resumes after a restart (state through JSON) without re-announcing firing alerts', () => {
    const h = new Harness([utilRule, downRule], { repeatMs: 3600 * S });
    h.rows({ 3: 900e6 });
    h.failure('edge');
    const saved = JSON.parse(JSON.stringify(h.engine.state));
    const h2 = new Harness([utilRule, downRule], { repeatMs: 3600 * S }, restoreAlertState(saved));
    h2.now = h.now + 120 * S;
    assert.deepEqual(h2.engine.counts(), { firing: 2, pending: 0 });
    assert.deepEqual(h2.rows({ 3: 900e6 }), []);
    assert.deepEqual(h2.failure('edge'), []);
    assert.deepEqual(h2.engine.tick(), [], 'grace after restart: no no-data for the restart gap');
    h2.advance(3600 * S);
    assert.deepEqual(brief(h2.rows({ 3: 900e6 })), ['firing(repeat) HighUtilization core-1/3'], 'the repeat clock survived too');
    h2.advance(60 * S);
    assert.deepEqual(brief(h2.rows({ 3: 100e6 })), ['resolved HighUtilization core-1/3']);
  });

  it('resolves alerts of a rule removed on redeploy', () => {
    const h = new Harness([utilRule]);
    h.rows({ 3: 900e6 });
    const saved = JSON.parse(JSON.stringify(h.engine.state));
    const h2 = new Harness([{ ...utilRule, name: 'Utilization' }], {}, restoreAlertState(saved));
    const out = h2.engine.dropOrphans();
    assert.deepEqual(brief(out), ['resolved HighUtilization core-1/3']);
    assert.equal(genericAlert(out[0]).summary, 'HighUtilization on core-1 eth3: rule removed', 'named as people read it');
    assert.deepEqual(h2.engine.counts(), { firing: 0, pending: 0 });
  });

  it('skips and reports values it cannot compare; never throws on odd payloads', () => {
    const h = new Harness([utilRule]);
    const r = h.engine.process({ topic: 'x', time: T0, payload: [{ index: '1', ifHCInOctets: 'fast' }, { index: '2', ifHCInOctets: null }, null, 5, { index: '4', ifHCInOctets: '900000000' }], msg: {} });
    assert.deepEqual(r.skipped, [{ rule: 'HighUtilization', value: 'fast' }]);
    assert.deepEqual(brief(r.notifications), ['firing HighUtilization x/4'], 'numeric strings are numbers');
    for (const payload of [undefined, null, 42, 'text', true, [], {}, [[1]], { ifHCInOctets: { deep: 1 } }]) {
      h.engine.process({ topic: 'y', time: T0, payload, msg: {} });
    }
  });

  it('keeps hostile device names as plain keys', () => {
    const h = new Harness([utilRule]);
    h.rows({ 3: 900e6 }, '__proto__');
    h.rows({ 3: 900e6 }, 'constructor');
    assert.deepEqual(h.engine.counts(), { firing: 2, pending: 0 });
    const restored = restoreAlertState(JSON.parse(JSON.stringify(h.engine.state)));
    assert.equal(Object.keys(restored.alerts).length, 2);
    assert.equal(({} as any).arr, undefined);
    assert.equal(({} as any).lastArrival, undefined);
  });

  it('restores times far in the future as now (alerts) or drops them, and counts the repairs', () => {
    const now = T0;
    const report = { repaired: 0 };
    const s = restoreAlertState({
      v: 2,
      alerts: { 'A|1|d|': { phase: 'firing', activeAt: 1.7e18, seen: now, firedAt: 1e300, notifiedAt: now - 5, alertname: 'A', device: 'd', instance: '', vars: {} } },
      devices: { d: { lastArrival: now, interval: 1e300, instances: { a: { lastPoll: 1e300, interval: 0 }, b: { lastPoll: now - 1000, interval: 60_000 } } } },
      silences: [{ until: 1e300 }, { until: now + 3600_000, device: 'd' }],
    }, now, report);
    assert.deepEqual({ ...s.alerts['A|1|d|'] }, { phase: 'firing', activeAt: now, seen: now, firedAt: now, notifiedAt: now - 5, alertname: 'A', device: 'd', instance: '', value: null, vars: {} });
    assert.equal(s.devices.d.interval, undefined, 'an interval longer than a day is dropped');
    assert.deepEqual({ ...s.devices.d.instances }, { b: { lastPoll: now - 1000, interval: 60_000 } });
    assert.deepEqual(s.silences, [{ id: 'restored-1', match: { device: 'd' }, until: now + 3600_000, createdAt: now }], 'a 0.1 silence becomes a matcher');
    assert.equal(report.repaired, 4);
    const h = new Harness([{ ...utilRule, name: 'A' }], {}, s);
    h.advance(60 * S);
    const [resolved] = h.send({ topic: 'd', time: h.now, payload: { ifHCInOctets: 1 }, msg: {} });
    assert.equal(genericAlert(resolved).startsAt, new Date(now).toISOString(), 'the repaired alert still resolves, under its fingerprint');
  });

  it('reads the v1 layout of release 0.1.0 (one-letter keys) into the readable one, with the same repairs', () => {
    const now = T0;
    const report = { repaired: 0 };
    const s = restoreAlertState({
      v: 1,
      alerts: { 'A|1|d|': { phase: 'firing', activeAt: 1.7e18, seen: now, firedAt: 1e300, notifiedAt: now - 5, r: 'A', d: 'd', i: '', vars: {} } },
      devices: { d: { arr: now, iv: 1e300, inst: { a: [1e300, 0], b: [now - 1000, 60_000] } } },
      silences: [{ until: 1e300 }, { until: now + 3600_000, device: 'd' }],
    }, now, report);
    assert.deepEqual({ ...s.alerts['A|1|d|'] }, { phase: 'firing', activeAt: now, seen: now, firedAt: now, notifiedAt: now - 5, alertname: 'A', device: 'd', instance: '', value: null, vars: {} });
    assert.equal(s.devices.d.interval, undefined, 'an interval longer than a day is dropped');
    assert.deepEqual({ ...s.devices.d.instances }, { b: { lastPoll: now - 1000, interval: 60_000 } });
    assert.deepEqual(s.silences, [{ id: 'restored-1', match: { device: 'd' }, until: now + 3600_000, createdAt: now }], 'a 0.1 silence becomes a matcher');
    assert.equal(report.repaired, 4);
    const h = new Harness([{ ...utilRule, name: 'A' }], {}, s);
    h.advance(60 * S);
    const [resolved] = h.send({ topic: 'd', time: h.now, payload: { ifHCInOctets: 1 }, msg: {} });
    assert.equal(genericAlert(resolved).startsAt, new Date(now).toISOString(), 'the repaired alert still resolves, under its fingerprint');
  });

  it('a v1 state becomes the current layout, keeps hostile names as plain keys and resumes as the released version did', () => {
    // JSON as a store holds it: "__proto__" (spelt PROTO_XYZ here, the same length) is a plain key.
    const hostile = (o: unknown) => JSON.parse(JSON.stringify(o).replaceAll('PROTO_XYZ', '__proto__'));
    const v1 = hostile({
      v: 1,
      alerts: {
        'HighUtilization|6|core-1|2': { phase: 'firing', activeAt: T0, seen: T0, value: 900e6, firedAt: T0, notifiedAt: T0, r: 'HighUtilization', d: 'core-1', i: '2', vars: { ifDescr: 'eth2', ifAlias: 'uplink 2' } },
        'DeviceDown|9|PROTO_XYZ|': { phase: 'firing', activeAt: T0, seen: T0, value: 'timeout', firedAt: T0, notifiedAt: T0, r: 'DeviceDown', d: 'PROTO_XYZ', i: '', vars: { error: 'no answer' } },
        'HighUtilization|6|core-1|3': { phase: 'firing', activeAt: T0, seen: T0, value: 1, r: 'HighUtilization', d: 'core-1', i: '2', vars: {} }, // key and fields disagree
        'X|1|x|': { phase: 'firing', activeAt: T0, seen: T0, value: 1, alertname: 'X', device: 'x', instance: '', vars: {} }, // not v1
      },
      devices: {
        'core-1': { arr: T0 + 20, iv: 60_000, quiet: true, inst: { 2: [T0, 60_000], 3: 'junk', 4: [T0], 5: { lastPoll: T0, interval: 0 }, PROTO_XYZ: [T0, 0] }, labels: { site: 'ams' } },
        PROTO_XYZ: { arr: T0 + 20, inst: {}, labels: {} },
        junk: { lastArrival: T0, instances: {} },
      },
      silences: [{ until: T0 + 3600_000, alertname: 'NoData' }],
    });
    const s = restoreAlertState(v1, T0 + 10_000);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), hostile({
      v: 3,
      alerts: {
        'HighUtilization|6|core-1|2': { phase: 'firing', activeAt: T0, seen: T0, alertname: 'HighUtilization', device: 'core-1', instance: '2', value: 900e6, vars: { ifDescr: 'eth2', ifAlias: 'uplink 2' }, firedAt: T0, notifiedAt: T0 },
        'DeviceDown|9|PROTO_XYZ|': { phase: 'firing', activeAt: T0, seen: T0, alertname: 'DeviceDown', device: 'PROTO_XYZ', instance: '', value: 'timeout', vars: { error: 'no answer' }, firedAt: T0, notifiedAt: T0 },
      },
      devices: {
        'core-1': { lastArrival: T0 + 20, instances: { 2: { lastPoll: T0, interval: 60_000 }, PROTO_XYZ: { lastPoll: T0, interval: 0 } }, interval: 60_000, quiet: true, labels: { site: 'ams' } },
        PROTO_XYZ: { lastArrival: T0 + 20, instances: {}, labels: {} },
      },
      silences: [{ id: 'restored-0', match: { alertname: 'NoData' }, until: T0 + 3600_000, createdAt: T0 + 10_000 }],
      outbox: [],
      groups: {},
      seq: 0,
    }));
    assert.equal(Object.getPrototypeOf(s.alerts), null);
    assert.equal(Object.getPrototypeOf(s.devices), null);
    for (const dev of Object.values(s.devices)) assert.equal(Object.getPrototypeOf(dev.instances), null);
    assert.equal(({} as any).lastArrival, undefined, 'no prototype pollution');

    const h = new Harness([utilRule, downRule], {}, s);
    h.now = T0 + 10_000;
    assert.deepEqual(h.engine.counts(), { firing: 2, pending: 0 });
    assert.deepEqual(h.rows({ 2: 900e6 }), [], 'still high: no second firing');
    const resolved = h.rows({ 2: 100e6 });
    assert.deepEqual(brief(resolved), ['resolved HighUtilization core-1/2']);
    assert.equal(genericAlert(resolved[0]).startsAt, new Date(T0).toISOString());
    assert.equal(genericAlert(resolved[0]).summary, 'core-1 eth2 (uplink 2) at 100000000 b/s');
    const up = h.rows({ 2: 100e6 }, '__proto__');
    assert.deepEqual(brief(up), ['resolved DeviceDown __proto__/']);
    assert.equal(genericAlert(up[0]).startsAt, new Date(T0).toISOString());
    assert.deepEqual(h.engine.counts(), { firing: 0, pending: 0 });
  });

  it('the engine refuses a time no Date can hold', () => {
    const h = new Harness([utilRule]);
    assert.throws(() => h.send({ topic: 'x', time: 1e300, payload: [{ index: '1', ifHCInOctets: 9e8 }], msg: {} }), RangeError);
    assert.deepEqual(h.engine.state.devices, Object.create(null));
  });

  it('restores nothing from corrupt state', () => {
    const full = (v: unknown, alerts: unknown, devices: unknown) => ({ v, alerts, devices, silences: [{ until: T0 + 1000 }] });
    const v1Alerts = { 'A|1|d|': { phase: 'firing', activeAt: T0, seen: T0, value: 1, r: 'A', d: 'd', i: '', vars: {} } };
    const v2Alerts = { 'A|1|d|': { phase: 'firing', activeAt: T0, seen: T0, value: 1, alertname: 'A', device: 'd', instance: '', vars: {} } };
    for (const raw of [undefined, null, 7, 'x', [], { v: 1, alerts: { k: { phase: 'weird' } }, devices: { d: { arr: 'no' } }, silences: [{ until: 'x' }] },
      { v: 2, alerts: { k: { phase: 'weird' } }, devices: { d: { lastArrival: 'no' }, e: [] }, silences: [{ until: 'x' }] },
      { v: 2, alerts: [], devices: 'x', silences: {} },
      full(4, v2Alerts, { d: { lastArrival: T0, instances: {} } }), full('2', v2Alerts, {}), full(undefined, v1Alerts, {}),
      { ...full(2, v1Alerts, { d: { arr: T0, inst: {} } }), silences: [] }, { ...full(1, v2Alerts, { d: { lastArrival: T0, instances: {} } }), silences: [] }]) {
      assert.doesNotThrow(() => restoreAlertState(raw, T0));
      const s = restoreAlertState(raw, T0);
      assert.deepEqual([Object.keys(s.alerts).length, Object.keys(s.devices).length, s.silences.length], [0, 0, 0]);
    }
  });

  it('labels from msg.device reach the notification and the template', () => {
    const h = new Harness([{ ...utilRule, summary: '{{device}} at {{labels.site}}' }]);
    const ns = h.rows({ 3: 900e6 }, 'core-1', { labels: { site: 'ams' } });
    assert.deepEqual(ns[0].labels, { site: 'ams' });
    assert.equal(genericAlert(ns[0]).summary, 'core-1 at ams');
  });
});
