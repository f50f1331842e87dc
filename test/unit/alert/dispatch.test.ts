/**
 * From alert changes to notifications: grouping (per message, by labels with wait and
 * interval, none), inhibition by device-down, incidents that open and close, and the
 * group bodies for Slack (Block Kit limits) and PagerDuty (512 KB).
 */
import { strict as assert } from 'assert';
import { AlertEngine, restoreAlertState, type AlertEngineOptions } from '../../../src/lib/alert/engine';
import { Dispatcher, type AlertGroup, type DispatchOptions } from '../../../src/lib/alert/dispatch';
import { formatGroup, genericGroup } from '../../../src/lib/alert/format';
import { parseRules } from '../../../src/lib/alert/rules';
import { SLACK_LIMITS, defuseMrkdwn, slackGroupBody } from '../../../src/lib/alert/slack';
import { PD_LIMITS, TRUNCATED, boundDetails, pagerDutyGroupEvents } from '../../../src/lib/alert/pagerduty';

const T0 = 1_700_000_000_000;
const S = 1000;
const DOWN = { kind: 'device-down', name: 'DeviceDown' };
const IFDOWN = { name: 'InterfaceDown', field: 'ifOperStatus', op: '==', threshold: 2, summary: '{{device}} {{instance}} is down' };
const UTIL = { name: 'HighUtil', field: 'util', op: '>', threshold: 80, summary: '{{device}} {{instance}} at {{value}} %' };

class Harness {
  now = T0;
  engine: AlertEngine;
  dispatcher: Dispatcher;
  sent: AlertGroup[] = [];
  constructor(rules: unknown[], dispatch: Partial<DispatchOptions> = {}, opts: Partial<AlertEngineOptions> = {}, state?: ReturnType<typeof restoreAlertState>) {
    this.engine = new AlertEngine({ rules: parseRules(rules), repeatMs: 0, nodata: 'resolve', nodataAfter: 3, ...opts }, () => this.now, state);
    this.dispatcher = new Dispatcher(this.engine, { grouping: 'message', groupBy: ['device'], groupWaitMs: 30 * S, groupIntervalMs: 300 * S, scope: 'node-1', ...dispatch });
  }
  /** One poll of `device`: `ports` interfaces, those listed in `down` with ifOperStatus 2. */
  poll(device: string, ports: number, down: number[] = [], extra: Record<string, unknown> = {}, labels?: Record<string, string>): AlertGroup[] {
    const payload = Array.from({ length: ports }, (_, k) => ({ index: String(k + 1), ifName: `xe-0/0/${k + 1}`, ifOperStatus: down.includes(k + 1) ? 2 : 1, util: 10, ...extra }));
    return this.deliver(this.engine.process({ topic: device, time: this.now, payload, msg: {}, labels }).notifications);
  }
  fail(device: string): AlertGroup[] {
    return this.deliver(this.engine.process({ topic: device, time: this.now, payload: null, msg: {}, failure: { code: 'timeout', message: 'no answer' } }).notifications);
  }
  deliver(ns: ReturnType<AlertEngine['process']>['notifications']): AlertGroup[] {
    this.dispatcher.enqueue(ns, this.now);
    const groups = this.dispatcher.take(this.now);
    this.sent.push(...groups);
    return groups;
  }
  advance(ms: number): void {
    this.now += ms;
  }
}

const ALL = Array.from({ length: 48 }, (_, k) => k + 1);
const summary = (gs: AlertGroup[]): string[] => gs.map((g) => genericGroup(g).summary);

