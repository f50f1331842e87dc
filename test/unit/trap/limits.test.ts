import { strict as assert } from 'assert';
import { AllowList, AllowListError, normalizeAddress, stripZone } from '../../../src/lib/trap/allow-list';
import { bootEngine, clockBoots, deriveEngineId, isPersistentStore, nextBoots, parseEngineId } from '../../../src/lib/trap/engine-id';
import { ReportLimiter, SourceRateLimiter } from '../../../src/lib/trap/rate-limit';
import { credentialsOf, DEFAULT_BURST, DEFAULT_RATE_LIMIT, inventoryIndex, readTrapSettings } from '../../../src/lib/red/trap-node';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { PropertyError } from '../../../src/lib/common/properties';
import { addressKey, DeviceIndex } from '../../../src/lib/trap/device-index';

describe('trap source rate limiter (token bucket)', () => {
  it('lets a burst through at once, then `rate` per second, and marks the first drop of each flood', () => {
    let now = 10_000;
    const l = new SourceRateLimiter(2, 3, () => now);
    assert.deepEqual(['a', 'a', 'a', 'a', 'a', 'b'].map((s) => l.take(s)), ['ok', 'ok', 'ok', 'first-drop', 'drop', 'ok']);
    now += 500; // one token back
    assert.deepEqual(['a', 'a'].map((s) => l.take(s)), ['ok', 'first-drop'], 'a new flood after an accepted datagram is reported again');
    now += 10_000;
    assert.deepEqual(['a', 'a', 'a', 'a'].map((s) => l.take(s)), ['ok', 'ok', 'ok', 'first-drop'], 'refilled to the burst, not beyond');
  });

  it('issue 14 defect 10: at the defaults a 2,000-trap burst from one router passes whole, a sustained flood is held to the rate', () => {
    let now = 1_000_000;
    const l = new SourceRateLimiter(DEFAULT_RATE_LIMIT, DEFAULT_BURST, () => now);
    // a link flap: 2,000 traps within 100 ms
    let passed = 0;
    for (let i = 0; i < 2000; i++) {
      now += 0.05;
      if (l.take('10.0.0.1') === 'ok') passed++;
    }
    assert.equal(passed, 2000, 'the whole burst');
    assert.equal(l.cut, 0);
    // then a flood of 5,000/s for 10 s
    now += 10_000; // quiet: the bucket refills
    passed = 0;
    for (let i = 0; i < 50_000; i++) {
      now += 0.2;
      if (l.take('10.0.0.1') === 'ok') passed++;
    }
    // burst + rate × 10 s, give or take the refill arithmetic
    assert.ok(passed >= 11_900 && passed <= 12_001, `held to the rate: ${passed}`);
    assert.equal(l.cut, 50_000 - passed);
    assert.deepEqual(l.mostCut, { source: '10.0.0.1', cut: 50_000 - passed });
  });

  it('counts what it cuts per source and names the source cut most', () => {
    let now = 0;
    const l = new SourceRateLimiter(1, 1, () => now);
    for (const s of ['a', 'a', 'b', 'b', 'b', 'c']) l.take(s);
    assert.equal(l.cut, 3);
    assert.deepEqual(l.mostCut, { source: 'b', cut: 2 });
    assert.deepEqual(l.cutBySource(), [{ source: 'b', cut: 2 }, { source: 'a', cut: 1 }]);
    for (let i = 0; i < 3; i++) l.take('a');
    assert.deepEqual(l.mostCut, { source: 'a', cut: 4 });
    assert.deepEqual(l.cutBySource(1), [{ source: 'a', cut: 4 }]);
  });

  it('stays bounded under a flood from spoofed sources: idle buckets are swept, the rest share one', () => {
    let now = 0;
    const l = new SourceRateLimiter(10, 10, () => now);
    for (let i = 0; i < 70_000; i++) l.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    assert.ok(l.sources <= 65_537, `${l.sources} buckets`);
    // the ones past the table share the overflow bucket: 10 pass, the rest are cut
    assert.equal(l.cut, 70_000 - 65_536 - 10);
    now += 5_000; // everyone refilled: the next new source sweeps the idle ones
    assert.equal(l.take('192.0.2.1'), 'ok');
    assert.ok(l.sources < 10, `${l.sources} buckets after the sweep`);
  });

  it('0 means no limit', () => {
    const l = new SourceRateLimiter(0);
    for (let i = 0; i < 10_000; i++) assert.equal(l.take('a'), 'ok');
    assert.equal(l.cut, 0);
  });
});

