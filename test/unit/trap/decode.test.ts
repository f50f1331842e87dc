import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { BerReader, encodeInteger, encodeOid, MalformedPacket, Tag, tlv } from '../../../src/lib/common/ber';
import { readCommunityMessage, readPdu, readScopedPdu, readV3Message, readVersion } from '../../../src/lib/trap/message';
import { OidNames } from '../../../src/lib/trap/oid-names';
import { buildNotification, parseFilter, rejectionPayload, trapMessage, TrapFilter, v1Parameters, v1TrapOid } from '../../../src/lib/trap/notification';
import type { MibLookup, OidInfo } from '../../../src/lib/common/types';
import { packet } from '../../fixtures/packets/tools';

function communityPdu(hex: Buffer, mib?: MibLookup, options: { maxVarbinds?: number } = {}) {
  const { version, body } = readVersion(hex);
  const msg = readCommunityMessage(version as 0 | 1, body);
  return { version, community: msg.community.toString(), pdu: readPdu(msg.pduReader, { ...options, names: new OidNames(() => mib) }) };
}

const env = { version: '2c' as const, source: { address: '127.0.0.1', port: 40000 }, time: 1_700_000_000_000 };

/** A MIB that knows a handful of objects, enough to check naming. */
const tinyMib: MibLookup = {
  describe(oid: string): OidInfo | undefined {
    const known: Record<string, [string, string, Record<number, string>?]> = {
      '1.3.6.1.6.3.1.1.5.3': ['IF-MIB', 'linkDown'],
      '1.3.6.1.6.3.1.1.5.4': ['IF-MIB', 'linkUp'],
      '1.3.6.1.2.1.1.3': ['SNMPv2-MIB', 'sysUpTime'],
      '1.3.6.1.6.3.1.1.4.1': ['SNMPv2-MIB', 'snmpTrapOID'],
      '1.3.6.1.2.1.2.2.1.1': ['IF-MIB', 'ifIndex'],
      '1.3.6.1.2.1.2.2.1.2': ['IF-MIB', 'ifDescr'],
      '1.3.6.1.2.1.2.2.1.8': ['IF-MIB', 'ifOperStatus', { 1: 'up', 2: 'down' }],
    };
    for (let cut = oid.length; cut > 0; cut = oid.lastIndexOf('.', cut - 1)) {
      const prefix = oid.slice(0, cut);
      const k = known[prefix];
      if (k) return { oid: prefix, module: k[0], name: k[1], instance: oid.slice(cut + 1), enums: k[2] };
      if (cut <= 0) break;
    }
    return undefined;
  },
  resolve(name: string): string {
    const names: Record<string, string> = { 'IF-MIB::linkDown': '1.3.6.1.6.3.1.1.5.3', linkUp: '1.3.6.1.6.3.1.1.5.4' };
    if (names[name]) return names[name];
    throw new Error(`unknown name ${name}`);
  },
};

describe('trap BER reader', () => {
  it('reads integers of 1 to 6 octets with their sign', () => {
    for (const n of [0, 1, -1, 127, 128, -128, -129, 65535, 2147483647, -2147483648, 4294967295, 2 ** 40]) {
      const r = new BerReader(encodeInteger(n));
      assert.equal(r.integer(), n);
      assert.ok(r.atEnd());
    }
  });

  it('reads OIDs, including large arcs and the packed first octet', () => {
    for (const oid of ['1.3.6.1.2.1.1.3.0', '0.0', '2.999.1', '1.3.6.1.4.1.4294967295.7']) {
      assert.equal(new BerReader(encodeOid(oid)).oid(), oid);
    }
  });

  it('rejects indefinite and oversized lengths, long tags, and arcs past 2^32-1', () => {
    const header = (hex: string) => () => new BerReader(Buffer.from(hex, 'hex')).header();
    assert.throws(header('3080'), /indefinite/);
    assert.throws(header('308500000000'), /length field too long/);
    assert.throws(header('0482ffff00'), /beyond/);
    assert.throws(header('1f0100'), /multi-octet/);
    assert.throws(header('30'), /truncated/);
    assert.equal(new BerReader(Buffer.from('06062b8fffffff7f', 'hex')).oid(), '1.3.4294967295');
    assert.throws(() => new BerReader(Buffer.from('06062b9080808000', 'hex')).oid(), /arc out of range/);
    assert.throws(() => new BerReader(Buffer.from('0603 2b8180'.replace(' ', ''), 'hex')).oid(), /truncated sub-identifier/);
    assert.throws(() => new BerReader(Buffer.from('020700000000000001', 'hex')).integer(), /7-octet/);
  });

  it('never reads past the enclosing value', () => {
    // a sequence of 3 octets whose integer claims 5
    const r = new BerReader(Buffer.from('300302050102030405', 'hex'));
    const seq = r.sequence();
    assert.throws(() => seq.integer(), MalformedPacket);
  });

  it('throws nothing but MalformedPacket on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        const { version, body } = readVersion(Buffer.from(bytes));
        if (version === 3) readV3Message(body);
        else readPdu(readCommunityMessage(version as 0 | 1, body).pduReader);
      } catch (err) {
        if (!(err instanceof MalformedPacket)) throw err;
      }
    }), { numRuns: 3000 });
  });
});

