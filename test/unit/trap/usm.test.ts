import { strict as assert } from 'assert';
import * as snmp from 'net-snmp';
import '../../../src/lib/snmp/des';
import { readPdu, readScopedPdu, readV3Message, readVersion } from '../../../src/lib/trap/message';
import { encodeV3Message, reportPdu, scopedPdu } from '../../../src/lib/trap/respond';
import { LocalEngine, localizeKey, passwordToKu, RemoteClocks, ReplayCache, UsmUser } from '../../../src/lib/trap/usm';
import type { AuthProtocol, PrivProtocol, V3User } from '../../../src/lib/common/types';
import { FIXTURE_USERS, packet } from '../../fixtures/packets/tools';

const ENGINE = Buffer.from('000000000000000000000002', 'hex');

function v3(name: string) {
  const buf = packet(name);
  return { buf, m: readV3Message(readVersion(buf).body) };
}

describe('trap USM keys', () => {
  it('matches the RFC 3414 A.3 test vectors', () => {
    assert.equal(passwordToKu('md5', 'maplesyrup').toString('hex'), '9faf3283884e92834ebc9847d8edd963');
    assert.equal(localizeKey('md5', passwordToKu('md5', 'maplesyrup'), ENGINE).toString('hex'), '526f5eed9fcce26f8964c2930787d82b');
    assert.equal(localizeKey('sha', passwordToKu('sha', 'maplesyrup'), ENGINE).toString('hex'), '6695febc9288e36282235fc7151f128497b38f3f');
  });

  it('localizes like net-snmp for every auth protocol', () => {
    for (const p of ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as AuthProtocol[]) {
      const ours = localizeKey(p, passwordToKu(p, 'a-test-password'), ENGINE);
      const theirs: Buffer = snmp.Authentication.passwordToKey(snmp.AuthProtocols[p], 'a-test-password', ENGINE);
      assert.equal(ours.toString('hex'), theirs.toString('hex'), p);
    }
  });

  it('extends AES-256 keys like net-snmp (Blumenthal and Reeder)', () => {
    for (const [priv, fn] of [['aes256b', 'generateLocalizedKeyBlumenthal'], ['aes256r', 'generateLocalizedKeyReeder']] as const) {
      for (const auth of ['md5', 'sha', 'sha256'] as AuthProtocol[]) {
        const user = new UsmUser({ name: 'u', level: 'authPriv', authProtocol: auth, authKey: 'auth-pass-1', privProtocol: priv, privKey: 'priv-pass-1' });
        const theirs: Buffer = snmp.Encryption[fn](snmp.Encryption.algorithms[snmp.PrivProtocols[priv]], snmp.AuthProtocols[auth], 'priv-pass-1', ENGINE);
        assert.equal(user.privKey(ENGINE).toString('hex'), theirs.toString('hex'), `${priv}/${auth}`);
      }
    }
  });
});