describe('trap report limiter', () => {
  it('admits `burst` reports per source per window and counts the held ones into the next', () => {
    let now = 0;
    const r = new ReportLimiter(2, 10_000, 1000, () => now);
    assert.equal(r.admit('a'), 0);
    assert.equal(r.admit('a'), 0);
    assert.equal(r.admit('a'), undefined);
    assert.equal(r.admit('a'), undefined);
    assert.equal(r.admit('b'), 0, 'sources are separate');
    now = 10_000;
    assert.equal(r.admit('a'), 2, 'two held back before this one');
    assert.equal(r.admit('a'), 0);
  });

  it('caps reports over all sources, so spoofed addresses cannot flood output 2', () => {
    let now = 0;
    const r = new ReportLimiter(10, 10_000, 100, () => now);
    let admitted = 0;
    for (let i = 0; i < 5000; i++) if (r.admit(`10.0.${i >> 8}.${i & 255}`) !== undefined) admitted++;
    assert.equal(admitted, 100);
    now = 10_000;
    assert.equal(r.admit('10.9.9.9'), 0, 'a new window');
  });
});

describe('trap allow-list', () => {
  it('allows everything when empty', () => {
    const a = new AllowList('  \n# nothing\n');
    assert.ok(a.isEmpty);
    assert.ok(a.allows('203.0.113.9'));
  });

  it('matches IPv4 and IPv6 CIDRs and single addresses', () => {
    const a = new AllowList('10.0.0.0/8\n192.168.1.20 # the NMS\n2001:db8::/32, ::1');
    assert.ok(a.allows('10.200.3.4'));
    assert.ok(a.allows('192.168.1.20'));
    assert.ok(!a.allows('192.168.1.21'));
    assert.ok(a.allows('2001:db8:1::5'));
    assert.ok(a.allows('::1'));
    assert.ok(!a.allows('2001:db9::1'));
    assert.ok(!a.allows('127.0.0.1'));
    assert.equal(a.key, '10.0.0.0/8,192.168.1.20/32,2001:db8::/32,::1/128');
  });

  it('sees IPv4 senders of a dual-stack socket as IPv4', () => {
    assert.equal(normalizeAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeAddress('::1'), '::1');
    assert.ok(new AllowList('10.0.0.0/8').allows(normalizeAddress('::ffff:10.1.2.3')));
  });

  it('checks link-local senders without their zone, and refuses entries with a zone', () => {
    assert.equal(stripZone('fe80::1%eth0'), 'fe80::1');
    assert.equal(stripZone('10.0.0.1'), '10.0.0.1');
    const a = new AllowList('fe80::/10\n10.0.0.0/8');
    assert.ok(a.allows('fe80::1%eth0'));
    assert.ok(a.allows('fe80::1%lo'));
    assert.ok(!new AllowList('2001:db8::/32').allows('fe80::1%eth0'), 'outside the list with or without a zone');
    // a zone in an entry used to be dropped silently by BlockList, allowing every interface
    assert.throws(() => new AllowList('10.0.0.0/8\nfe80::1%eth0'), (e: Error) => e instanceof AllowListError && /line 2/.test(e.message) && /zone/.test(e.message));
    assert.throws(() => new AllowList('fe80::%eth0/64'), /zone/);
  });

  it('names the bad line', () => {
    assert.throws(() => new AllowList('10.0.0.0/8\nexample.com'), (e: Error) => e instanceof AllowListError && /line 2/.test(e.message));
    assert.throws(() => new AllowList('10.0.0.0/33'), /prefix/);
    assert.throws(() => new AllowList('::/129'), /prefix/);
  });
});

