import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import { EventEmitter } from 'events';
import * as fc from 'fast-check';
import * as snmp from 'net-snmp';
import '../../../src/lib/snmp/des';
import { AllowList } from '../../../src/lib/trap/allow-list';
import { encodeInteger, encodeOid, Tag, tlv } from '../../../src/lib/common/ber';
import { TrapListener, type ListenerSettings, type ListenerStatus, type TrapCredentials, type TrapSubscriber } from '../../../src/lib/trap/listener';
import { readCommunityMessage, readPdu, readScopedPdu, readV3Message, readVersion } from '../../../src/lib/trap/message';
import { TrapFilter, type Notification, type Rejection } from '../../../src/lib/trap/notification';
import { findListener, joinListener, openListenerCount } from '../../../src/lib/trap/registry';
import { encodeV3Message, scopedPdu } from '../../../src/lib/trap/respond';
import { RemoteClocks, UsmUser, type LocalEngine } from '../../../src/lib/trap/usm';
import type { V3User } from '../../../src/lib/common/types';
import { canBind, FIXTURE_USERS, freePort, packet, Sender, waitFor } from '../../fixtures/packets/tools';

const OUR_ENGINE = Buffer.from('8000b98380000102030405060708090a0b', 'hex');

class Collector implements TrapSubscriber {
  notifications: Notification[] = [];
  rejections: Rejection[] = [];
  statuses: ListenerStatus[] = [];
  constructor(readonly credentials: TrapCredentials, readonly filter?: TrapFilter) {}
  onNotification(n: Notification): void { this.notifications.push(n); }
  onRejected(r: Rejection): void { this.rejections.push(r); }
  onStatus(s: ListenerStatus): void { this.statuses.push(s); }
}

function settings(over: Partial<ListenerSettings> = {}): ListenerSettings {
  return { address: '127.0.0.1', port: 0, rcvbuf: 1 << 20, allow: new AllowList(''), rateLimit: 0, ...over };
}

function rinfo(address = '127.0.0.1', port = 40000): dgram.RemoteInfo {
  return { address, port, family: address.includes(':') ? 'IPv6' : 'IPv4', size: 0 };
}

function counted(l: TrapListener): boolean {
  const s = l.stats;
  return s.received === s.accepted + s.rejected + s.malformed + s.rateLimited + s.discovery;
}

/** A v3 trap from a sender engine with the given boots/time, signed (and encrypted) for `user`. */
function v3Trap(user: V3User, engineId: Buffer, boots: number, time: number, msgId = 1, trapOid = '1.3.6.1.6.3.1.1.5.1'): Buffer {
  const varbinds = tlv(Tag.Sequence,
    tlv(Tag.Sequence, encodeOid('1.3.6.1.2.1.1.3.0'), encodeInteger(100, Tag.TimeTicks)),
    tlv(Tag.Sequence, encodeOid('1.3.6.1.6.3.1.1.4.1.0'), encodeOid(trapOid)));
  const pdu = tlv(Tag.TrapV2, encodeInteger(msgId), encodeInteger(0), encodeInteger(0), varbinds);
  const usm = new UsmUser(user);
  const flags = user.level === 'authPriv' ? 3 : user.level === 'authNoPriv' ? 1 : 0;
  const sender = { id: engineId, boots, time } as unknown as LocalEngine;
  return encodeV3Message({ msgId, flags, engine: sender, userName: usm.nameBytes, user: usm, scopedPdu: scopedPdu(engineId, Buffer.alloc(0), pdu) });
}