describe('trap message decoding (packets from Debian snmptrap)', () => {
  it('decodes a v1 generic trap', () => {
    const { version, community, pdu } = communityPdu(packet('v1-generic'));
    assert.equal(version, 0);
    assert.equal(community, 'public');
    assert.equal(pdu.type, Tag.TrapV1);
    assert.equal(pdu.enterprise, '1.3.6.1.4.1.8072.2.3.1');
    assert.equal(pdu.agentAddress, '10.1.2.3');
    assert.equal(pdu.generic, 2);
    assert.equal(pdu.timestamp, 12345);
    assert.deepEqual(pdu.varbinds.map((v) => [v.oid, v.type, v.value]), [['1.3.6.1.2.1.2.2.1.1.3', 2, 3]]);
  });

  it('refuses an enterprise-specific v1 trap with a negative specific-trap (no OID arc), and takes one in a generic trap', () => {
    const v1 = (generic: number, specific: number) => tlv(Tag.Sequence,
      encodeInteger(0), tlv(Tag.OctetString, Buffer.from('public')),
      tlv(Tag.TrapV1, encodeOid('1.3.6.1.4.1.99999'), tlv(Tag.IpAddress, Buffer.from([10, 0, 0, 1])),
        encodeInteger(generic), encodeInteger(specific), encodeInteger(1, Tag.TimeTicks), tlv(Tag.Sequence)));
    assert.throws(() => communityPdu(v1(6, -1)), (err: unknown) => err instanceof MalformedPacket && /specific-trap -1 is negative/.test(err.message));
    assert.equal(communityPdu(v1(6, 5)).pdu.specific, 5);
    assert.equal(communityPdu(v1(2, -1)).pdu.generic, 2, 'a generic trap ignores its specific-trap (RFC 3584 §3.1)');
  });

  it('decodes a v2c trap and an inform with their varbinds', () => {
    for (const name of ['v2c-trap', 'v2c-inform']) {
      const { version, pdu } = communityPdu(packet(name));
      assert.equal(version, 1);
      assert.equal(pdu.type, name === 'v2c-trap' ? Tag.TrapV2 : Tag.InformRequest);
      assert.deepEqual(pdu.varbinds.map((v) => v.oid), [
        '1.3.6.1.2.1.1.3.0', '1.3.6.1.6.3.1.1.4.1.0', '1.3.6.1.2.1.2.2.1.1.3', '1.3.6.1.2.1.2.2.1.2.3', '1.3.6.1.2.1.2.2.1.8.3',
      ]);
      assert.equal(pdu.varbinds[1].value, '1.3.6.1.6.3.1.1.5.3');
      assert.equal(Buffer.isBuffer(pdu.varbinds[3].value) && pdu.varbinds[3].value.toString(), 'eth3');
    }
  });

  it('reads the v3 frame of an authPriv trap and finds the digest where the wire has it', () => {
    const buf = packet('v3-alice-sha256-aes');
    const { version, body } = readVersion(buf);
    assert.equal(version, 3);
    const m = readV3Message(body);
    assert.equal(m.userName.toString(), 'alice');
    assert.equal(m.engineId.toString('hex'), '80001f8880e9630000d61ff449');
    assert.equal(m.flags & 3, 3);
    assert.equal(m.authParams.length, 24);
    assert.ok(m.encrypted);
    assert.ok(buf.subarray(m.authParamsOffset, m.authParamsOffset + 24).equals(m.authParams));
  });

  it('reads the plaintext ScopedPDU of an authNoPriv trap', () => {
    const { body } = readVersion(packet('v3-carol-sha-noPriv'));
    const m = readV3Message(body);
    assert.equal(m.encrypted, false);
    const scoped = readScopedPdu(m.data);
    assert.equal(scoped.pduType, Tag.TrapV2);
    assert.equal(readPdu(scoped.pduReader).varbinds.length, 5);
  });

  it('treats the issue\'s 45-byte inform (5-octet request-id, no snmpTrapOID.0) as malformed', () => {
    assert.throws(() => communityPdu(packet('issue-45-byte-inform')), MalformedPacket);
  });

  it('rejects a v2 notification without snmpTrapOID.0 and an IpAddress of 5 octets', () => {
    const vb = (oid: string, value: Buffer) => tlv(Tag.Sequence, encodeOid(oid), value);
    const pdu = (varbinds: Buffer[]) => tlv(Tag.Sequence, encodeInteger(1), tlv(Tag.OctetString, Buffer.from('public')),
      tlv(Tag.TrapV2, encodeInteger(7), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, ...varbinds)));
    const upTime = vb('1.3.6.1.2.1.1.3.0', tlv(Tag.TimeTicks, Buffer.from([1])));
    const trapOid = vb('1.3.6.1.6.3.1.1.4.1.0', encodeOid('1.3.6.1.6.3.1.1.5.1'));
    assert.doesNotThrow(() => communityPdu(pdu([upTime, trapOid])));
    assert.throws(() => communityPdu(pdu([upTime])), /snmpTrapOID/);
    assert.throws(() => communityPdu(pdu([upTime, trapOid, vb('1.3.6.1.2.1.4.20.1.1.1', tlv(Tag.IpAddress, Buffer.alloc(5)))])), /IpAddress/);
  });

  it('reads unsigned counters sent without their leading zero octet', () => {
    const r = new BerReader(tlv(Tag.Counter32, Buffer.from('ffffffff', 'hex')));
    r.header();
    assert.equal(r.unsignedValue('c'), 4294967295);
  });
});

