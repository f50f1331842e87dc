/**
 * threshold-alert's node logic (src/lib/alert-node.ts) with a fake facade and fake
 * timers: message times far from the clock, state repaired on restore, exceptions kept
 * out of timers and away from done(), coalesced writes to the context store, and
 * where the PagerDuty routing key goes.
 */
import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import { ALERT_STATE_KEY, AlertNode, alertOptions, type AlertProps } from '../../../src/lib/red/alert-node';
import { alertKey } from '../../../src/lib/alert/engine';
import { partKey, type ContextLike } from '../../../src/lib/common/state-store';
import { alertStateLayout } from '../../../src/lib/alert/state-layout';
import { asyncContext, fakeNode, storedState, type FakeNode } from '../../support/fakes';

const T0 = Date.UTC(2026, 0, 1, 12);
const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] as const;
const CPU_RULE = { name: 'CpuHigh', field: 'cpu', op: '>', threshold: '90', for: '0', severity: 'critical', summary: '{{device}} cpu {{value}}' };

type Msg = Record<string, any>;

function context(initial?: unknown) {
  return asyncContext(initial === undefined ? {} : { [ALERT_STATE_KEY]: initial });
}

function facade(ctx: ContextLike) {
  return fakeNode(ctx);
}

/** The (first) alert of a notification: payloads are groups by default. */
function alertOf(m: Msg): Msg {
  return Array.isArray(m.payload?.alerts) ? m.payload.alerts[0] : m.payload;
}

/**
 * One message through the node: what it sent on output 1 once the write-ahead is done
 * (the node sends after the store answered) and how done was called.
 */
async function input(node: AlertNode, msg: Msg, f: FakeNode): Promise<{ sent: Msg[]; replies: Msg[]; done: Array<Error | undefined> }> {
  const before = f.sent.length;
  const result = { sent: [] as Msg[], replies: [] as Msg[], done: [] as Array<Error | undefined> };
  node.input(msg, (m) => result.replies.push(...(m as Array<Msg | null>).filter((x): x is Msg => x !== null)), (err) => result.done.push(err));
  await clock.tickAsync(0);
  result.sent = f.sent.slice(before);
  return result;
}

let clock: sinon.SinonFakeTimers;

