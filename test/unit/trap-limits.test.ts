import { strict as assert } from 'assert';
import { AllowList, AllowListError, normalizeAddress } from '../../src/lib/trap/allow-list';
import { deriveEngineId, nextBoots, parseEngineId } from '../../src/lib/trap/engine-id';
import { ReportLimiter, SourceRateLimiter } from '../../src/lib/trap/rate-limit';
import { credentialsOf, inventoryIndex, readTrapSettings } from '../../src/lib/trap/trap-node';
import { buildProfile } from '../../src/lib/config';

describe('trap source rate limiter', () => {
  it('lets `limit` datagrams per source per second through and marks the first drop', () => {
    let now = 10_000;
    const l = new SourceRateLimiter(3, () => now);
    assert.deepEqual(['a', 'a', 'a', 'a', 'a', 'b'].map((s) => l.take(s)), ['ok', 'ok', 'ok', 'first-drop', 'drop', 'ok']);
    now += 1000;
    assert.equal(l.take('a'), 'ok', 'a new second');
  });

  it('0 means no limit', () => {
    const l = new SourceRateLimiter(0);
    for (let i = 0; i < 10_000; i++) assert.equal(l.take('a'), 'ok');
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

  it('parses stored IDs and counts boots up', () => {
    assert.equal(parseEngineId('0x8000b98380aabbccdd')?.toString('hex'), '8000b98380aabbccdd');
    assert.equal(parseEngineId('xyz'), undefined);
    assert.equal(parseEngineId('0102'), undefined, 'too short');
    assert.equal(nextBoots(undefined), 1);
    assert.equal(nextBoots(41), 42);
    assert.equal(nextBoots(0x7fffffff), 0x7fffffff);
  });
});

describe('trap-in settings', () => {
  it('applies the defaults of DESIGN.md', () => {
    const s = readTrapSettings({});
    assert.equal(s.port, 162);
    assert.equal(s.address, '');
    assert.equal(s.rcvbuf, 4 * 1024 * 1024);
    assert.equal(s.rateLimit, 1000);
    assert.ok(s.allow.isEmpty);
  });

  it('names the bad property', () => {
    assert.throws(() => readTrapSettings({ port: '70000' }), /port/);
    assert.throws(() => readTrapSettings({ address: 'localhost' }), /address/);
    assert.throws(() => readTrapSettings({ rcvbuf: '12' }), /rcvbuf/);
    assert.throws(() => readTrapSettings({ rateLimit: '-1' }), /rateLimit/);
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
});
