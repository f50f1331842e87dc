import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import { CounterRateNode, counterRateOptions, COUNTER_STATE_KEY } from '../../../src/lib/red/counter-rate-node';
import { CounterRateEngine } from '../../../src/lib/counter-rate/engine';
import { partKey, type ContextLike } from '../../../src/lib/common/state-store';
import { counterStateLayout } from '../../../src/lib/counter-rate/state-layout';
import { asyncContext as sharedAsyncContext, fakeNode, storedState } from '../../support/fakes';

// Message times must be near the clock (a day at most): an hour ago, on a whole second.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] as const;

function asyncContext(initial?: unknown) {
  return sharedAsyncContext(initial === undefined ? {} : { [COUNTER_STATE_KEY]: initial });
}

function facade(context: ContextLike) {
  return fakeNode(context);
}

function counterMsg(octets: number, pollTime: number, topic = 'r1') {
  return { topic, payload: { 'ifHCInOctets.1': octets }, varbinds: [{ oid: '1.3.6.1.2.1.31.1.1.1.6.1', name: 'IF-MIB::ifHCInOctets.1', type: 'Counter64', value: octets, exact: String(octets) }], snmp: { time: pollTime } };
}

async function run(node: CounterRateNode, msg: any): Promise<{ sent: any[]; err?: Error }> {
  return new Promise((resolve) => {
    const sent: any[] = [];
    node.input(msg, (m) => sent.push(m), (err) => resolve({ sent, err }));
  });
}