describe('threshold-alert node logic', () => {
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: [...FAKE_TIMERS] });
  });
  afterEach(() => sinon.restore());

  async function start(props: AlertProps, ctx = context(), routingKey?: string) {
    const f = facade(ctx);
    const node = new AlertNode(f, alertOptions(props, routingKey));
    // the state loads: the head and the keys, then the parts (each a turn of the store)
    await clock.tickAsync(0);
    for (let turn = 0; turn < 10 && !node.engine; turn++) await clock.tickAsync(1);
    return { f, node, ctx };
  }

  async function close(node: AlertNode): Promise<void> {
    const closing = node.close();
    await clock.tickAsync(10);
    await closing;
  }

  describe('msg.snmp.time far from the clock', () => {
    it('1e300 three times, 2 s apart, then the no-data tick: no throw, done called, one warning', async () => {
      const { f, node } = await start({ rules: [CPU_RULE], nodataAfter: '1' });
      const msg = () => ({ topic: 'core-1', payload: { cpu: 95 }, snmp: { time: 1e300 } });
      const first = await input(node, msg(), f);
      await clock.tickAsync(2000);
      const second = await input(node, msg(), f);
      // the no-data rule judges a device once its cadence rests on two gaps
      await clock.tickAsync(2000);
      const third = await input(node, msg(), f);
      assert.deepEqual([first.done, second.done, third.done], [[undefined], [undefined], [undefined]], 'done once each, without error');
      assert.equal(first.sent.length, 1);
      assert.equal(alertOf(first.sent[0]).status, 'firing');
      assert.equal(alertOf(first.sent[0]).startsAt, new Date(T0).toISOString(), 'the clock stood in for the bad time');
      // nodataAfter 1 × the 2 s interval: the device is missing after the next ticks.
      await clock.tickAsync(10_000);
      assert.deepEqual(f.sent.map((m) => alertOf(m).status), ['firing', 'resolved']);
      assert.equal(alertOf(f.sent[1]).startsAt, new Date(T0).toISOString());
      assert.equal(f.warnings.length, 1, f.warnings.join('\n'));
      assert.match(f.warnings[0], /^warn\.bad-time \{"time":"1e\+300"\}$/);
      assert.deepEqual(node.oddityCounts(), { 'bad-time': 3 });
      await close(node);
    });

    for (const [what, bad] of [['ns since 1970', 1.7e18], ['µs since 1970', 1.7e15], ['s since 1970', 1.7e9], ['NaN', NaN], ['text', '2026-01-01']] as const) {
      it(`${what}: the clock is used`, async () => {
        const { f, node } = await start({ rules: [CPU_RULE] });
        const r = await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: bad } }, f);
        assert.deepEqual(r.done, [undefined]);
        assert.equal(alertOf(r.sent[0]).startsAt, new Date(T0).toISOString());
        assert.equal(f.warnings.length, 1);
        await close(node);
      });
    }

    it('a time a minute old is the poll time, not replaced', async () => {
      const { f, node } = await start({ rules: [CPU_RULE] });
      const r = await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 - 60_000 } }, f);
      assert.equal(alertOf(r.sent[0]).startsAt, new Date(T0 - 60_000).toISOString());
      assert.deepEqual(f.warnings, []);
      await close(node);
    });

    it('repairs a stored state with such times (saved by an older version) instead of crash-looping', async () => {
      const stored = {
        v: 1,
        alerts: {
          [alertKey('CpuHigh', 'core-1', '')]: { phase: 'firing', activeAt: 1e300, firedAt: 1e300, notifiedAt: 1e300, seen: 1e300, value: 95, r: 'CpuHigh', d: 'core-1', i: '', vars: {} },
        },
        devices: { 'core-1': { arr: 1e300, iv: 2000, inst: { '': [1e300, 0] } } },
        silences: [{ until: 1e300, device: 'other' }],
      };
      const { f, node } = await start({ rules: [CPU_RULE], nodataAfter: '1' }, context(stored));
      assert.deepEqual(f.warnings, ['warn.bad-stored-time {"count":7}']);
      await clock.tickAsync(10_000);
      assert.deepEqual(f.sent.map((m) => [alertOf(m).status, alertOf(m).startsAt]), [['resolved', new Date(T0).toISOString()]], 'the quiet device resolves its alert');
      assert.equal(f.warnings.length, 1);
      await close(node);
    });
  });

  describe('exceptions stay inside the node', () => {
    it('a notification that cannot be formatted is dropped with a warning; done is still called', async () => {
      const { f, node } = await start({ rules: [CPU_RULE] });
      await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
      await input(node, { topic: 'core-2', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
      // A poison that got into the state by some other way.
      const engine = node.engine!;
      for (const rec of Object.values<any>(engine.state.alerts)) if (rec.device === 'core-1') rec.firedAt = 1e300;
      const r = await input(node, { topic: 'core-1', payload: { cpu: 10 }, snmp: { time: T0 + 1000 } }, f);
      assert.deepEqual(r.done, [undefined]);
      assert.deepEqual(r.sent, []);
      assert.equal(f.warnings.length, 1);
      assert.match(f.warnings[0], /^warn\.internal .*Invalid time value/);
      const ok = await input(node, { topic: 'core-2', payload: { cpu: 10 }, snmp: { time: T0 + 1000 } }, f);
      assert.equal(alertOf(ok.sent[0]).status, 'resolved', 'the node carries on');
      await close(node);
    });

    it('an exception in tick() is warned once and never escapes the timer', async () => {
      const { f, node } = await start({ rules: [CPU_RULE] });
      sinon.stub(node.engine!, 'tick').throws(new RangeError('Invalid time value'));
      await clock.tickAsync(5000); // five ticks; a throw here would fail the test
      assert.deepEqual(f.warnings, ['warn.internal {"error":"Invalid time value"}']);
      assert.equal(node.oddityCounts().tick, 5);
      await close(node);
      assert.deepEqual(f.warnings.at(-1), 'warn.repeated {"count":5,"warning":"warn.internal {\\"error\\":\\"Invalid time value\\"}"}');
    });
  });

  describe('writes to the context store', () => {
    it('a burst of 500 messages makes a few writes (one per round of notifications, not per message), each of the devices that changed; close writes the final state', async () => {
      const { f, node, ctx } = await start({ rules: [CPU_RULE] });
      await clock.tickAsync(2000);
      const before = ctx.writtenKeys.length;
      for (let i = 0; i < 500; i++) {
        node.input({ topic: `d${i % 100}`, payload: { cpu: i % 7 === 0 ? 95 : 20 }, snmp: { time: T0 + i } }, () => undefined, () => undefined);
        if (i % 100 === 99) await clock.tickAsync(100);
      }
      await clock.tickAsync(3000);
      const burst = ctx.writtenKeys.length - before;
      // each round of sends is written ahead; rounds coalesce, so writes stay far below messages
      assert.ok(burst >= 1 && burst <= 12, `${burst} writes`);
      // a device is written only in a write after one of its own messages (d99 has 5)
      const d99 = ctx.writtenKeys.slice(before).filter((keys) => keys.includes(partKey(ALERT_STATE_KEY, 'd99'))).length;
      assert.ok(d99 >= 1 && d99 <= 5, `d99 written ${d99} times`);
      let changes = 0;
      const high = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const d = i % 100;
        if ((i % 7 === 0) !== high.has(d)) changes++;
        if (i % 7 === 0) high.add(d);
        else high.delete(d);
      }
      assert.equal(f.sent.length, changes, 'every change sent, one message per device and poll');
      assert.ok(storedState(ctx, ALERT_STATE_KEY, alertStateLayout).devices.d99, 'the store has the whole burst');
      const mid = ctx.writtenKeys.length;
      node.input({ topic: 'last', payload: { cpu: 99 }, snmp: { time: T0 + 4000 } }, () => undefined, () => undefined);
      await close(node);
      const after = ctx.writtenKeys.slice(mid);
      assert.ok(after.length >= 1 && after.length <= 2, `close writes at once (after the write-ahead of the last firing): ${after.length} writes`);
      assert.deepEqual([...new Set(after.flat())].sort(), [ALERT_STATE_KEY, partKey(ALERT_STATE_KEY, 'last')].sort(), 'the changed device and the head (its outbox) only');
      const saved = storedState(ctx, ALERT_STATE_KEY, alertStateLayout);
      assert.ok(saved.devices.last && Object.values<any>(saved.alerts).some((a) => a.device === 'last'), 'with the last message in it');
      // the close may come between the write-ahead and the send: then the firing waits in
      // the stored outbox for the next start
      const sentLast = f.sent.some((m) => alertOf(m).device === 'last');
      assert.equal(saved.outbox.some((e: any) => e.notification.device === 'last'), !sentLast, 'the last firing is sent, or kept in the outbox');
    });

    it('one part per device holds its track and its alerts; silences and the outbox live in the head', async () => {
      const { f, node, ctx } = await start({ rules: [CPU_RULE] });
      await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
      await input(node, { topic: 'core-2', payload: { cpu: 5 }, snmp: { time: T0 } }, f);
      await input(node, { silence: { device: 'core-9', duration: '1h' } }, f);
      await clock.tickAsync(2000);
      const part = ctx.data.get(partKey(ALERT_STATE_KEY, 'core-1')) as any;
      assert.ok(part.track, 'the track');
      assert.deepEqual(Object.values<any>(part.alerts).map((a) => [a.alertname, a.phase]), [['CpuHigh', 'firing']]);
      assert.deepEqual(Object.keys(ctx.data.get(partKey(ALERT_STATE_KEY, 'core-2')) as any), ['track']);
      const head = ctx.data.get(ALERT_STATE_KEY) as any;
      assert.equal(head.v, 3);
      assert.equal(head.silences.length, 1);
      assert.deepEqual(head.outbox, []);
      assert.equal('devices' in head || 'alerts' in head, false);
      await close(node);
      // a restart reads it all back: the firing alert is not announced again
      const { f: f2, node: again } = await start({ rules: [CPU_RULE] }, ctx);
      const r = await input(again, { topic: 'core-1', payload: { cpu: 96 }, snmp: { time: T0 + 60_000 } }, f2);
      assert.deepEqual(r.sent, []);
      const resolved = await input(again, { topic: 'core-1', payload: { cpu: 10 }, snmp: { time: T0 + 120_000 } }, f2);
      assert.deepEqual(resolved.sent.map((m) => alertOf(m).status), ['resolved']);
      await close(again);
    });

    it('write-ahead with a state in parts: the firing leaves only once the store answered the set holding the outbox entry and the device', async () => {
      const ctx = context();
      const held: Array<{ keys: string[]; values: unknown[]; answer: () => void }> = [];
      const set = ctx.set;
      ctx.set = (key, value, store, cb) => {
        const keys = Array.isArray(key) ? key : [key];
        const values = Array.isArray(key) ? (value as unknown[]) : [value];
        held.push({ keys, values: structuredClone(values), answer: () => set(key, value, store, cb) });
      };
      const { f, node } = await start({ rules: [CPU_RULE] }, ctx);
      node.input({ topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, () => undefined, () => undefined);
      await clock.tickAsync(0);
      assert.deepEqual(f.sent, [], 'not sent before the write');
      const ahead = held.find((w) => w.keys.includes(ALERT_STATE_KEY));
      assert.ok(ahead, 'a write of the head is under way');
      const head = ahead.values[ahead.keys.indexOf(ALERT_STATE_KEY)] as any;
      assert.deepEqual(head.outbox.map((e: any) => [e.notification.status, e.notification.device]), [['firing', 'core-1']], 'the outbox entry is in it');
      const part = ahead.values[ahead.keys.indexOf(partKey(ALERT_STATE_KEY, 'core-1'))] as any;
      assert.ok(part && Object.values<any>(part.alerts).some((a) => a.phase === 'firing'), 'and, in the same set, the device with its firing alert');
      for (const w of held.splice(0)) w.answer();
      await clock.tickAsync(0);
      assert.deepEqual(f.sent.map((m) => alertOf(m).status), ['firing'], 'sent once the store answered');
      ctx.set = set;
      await close(node);
    });

    it('ticks that change nothing write nothing', async () => {
      const { f, node, ctx } = await start({ rules: [CPU_RULE] });
      await input(node, { topic: 'core-1', payload: { cpu: 20 }, snmp: { time: T0 } }, f);
      await clock.tickAsync(2000);
      const before = ctx.writes.length;
      await clock.tickAsync(60_000);
      assert.equal(ctx.writes.length, before);
      await close(node);
    });
  });

  describe('PagerDuty routing key', () => {
    const pd = (routingKeyInBody?: unknown): AlertProps => ({ rules: [CPU_RULE], format: 'pagerduty', routingKeyInBody });

    it('routingKeyInBody true (and unset, as in older flows): routing_key in msg.payload', async () => {
      for (const setting of [true, 'true', undefined]) {
        const { f, node } = await start(pd(setting), context(), 'R0UTING-KEY');
        const r = await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
        assert.equal(r.sent[0].payload.routing_key, 'R0UTING-KEY', String(setting));
        assert.deepEqual(f.warnings, []);
        await close(node);
      }
    });

    it('routingKeyInBody false: no routing_key anywhere in the message, and no warning about a missing key', async () => {
      for (const key of ['R0UTING-KEY', undefined]) {
        const { f, node } = await start(pd(false), context(), key);
        const r = await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
        const resolved = await input(node, { topic: 'core-1', payload: { cpu: 5 }, snmp: { time: T0 + 1000 } }, f);
        for (const m of [...r.sent, ...resolved.sent]) {
          assert.equal('routing_key' in m.payload, false);
          assert.ok(!JSON.stringify(m).includes('R0UTING'));
        }
        assert.deepEqual([r.sent[0].payload.event_action, resolved.sent[0].payload.event_action], ['trigger', 'resolve']);
        assert.deepEqual(f.warnings, []);
        await close(node);
      }
    });

    it('without a key and with the key in the body, warns once when an event really leaves without one, not at start', async () => {
      const { f, node } = await start(pd(true));
      await clock.tickAsync(3000);
      assert.deepEqual(f.warnings, [], 'a flow that has sent nothing yet is quiet');
      await input(node, { topic: 'core-1', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
      await input(node, { topic: 'core-2', payload: { cpu: 95 }, snmp: { time: T0 } }, f);
      assert.deepEqual(f.warnings, ['warn.no-routing-key']);
      await close(node);
    });

    it('the option is a boolean', () => {
      assert.equal(alertOptions(pd('false')).routingKeyInBody, false);
      assert.equal(alertOptions(pd('')).routingKeyInBody, true);
      assert.throws(() => alertOptions(pd('sometimes')), /routingKeyInBody must be true or false/);
    });
  });
});