describe('trap listener: datagram handling', () => {
  it('accepts v1, v2c and v3 fixtures and routes each to the subscriber whose credentials matched', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    const community = new Collector({ communities: ['public'], users: [] });
    const v3 = new Collector({ communities: [], users: [FIXTURE_USERS.alice, FIXTURE_USERS.bob, FIXTURE_USERS.carol] });
    l.subscribe(community);
    l.subscribe(v3);
    for (const name of ['v1-generic', 'v1-specific', 'v2c-trap', 'v2c-inform']) l.handle(packet(name), rinfo());
    for (const name of ['v3-alice-sha256-aes', 'v3-bob-md5-des', 'v3-carol-sha-noPriv']) l.handle(packet(name), rinfo());
    assert.deepEqual(community.notifications.map((n) => `${n.version}/${n.pdu}/${n.oid}`), [
      '1/trapv1/1.3.6.1.6.3.1.1.5.3', '1/trapv1/1.3.6.1.4.1.8072.2.3.1.0.17', '2c/trap/1.3.6.1.6.3.1.1.5.3', '2c/inform/1.3.6.1.6.3.1.1.5.3',
    ]);
    assert.deepEqual(v3.notifications.map((n) => `${n.user}/${n.engine}`), [
      'alice/80001f8880e9630000d61ff449', 'bob/80001f8880e9630000d61ff44a', 'carol/80001f8880e9630000d61ff44b',
    ]);
    assert.equal(l.stats.accepted, 7);
    assert.equal(l.stats.informs, 1);
    assert.ok(counted(l));
  });

  it('rejects unknown communities, users, keys and security levels, telling every subscriber once', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    const a = new Collector({ communities: ['private'], users: [{ ...FIXTURE_USERS.alice, authKey: 'wrong-auth-key' }] });
    const b = new Collector({ communities: [], users: [{ ...FIXTURE_USERS.bob, privKey: 'wrong-priv-key' }, { ...FIXTURE_USERS.carol, level: 'authPriv', privProtocol: 'aes', privKey: 'carol-priv-key' }] });
    l.subscribe(a);
    l.subscribe(b);
    for (const name of ['v2c-trap', 'v3-alice-sha256-aes', 'v3-bob-md5-des', 'v3-carol-sha-noPriv']) l.handle(packet(name), rinfo());
    const snmptrapdUnknown = v3Trap({ name: 'mallory', level: 'noAuthNoPriv' }, Buffer.from('8000000001', 'hex'), 1, 1);
    l.handle(snmptrapdUnknown, rinfo());
    const expected = ['unknown-community', 'wrong-digest', 'decryption-error', 'unsupported-security-level', 'unknown-user'];
    assert.deepEqual(a.rejections.map((r) => r.reason), expected);
    assert.deepEqual(b.rejections.map((r) => r.reason), expected);
    assert.equal(a.notifications.length + b.notifications.length, 0);
    assert.equal(a.rejections[4].user, 'mallory');
    assert.equal(l.stats.rejected, 5);
    assert.ok(counted(l));
    assert.ok(!JSON.stringify(a.rejections).includes('public'), 'no community in a rejection');
  });

  it('accepts the same user name with different keys from different subscribers', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    const wrong = new Collector({ communities: [], users: [{ ...FIXTURE_USERS.alice, authKey: 'other-auth-key' }] });
    const right = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    l.subscribe(wrong);
    l.subscribe(right);
    l.handle(packet('v3-alice-sha256-aes'), rinfo());
    assert.equal(right.notifications.length, 1);
    assert.equal(wrong.notifications.length, 0);
  });

  it('rejects an exact replay and a message older than the window, accepts newer ones', () => {
    let now = 1_000_000;
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1, now: () => now });
    const c = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    l.subscribe(c);
    const fixture = packet('v3-alice-sha256-aes');
    l.handle(fixture, rinfo());
    l.handle(Buffer.from(fixture), rinfo());
    assert.deepEqual(c.rejections.map((r) => r.reason), ['replay']);

    const engine = Buffer.from('80001f8880aaaaaaaa', 'hex');
    l.handle(v3Trap(FIXTURE_USERS.alice, engine, 7, 5000, 1), rinfo());
    now += 200_000; // the sender's clock is now about 5200
    l.handle(v3Trap(FIXTURE_USERS.alice, engine, 7, 5100, 2), rinfo());
    l.handle(v3Trap(FIXTURE_USERS.alice, engine, 7, 5000, 3), rinfo());
    l.handle(v3Trap(FIXTURE_USERS.alice, engine, 6, 9000, 4), rinfo());
    l.handle(v3Trap(FIXTURE_USERS.alice, engine, 8, 3, 5), rinfo());
    assert.deepEqual(c.rejections.map((r) => r.reason), ['replay', 'not-in-time-window', 'not-in-time-window']);
    assert.equal(c.notifications.length, 4);
    assert.ok(counted(l));
  });

  it('rejects sources outside the allow-list before decoding and rate-limits per source', () => {
    const l = new TrapListener(settings({ allow: new AllowList('10.0.0.0/8'), rateLimit: 3 }), { engineId: OUR_ENGINE, engineBoots: 1 });
    const c = new Collector({ communities: ['public'], users: [] });
    l.subscribe(c);
    l.handle(Buffer.from('garbage'), rinfo('192.0.2.1'));
    for (let i = 0; i < 6; i++) l.handle(packet('v2c-trap'), rinfo('10.1.1.1'));
    l.handle(packet('v2c-trap'), rinfo('::ffff:10.1.1.2'));
    assert.deepEqual(c.rejections.map((r) => `${r.source.address}:${r.reason}`), ['192.0.2.1:not-allowed', '10.1.1.1:rate-limited']);
    assert.equal(c.notifications.length, 4);
    assert.equal(c.notifications[3].source.address, '10.1.1.2');
    assert.equal(l.stats.rateLimited, 3);
    assert.equal(l.stats.malformed, 0, 'the disallowed garbage was never decoded');
    assert.ok(counted(l));
  });

  it('accepts a link-local sender (with the zone the socket names) inside the allow-list', () => {
    const l = new TrapListener(settings({ allow: new AllowList('fe80::/10\n2001:db8::/32') }), { engineId: OUR_ENGINE, engineBoots: 1 });
    const c = new Collector({ communities: ['public'], users: [] });
    l.subscribe(c);
    l.handle(packet('v2c-trap'), rinfo('fe80::1%eth0'));
    l.handle(packet('v2c-trap'), rinfo('fd00::1'));
    assert.deepEqual(c.notifications.map((n) => n.source.address), ['fe80::1%eth0']);
    assert.deepEqual(c.rejections.map((r) => `${r.source.address}:${r.reason}`), ['fd00::1:not-allowed']);
  });

  it('applies each subscriber\'s filter', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    const down = new Collector({ communities: ['public'], users: [] }, new TrapFilter(['1.3.6.1.6.3.1.1.5.3']));
    const enterprise = new Collector({ communities: ['public'], users: [] }, new TrapFilter(['1.3.6.1.4.1.8072']));
    l.subscribe(down);
    l.subscribe(enterprise);
    for (const name of ['v1-generic', 'v1-specific', 'v2c-trap']) l.handle(packet(name), rinfo());
    assert.equal(down.notifications.length, 2);
    assert.equal(enterprise.notifications.length, 1);
    assert.equal(l.stats.accepted, 3);
  });

  it('counts mutated and random datagrams and never throws (property)', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    l.subscribe(new Collector({ communities: ['public'], users: [FIXTURE_USERS.alice, FIXTURE_USERS.bob, FIXTURE_USERS.carol] }));
    const seeds = ['v1-generic', 'v2c-trap', 'v2c-inform', 'v3-alice-sha256-aes', 'v3-carol-sha-noPriv', 'issue-45-byte-inform'].map(packet);
    let handled = 0;
    fc.assert(fc.property(
      fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat(),
      (seed, edits, cut) => {
        const buf = Buffer.from(seeds[seed]);
        for (const [at, value] of edits) buf[at % buf.length] = value;
        l.handle(cut % 7 === 0 ? buf.subarray(0, cut % buf.length) : buf, rinfo());
        handled++;
      },
    ), { numRuns: 3000 });
    assert.equal(l.stats.received, handled);
    assert.equal(l.stats.internalErrors, 0);
    assert.ok(counted(l));
    assert.ok(l.stats.malformed > 0);
  });
});

