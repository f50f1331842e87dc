/**
 * The Redis context store against a real redis-server, with the behaviour tests of
 * Node-RED's own file store (node-red test/unit/@node-red/runtime/lib/nodes/context/
 * localfilesystem_spec.js: get/set, nested paths, several keys, keys, delete, clean),
 * then what only a remote store meets: Redis stopping and coming back, a scope whose
 * field holds bad JSON, secrets kept out of errors, and Node-RED loading it from
 * settings.js.
 */
import { strict as assert } from 'assert';
import { RedisContextStore } from '../../src/lib/red/context-redis';
import { STORE_UNAVAILABLE } from '../../src/lib/common/state-store';
import { startRedis, type PrivateServer } from '../support/servers';
import { startNodeRed } from '../support/node-red-process';

type Store = RedisContextStore;

function get(store: Store, scope: string, key: string | string[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    store.get(scope, key, (err, ...values) => (err ? reject(err) : resolve(values)));
  });
}

async function getOne(store: Store, scope: string, key: string): Promise<unknown> {
  return (await get(store, scope, key))[0];
}

function set(store: Store, scope: string, key: string | string[], value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    store.set(scope, key, value, (err) => (err ? reject(err) : resolve()));
  });
}

function keys(store: Store, scope: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    store.keys(scope, (err, k) => (err ? reject(err) : resolve(k!)));
  });
}

/** The error a callback got, or undefined. */
function errorOf(fn: (cb: (err?: Error | null) => void) => void): Promise<Error | undefined> {
  return new Promise((resolve) => fn((err) => resolve(err ?? undefined)));
}

const quiet = { warn: () => undefined, info: () => undefined };