/** A v2c message of `varbinds` (encoded varbind TLVs) after sysUpTime.0 and snmpTrapOID.0 = linkDown. */
function v2cTrap(varbinds: Buffer[], options: { trapOidAt?: number } = {}): Buffer {
  const vb = (oid: string, value: Buffer) => tlv(Tag.Sequence, encodeOid(oid), value);
  const list = [vb('1.3.6.1.2.1.1.3.0', encodeInteger(4200, Tag.TimeTicks)), ...varbinds];
  list.splice(options.trapOidAt ?? 1, 0, vb('1.3.6.1.6.3.1.1.4.1.0', encodeOid('1.3.6.1.6.3.1.1.5.3')));
  return tlv(Tag.Sequence, encodeInteger(1), tlv(Tag.OctetString, Buffer.from('public')),
    tlv(Tag.TrapV2, encodeInteger(7), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, ...list)));
}

/** The largest trap a UDP datagram carries: about 3,400 Integer varbinds in 64 KiB. */
function maximumSizeTrap(): Buffer {
  const varbinds: Buffer[] = [];
  // the header octets around the list are under 100
  for (let i = 1, size = 0; ; i++) {
    const next = tlv(Tag.Sequence, encodeOid(`1.3.6.1.2.1.2.2.1.8.${i}`), encodeInteger(2));
    if (size + next.length > 65_400) break;
    varbinds.push(next);
    size += next.length;
  }
  const trap = v2cTrap(varbinds);
  assert.ok(trap.length <= 65_507, 'fits one UDP datagram');
  return trap;
}