describe('counter-rate node logic', () => {
  afterEach(() => sinon.restore());

  it('checks its properties', () => {
    assert.deepEqual(counterRateOptions({}), { width: 'auto', mode: 'rate', scale: 1, maxRate: undefined, expireMs: 3600000, store: '' });
    assert.deepEqual(counterRateOptions({ width: '32', mode: 'delta', scale: '8', maxRate: '1e9', expire: '60', store: ' file ' }), { width: 32, mode: 'delta', scale: 8, maxRate: 1e9, expireMs: 60000, store: 'file' });
    for (const bad of [{ width: '16' }, { mode: 'avg' }, { scale: '0' }, { scale: 'x' }, { maxRate: '-5' }, { expire: '0' }]) {
      assert.throws(() => counterRateOptions(bad), /must be/, JSON.stringify(bad));
    }
  });

  it('rates a message that arrives 60 s after its poll by the poll times', async () => {
    const clock = sinon.useFakeTimers({ now: T0 + 120_000, toFake: ['Date'] });
    const f = facade(asyncContext());
    const node = new CounterRateNode(f, counterRateOptions({}));
    await run(node, counterMsg(1000, T0));
    clock.tick(60_000); // the second message arrives a minute after its poll
    const { sent } = await run(node, counterMsg(6000, T0 + 10_000));
    assert.equal(sent[0].payload['ifHCInOctets.1'], 500, '5000 octets over the 10 s between the polls');
    await node.close();
  });

  it('queues messages until the state has loaded, and resumes a stored state', async () => {
    const ctx = asyncContext({ v: 3, devices: { r1: { lastPoll: T0, rows: { '': { 'ifHCInOctets.1': [1000, T0] } } } } });
    const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
    const { sent } = await run(node, counterMsg(3000, T0 + 2000)); // sent before the get answered
    assert.equal(sent[0].payload['ifHCInOctets.1'], 1000);
    await node.close();
    assert.deepEqual({ ...storedState(ctx, COUNTER_STATE_KEY, counterStateLayout).devices.r1.rows[''] }, { 'ifHCInOctets.1': [3000, T0 + 2000] }, 'written back on close');
  });

  it('survives a failing context store with one warning', async () => {
    const broken: ContextLike = {
      get: (_k, _s, cb) => cb(new Error('disk on fire'), undefined),
      set: () => { throw new Error('disk on fire'); },
    };
    const f = facade(broken);
    const node = new CounterRateNode(f, counterRateOptions({}));
    await run(node, counterMsg(1, T0));
    const { sent, err } = await run(node, counterMsg(11, T0 + 1000));
    assert.equal(err, undefined);
    assert.equal(sent[0].payload['ifHCInOctets.1'], 10);
    assert.deepEqual(f.warnings, ['errors.store {"error":"disk on fire"}']);
    await node.close();
  });

  describe('msg.snmp.time far from the clock', () => {
    for (const [what, bad] of [['1e300', 1e300], ['ns since 1970', 1.7e18], ['s since 1970', 1.7e9], ['negative', -5], ['text', 'now']] as const) {
      it(`${what}: rated by the clock with one warning, and the state is not poisoned`, async () => {
        let now = T0;
        const f = facade(asyncContext());
        const node = new CounterRateNode(f, counterRateOptions({}), () => now);
        const first = await run(node, counterMsg(1000, bad as number));
        assert.equal(first.err, undefined);
        now += 10_000;
        const second = await run(node, counterMsg(6000, bad as number));
        assert.equal(second.sent[0].payload['ifHCInOctets.1'], 500, '5000 octets over the 10 s of the clock');
        now += 10_000;
        const third = await run(node, counterMsg(11_000, now));
        assert.equal(third.sent[0].payload['ifHCInOctets.1'], 500, 'a good time after bad ones still rates');
        assert.equal(f.warnings.length, 1, f.warnings.join('\n'));
        assert.match(f.warnings[0], /^warn\.bad-time /);
        assert.deepEqual(node.oddityCounts(), { 'bad-time': 2 });
        const dev = node.engine!.state.devices.r1;
        assert.ok(dev.lastPoll <= now, `device time ${dev.lastPoll}`);
        await node.close();
        assert.ok(f.warnings.some((w) => w.startsWith('warn.repeated {"count":2')), 'the count is reported on close');
      });
    }

    it('repairs a stored state that holds such times (saved by an older version)', async () => {
      const now = T0;
      const ctx = asyncContext({ v: 2, devices: {
        r1: { t: 1e300, u: [100, 1e300], r: { '': { 'ifHCInOctets.1': [1000, 1e300] } } },
        r2: { t: now - 10_000, r: { '': { 'ifHCInOctets.1': [1000, now - 10_000] } } },
      } });
      const f = facade(ctx);
      const node = new CounterRateNode(f, counterRateOptions({}), () => now);
      const bad = await run(node, counterMsg(6000, now, 'r1'));
      assert.equal(bad.sent[0].payload['ifHCInOctets.1'], undefined, 'the poisoned sample is gone: a new baseline');
      const good = await run(node, counterMsg(6000, now, 'r2'));
      assert.equal(good.sent[0].payload['ifHCInOctets.1'], 500, 'good samples are kept');
      const later = await run(node, counterMsg(11_000, now + 10_000, 'r1'));
      assert.equal(later.sent[0].payload['ifHCInOctets.1'], 500, 'and r1 rates again');
      assert.deepEqual(f.warnings, ['warn.bad-stored-time {"count":3}']);
      await node.close();
    });

    it('the engine refuses a time no Date can hold', () => {
      const engine = new CounterRateEngine({ width: 'auto', mode: 'rate', scale: 1, expireMs: 3600_000 });
      assert.throws(() => engine.process({ topic: 'r1', payload: { x: 1 }, time: 1e300 }), RangeError);
      assert.equal(Object.keys(engine.state.devices).length, 0);
    });
  });

  it('an exception in the expiry sweep is warned once, never thrown from the timer', async () => {
    const clock = sinon.useFakeTimers({ now: T0, toFake: [...FAKE_TIMERS] });
    const f = facade(asyncContext());
    const node = new CounterRateNode(f, counterRateOptions({ expire: '10' }));
    await clock.tickAsync(1);
    const engine = node.engine!;
    sinon.stub(engine, 'sweep').throws(new Error('sweep broke'));
    await clock.tickAsync(35_000);
    assert.deepEqual(f.warnings, ['warn.internal {"error":"sweep broke"}']);
    assert.equal(node.oddityCounts().sweep, 3);
    const closing = node.close();
    await clock.tickAsync(10);
    await closing;
  });

  describe('writes to the context store', () => {
    it('a burst of 500 messages writes each device at most twice; close writes the final state', async () => {
      const clock = sinon.useFakeTimers({ now: T0 + 3600_000, toFake: [...FAKE_TIMERS] });
      const ctx = asyncContext();
      const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
      await clock.tickAsync(1);
      for (let i = 0; i < 500; i++) {
        node.input(counterMsg(1000 * i, T0 + i * 10, `d${i % 50}`), () => undefined, () => undefined);
        if (i % 100 === 99) await clock.tickAsync(100); // a fleet cycle spread over 0.5 s
      }
      await clock.tickAsync(2000);
      const d49 = ctx.writtenKeys.filter((keys) => keys.includes(partKey(COUNTER_STATE_KEY, 'd49'))).length;
      assert.ok(d49 >= 1 && d49 <= 2, `d49 written ${d49} times`);
      assert.ok(ctx.writtenKeys.length <= 4, `${ctx.writtenKeys.length} set calls`);
      assert.ok(storedState(ctx, COUNTER_STATE_KEY, counterStateLayout).devices.d49, 'the store has the whole burst');
      const before = ctx.writtenKeys.length;
      node.input(counterMsg(9_999_999, T0 + 6000, 'last'), () => undefined, () => undefined);
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
      assert.deepEqual(ctx.writtenKeys.slice(before), [[partKey(COUNTER_STATE_KEY, 'last')]], 'close writes at once, the changed device only');
      assert.deepEqual(storedState(ctx, COUNTER_STATE_KEY, counterStateLayout).devices.last.rows[''], { 'ifHCInOctets.1': [9_999_999, T0 + 6000] });
    });

    it('writes only the devices that changed: one part per device, the head once', async () => {
      const clock = sinon.useFakeTimers({ now: T0 + 3600_000, toFake: [...FAKE_TIMERS] });
      const ctx = asyncContext();
      const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
      await clock.tickAsync(1);
      for (let i = 0; i < 200; i++) node.input(counterMsg(1000, T0, `d${i}`), () => undefined, () => undefined);
      await clock.tickAsync(2000);
      assert.ok(ctx.data.has(COUNTER_STATE_KEY), 'the head');
      assert.deepEqual(ctx.data.get(COUNTER_STATE_KEY), { v: 3 }, 'holds no device');
      assert.equal([...ctx.data.keys()].filter((k) => k.startsWith(`${COUNTER_STATE_KEY}~`)).length, 200);
      const before = ctx.writtenKeys.length;
      node.input(counterMsg(2000, T0 + 10_000, 'd7'), () => undefined, () => undefined);
      node.input(counterMsg(2000, T0 + 10_000, 'd8'), () => undefined, () => undefined);
      await clock.tickAsync(2000);
      assert.deepEqual(ctx.writtenKeys.slice(before), [[partKey(COUNTER_STATE_KEY, 'd7'), partKey(COUNTER_STATE_KEY, 'd8')]]);
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
    });

    it('series kept under a topic (before device identity) move to the identity\'s part: rated on, the old part deleted', async () => {
      const clock = sinon.useFakeTimers({ now: T0 + 3600_000, toFake: [...FAKE_TIMERS] });
      const ctx = sharedAsyncContext({
        [COUNTER_STATE_KEY]: { v: 3 },
        [partKey(COUNTER_STATE_KEY, 'core-1')]: { lastPoll: T0, rows: { '': { 'ifHCInOctets.1': [1000, T0] } } },
      });
      const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
      await clock.tickAsync(1);
      for (let turn = 0; turn < 10 && !node.engine; turn++) await clock.tickAsync(1);
      const sent: any[] = [];
      node.input({ ...counterMsg(3000, T0 + 2000, 'core-1'), device: { host: '192.0.2.7', port: 1161, name: 'core-1', labels: {} } }, (m) => sent.push(m), () => undefined);
      assert.equal(sent[0].payload['ifHCInOctets.1'], 1000, 'the stored sample is the baseline');
      await clock.tickAsync(2000);
      assert.equal(ctx.data.has(partKey(COUNTER_STATE_KEY, 'core-1')), false, 'the topic\'s part is gone');
      assert.deepEqual(ctx.data.get(partKey(COUNTER_STATE_KEY, '192.0.2.7:1161')), { lastPoll: T0 + 2000, rows: { '': { 'ifHCInOctets.1': [3000, T0 + 2000] } } });
      // later samples of the device are written to its part too
      node.input({ ...counterMsg(5000, T0 + 4000, 'core-1'), device: { host: '192.0.2.7', port: 1161, name: 'core-1', labels: {} } }, () => undefined, () => undefined);
      await clock.tickAsync(2000);
      assert.deepEqual(ctx.data.get(partKey(COUNTER_STATE_KEY, '192.0.2.7:1161')), { lastPoll: T0 + 4000, rows: { '': { 'ifHCInOctets.1': [5000, T0 + 4000] } } });
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
    });

    it('a device forgotten by the expiry sweep is deleted from the store', async () => {
      const clock = sinon.useFakeTimers({ now: T0, toFake: [...FAKE_TIMERS] });
      const ctx = asyncContext();
      const node = new CounterRateNode(facade(ctx), counterRateOptions({ expire: '10' }), () => Date.now());
      await clock.tickAsync(1);
      node.input(counterMsg(1000, T0, 'gone'), () => undefined, () => undefined);
      await clock.tickAsync(2000);
      assert.ok(ctx.data.has(partKey(COUNTER_STATE_KEY, 'gone')));
      await clock.tickAsync(30_000);
      assert.equal(ctx.data.has(partKey(COUNTER_STATE_KEY, 'gone')), false);
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
    });

    it('device names of any characters are one key each, and read back', async () => {
      const clock = sinon.useFakeTimers({ now: T0 + 3600_000, toFake: [...FAKE_TIMERS] });
      const ctx = asyncContext();
      const names = ['a.b', 'x[0]', "q'uo\"te", 'sp ace', '__proto__', '%41', 'ü~*', '10.0.0.1:1161'];
      const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
      await clock.tickAsync(1);
      for (const n of names) node.input(counterMsg(1000, T0, n), () => undefined, () => undefined);
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
      for (const k of ctx.data.keys()) assert.match(k, /^counterRate(~[A-Za-z0-9_%-]+)?$/, k);
      const again = new CounterRateNode(facade(ctx), counterRateOptions({}));
      await clock.tickAsync(1);
      assert.deepEqual(Object.keys(again.engine!.state.devices).sort(), [...names].sort());
      const closing2 = again.close();
      await clock.tickAsync(10);
      await closing2;
    });

    it('a steady stream is still written once a second, and a slow store has one write in flight', async () => {
      const clock = sinon.useFakeTimers({ now: T0 + 3600_000, toFake: [...FAKE_TIMERS] });
      let inFlight = 0;
      let most = 0;
      let writes = 0;
      // A remote store that takes 2.5 s per write.
      const slow: ContextLike = {
        get: (_k, _s, cb) => setImmediate(() => cb(undefined, undefined)),
        set: (_k, _v, _s, cb) => {
          writes++;
          most = Math.max(most, ++inFlight);
          setTimeout(() => {
            inFlight--;
            cb(undefined);
          }, 2500);
        },
      };
      const node = new CounterRateNode(facade(slow), counterRateOptions({}));
      await clock.tickAsync(1);
      for (let i = 0; i < 100; i++) {
        node.input(counterMsg(1000 * i, T0 + i * 100), () => undefined, () => undefined);
        await clock.tickAsync(100); // 10 s of one message every 100 ms
      }
      assert.equal(most, 1, 'never two writes at once');
      assert.ok(writes >= 2 && writes <= 4, `${writes} writes in 10 s`);
      const closing = node.close();
      await clock.tickAsync(5000);
      await closing;
    });
  });
});