describe('trap engine ID', () => {
  it('is stable per host and node, 17 octets with the enterprise format', () => {
    const a = deriveEngineId('node-1', 'host-a');
    assert.equal(a.length, 17);
    assert.equal(a.subarray(0, 5).toString('hex'), '8000b98380');
    assert.ok(a.equals(deriveEngineId('node-1', 'host-a')));
    assert.ok(!a.equals(deriveEngineId('node-2', 'host-a')));
    assert.ok(!a.equals(deriveEngineId('node-1', 'host-b')));
  });

  it('parses stored IDs; boots latches at 2^31-1', () => {
    assert.equal(parseEngineId('0x8000b98380aabbccdd')?.toString('hex'), '8000b98380aabbccdd');
    assert.equal(parseEngineId('xyz'), undefined);
    assert.equal(parseEngineId('0102'), undefined, 'too short');
    const t = Date.UTC(2026, 10, 25, 12, 0, 0);
    assert.equal(nextBoots(0x7fffffff, t), 0x7fffffff, 'latches at 2^31-1');
  });

  it('derives boots from the clock when nothing is stored, so it grows across restarts (RFC 3414 §2.2.2)', () => {
    const t = Date.UTC(2026, 10, 25, 12, 0, 0);
    assert.equal(clockBoots(t), (t - Date.UTC(2020, 0, 1)) / 1000, 'seconds since 2020-01-01');
    assert.equal(nextBoots(undefined, t), clockBoots(t));
    assert.ok(nextBoots(undefined, t + 1000) > nextBoots(undefined, t), 'a restart a second later has a greater boots');
    assert.ok(clockBoots(Date.UTC(2088, 0, 1)) < 0x7fffffff, 'fits 31 bits until 2088');
    assert.equal(nextBoots(undefined, Date.UTC(1999, 0, 1)), 1, 'a clock before 2020 still gives 1 or more');
    assert.equal(nextBoots(41, Date.UTC(2100, 0, 1)), 42, 'a clock past 2088 does not latch boots');
  });

  it('uses a persisted boots when it is ahead of the clock', () => {
    const t = Date.UTC(2026, 10, 25, 12, 0, 0);
    const ahead = clockBoots(t) + 1000; // the clock was set back since
    assert.equal(nextBoots(ahead, t), ahead + 1);
    assert.equal(nextBoots(41, t), clockBoots(t), 'a stored boots behind the clock gives way to it');
  });

  it('gives an engine a greater boots on each start, also twice within one second', () => {
    const t = Date.UTC(2026, 10, 25, 12, 0, 0);
    const id = deriveEngineId(`boots-${Math.random()}`, 'host-a');
    const first = bootEngine(id, undefined, t);
    const second = bootEngine(id, undefined, t);
    assert.equal(first, clockBoots(t));
    assert.ok(second > first);
    assert.equal(bootEngine(deriveEngineId(`other-${Math.random()}`, 'host-a'), undefined, t), clockBoots(t), 'per engine');
  });

  it('tells persistent context stores from the memory store, as Node-RED picks the default', () => {
    assert.equal(isPersistentStore(undefined), false, 'no contextStorage: memory');
    assert.equal(isPersistentStore({}), false);
    assert.equal(isPersistentStore({ default: { module: 'memory' } }), false);
    assert.equal(isPersistentStore({ default: { module: 'localfilesystem' } }), true);
    assert.equal(isPersistentStore({ default: 'file', file: { module: 'localfilesystem' }, mem: { module: 'memory' } }), true, 'default as an alias');
    assert.equal(isPersistentStore({ mem: { module: 'memory' }, file: { module: 'localfilesystem' } }), false, 'the first store is the default');
    assert.equal(isPersistentStore({ default: { module: { open() { /* a custom store */ } } } }), true);
  });
});

