/**
 * The stateful-node skeleton with a parted state and a store that goes away: a load
 * waits for a store that cannot be reached instead of starting empty, a failing write
 * keeps its parts and tries again with back-off, the status says so, and once the store
 * answers again everything is written anew.
 */
import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import { KEYS_PER_CALL, partKey, STORE_UNAVAILABLE, type ContextLike, type StateLayout } from '../../../src/lib/common/state-store';
import { StatefulNode, takeAll } from '../../../src/lib/red/stateful-node';
import { asyncContext, fakeNode, memoryContext, type RecordingContext } from '../../support/fakes';

const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] as const;

interface Counts {
  v: number;
  devices: Record<string, { n: number }>;
}

const layout: StateLayout<Counts> = {
  head: (s) => ({ v: s.v }),
  names: (s) => Object.keys(s.devices),
  parts: (s, names) => names.map((n) => s.devices[n]),
  join: (head, parts) => (head === undefined && parts.size === 0 ? undefined : { v: 1, devices: Object.fromEntries(parts) }),
};

class Engine {
  readonly changed = new Set<string>();
  constructor(readonly state: Counts) {}
  count(device: string): void {
    (this.state.devices[device] ??= { n: 0 }).n++;
    this.changed.add(device);
  }
}

/** A memory context that can be switched to answer every call with STORE_UNAVAILABLE. */
function flaky(inner: RecordingContext): ContextLike & { down: boolean; calls: number } {
  const unavailable = () => Object.assign(new Error('Redis context store: 127.0.0.1:6379 unavailable (ECONNREFUSED)'), { code: STORE_UNAVAILABLE });
  const ctx = {
    down: false,
    calls: 0,
    get: (key: string | string[], store: string | undefined, cb: (err: Error | undefined | null, ...v: unknown[]) => void) => {
      ctx.calls++;
      if (ctx.down) setImmediate(() => cb(unavailable()));
      else inner.get(key, store, cb);
    },
    set: (key: string | string[], value: unknown, store: string | undefined, cb: (err: Error | undefined | null) => void) => {
      ctx.calls++;
      if (ctx.down) setImmediate(() => cb(unavailable()));
      else inner.set(key, value, store, cb);
    },
    keys: (store: string | undefined, cb: (err: Error | undefined | null, keys?: string[]) => void) => {
      ctx.calls++;
      if (ctx.down) setImmediate(() => cb(unavailable()));
      else inner.keys!(store, cb);
    },
  };
  return ctx;
}

function counting(f: ReturnType<typeof fakeNode>) {
  const node: StatefulNode<Engine> = new StatefulNode<Engine>(f, {
    key: 'counts',
    store: 'redis',
    restore: (raw) => new Engine((raw as Counts | undefined) ?? { v: 1, devices: {} }),
    state: (e) => e.state,
    layout,
    changedParts: (e) => takeAll(e.changed),
    handle: (e, msg, _send, done) => {
      e.count(msg.topic);
      done();
      node.changed();
    },
    status: (e) => ({ fill: 'green', shape: 'dot', text: e ? 'ok' : 'loading' }),
  });
  return node;
}