describe('trap varbind cap (issue 14 defect 2)', () => {
  it('decodes at most maxVarbinds of a 64 KiB trap, counts the rest and flags the notification', () => {
    const big = maximumSizeTrap();
    assert.ok(big.length > 60_000);
    const all = communityPdu(big).pdu;
    assert.ok(all.varbinds.length > 3000, `${all.varbinds.length} varbinds`);
    const { pdu } = communityPdu(big, tinyMib, { maxVarbinds: 256 });
    assert.equal(pdu.varbinds.length, 256);
    assert.equal(pdu.droppedVarbinds, all.varbinds.length - 256);
    const n = buildNotification(pdu, env, tinyMib);
    assert.equal(n.name, 'IF-MIB::linkDown');
    assert.equal(n.droppedVarbinds, all.varbinds.length - 256);
    const msg = trapMessage(n, { host: 'h', port: 1, name: 'h', labels: {} });
    assert.equal(msg.trap.truncated, true);
    assert.equal(msg.trap.droppedVarbinds, all.varbinds.length - 256);
    assert.equal(Object.keys(msg.payload).length, 254, 'sysUpTime.0 and snmpTrapOID.0 are not payload');
    // an inform is still acknowledged with every varbind it carried
    assert.equal(pdu.varbindListBytes.length, all.varbindListBytes.length);
  });

  it('still finds snmpTrapOID.0 and sysUpTime.0 past the cap, and leaves a trap within it alone', () => {
    const filler = Array.from({ length: 20 }, (_, i) => tlv(Tag.Sequence, encodeOid(`1.3.6.1.2.1.2.2.1.1.${i + 1}`), encodeInteger(i + 1)));
    const late = communityPdu(v2cTrap(filler, { trapOidAt: 15 }), tinyMib, { maxVarbinds: 5 }).pdu;
    assert.equal(late.varbinds.length, 6, 'five, then snmpTrapOID.0');
    assert.equal(late.droppedVarbinds, 22 - 6);
    assert.equal(buildNotification(late, env, tinyMib).oid, '1.3.6.1.6.3.1.1.5.3');
    const small = communityPdu(packet('v2c-trap'), tinyMib, { maxVarbinds: 5 }).pdu;
    assert.equal(small.droppedVarbinds, 0);
    assert.equal(buildNotification(small, env, tinyMib).droppedVarbinds, undefined);
    assert.equal(trapMessage(buildNotification(small, env, tinyMib), { host: 'h', port: 1, name: 'h', labels: {} }).trap.truncated, undefined);
  });

  it('still rejects a malformed varbind past the cap', () => {
    // the varbinds stepped over must still be well-formed TLVs
    const bad = v2cTrap([tlv(Tag.Sequence, encodeOid('1.3.6.1.2.1.1.5.0'), encodeInteger(1)), Buffer.from('3005060100', 'hex')]);
    assert.throws(() => communityPdu(bad, undefined, { maxVarbinds: 1 }), MalformedPacket);
  });
});

describe('trap varbind values (round trip, property)', () => {
  /** Every value type a notification carries, with what the decoder must return. */
  const value = fc.oneof(
    fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => ({ wire: encodeInteger(n), type: Tag.Integer, value: n as unknown })),
    fc.integer({ min: 0, max: 0xffffffff }).chain((n) => fc.constantFrom(Tag.Counter32, Tag.Gauge32, Tag.TimeTicks)
      .map((t) => ({ wire: encodeInteger(n, t), type: t, value: n as unknown }))),
    fc.uint8Array({ maxLength: 40 }).chain((b) => fc.constantFrom(Tag.OctetString, Tag.Opaque)
      .map((t) => ({ wire: tlv(t, Buffer.from(b)), type: t, value: Buffer.from(b) as unknown }))),
    fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 12 })
      .map((arcs) => `1.3.${arcs.join('.')}`).map((o) => ({ wire: encodeOid(o), type: Tag.Oid, value: o as unknown })),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
      .map((a) => ({ wire: tlv(Tag.IpAddress, Buffer.from(a)), type: Tag.IpAddress, value: a.join('.') as unknown })),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => {
      const hex = n.toString(16).padStart(16, '0');
      // the minimal two's complement form an agent sends, leading 00 when the top bit is set
      let bytes = Buffer.from(hex, 'hex');
      while (bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) bytes = bytes.subarray(1);
      if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
      let expected = bytes;
      while (expected.length > 1 && expected[0] === 0) expected = expected.subarray(1);
      return { wire: tlv(Tag.Counter64, bytes), type: Tag.Counter64, value: Buffer.from(expected) as unknown };
    }),
    fc.constantFrom(Tag.Null, Tag.NoSuchObject, Tag.NoSuchInstance, Tag.EndOfMibView)
      .map((t) => ({ wire: tlv(t, Buffer.alloc(0)), type: t, value: null as unknown })),
  );

  it('decodes every value type as encoded, with the OID names of its cache', () => {
    const names = new OidNames(() => tinyMib, 64);
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), value), { maxLength: 30 }), (vbs) => {
      const wire = vbs.map(([i, v]) => tlv(Tag.Sequence, encodeOid(`1.3.6.1.2.1.2.2.1.8.${i}`), v.wire));
      const { body } = readVersion(v2cTrap(wire));
      const pdu = readPdu(readCommunityMessage(1, body).pduReader, { names });
      const got = pdu.varbinds.slice(2);
      assert.equal(got.length, vbs.length);
      vbs.forEach(([i, v], k) => {
        assert.equal(got[k].oid, `1.3.6.1.2.1.2.2.1.8.${i}`);
        assert.equal(got[k].named.name, `IF-MIB::ifOperStatus.${i}`);
        assert.equal(got[k].named.key, `ifOperStatus.${i}`);
        assert.equal(got[k].type, v.type);
        assert.deepEqual(got[k].value, v.value);
      });
      // and the codec turns each into JSON-safe values
      JSON.stringify(buildNotification(pdu, env, tinyMib));
    }), { numRuns: 400 });
    assert.ok(names.size <= 64, 'the cache stays within its bound');
  });
});