describe('trap USM messages (packets from Debian snmptrap)', () => {
  it('verifies the digests of SHA-256, MD5 and SHA-1 users and refuses a changed byte', () => {
    for (const [name, u] of [['v3-alice-sha256-aes', FIXTURE_USERS.alice], ['v3-bob-md5-des', FIXTURE_USERS.bob], ['v3-carol-sha-noPriv', FIXTURE_USERS.carol]] as const) {
      const { buf, m } = v3(name);
      const user = new UsmUser(u);
      assert.ok(user.isAuthentic(buf, m.authParams, m.authParamsOffset, m.engineId), name);
      const copy = Buffer.from(buf);
      copy[copy.length - 3] ^= 1;
      const m2 = readV3Message(readVersion(copy).body);
      assert.ok(!user.isAuthentic(copy, m2.authParams, m2.authParamsOffset, m2.engineId), `${name} tampered`);
      const wrongKey = new UsmUser({ ...u, authKey: 'not-the-key' });
      assert.ok(!wrongKey.isAuthentic(buf, m.authParams, m.authParamsOffset, m.engineId), `${name} wrong key`);
    }
  });

  it('decrypts AES-128 and DES (3DES-EDE K|K|K) scoped PDUs', () => {
    for (const [name, u] of [['v3-alice-sha256-aes', FIXTURE_USERS.alice], ['v3-bob-md5-des', FIXTURE_USERS.bob]] as const) {
      const { m } = v3(name);
      const plain = new UsmUser(u).decrypt(m.data, m.privParams, m.engineId, m.engineBoots, m.engineTime);
      const pdu = readPdu(readScopedPdu(plain).pduReader);
      assert.equal(pdu.varbinds[1].value, '1.3.6.1.6.3.1.1.5.3', name);
    }
  });

  it('encrypts so that net-snmp decrypts it, for every privacy protocol', () => {
    const engine = { engineID: ENGINE, engineBoots: 3, engineTime: 1234 };
    const scoped = scopedPdu(ENGINE, Buffer.alloc(0), reportPdu(42, 'unknownEngineIDs', 7));
    for (const priv of ['des', 'aes', 'aes256b', 'aes256r'] as PrivProtocol[]) {
      const u: V3User = { name: 'u', level: 'authPriv', authProtocol: 'sha', authKey: 'auth-pass-1', privProtocol: priv, privKey: 'priv-pass-1' };
      const user = new UsmUser(u);
      const { data, privParams } = user.encrypt(scoped, ENGINE, 3, 1234);
      const theirs: Buffer = snmp.Encryption.decryptPdu(snmp.PrivProtocols[priv], data, privParams, 'priv-pass-1', snmp.AuthProtocols.sha, engine);
      assert.ok(theirs.subarray(0, scoped.length).equals(scoped), priv);
      assert.ok(user.decrypt(data, privParams, ENGINE, 3, 1234).subarray(0, scoped.length).equals(scoped), `${priv} round trip`);
    }
  });

  it('encodes signed and encrypted v3 messages that verify and decrypt', () => {
    const user = new UsmUser(FIXTURE_USERS.alice);
    const engine = new LocalEngine(ENGINE, 5, () => 1_000_000);
    const scoped = scopedPdu(ENGINE, Buffer.from('ctx'), reportPdu(9, 'wrongDigests', 1));
    const out = encodeV3Message({ msgId: 77, flags: 3 | 4, engine, userName: user.nameBytes, user, scopedPdu: scoped });
    const m = readV3Message(readVersion(out).body);
    assert.equal(m.msgId, 77);
    assert.equal(m.flags, 3, 'a response is never reportable');
    assert.equal(m.engineBoots, 5);
    assert.ok(user.isAuthentic(out, m.authParams, m.authParamsOffset, m.engineId));
    const plain = user.decrypt(m.data, m.privParams, m.engineId, m.engineBoots, m.engineTime);
    assert.equal(readScopedPdu(plain).contextName.toString(), 'ctx');
  });
});

describe('trap USM timeliness', () => {
  it('our engine accepts its boots within 150 s of its time only', () => {
    let now = 1_000_000;
    const e = new LocalEngine(ENGINE, 4, () => now);
    now += 500_000;
    assert.equal(e.time, 500);
    assert.ok(e.isTimely(4, 500));
    assert.ok(e.isTimely(4, 350));
    assert.ok(e.isTimely(4, 650));
    assert.ok(!e.isTimely(4, 349));
    assert.ok(!e.isTimely(3, 500));
    assert.ok(!e.isTimely(5, 500));
  });

  it('remote clocks reject earlier boots and times older than the estimate by more than 150 s', () => {
    let now = 0;
    const c = new RemoteClocks(() => now);
    const e = Buffer.from('8000000001', 'hex');
    const u = Buffer.from('u');
    assert.ok(c.check(e, u, 2, 1000), 'first message from an engine');
    now += 100_000; // the sender's clock is now about 1100
    assert.ok(c.check(e, u, 2, 1000), 'a delayed message within the window');
    assert.ok(c.check(e, u, 2, 951));
    assert.ok(!c.check(e, u, 2, 949), 'older than 1100 - 150');
    assert.ok(!c.check(e, u, 1, 5000), 'an earlier boot');
    assert.ok(c.check(e, u, 3, 1), 'a reboot');
    assert.ok(!c.check(e, u, 2, 99999));
    assert.ok(c.check(Buffer.from('8000000002', 'hex'), u, 1, 1), 'clocks are per engine and user');
    assert.ok(c.check(e, Buffer.from('v'), 1, 1), 'clocks are per engine and user');
    // the key cannot be confused by where the engine ID ends and the user name begins
    assert.ok(c.check(Buffer.from('800000000175', 'hex'), Buffer.alloc(0), 1, 1), 'engine ...0175 + "" is not engine ...01 + "u"');
    assert.ok(!c.check(Buffer.from('8000000009', 'hex'), u, 0x7fffffff, 1), 'boots latched at 2^31-1');
  });

  it('the replay cache remembers digests for the window, then forgets', () => {
    let now = 0;
    const r = new ReplayCache(() => now, 160_000);
    assert.ok(!r.isReplay('a'));
    assert.ok(r.isReplay('a'));
    assert.ok(!r.isReplay('b'));
    now = 159_999;
    assert.ok(r.isReplay('a'));
    now = 160_001;
    assert.ok(!r.isReplay('a'), 'expired (the clock check covers older replays)');
    assert.equal(r.size, 1, 'expired entries are pruned');
  });
});