describe('trap listener: large traps (issue 14 defect 2)', () => {
  it('decodes at most maxVarbinds of each trap, counts the rest and flags the notification', () => {
    const l = new TrapListener(settings({ maxVarbinds: 10 }), { engineId: OUR_ENGINE, engineBoots: 1 });
    const c = new Collector({ communities: ['public'], users: [] });
    l.subscribe(c);
    const many = Array.from({ length: 3000 }, (_, i) => tlv(Tag.Sequence, encodeOid(`1.3.6.1.2.1.2.2.1.8.${i + 1}`), encodeInteger(1)));
    const trap = tlv(Tag.Sequence, encodeInteger(1), tlv(Tag.OctetString, Buffer.from('public')),
      tlv(Tag.TrapV2, encodeInteger(9), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence,
        tlv(Tag.Sequence, encodeOid('1.3.6.1.2.1.1.3.0'), encodeInteger(5, Tag.TimeTicks)),
        tlv(Tag.Sequence, encodeOid('1.3.6.1.6.3.1.1.4.1.0'), encodeOid('1.3.6.1.6.3.1.1.5.3')), ...many)));
    l.handle(trap, rinfo());
    l.handle(packet('v2c-trap'), rinfo());
    assert.equal(c.notifications.length, 2);
    assert.equal(c.notifications[0].varbinds.length, 10, 'the cap bounds what is decoded');
    assert.equal(c.notifications[0].droppedVarbinds, 3002 - 10);
    assert.equal(c.notifications[1].droppedVarbinds, undefined);
    assert.equal(l.stats.truncated, 1);
    assert.equal(l.stats.varbindsDropped, 2992);
    assert.ok(counted(l));
  });
});

