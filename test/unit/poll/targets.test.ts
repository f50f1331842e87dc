import { strict as assert } from 'assert';
import { chooseTargets, MAX_TARGETS, readTargets, resolveOids } from '../../../src/lib/poll/targets';
import { ConfigError } from '../../../src/lib/common/inventory';
import type { Device } from '../../../src/lib/common/types';

describe('targets: msg.targets entry by entry', () => {
  it('keeps the good entries in order and rejects each bad one with its place and key', () => {
    const { devices, positions, rejected } = readTargets([
      '192.0.2.1 a',
      { host: 'bad host', port: 1161, name: 'row-2' },
      { host: '192.0.2.2', port: 161, interval: 2 },
      42,
      { host: '192.0.2.3', labels: '{"site":"x"}', created: new Date(0), blob: { nested: true } },
      '192.0.2.1:161 again',
    ], 161);
    assert.deepEqual(devices.map((d) => d.host), ['192.0.2.1', '192.0.2.3']);
    assert.deepEqual(positions, [0, 4]);
    assert.deepEqual(rejected.map((r) => [r.index, r.key, r.name]), [
      [1, 'bad host:1161', 'row-2'],
      [2, '192.0.2.2:161', undefined],
      [3, 'msg.targets[3]', undefined],
      [5, '192.0.2.1:161', 'again'],
    ]);
    assert.match(rejected[0].error, /^msg\.targets\[1\] \(bad host:1161\): "bad host" is not a host name/);
    assert.match(rejected[3].error, /the same device as msg\.targets\[0\]/);
    assert.deepEqual(rejected[3].device, { host: '192.0.2.1', port: 161, name: 'again', labels: {} });
    // the entry itself, JSON-safe
    assert.deepEqual(rejected[0].entry, { host: 'bad host', port: 1161, name: 'row-2' });
    assert.equal(rejected[2].entry, 42);
  });

  it('refuses a name another entry\'s device has, written or taken from its host, naming that entry by host:port', () => {
    const { devices, rejected } = readTargets([
      { host: '127.0.0.1', port: 16101, name: 'core-2', labels: '{"site":"lyon"}' },
      { host: '127.0.0.1', port: 16102, name: 'core-2', labels: '{"site":"paris"}' },
      '127.0.0.1:1161',
      { host: '192.0.2.2', name: '127.0.0.1:1161' },
      { host: '192.0.2.3', name: 'core' },
      { host: '192.0.2.4', name: 'Core' },
    ], 161);
    assert.deepEqual(devices.map((d) => d.name), ['core-2', '127.0.0.1:1161', 'core', 'Core'], 'the first entry of a name is polled');
    assert.deepEqual(rejected.map((r) => [r.index, r.error]), [
      [1, 'msg.targets[1] (127.0.0.1:16102): name core-2 is already used by msg.targets[0] (127.0.0.1:16101)'],
      [3, 'msg.targets[3] (192.0.2.2:161): name 127.0.0.1:1161 is already used by msg.targets[2] (127.0.0.1:1161)'],
    ]);
    // its message goes by its host:port, not by the name of the device polled under it
    assert.deepEqual(rejected.map((r) => [r.key, r.name, r.device]), [['127.0.0.1:16102', undefined, undefined], ['192.0.2.2:161', undefined, undefined]]);
    assert.deepEqual(rejected[0].entry, { host: '127.0.0.1', port: 16102, name: 'core-2', labels: '{"site":"paris"}' });
  });

  it('names the entry a duplicate repeats by its host:port and name, and says a position once', () => {
    const { rejected } = readTargets([
      { host: '', name: 'blank' },
      { host: '192.0.2.1', name: 'a' },
      '192.0.2.1:161 again',
      '192.0.2.5:1161',
      { host: '192.0.2.5', port: 1161, name: 'b' },
      { name: 'no-host' },
    ], 161);
    assert.deepEqual(rejected.map((r) => r.error), [
      'msg.targets[0]: "" is not a host name or IP address',
      'msg.targets[2] (192.0.2.1:161): the same device as msg.targets[1] (192.0.2.1:161 named a)',
      'msg.targets[4] (192.0.2.5:1161): the same device as msg.targets[3] (192.0.2.5:1161)',
      'msg.targets[5]: a target object needs a host string',
    ]);
  });

  it('finds a bad entry by its host as written: with its own port, or an IPv6 address in brackets', () => {
    const { rejected } = readTargets([
      { host: '127.0.0.1:16102', port: 161, name: 'access-1' },
      { host: '::1', port: 1161, interval: 1 },
      { host: '[::1]:99', port: 98 },
    ], 161);
    assert.deepEqual(rejected.map((r) => r.error), [
      'msg.targets[0] (127.0.0.1:16102): host 127.0.0.1:16102 carries port 16102 but port is 161',
      'msg.targets[1] ([::1]:1161): interval 1 is below the floor of 5 s',
      'msg.targets[2] ([::1]:99): host [::1]:99 carries port 99 but port is 98',
    ]);
  });

  it('carries a bad entry as it was in msg.target, its labels object included, JSON-safe and bounded', () => {
    const row: Record<string, unknown> = {
      host: '192.0.2.7', port: 161, name: 'edge-7', interval: 1, labels: { site: 'paris', rack: { row: 3, tags: ['a', 1] } },
      created: new Date(0), id: 9007199254740993n, blob: Buffer.from('ab'), fn: () => 1, gone: undefined, nan: Number.NaN, long: 'x'.repeat(300),
    };
    Object.defineProperty(row, '__proto__', { value: { polluted: true }, enumerable: true });
    const [r] = readTargets([row], 161).rejected;
    assert.match(r.error, /below the floor/);
    assert.deepEqual(r.entry, {
      host: '192.0.2.7', port: 161, name: 'edge-7', interval: 1, labels: { site: 'paris', rack: { row: 3, tags: ['a', 1] } },
      created: '1970-01-01T00:00:00.000Z', id: '9007199254740993', nan: null, long: `${'x'.repeat(197)}...`, ['__proto__']: { polluted: true },
    });
    assert.equal(Object.getPrototypeOf(r.entry), Object.prototype, 'a key __proto__ stays a field');
    assert.deepEqual(JSON.parse(JSON.stringify(r.entry)), r.entry, 'JSON-safe as it is');
    const [deep] = readTargets([{ host: 'bad host', labels: { a: { b: { c: { d: 1 } } } }, wide: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) }], 161).rejected;
    assert.deepEqual((deep.entry as any).labels, { a: { b: {} } }, 'four levels deep at most');
    assert.equal(Object.keys((deep.entry as any).wide).length, 32);
    assert.deepEqual(readTargets([['192.0.2.1', 161]], 161).rejected[0].entry, ['192.0.2.1', 161], 'an array entry as it was');
  });

  it('reads a device naming another profile as a device: the poll node finds the profile by name', () => {
    const { devices, rejected } = readTargets([
      { host: '192.0.2.1', name: 'a' },
      { host: '192.0.2.2', name: 'b', profile: 'core-v3' },
      '192.0.2.3 c profile=nowhere',
    ], 161);
    assert.deepEqual(devices.map((d) => [d.name, d.profile]), [['a', undefined], ['b', 'core-v3'], ['c', 'nowhere']]);
    assert.equal(rejected.length, 0, 'an unknown profile is a failure of the poll (code profile), not a bad entry');
  });

  it('chooses: the inventory wins; msg.targets entry by entry; a message with nothing usable throws', () => {
    const inventory: Device[] = [{ host: '192.0.2.9', port: 161, name: 'inv', labels: {} }];
    assert.deepEqual(chooseTargets(inventory, { targets: ['x'] }, 161).ignoredOverride, true);
    const choice = chooseTargets([], { targets: [{ host: '192.0.2.1', profile: 7 }, '192.0.2.2', { host: '192.0.2.3', profile: 'other' }] }, 161);
    assert.deepEqual(choice.devices.map((d) => d.host), ['192.0.2.2', '192.0.2.3']);
    assert.match(choice.rejected[0].error, /^msg\.targets\[0\] \(192\.0\.2\.1:161\): profile of target 192\.0\.2\.1 must be the name/);
    const allBad = chooseTargets([], { targets: ['bad..host'] }, 161);
    assert.equal(allBad.devices.length, 0, 'every entry reported, nothing to poll: not an error of the message');
    assert.equal(allBad.rejected.length, 1);
    assert.throws(() => chooseTargets([], { targets: [] }, 161), /msg\.targets is empty/);
    assert.throws(() => chooseTargets([], { targets: 'x' }, 161), /must be an array/);
    assert.deepEqual(chooseTargets([], { target: { host: '192.0.2.1', profile: 'other' } }, 161).devices.map((d) => d.profile), ['other']);
    assert.throws(() => chooseTargets([], { target: 'bad..host' }, 161), /not a host name/);
    assert.throws(() => chooseTargets([], { targets: new Array(MAX_TARGETS + 1).fill('192.0.2.1') }, 161), /more than 100000/);
    assert.throws(() => chooseTargets([], {}, 161), /no target/);
  });
});

describe('targets: the OIDs to ask for', () => {
  it('refuses a numeric OID net-snmp would send or read back as another, naming why', () => {
    assert.deepEqual(resolveOids(['.1.3.6.1.2.1.1.3.0', '2.39.1'], undefined), ['1.3.6.1.2.1.1.3.0', '2.39.1']);
    for (const [oid, why] of [['7.1.2', /first arc is 0, 1 or 2/], ['1.50.1', /below 40/], ['2.999.1', /below 40/], ['1', /one arc/]] as const) {
      assert.throws(() => resolveOids(['1.3.6.1.2.1.1.5.0', oid], undefined), (err: unknown) => err instanceof ConfigError && why.test((err as Error).message), oid);
    }
  });
});