describe('stateful node, parted state, store outages', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: [...FAKE_TIMERS] });
  });
  afterEach(() => sinon.restore());

  it('waits for a store that cannot be reached at start, holding input, then resumes the stored state', async () => {
    const inner = memoryContext({ counts: { v: 1 }, [partKey('counts', 'core-1')]: { n: 41 } });
    const ctx = flaky(inner);
    ctx.down = true;
    const f = fakeNode(ctx);
    const node = counting(f);
    const done: unknown[] = [];
    node.input({ topic: 'core-1' }, () => undefined, (err) => done.push(err));
    await clock.tickAsync(5000);
    assert.equal(node.engine, undefined, 'not started empty');
    assert.deepEqual(done, [], 'the message is held');
    assert.ok(ctx.calls > 3, `asked again (${ctx.calls} calls)`);
    assert.deepEqual(f.statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'status.store-down' });
    assert.equal(f.warnings.length, 1, f.warnings.join('\n'));
    assert.match(f.warnings[0], /^errors\.store .*unavailable/);
    ctx.down = false;
    await clock.tickAsync(31_000);
    assert.deepEqual(done, [undefined]);
    assert.equal(node.engine!.state.devices['core-1'].n, 42, 'counted on from the stored 41');
    assert.deepEqual(f.statuses.at(-1), { fill: 'green', shape: 'dot', text: 'ok' });
    assert.ok(f.logs.includes('log.store-back'));
    const closing = node.close();
    await clock.tickAsync(10);
    await closing;
    assert.deepEqual(inner.data.get(partKey('counts', 'core-1')), { n: 42 });
  });

  it('a store failing writes: parts kept and tried again with back-off, everything written once it is back', async () => {
    const inner = memoryContext();
    const ctx = flaky(inner);
    const f = fakeNode(ctx);
    const node = counting(f);
    await clock.tickAsync(1);
    for (const d of ['a', 'b', 'c']) node.input({ topic: d }, () => undefined, () => undefined);
    await clock.tickAsync(1500);
    assert.deepEqual([...inner.data.keys()].sort(), ['counts', 'counts~a', 'counts~b', 'counts~c']);

    ctx.down = true;
    node.input({ topic: 'a' }, () => undefined, () => undefined);
    await clock.tickAsync(1500);
    assert.deepEqual(f.statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'status.store-down' });
    const callsAtFailure = ctx.calls;
    await clock.tickAsync(60_000);
    const attempts = ctx.calls - callsAtFailure;
    assert.ok(attempts >= 2 && attempts <= 8, `${attempts} attempts in a minute: backing off, not hammering`);
    assert.equal(f.warnings.filter((w) => w.startsWith('errors.store')).length, 1, 'warned once per outage');

    // the store comes back empty (a Redis restarted without its data)
    inner.data.clear();
    ctx.down = false;
    await clock.tickAsync(35_000); // the back-off is 30 s at most, then a second for the full write
    assert.deepEqual([...inner.data.keys()].sort(), ['counts', 'counts~a', 'counts~b', 'counts~c'], 'every part written again');
    assert.deepEqual(inner.data.get(partKey('counts', 'a')), { n: 2 }, 'with the change made during the outage');
    assert.deepEqual(f.statuses.at(-1), { fill: 'green', shape: 'dot', text: 'ok' });
    assert.ok(f.logs.includes('log.store-back'));
    const closing = node.close();
    await clock.tickAsync(10);
    await closing;
  });

  it('a store that is broken (not unreachable) is reported once and the node starts empty, as before', async () => {
    const broken: ContextLike = {
      get: (_k, _s, cb) => setImmediate(() => cb(new Error('invalid JSON in context file'))),
      set: (_k, _v, _s, cb) => setImmediate(() => cb(undefined)),
      keys: (_s, cb) => setImmediate(() => cb(undefined, [])),
    };
    const f = fakeNode(broken);
    const node = counting(f);
    await clock.tickAsync(5);
    assert.ok(node.engine, 'started');
    assert.deepEqual(f.warnings, ['errors.store {"error":"invalid JSON in context file"}']);
    const closing = node.close();
    await clock.tickAsync(10);
    await closing;
  });

  it('a close while waiting for the store ends the held messages and leaves no timer', async () => {
    const ctx = flaky(memoryContext());
    ctx.down = true;
    const node = counting(fakeNode(ctx));
    const done: unknown[] = [];
    node.input({ topic: 'x' }, () => undefined, (err) => done.push(err));
    await clock.tickAsync(3000);
    const closing = node.close();
    await clock.tickAsync(2100);
    await closing;
    assert.deepEqual(done, [undefined]);
    assert.equal(clock.countTimers(), 0);
  });

  describe('saveNow (threshold-alert\'s write-ahead) with a parted state', () => {
    /** A store whose sets wait until answered by hand. */
    function held(inner: RecordingContext) {
      const sets: Array<{ keys: string[]; answer(): void }> = [];
      const ctx: ContextLike = {
        get: inner.get,
        keys: inner.keys,
        set: (key, value, store, cb) => {
          sets.push({ keys: Array.isArray(key) ? key : [key], answer: () => inner.set(key, value, store, cb) });
        },
      };
      return { ctx, sets };
    }

    it('writes at once, after the write in flight, and resolves only once the store answered', async () => {
      const inner = asyncContext();
      const { ctx, sets } = held(inner);
      const node = counting(fakeNode(ctx));
      await clock.tickAsync(5);
      node.input({ topic: 'a' }, () => undefined, () => undefined);
      await clock.tickAsync(1000); // the timed write, left in flight
      assert.equal(sets.length, 1);
      node.input({ topic: 'b' }, () => undefined, () => undefined);
      let saved = false;
      void node.saveNow().then(() => { saved = true; });
      await clock.tickAsync(0);
      assert.equal(sets.length, 1, 'waits for the write in flight, which may predate the change');
      sets[0].answer();
      await clock.tickAsync(0);
      assert.equal(sets.length, 2, 'then writes, without waiting a second');
      assert.deepEqual(sets[1].keys, [partKey('counts', 'b')], 'what changed since');
      assert.equal(saved, false, 'not before the store answered');
      sets[1].answer();
      await clock.tickAsync(0);
      assert.equal(saved, true);
      assert.deepEqual(inner.data.get(partKey('counts', 'b')), { n: 1 });
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
    });

    /** Runs the store's answers (setImmediate, faked) until the save resolved. */
    async function saved(p: Promise<void>): Promise<void> {
      let over = false;
      void p.then(() => { over = true; });
      for (let i = 0; i < 20 && !over; i++) await clock.tickAsync(1);
      assert.ok(over, 'saved');
    }

    it('the head travels in one set with the parts: last in the first write (the store may hold a whole state), first afterwards', async () => {
      const inner = asyncContext({ counts: { v: 1, devices: { old: { n: 1 } } } }); // a whole state of an earlier release
      const node: StatefulNode<Engine> = new StatefulNode<Engine>(fakeNode(inner), {
        key: 'counts',
        store: '',
        restore: (raw) => new Engine({ v: 2, devices: { ...((raw as Counts | undefined)?.devices ?? {}) } }),
        state: (e) => e.state,
        layout: {
          ...layout,
          head: (st: Counts) => ({ v: st.v, n: Object.keys(st.devices).length }),
          join: (head, parts) => ((head as Counts | undefined)?.devices ? head : layout.join(head, parts)),
        },
        changedParts: (e) => takeAll(e.changed),
        handle: (e, msg, _send, done) => { e.count(msg.topic); done(); node.changed(); },
      });
      await clock.tickAsync(5);
      for (let i = 0; i < KEYS_PER_CALL; i++) node.input({ topic: `d${i}` }, () => undefined, () => undefined);
      const before = inner.writtenKeys.length;
      await saved(node.saveNow());
      const first = inner.writtenKeys.slice(before);
      assert.equal(first.length, 2, `${KEYS_PER_CALL} new devices and the device of the old state: two sets`);
      assert.equal(first[1].at(-1), 'counts', 'the head last, after every part');
      assert.equal(first.flat().filter((k) => k === 'counts').length, 1);
      node.input({ topic: 'd1' }, () => undefined, () => undefined);
      node.input({ topic: 'new' }, () => undefined, () => undefined);
      const mid = inner.writtenKeys.length;
      await saved(node.saveNow());
      assert.deepEqual(inner.writtenKeys.slice(mid), [['counts', partKey('counts', 'd1'), partKey('counts', 'new')]], 'one set, the head first');
      const closing = node.close();
      await clock.tickAsync(10);
      await closing;
    });
  });
});