describe('trap listener: v3 senders across restarts and pinned engines (issue 14 defect 5)', () => {
  const E1 = Buffer.from('80001f8880aaaa000001', 'hex');
  const E2 = Buffer.from('80001f8880aaaa000002', 'hex');

  it('refuses a pinned user\'s traps from other engines, and its informs, counting them', () => {
    const l = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1 });
    const pinned = new Collector({ communities: [], users: [{ ...FIXTURE_USERS.alice, engineIds: [E1.toString('hex').toUpperCase()] }] });
    l.subscribe(pinned);
    l.handle(v3Trap(FIXTURE_USERS.alice, E1, 1, 100, 1), rinfo());
    l.handle(v3Trap(FIXTURE_USERS.alice, E2, 1, 100, 2), rinfo());
    // an inform names us as its engine: not one the user is pinned to
    l.handle(v3Trap(FIXTURE_USERS.alice, OUR_ENGINE, 1, 0, 3), rinfo());
    assert.deepEqual(pinned.notifications.map((n) => n.engine), [E1.toString('hex')]);
    assert.deepEqual(pinned.rejections.map((r) => r.reason), ['engine-not-allowed', 'engine-not-allowed']);
    assert.equal(l.rejections['engine-not-allowed'], 2);
    assert.ok(counted(l));

    // the same user unpinned in another node hears E2; the pinned node still does not
    const open = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    l.subscribe(open);
    l.handle(v3Trap(FIXTURE_USERS.alice, E2, 1, 100, 4), rinfo());
    assert.equal(open.notifications.length, 1);
    assert.equal(pinned.notifications.length, 1);
  });

  it('refuses a replay older than the window after the listener is replaced, with the clocks kept or restored', () => {
    let now = 5_000_000;
    const clock = () => now;
    const first = new RemoteClocks(clock);
    const sub = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    const a = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 1, now: clock, clocks: first });
    a.subscribe(sub);
    const captured = v3Trap(FIXTURE_USERS.alice, E1, 4, 1000, 1);
    a.handle(captured, rinfo());
    now += 1000_000;
    // the sender's clock runs a little ahead of ours
    a.handle(v3Trap(FIXTURE_USERS.alice, E1, 4, 2100, 2), rinfo());
    assert.equal(sub.notifications.length, 2);
    const saved = JSON.parse(JSON.stringify(first.records(new Set(['alice']))));
    assert.deepEqual(saved.map((r: { engine: string; boots: number; time: number }) => [r.engine, r.boots, r.time]), [[E1.toString('hex'), 4, 2100]]);

    // a redeploy: a new listener on the process's clocks
    const b = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 2, now: clock, clocks: first });
    const afterRedeploy = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    b.subscribe(afterRedeploy);
    b.handle(captured, rinfo());
    assert.deepEqual(afterRedeploy.rejections.map((r) => r.reason), ['not-in-time-window']);

    // a restart: a new process, its clocks restored from the context store
    now += 60_000;
    const restored = new RemoteClocks(clock);
    assert.equal(restored.restore(saved), 1);
    const c = new TrapListener(settings(), { engineId: OUR_ENGINE, engineBoots: 3, now: clock, clocks: restored });
    const afterRestart = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    c.subscribe(afterRestart);
    c.handle(captured, rinfo());
    c.handle(v3Trap(FIXTURE_USERS.alice, E1, 4, 2170, 3), rinfo());
    assert.deepEqual(afterRestart.rejections.map((r) => r.reason), ['not-in-time-window']);
    assert.equal(afterRestart.notifications.length, 1, 'the sender\'s next trap is timely');
  });

  it('restores only well-formed clocks and keeps a known one that is ahead', () => {
    let now = 1_000_000;
    const clocks = new RemoteClocks(() => now);
    assert.ok(clocks.check(E1, Buffer.from('alice'), 5, 500));
    const good = { engine: E1.toString('hex'), user: 'alice', boots: 4, time: 9000, at: now };
    assert.equal(clocks.restore([good, { ...good, engine: 'zz' }, { ...good, boots: -1 }, { ...good, at: 'x' }, null, 'text']), 0, 'boots 4 is behind 5');
    assert.equal(clocks.restore({ not: 'an array' }), 0);
    assert.equal(clocks.restore([{ ...good, boots: 6 }, { ...good, engine: E2.toString('hex') }]), 2);
    now += 1000;
    assert.equal(clocks.check(E1, Buffer.from('alice'), 5, 600), false, 'an earlier boots than the restored 6');
    assert.equal(clocks.size, 2);
  });
});