describe('trap OID name cache', () => {
  it('names an OID once per minute, by its octets, and forgets at its bound', () => {
    let now = 0;
    let described = 0;
    const counting: MibLookup = { ...tinyMib, describe: (oid) => { described++; return tinyMib.describe(oid); } };
    const names = new OidNames(() => counting, 3, () => now);
    names.expire(now);
    const read = (oid: string) => {
      const r = new BerReader(encodeOid(oid));
      r.header();
      return names.read(r, 'oid');
    };
    const a = read('1.3.6.1.2.1.2.2.1.8.3');
    assert.deepEqual({ oid: a.oid, name: a.name, key: a.key }, { oid: '1.3.6.1.2.1.2.2.1.8.3', name: 'IF-MIB::ifOperStatus.3', key: 'ifOperStatus.3' });
    assert.equal(read('1.3.6.1.2.1.2.2.1.8.3').name, a.name);
    assert.equal(described, 1, 'the second read is a hit');
    read('1.3.6.1.2.1.2.2.1.8.4');
    read('1.3.6.1.2.1.2.2.1.8.5');
    assert.equal(names.size, 3);
    read('1.3.6.1.2.1.2.2.1.8.6');
    assert.equal(names.size, 1, 'full: emptied rather than grown');
    read('1.3.6.1.2.1.2.2.1.8.6');
    assert.equal(described, 4);
    now += 61_000;
    names.expire(now);
    read('1.3.6.1.2.1.2.2.1.8.6');
    assert.equal(described, 5, 'named again after the minute');
  });
});