describe('alert notifications: grouping, inhibition, incidents', () => {
  describe('grouping by message (the default)', () => {
    it('48 interfaces down in one poll are one notification, their recovery one more', () => {
      const h = new Harness([DOWN, IFDOWN]);
      h.poll('core-1', 48);
      h.advance(60 * S);
      const down = h.poll('core-1', 48, ALL);
      assert.equal(down.length, 1);
      assert.deepEqual(summary(down), ['core-1: 48 × InterfaceDown firing']);
      assert.deepEqual(down[0].notifications.slice(0, 2).map((n) => n.instance), ['xe-0/0/1', 'xe-0/0/2'], 'named by ifName');
      h.advance(60 * S);
      assert.deepEqual(h.poll('core-1', 48, ALL), [], 'still down: nothing');
      h.advance(60 * S);
      const up = h.poll('core-1', 48);
      assert.deepEqual(summary(up), ['core-1: 48 × InterfaceDown resolved']);
      assert.equal(h.sent.length, 2);
    });

    it('one PagerDuty incident: one trigger, then one resolve with the same dedup_key', () => {
      const h = new Harness([DOWN, IFDOWN]);
      h.poll('core-1', 48);
      const [down] = h.poll('core-1', 48, ALL);
      const [trigger, ...rest] = pagerDutyGroupEvents(down, 'KEY');
      assert.equal(rest.length, 0);
      assert.equal(trigger.event_action, 'trigger');
      assert.match(trigger.payload!.summary, /^core-1: 48 × InterfaceDown \(xe-0\/0\/1, xe-0\/0\/2, xe-0\/0\/3 \+45 more\)$/);
      assert.equal(trigger.payload!.component, 'xe-0/0/1, xe-0/0/2, xe-0/0/3 +45 more');
      assert.equal((trigger.payload!.custom_details.alerts as unknown[]).length, 48);
      h.advance(60 * S);
      h.poll('core-1', 48, [5]); // 47 back up: the incident stays open
      const partial = h.sent.at(-1)!;
      assert.deepEqual(pagerDutyGroupEvents(partial, 'KEY'), [], 'part of an open incident resolved: nothing for PagerDuty');
      h.advance(60 * S);
      const [last] = h.poll('core-1', 48);
      assert.deepEqual(pagerDutyGroupEvents(last, 'KEY'), [{ event_action: 'resolve', dedup_key: trigger.dedup_key, routing_key: 'KEY' }]);
    });

    it('two devices are two notifications; every device keeps its own incident', () => {
      const h = new Harness([IFDOWN]);
      h.poll('a', 4);
      h.poll('b', 4);
      const ga = h.poll('a', 4, [1, 2]);
      const gb = h.poll('b', 4, [3]);
      assert.deepEqual([...summary(ga), ...summary(gb)], ['a: 2 × InterfaceDown firing', 'b xe-0/0/3 is down']);
      assert.notEqual(ga[0].key, gb[0].key);
    });

    it('an alert that fired and resolved between two sends opens and closes its incident in order', () => {
      const h = new Harness([IFDOWN]);
      h.poll('a', 2);
      const ns = [...h.engine.process({ topic: 'a', time: h.now, payload: [{ index: '1', ifOperStatus: 2 }], msg: {} }).notifications];
      h.advance(60 * S);
      ns.push(...h.engine.process({ topic: 'a', time: h.now, payload: [{ index: '1', ifOperStatus: 1 }], msg: {} }).notifications);
      const [g] = h.deliver(ns);
      assert.deepEqual(pagerDutyGroupEvents(g).map((e) => e.event_action), ['trigger', 'resolve']);
      const events = pagerDutyGroupEvents(g);
      assert.equal(events[0].dedup_key, events[1].dedup_key);
    });
  });

  describe('inhibition', () => {
    it('while one device is down, another device still notifies', () => {
      const h = new Harness([DOWN, IFDOWN], {}, { nodata: 'alert' });
      for (let i = 0; i < 3; i++) {
        h.poll('a', 4);
        h.poll('b', 4);
        h.advance(60 * S);
      }
      assert.deepEqual(summary(h.fail('a')), ['a does not answer: no answer']);
      // the rows of a stop reporting while it is down: NoData per series, held back
      for (let i = 0; i < 4; i++) {
        h.advance(60 * S);
        h.fail('a');
        h.poll('b', 4, i === 3 ? [2] : []);
      }
      assert.deepEqual(summary(h.sent.slice(1)), ['b xe-0/0/2 is down'], 'another device is not held');
      assert.equal(h.dispatcher.held(), 0, 'a failing poll reports no series missing');
    });

    it('changes decided while the device is down wait; when it answers, those still true fire with its recovery and the rest stay quiet', () => {
      const h = new Harness([DOWN, IFDOWN], { grouping: 'labels', groupBy: ['device'], groupWaitMs: 30 * S, groupIntervalMs: 60 * S });
      h.poll('a', 4);
      h.advance(60 * S);
      h.deliver([]);
      // the reboot as a poller sees it: ports go down, then the device stops answering,
      // both inside one group wait
      h.poll('a', 4, [1, 2, 3, 4]);
      h.advance(10 * S);
      h.fail('a');
      h.advance(30 * S);
      const [down] = h.deliver([]);
      assert.deepEqual(down.notifications.map((n) => `${n.status} ${n.alertname}`), ['firing DeviceDown'], 'the interfaces are held back behind the device-down');
      assert.equal(h.dispatcher.held(), 4);
      h.advance(120 * S);
      // back, with ports 3 and 4 still down: they fire with the recovery, 1 and 2 never existed for the receiver
      // (held changes have waited long enough: they leave with the answer that ends the outage)
      const [back] = h.poll('a', 4, [3, 4]);
      assert.deepEqual(back.notifications.map((n) => `${n.status} ${n.alertname} ${n.instance}`).sort(), [
        'firing InterfaceDown xe-0/0/3', 'firing InterfaceDown xe-0/0/4', 'resolved DeviceDown ',
      ]);
      assert.equal(h.dispatcher.held(), 0);
    });

    it('a rule with inhibit off is not held', () => {
      const h = new Harness([DOWN, { ...IFDOWN, inhibit: false }], { grouping: 'labels', groupWaitMs: 30 * S });
      h.poll('a', 2);
      h.poll('a', 2, [1]);
      h.fail('a');
      h.advance(30 * S);
      const [g] = h.deliver([]);
      assert.deepEqual(g.notifications.map((n) => n.alertname).sort(), ['DeviceDown', 'InterfaceDown']);
    });
  });

  describe('grouping by labels', () => {
    it('waits group_wait after the first change, then sends at most every group_interval', () => {
      const h = new Harness([DOWN, IFDOWN, UTIL], { grouping: 'labels', groupBy: ['site'], groupWaitMs: 30 * S, groupIntervalMs: 300 * S });
      const ams = { site: 'ams' };
      h.poll('a', 2, [], {}, ams);
      h.poll('b', 2, [], {}, ams);
      assert.deepEqual(h.poll('a', 2, [1], {}, ams), [], 'waiting for the group');
      h.advance(10 * S);
      assert.deepEqual(h.poll('b', 2, [], { util: 95 }, ams), []);
      h.advance(20 * S);
      const [g] = h.deliver([]);
      assert.deepEqual(g.labels, { site: 'ams' });
      assert.deepEqual(summary([g]), ['a, b: InterfaceDown, 2 × HighUtil firing']);
      h.advance(10 * S);
      h.poll('a', 2, [], {}, ams);
      assert.deepEqual(h.deliver([]), [], 'the interval has not passed');
      assert.equal(h.dispatcher.nextDue(h.now), T0 + 30 * S + 300 * S);
      h.now = T0 + 330 * S;
      assert.deepEqual(summary(h.deliver([])), ['a xe-0/0/1 is down'], 'the resolution after group_interval');
    });

    it('an alert that fires and resolves inside the wait is never heard of', () => {
      const h = new Harness([IFDOWN], { grouping: 'labels', groupWaitMs: 30 * S });
      h.poll('a', 2);
      h.poll('a', 2, [1]);
      h.advance(10 * S);
      h.poll('a', 2);
      h.advance(60 * S);
      assert.deepEqual(h.deliver([]), []);
      assert.equal(h.dispatcher.pending, 0);
    });
  });

  it('grouping none: one notification per change, the per-alert dedup_key of 0.1', () => {
    const h = new Harness([IFDOWN], { grouping: 'none' });
    h.poll('a', 3);
    const gs = h.poll('a', 3, [1, 2]);
    assert.equal(gs.length, 2);
    const payloads = formatGroup(gs[0], 'pagerduty', { routingKey: 'K' }) as any[];
    assert.equal(payloads.length, 1);
    assert.equal(payloads[0].payload.component, 'xe-0/0/1');
    assert.equal((formatGroup(gs[0], 'alert') as any[])[0].instance, 'xe-0/0/1', 'the 0.1 alert object, one per message');
  });

  it('the outbox is in the state: changes decided before a crash go out after the restart', () => {
    const h = new Harness([IFDOWN]);
    h.poll('a', 2);
    h.dispatcher.enqueue(h.engine.process({ topic: 'a', time: h.now, payload: [{ index: '1', ifOperStatus: 2 }], msg: {} }).notifications, h.now);
    const saved = JSON.parse(JSON.stringify(h.engine.state)); // written ahead, then the process dies
    const after = new Harness([IFDOWN], {}, {}, restoreAlertState(saved, h.now));
    const [g] = after.deliver([]);
    assert.deepEqual(g.notifications.map((n) => `${n.status} ${n.index}`), ['firing 1']);
  });

  it('an alert given its incident when sent reports its device changed, so a state kept per device writes it', () => {
    const h = new Harness([IFDOWN]);
    h.poll('a', 2);
    h.poll('b', 2);
    h.engine.changedDevices.clear(); // written
    h.dispatcher.enqueue(h.engine.process({ topic: 'a', time: h.now, payload: [{ index: '1', ifOperStatus: 2 }], msg: {} }).notifications, h.now);
    h.engine.changedDevices.clear(); // the write ahead of the send
    const [g] = h.dispatcher.take(h.now);
    assert.ok(g.notifications[0].incident, 'announced under an incident');
    assert.equal(h.engine.state.alerts[g.notifications[0].key].incident, g.notifications[0].incident, 'which the alert keeps');
    assert.deepEqual([...h.engine.changedDevices], ['a'], 'its device is written again, no other');
  });

  describe('bodies', () => {
    it('Slack: a group of 48 keeps to Block Kit limits, names the first and counts the rest', () => {
      const h = new Harness([IFDOWN]);
      h.poll('core-1', 48);
      const [g] = h.poll('core-1', 48, ALL);
      const body = slackGroupBody(g) as any;
      assert.match(body.text, /^core-1: FIRING: 48 × InterfaceDown \(xe-0\/0\/1, xe-0\/0\/2, xe-0\/0\/3 \+45 more\)$/);
      assert.ok(body.blocks.length <= SLACK_LIMITS.blocks);
      const all = JSON.stringify(body);
      assert.ok(all.includes('xe-0/0/20') && !all.includes('xe-0/0/21*'), 'the first 20 named');
      assert.ok(all.includes('+28 more'), all);
      for (const b of body.blocks) for (const t of [b.text, ...(b.elements ?? [])].filter(Boolean)) {
        assert.ok(t.text.length <= SLACK_LIMITS.sectionText && t.verbatim === true);
      }
    });

    it('Slack: 400 alerts of long, hostile text still fit', () => {
      const h = new Harness([{ ...IFDOWN, summary: '{{device}} {{instance}} {{descr}}' }]);
      const rows = (st: number) => Array.from({ length: 400 }, (_, k) => ({ index: String(k), ifName: `*port*_${k}_ <!here> \u202Eevil`, descr: 'x'.repeat(300), ifOperStatus: st }));
      h.engine.process({ topic: 'r', time: h.now, payload: rows(1), msg: {} });
      const [g] = h.deliver(h.engine.process({ topic: 'r', time: h.now, payload: rows(2), msg: {} }).notifications);
      const body = slackGroupBody(g) as any;
      assert.ok(body.text.length <= SLACK_LIMITS.text && body.blocks.length <= SLACK_LIMITS.blocks);
      for (const b of body.blocks) for (const t of [b.text, ...(b.elements ?? [])].filter(Boolean)) assert.ok(t.text.length <= 3000, String(t.text.length));
      const all = JSON.stringify(body);
      assert.ok(!all.includes('<!here>') && !all.includes('\u202E') && all.includes('[U+202E]'));
      assert.ok(!/(^|[^\p{L}\p{N}])\*port\*/u.test(all), 'a device cannot make text bold');
    });

    it('defuses only emphasis marks that could format', () => {
      assert.equal(defuseMrkdwn('core_sw_1'), 'core_sw_1');
      assert.equal(defuseMrkdwn('*bold* _it_ ~s~ `c`'), '\u2217bold\u2217 \uff3fit\uff3f \u223cs\u223c \u02cbc\u02cb');
    });

    it('PagerDuty: custom_details stay under 512 KB, the largest fields cut with a marker', () => {
      const manyAlerts = { alerts: Array.from({ length: 3000 }, (_, i) => ({ i, summary: 'y'.repeat(300) })), note: 'z'.repeat(200_000) };
      const a = boundDetails(manyAlerts, PD_LIMITS.body);
      assert.ok(Buffer.byteLength(JSON.stringify(a)) <= PD_LIMITS.body);
      assert.match(String((a.alerts as unknown[]).at(-1)), /truncated\] \d+ more/, 'the largest field (the list) loses its tail, counted');
      assert.equal(a.note, manyAlerts.note, 'the rest kept as it was');
      const longText = { alerts: [{ summary: 'short' }], note: '\u00e9'.repeat(600_000) };
      const t = boundDetails(longText, PD_LIMITS.body);
      assert.ok(Buffer.byteLength(JSON.stringify(t)) <= PD_LIMITS.body, 'bytes, not characters');
      assert.ok((t.note as string).endsWith(TRUNCATED));
      assert.deepEqual(t.alerts, longText.alerts);
      assert.deepEqual(boundDetails({ a: 1 }, 100), { a: 1 }, 'what fits stays as it was');
    });
  });
});