describe('trap-in settings', () => {
  it('applies the defaults of DESIGN.md', () => {
    const s = readTrapSettings({});
    assert.equal(s.port, 162);
    assert.equal(s.address, '');
    assert.equal(s.rcvbuf, 4 * 1024 * 1024);
    assert.equal(s.rateLimit, 1000);
    assert.equal(s.burst, 2000);
    assert.equal(readTrapSettings({ rateLimit: '10000' }).burst, 20_000, 'blank: two seconds at a raised rate, never less than the old window let through');
    assert.equal(readTrapSettings({ rateLimit: '10000', burst: '500' }).burst, 500);
    assert.equal(s.maxVarbinds, 256);
    assert.ok(s.allow.isEmpty);
  });

  it('names the bad property', () => {
    assert.throws(() => readTrapSettings({ port: '70000' }), /port/);
    assert.throws(() => readTrapSettings({ address: 'localhost' }), /address/);
    assert.throws(() => readTrapSettings({ rcvbuf: '12' }), /rcvbuf/);
    assert.throws(() => readTrapSettings({ rateLimit: '-1' }), /rateLimit/);
    assert.throws(() => readTrapSettings({ burst: '0' }), (e: Error) => e instanceof PropertyError && e.property === 'burst');
    assert.throws(() => readTrapSettings({ maxVarbinds: '1.5' }), (e: Error) => e instanceof PropertyError && e.property === 'maxVarbinds');
    assert.throws(() => readTrapSettings({ allow: 'nope' }), /allow-list/);
  });

  it('collects communities of v1/v2c profiles and users of v3 profiles, and the inventory hosts', () => {
    const p1 = buildProfile({ version: '2c', inventory: '10.0.0.1 core-1 site=lab\n[2001:DB8::1]:1161 edge' }, { community: 'c1' });
    const p2 = buildProfile({ version: '1', inventory: '10.0.0.1 other' }, { community: 'c2' });
    const p3 = buildProfile({ version: '3', user: 'alice', securityLevel: 'authNoPriv', authProtocol: 'sha256' }, { authKey: 'alice-auth-key' });
    const creds = credentialsOf([p1, p2, p3, p1]);
    assert.deepEqual(creds.communities, ['c1', 'c2']);
    assert.deepEqual(creds.users.map((u) => u.name), ['alice']);
    const inv = inventoryIndex([p1, p2]);
    assert.equal(inv.get('10.0.0.1')?.name, 'core-1', 'first config wins');
    assert.equal(inv.get('2001:db8::1')?.name, 'edge');
  });

  it('indexes inventory IPv6 as the socket spells it: compressed, lower-case, IPv4-mapped as IPv4, zone kept', () => {
    assert.equal(addressKey('2001:DB8:0::5'), '2001:db8::5');
    assert.equal(addressKey('::FFFF:7f00:1'), '127.0.0.1');
    assert.equal(addressKey('FE80::5%eth0'), 'fe80::5%eth0');
    assert.equal(addressKey('core-1.example'), undefined, 'a host name');
    const p = buildProfile({
      version: '2c',
      inventory: '2001:DB8:0::5 six\n::ffff:10.1.2.3 mapped\n[fe80::5%eth0]:161 ll-eth0\nfe80::6 ll-any\n[0:0:0:0:0:0:0:1]:1161 loop',
    }, { community: 'c' });
    const inv = inventoryIndex([p]);
    assert.equal(inv.get('2001:db8::5')?.name, 'six');
    assert.equal(inv.get('10.1.2.3')?.name, 'mapped', 'a dual-stack socket reports it as IPv4');
    assert.equal(inv.get('fe80::5%eth0')?.name, 'll-eth0');
    assert.equal(inv.get('fe80::5%eth1'), undefined, 'the same link-local address on another interface');
    assert.equal(inv.get('fe80::6%eth1')?.name, 'll-any', 'an entry without a zone names it on every interface');
    assert.equal(inv.get('::1')?.port, 1161);
  });

  it('resolves inventory host names once and indexes their addresses after the listed ones', async () => {
    const p1 = buildProfile({ version: '2c', inventory: 'core-1.example core\n10.0.0.9 literal\nedge.example edge\nbad.example bad' }, { community: 'c' });
    const p2 = buildProfile({ version: '2c', inventory: 'CORE-1.example. again' }, { community: 'c' });
    const inv = inventoryIndex([p1, p2]);
    assert.deepEqual(inv.hostNames, ['core-1.example', 'edge.example', 'bad.example'], 'each name once');
    assert.equal(inv.get('10.0.0.1'), undefined, 'nothing before resolving');
    const asked: string[] = [];
    const unresolved = await inv.resolveNames(async (host) => {
      asked.push(host);
      if (host === 'bad.example') throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      return host === 'core-1.example' ? ['10.0.0.1', '2001:DB8::1'] : ['10.0.0.9', '10.0.0.1', '10.0.0.2'];
    });
    assert.deepEqual(unresolved, ['bad.example']);
    assert.deepEqual(asked.sort(), ['bad.example', 'core-1.example', 'edge.example'], 'one lookup per name');
    assert.equal(inv.get('10.0.0.1')?.name, 'core', 'inventory order, not lookup order');
    assert.equal(inv.get('2001:db8::1')?.name, 'core');
    assert.equal(inv.get('10.0.0.9')?.name, 'literal', 'an address listed as such wins');
    assert.equal(inv.get('10.0.0.2')?.name, 'edge');
  });

  it('bounds host name lookups in number and in time', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `slow-${i}.example`);
    const inv = new DeviceIndex([buildProfile({ version: '2c', inventory: names.join('\n') }, { community: 'c' })]);
    let inFlight = 0;
    let most = 0;
    const pending: Array<() => void> = [];
    const unresolved = await inv.resolveNames((host) => new Promise<string[]>((resolve) => {
      inFlight++;
      most = Math.max(most, inFlight);
      // a resolver that never answers within the deadline
      pending.push(() => { inFlight--; resolve([`10.9.9.${host.length}`]); });
    }), { concurrency: 2, deadlineMs: 50 });
    assert.deepEqual(unresolved, names, 'all given up at the deadline');
    assert.equal(most, 2, 'at most 2 lookups at once');
    for (const answer of pending.splice(0)) answer();
    await new Promise((r) => setImmediate(r));
    assert.equal(pending.length, 0, 'no lookup starts after the deadline');
    assert.equal(inv.get('10.9.9.14'), undefined, 'late answers are ignored');
  });
});