describe('Redis context store (real redis-server)', function () {
  this.timeout(60000);
  let redis: PrivateServer;
  let store: Store;
  let prefix = 0;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.remove();
  });

  beforeEach(async () => {
    // a fresh prefix per test: the same isolation as the file store's fresh folder
    store = new RedisContextStore({ url: redis.url, prefix: `t${++prefix}` }, undefined, quiet);
    await store.open();
  });
  afterEach(async () => {
    await store.clean([]);
    await store.close();
  });

  describe('#get/set', () => {
    it('stores a property', async () => {
      assert.equal(await getOne(store, 'nodeX', 'foo'), undefined);
      await set(store, 'nodeX', 'foo', 'test');
      assert.equal(await getOne(store, 'nodeX', 'foo'), 'test');
    });

    it('creates parent properties', async () => {
      await set(store, 'nodeX', 'foo.bar', 'test');
      assert.deepEqual(await getOne(store, 'nodeX', 'foo'), { bar: 'test' });
    });

    it('stores a local scope property', async () => {
      await set(store, 'abc:def', 'foo.bar', 'test');
      assert.deepEqual(await getOne(store, 'abc:def', 'foo'), { bar: 'test' });
    });

    it('deletes a property by setting undefined, at any depth', async () => {
      await set(store, 'nodeX', 'foo.abc.bar1', 'test1');
      await set(store, 'nodeX', 'foo.abc.bar2', 'test2');
      assert.deepEqual(await getOne(store, 'nodeX', 'foo.abc'), { bar1: 'test1', bar2: 'test2' });
      await set(store, 'nodeX', 'foo.abc.bar1', undefined);
      assert.deepEqual(await getOne(store, 'nodeX', 'foo.abc'), { bar2: 'test2' });
      await set(store, 'nodeX', 'foo.abc', undefined);
      assert.equal(await getOne(store, 'nodeX', 'foo.abc'), undefined);
      await set(store, 'nodeX', 'foo', undefined);
      assert.equal(await getOne(store, 'nodeX', 'foo'), undefined);
      assert.deepEqual(await keys(store, 'nodeX'), []);
    });

    it('does not share context between scopes', async () => {
      await set(store, 'nodeX', 'foo', 'testX');
      await set(store, 'nodeY', 'foo', 'testY');
      assert.equal(await getOne(store, 'nodeX', 'foo'), 'testX');
      assert.equal(await getOne(store, 'nodeY', 'foo'), 'testY');
    });

    it('stores strings, numbers, null and booleans as they are', async () => {
      for (const v of ['bar', '1', 1, 0, -2.5, null, true, false]) {
        await set(store, 'nodeX', 'foo', v);
        const got = await getOne(store, 'nodeX', 'foo');
        assert.equal(typeof got, typeof v);
        assert.equal(got, v);
      }
    });

    it('stores objects, arrays, arrays of arrays and of objects, read by index', async () => {
      await set(store, 'nodeX', 'foo', { obj: 'bar' });
      assert.deepEqual(await getOne(store, 'nodeX', 'foo'), { obj: 'bar' });
      await set(store, 'nodeX', 'foo', ['a', 'b', 'c']);
      assert.equal(await getOne(store, 'nodeX', 'foo[1]'), 'b');
      await set(store, 'nodeX', 'foo', [['a', 'b', 'c'], [1, 2, 3, 4], [true, false]]);
      assert.deepEqual(await getOne(store, 'nodeX', 'foo[1]'), [1, 2, 3, 4]);
      await set(store, 'nodeX', 'foo', [{ obj: 'bar1' }, { obj: 'bar2' }, { obj: 'bar3' }]);
      assert.deepEqual(await getOne(store, 'nodeX', 'foo[1]'), { obj: 'bar2' });
      await set(store, 'nodeX', 'foo[1].obj', 'changed');
      await set(store, 'nodeX', 'foo[0]', undefined);
      assert.deepEqual(await getOne(store, 'nodeX', 'foo'), [{ obj: 'changed' }, { obj: 'bar3' }], 'an array element removed as the memory store splices it');
    });

    it('quoted keys hold dots; a key cannot go below a value that holds no properties', async () => {
      await set(store, 'nodeX', '"a.b"', 1);
      assert.equal(await getOne(store, 'nodeX', "'a.b'"), 1);
      assert.deepEqual(await keys(store, 'nodeX'), ['a.b']);
      await set(store, 'nodeX', 'n', 5);
      await set(store, 'nodeX', 'n.x', 6);
      assert.equal(await getOne(store, 'nodeX', 'n'), 5, 'as setObjectProperty: nothing set below a number');
      assert.equal(await getOne(store, 'nodeX', 'missing.deep.path'), undefined);
    });

    it('keeps the value as it was when set was called', async () => {
      const value = { count: 1 };
      const done = set(store, 'nodeX', 'snap', value);
      value.count = 2;
      await done;
      assert.deepEqual(await getOne(store, 'nodeX', 'snap'), { count: 1 });
    });

    it('sets and gets several values at once', async () => {
      await set(store, 'nodeX', ['one', 'two', 'three'], ['test1', 'test2', 'test3']);
      assert.deepEqual(await get(store, 'nodeX', ['one', 'two']), ['test1', 'test2']);
      assert.deepEqual(await get(store, 'nodeX', ['one', 'two', 'unknown']), ['test1', 'test2', undefined]);
    });

    it('several keys given one value: the first gets it, the others null', async () => {
      await set(store, 'nodeX', ['one', 'two', 'three'], 'test1');
      assert.deepEqual(await get(store, 'nodeX', ['one', 'two']), ['test1', null]);
    });

    it('several keys at once, nested and plain, apply in order', async () => {
      await set(store, 'nodeX', ['a', 'a.b', 'c', 'a.d'], [{ x: 1 }, 2, 3, { e: 4 }]);
      assert.deepEqual(await get(store, 'nodeX', ['a', 'c']), [{ x: 1, b: 2, d: { e: 4 } }, 3]);
    });

    it('a bad key among several: an error, and nothing is set', async () => {
      const getErr = await errorOf((cb) => store.get('nodeX', ['one', '.foo', 'three'], cb));
      assert.ok(getErr);
      const setErr = await errorOf((cb) => store.set('nodeX', ['one', '.foo', 'three'], ['test1', 'test2', 'test3'], cb));
      assert.ok(setErr);
      assert.equal(await getOne(store, 'nodeX', 'one'), undefined);
    });

    it('an invalid key is an error through the callback', async () => {
      await set(store, 'nodeX', 'foo', 'bar');
      assert.match(String(await errorOf((cb) => store.get('nodeX', ' ', cb))), /Invalid property expression/);
      assert.match(String(await errorOf((cb) => store.set('nodeX', ' ', 'bar', cb))), /Invalid property expression/);
    });

    it('get without a function callback throws (the store answers asynchronously only)', () => {
      assert.throws(() => store.get('nodeX', 'foo', 'callback' as any));
      assert.throws(() => store.get('nodeX', 'foo'));
      assert.throws(() => store.set('nodeX', 'foo', 'bar', 'callback' as any));
    });

    it('set without a callback does not throw, even with a bad key', async () => {
      assert.doesNotThrow(() => store.set('nodeX', ' ', 'bar'));
      store.set('nodeX', 'later', 'value');
      assert.equal(await getOne(store, 'nodeX', 'later'), 'value', 'and a get after it sees it');
    });

    it('many nested sets on one key from one process are none of them lost', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => set(store, 'nodeX', `counts.c${i}`, i)));
      const counts = (await getOne(store, 'nodeX', 'counts')) as Record<string, number>;
      assert.equal(Object.keys(counts).length, 50);
    });

    it('a field holding bad JSON is an error for that get, not a crash', async () => {
      const { createClient } = await import('redis');
      const raw = createClient({ url: redis.url });
      await raw.connect();
      await raw.hSet(`t${prefix}:nodeX`, 'bad', '{abc');
      await raw.close();
      assert.ok(await errorOf((cb) => store.get('nodeX', 'bad', cb)));
      await set(store, 'nodeX', 'bad', 'fixed');
      assert.equal(await getOne(store, 'nodeX', 'bad'), 'fixed');
    });
  });

  describe('#keys', () => {
    it('enumerates the top-level keys of a scope', async () => {
      assert.deepEqual(await keys(store, 'nodeX'), []);
      await set(store, 'nodeX', 'foo', 'bar');
      assert.deepEqual(await keys(store, 'nodeX'), ['foo']);
      await set(store, 'nodeX', 'abc.def', 'bar');
      assert.deepEqual(await keys(store, 'nodeX'), ['foo', 'abc']);
    });

    it('each scope has its own', async () => {
      await set(store, 'nodeX', 'foo', 'bar');
      await set(store, 'nodeY', 'hoge', 'piyo');
      assert.deepEqual(await keys(store, 'nodeX'), ['foo']);
      assert.deepEqual(await keys(store, 'nodeY'), ['hoge']);
    });

    it('throws without a function callback', () => {
      assert.throws(() => store.keys('nodeX', 'callback' as any));
      assert.throws(() => store.keys('nodeX'));
    });
  });

  describe('#delete', () => {
    it('deletes one scope only', async () => {
      await set(store, 'nodeX', 'foo', 'testX');
      await set(store, 'nodeY', 'foo', 'testY');
      await store.delete('nodeX');
      assert.equal(await getOne(store, 'nodeX', 'foo'), undefined);
      assert.equal(await getOne(store, 'nodeY', 'foo'), 'testY');
    });
  });

  describe('#clean', () => {
    it('removes the contexts of nodes not active, never global', async () => {
      await set(store, 'global', 'foo', 'testGlobal');
      await set(store, 'nodeX:flow1', 'foo', 'testX');
      await set(store, 'nodeY:flow2', 'foo', 'testY');
      await store.clean([]);
      assert.equal(await getOne(store, 'nodeX:flow1', 'foo'), undefined);
      assert.equal(await getOne(store, 'nodeY:flow2', 'foo'), undefined);
      assert.equal(await getOne(store, 'global', 'foo'), 'testGlobal');
    });

    it('keeps active contexts', async () => {
      await set(store, 'global', 'foo', 'testGlobal');
      await set(store, 'nodeX:flow1', 'foo', 'testX');
      await set(store, 'nodeY:flow2', 'foo', 'testY');
      await set(store, 'flow1', 'foo', 'testFlow');
      await store.clean(['flow1', 'nodeX']);
      assert.equal(await getOne(store, 'nodeX:flow1', 'foo'), 'testX');
      assert.equal(await getOne(store, 'flow1', 'foo'), 'testFlow');
      assert.equal(await getOne(store, 'nodeY:flow2', 'foo'), undefined);
      assert.equal(await getOne(store, 'global', 'foo'), 'testGlobal');
    });

    it('leaves other prefixes alone', async () => {
      const other = new RedisContextStore({ url: redis.url, prefix: `t${prefix}x` }, undefined, quiet);
      await other.open();
      await set(other, 'nodeZ:flow9', 'foo', 'kept');
      await store.clean([]);
      assert.equal(await getOne(other, 'nodeZ:flow9', 'foo'), 'kept');
      await other.clean([]);
      await other.close();
    });
  });

  describe('when Redis goes away', () => {
    it('answers with a clear error, throws nothing, and works again once Redis is back', async () => {
      const lines: string[] = [];
      const guarded = await startRedis({ password: 's3cr3t-pw' });
      try {
        await outageCheck(guarded, lines);
      } finally {
        await guarded.remove();
      }
    });

    async function outageCheck(guarded: PrivateServer, lines: string[]): Promise<void> {
      const watched = new RedisContextStore({ url: guarded.url.replace('//', '//:s3cr3t-pw@'), prefix: `t${prefix}w`, timeout: 2000 }, undefined, {
        warn: (t) => lines.push(`warn ${t}`),
        info: (t) => lines.push(`info ${t}`),
      });
      await watched.open();
      await set(watched, 'nodeX', 'kept', 1);
      await guarded.stop();
      const getErr = (await errorOf((cb) => watched.get('nodeX', 'kept', cb))) as Error & { code?: string };
      const setErr = (await errorOf((cb) => watched.set('nodeX', 'lost', 2, cb))) as Error & { code?: string };
      const keysErr = await new Promise<Error | null | undefined>((resolve) => watched.keys('nodeX', (err) => resolve(err)));
      for (const err of [getErr, setErr, keysErr]) {
        assert.ok(err, 'an error through the callback');
        assert.equal((err as any).code, STORE_UNAVAILABLE);
        assert.match(err!.message, /Redis context store: 127\.0\.0\.1:\d+ unavailable/);
        assert.doesNotMatch(err!.message, /s3cr3t-pw/);
      }
      await watched.clean([]); // resolves: the runtime would not start flows after a rejection
      await watched.delete('nodeX');
      await guarded.start();
      // reconnects with back-off on its own
      const deadline = Date.now() + 30000;
      let value: unknown;
      for (;;) {
        try {
          value = await getOne(watched, 'nodeX', 'kept');
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      assert.equal(value, 1, 'what was written before the outage is there (append-only file)');
      await set(watched, 'nodeX', 'after', 3);
      assert.equal(await getOne(watched, 'nodeX', 'after'), 3);
      const warnings = lines.filter((l) => l.startsWith('warn'));
      assert.equal(warnings.filter((l) => /unavailable .*reconnecting/.test(l)).length, 1, `the loss logged once:\n${lines.join('\n')}`);
      assert.ok(lines.some((l) => /connected to 127\.0\.0\.1:\d+ again/.test(l)), lines.join('\n'));
      assert.ok(lines.every((l) => !l.includes('s3cr3t-pw')), 'no password in the log');
      await watched.clean([]);
      await watched.close();
    }

    it('open() does not hang when Redis is not there, and the store connects once it is', async () => {
      const down = await startRedis();
      await down.stop();
      const late = new RedisContextStore({ url: down.url, prefix: 'late', connectTimeout: 1000 }, undefined, quiet);
      const started = Date.now();
      await late.open();
      assert.ok(Date.now() - started < 20000, 'open() settles on its own');
      assert.equal((await errorOf((cb) => late.set('n', 'k', 1, cb)) as any)?.code, STORE_UNAVAILABLE);
      await down.start();
      const deadline = Date.now() + 30000;
      for (;;) {
        const err = await errorOf((cb) => late.set('n', 'k', 1, cb));
        if (!err) break;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(await getOne(late, 'n', 'k'), 1);
      await late.close();
      await down.remove();
    });
  });

  it('Node-RED loads it from settings.js and a change node writes flow context through it', async function () {
    this.timeout(120000);
    const red = await startNodeRed({
      settingsCode: `module.exports.contextStorage = {
  default: { module: 'memory' },
  redis: { module: require('@snmp-fleet/node-red-snmp-fleet/nodes/context/redis'), config: { url: ${JSON.stringify(redis.url)}, prefix: 'nr' } },
};`,
    });
    try {
      await red.deploy([
        { id: 'tab1', type: 'tab', label: 'ctx' },
        { id: 'in1', z: 'tab1', type: 'inject', props: [{ p: 'payload' }], payload: '42', payloadType: 'num', once: true, onceDelay: 0.1, repeat: '', wires: [['ch1']] },
        { id: 'ch1', z: 'tab1', type: 'change', rules: [{ t: 'set', p: '#:(redis)::count.latest', pt: 'flow', to: 'payload', tot: 'msg' }], wires: [[]] },
      ]);
      const { createClient } = await import('redis');
      const raw = createClient({ url: redis.url });
      await raw.connect();
      try {
        const deadline = Date.now() + 20000;
        let stored: string | null = null;
        while (stored === null && Date.now() < deadline) {
          stored = (await raw.hGet('nr:tab1', 'count')) ?? null;
          if (stored === null) await new Promise((r) => setTimeout(r, 200));
        }
        assert.deepEqual(JSON.parse(stored ?? 'null'), { latest: 42 });
      } finally {
        await raw.close();
      }
      assert.match(red.output(), /Context store\s*:\s*'redis' \[module=@snmp-fleet\/node-red-snmp-fleet redis\]/);
      // Node-RED's own start-up notices aside, nothing went wrong
      assert.deepEqual(red.problems().filter((l) => !/Projects disabled|Encrypted credentials not found/.test(l)), []);
    } finally {
      await red.stop();
    }
  });
});