describe('trap listener: socket, informs and sharing', () => {
  let sender: Sender;
  beforeEach(() => { sender = new Sender(); });
  afterEach(() => sender.close());

  async function listening(sub: TrapSubscriber, over: Partial<ListenerSettings> = {}) {
    const port = await freePort();
    const joined = joinListener(settings({ port, ...over }), sub, { engineId: OUR_ENGINE, engineBoots: 3 });
    assert.ok(joined.ok);
    await waitFor(() => joined.listener.status.state === 'listening', 'listening');
    return { port, ...joined };
  }

  it('acknowledges a v2c inform with a Response echoing request-id and varbinds', async () => {
    const c = new Collector({ communities: ['public'], users: [] });
    const { port, leave } = await listening(c);
    const reply = new Promise<Buffer>((resolve) => sender.socket.once('message', resolve));
    const inform = packet('v2c-inform');
    await sender.send(inform, port);
    const response = await reply;
    const req = readPdu(readCommunityMessage(1, readVersion(inform).body).pduReader);
    const res = readPdu(readCommunityMessage(1, readVersion(response).body).pduReader);
    assert.equal(res.type, Tag.Response);
    assert.equal(res.requestId, req.requestId);
    assert.ok(response.includes(req.varbindListBytes));
    await waitFor(() => c.notifications.length === 1, 'the inform');
    await leave();
  });

  it('answers a v3 discovery probe with a Report carrying our engine ID, boots and time', async () => {
    const c = new Collector({ communities: [], users: [FIXTURE_USERS.alice] });
    const { port, leave } = await listening(c);
    const probePdu = tlv(Tag.GetRequest, encodeInteger(4242), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence));
    const probe = encodeV3Message({
      msgId: 99, flags: 0, engine: { id: Buffer.alloc(0), boots: 0, time: 0 } as unknown as LocalEngine,
      userName: Buffer.alloc(0), scopedPdu: scopedPdu(Buffer.alloc(0), Buffer.alloc(0), probePdu),
    });
    // the encoder never sets reportable; a probe must
    const flagsAt = probe.indexOf(Buffer.from([0x04, 0x01, 0x00]));
    probe[flagsAt + 2] = 0x04;
    const reply = new Promise<Buffer>((resolve) => sender.socket.once('message', resolve));
    await sender.send(probe, port);
    const m = readV3Message(readVersion(await reply).body);
    assert.equal(m.msgId, 99);
    assert.ok(m.engineId.equals(OUR_ENGINE));
    assert.equal(m.engineBoots, 3);
    const report = readPdu(readScopedPdu(m.data).pduReader);
    assert.equal(report.type, Tag.Report);
    assert.equal(report.requestId, 4242);
    assert.ok(m.data.includes(encodeOid('1.3.6.1.6.3.15.1.1.4.0')), 'usmStatsUnknownEngineIDs.0');
    const l = findListener('127.0.0.1', port) as TrapListener;
    assert.equal(l.stats.discovery, 1);
    await leave();
  });

  it('completes net-snmp v3 informs (discovery, then authPriv) for AES-256 Reeder and DES users', async () => {
    const users: V3User[] = [
      { name: 'reeder', level: 'authPriv', authProtocol: 'sha', authKey: 'reeder-auth', privProtocol: 'aes256r', privKey: 'reeder-priv' },
      { name: 'dave', level: 'authPriv', authProtocol: 'sha512', authKey: 'dave-auth-key', privProtocol: 'des', privKey: 'dave-priv-key' },
    ];
    const c = new Collector({ communities: [], users });
    const { port, leave } = await listening(c);
    for (const u of users) {
      const session = snmp.createV3Session('127.0.0.1', {
        name: u.name, level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols[u.authProtocol as string],
        authKey: u.authKey, privProtocol: snmp.PrivProtocols[u.privProtocol as string], privKey: u.privKey,
      }, { port, trapPort: port, timeout: 2000, retries: 0 });
      session.on('error', () => undefined);
      try {
        await new Promise<void>((resolve, reject) => {
          session.inform('1.3.6.1.6.3.1.1.5.4', [{ oid: '1.3.6.1.2.1.2.2.1.1.7', type: snmp.ObjectType.Integer, value: 7 }], { port },
            (err: Error | null) => (err ? reject(err) : resolve()));
        });
      } finally {
        session.close();
      }
    }
    assert.deepEqual(c.notifications.map((n) => `${n.user}/${n.pdu}/${n.oid}`), ['reeder/inform/1.3.6.1.6.3.1.1.5.4', 'dave/inform/1.3.6.1.6.3.1.1.5.4']);
    assert.equal(c.notifications[0].varbinds[2].value, 7);
    await leave();
  });

  it('shares one socket per port, reports conflicting settings, and frees the port when the last leaves', async () => {
    const a = new Collector({ communities: ['public'], users: [] });
    const b = new Collector({ communities: ['public'], users: [] });
    const { port, leave } = await listening(a);
    const before = openListenerCount();
    const second = joinListener(settings({ port }), b, { engineId: OUR_ENGINE, engineBoots: 1 });
    assert.ok(second.ok);
    assert.equal(openListenerCount(), before, 'no second socket');
    assert.deepEqual(b.statuses.map((s) => s.state), ['listening'], 'a joiner hears the current status');
    const conflicting = joinListener(settings({ port, rcvbuf: 65536, allow: new AllowList('10.0.0.0/8') }), new Collector({ communities: [], users: [] }), { engineId: OUR_ENGINE, engineBoots: 1 });
    assert.deepEqual(conflicting.ok ? [] : conflicting.conflict, ['rcvbuf', 'allow']);
    await sender.send(packet('v2c-trap'), port);
    await waitFor(() => a.notifications.length === 1 && b.notifications.length === 1, 'both subscribers');
    await leave();
    assert.ok(!(await canBind(port)), 'still open for the second node');
    await second.leave();
    assert.ok(await canBind(port), 'the port is free at once');
    assert.equal(openListenerCount(), before - 1);
  });

  it('reports EADDRINUSE and EACCES as a failed status, without throwing', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve()));
    const port = blocker.address().port;
    try {
      const c = new Collector({ communities: ['public'], users: [] });
      const joined = joinListener(settings({ port }), c, { engineId: OUR_ENGINE, engineBoots: 1 });
      assert.ok(joined.ok);
      await waitFor(() => c.statuses.some((s) => s.state === 'failed'), 'the bind failure');
      const failed = c.statuses.find((s) => s.state === 'failed') as { code: string };
      assert.equal(failed.code, 'EADDRINUSE');
      await joined.leave();
    } finally {
      blocker.close();
    }

    // an unprivileged bind of 162 (we may run as root, so the socket is a stand-in)
    const fake = Object.assign(new EventEmitter(), {
      bind() { process.nextTick(() => fake.emit('error', Object.assign(new Error('bind EACCES 0.0.0.0:162'), { code: 'EACCES' }))); },
      close() { /* nothing bound */ },
    });
    const l = new TrapListener(settings({ address: '', port: 162 }), { engineId: OUR_ENGINE, engineBoots: 1, createSocket: () => fake as unknown as dgram.Socket });
    const c = new Collector({ communities: [], users: [] });
    l.subscribe(c);
    l.start();
    await waitFor(() => l.status.state === 'failed', 'EACCES');
    assert.equal((l.status as { code: string }).code, 'EACCES');
    await l.close();
  });

  it('on :: hears IPv4 senders too and sees them as IPv4 (dual stack)', async () => {
    const c = new Collector({ communities: ['public'], users: [] });
    // free for IPv4 too: a port free on ::1 only may be taken on 127.0.0.1
    const port = await freePort('udp6', '::');
    const joined = joinListener(settings({ address: '::', port, allow: new AllowList('127.0.0.0/8') }), c, { engineId: OUR_ENGINE, engineBoots: 1 });
    assert.ok(joined.ok);
    try {
      await waitFor(() => joined.listener.status.state === 'listening', 'listening');
      await sender.send(packet('v2c-trap'), port, '127.0.0.1');
      await waitFor(() => c.notifications.length === 1, 'the IPv4 trap');
      assert.equal(c.notifications[0].source.address, '127.0.0.1');
      assert.equal(c.rejections.length, 0, 'the IPv4 allow-list entry matched');
    } finally {
      await joined.leave();
    }
  });

  it('listens on IPv6 loopback', async () => {
    const c = new Collector({ communities: ['public'], users: [] });
    const port = await freePort('udp6');
    const joined = joinListener(settings({ address: '::1', port }), c, { engineId: OUR_ENGINE, engineBoots: 1 });
    assert.ok(joined.ok);
    await waitFor(() => joined.listener.status.state === 'listening', 'listening');
    const s6 = new Sender('udp6');
    try {
      await s6.send(packet('v2c-trap'), port, '::1');
      await waitFor(() => c.notifications.length === 1, 'the trap over IPv6');
      assert.equal(c.notifications[0].source.address, '::1');
    } finally {
      s6.close();
      await joined.leave();
    }
  });
});