describe('trap notifications', () => {
  it('maps v1 traps to SNMPv2 trap OIDs (RFC 3584 §3.1) and back (§3.2)', () => {
    assert.equal(v1TrapOid('1.3.6.1.4.1.9', 0, 0), '1.3.6.1.6.3.1.1.5.1');
    assert.equal(v1TrapOid('1.3.6.1.4.1.9', 5, 0), '1.3.6.1.6.3.1.1.5.6');
    assert.equal(v1TrapOid('1.3.6.1.4.1.9.9.41.2', 6, 1), '1.3.6.1.4.1.9.9.41.2.0.1');
    assert.deepEqual(v1Parameters('1.3.6.1.6.3.1.1.5.3', undefined), { enterprise: '1.3.6.1.6.3.1.1.5', generic: 2, specific: 0 });
    assert.deepEqual(v1Parameters('1.3.6.1.6.3.1.1.5.3', '1.3.6.1.4.1.9'), { enterprise: '1.3.6.1.4.1.9', generic: 2, specific: 0 });
    assert.deepEqual(v1Parameters('1.3.6.1.4.1.9.9.41.2.0.1', undefined), { enterprise: '1.3.6.1.4.1.9.9.41.2', generic: 6, specific: 1 });
    assert.deepEqual(v1Parameters('1.3.6.1.4.1.8072.4.0.7', undefined), { enterprise: '1.3.6.1.4.1.8072.4', generic: 6, specific: 7 });
  });

  it('v1 and v2c linkDown get the same OID and name, so one filter serves both', () => {
    const v1 = buildNotification(communityPdu(packet('v1-generic'), tinyMib).pdu, { ...env, version: '1' }, tinyMib);
    const v2 = buildNotification(communityPdu(packet('v2c-trap'), tinyMib).pdu, env, tinyMib);
    assert.equal(v1.oid, '1.3.6.1.6.3.1.1.5.3');
    assert.equal(v2.oid, v1.oid);
    assert.equal(v1.name, 'IF-MIB::linkDown');
    assert.equal(v2.name, 'IF-MIB::linkDown');
    assert.equal(v1.pdu, 'trapv1');
    assert.equal(v1.agentAddress, '10.1.2.3');
    assert.equal(v1.uptime, 12345);
    assert.equal(v2.uptime, 12345);
    assert.equal(v2.generic, 2);
  });

  it('builds the message of DESIGN.md: payload by short name without sysUpTime/snmpTrapOID', () => {
    const n = buildNotification(communityPdu(packet('v2c-trap'), tinyMib).pdu, env, tinyMib);
    const device = { host: '127.0.0.1', port: 40000, name: 'core-1', labels: { site: 'lab' } };
    const msg = trapMessage(n, device);
    assert.equal(msg.topic, 'IF-MIB::linkDown');
    assert.deepEqual(msg.payload, { 'ifIndex.3': 3, 'ifDescr.3': 'eth3', 'ifOperStatus.3': 2 });
    assert.equal(msg.varbinds.length, 5);
    assert.deepEqual(msg.varbinds[4], { oid: '1.3.6.1.2.1.2.2.1.8.3', name: 'IF-MIB::ifOperStatus.3', type: 'Integer', value: 2, enum: 'down' });
    assert.deepEqual(msg.trap, {
      version: '2c', pdu: 'trap', oid: '1.3.6.1.6.3.1.1.5.3', enterprise: '1.3.6.1.6.3.1.1.5', generic: 2, specific: 0, uptime: 12345, time: env.time,
    });
    assert.deepEqual(msg.device, device);
    assert.notEqual(msg.device.labels, device.labels, 'labels are copied');
    // JSON-safe: no Buffer, no BigInt
    assert.deepEqual(JSON.parse(JSON.stringify(msg)), msg);
    // a second message of the same notification shares no object with the first
    const again = trapMessage(n, device);
    again.varbinds[2].value = 99;
    assert.equal(msg.varbinds[2].value, 3);
  });

  it('falls back to numeric names without a MIB', () => {
    const n = buildNotification(communityPdu(packet('v1-specific')).pdu, { ...env, version: '1' }, undefined);
    assert.equal(n.oid, '1.3.6.1.4.1.8072.2.3.1.0.17');
    assert.equal(n.name, n.oid);
    assert.equal(n.specific, 17);
    assert.deepEqual(trapMessage(n, { host: 'h', port: 1, name: 'h', labels: {} }).payload, { '1.3.6.1.2.1.1.5.0': 'core-1' });
  });

  it('filters by exact OID or subtree, from names or numbers', () => {
    const f = parseFilter('IF-MIB::linkDown\n.1.3.6.1.4.1.9  # cisco\nlinkUp', tinyMib);
    assert.deepEqual(f.oids, ['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.4.1.9', '1.3.6.1.6.3.1.1.5.4']);
    assert.ok(f.matches('1.3.6.1.6.3.1.1.5.3'));
    assert.ok(f.matches('1.3.6.1.4.1.9.9.41.2.0.1'));
    assert.ok(!f.matches('1.3.6.1.4.1.99'));
    assert.ok(!f.matches('1.3.6.1.6.3.1.1.5.33'));
    assert.ok(new TrapFilter([]).matches('1.2.3'));
    assert.throws(() => parseFilter('IF-MIB::noSuchTrap', tinyMib), /noSuchTrap/);
    assert.throws(() => parseFilter('linkDown', undefined), /numeric OID/);
  });

  it('rejection payloads carry the reason and never a community', () => {
    const p = rejectionPayload({ source: { address: '10.0.0.1', port: 5000 }, reason: 'unknown-community', version: '2c', time: 5 }, 3);
    assert.deepEqual(p, { from: '10.0.0.1', port: 5000, reason: 'unknown-community', version: '2c', suppressed: 3, time: 5 });
  });
});
