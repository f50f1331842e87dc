import { strict as assert } from 'assert';
import fc from 'fast-check';
import { bytesToBigInt, decodeVarbind, isWireOid, opaqueFloat, printableText, toHex, TypeTag, BadValueError } from '../../../src/lib/common/codec';
import type { OidInfo } from '../../../src/lib/common/types';
import { getMibService, MibService } from '../../../src/lib/mib';
import { bundledMibDir } from '../../../src/lib/mib/sources';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function u64Buffer(n: bigint): Buffer {
  // net-snmp hands Counter64 over as the raw BER content octets (maybe with a leading 0)
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const buf = Buffer.from(hex, 'hex');
  return buf[0] & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf;
}

describe('codec', () => {
  it('keeps every Counter64 exact in `exact` and approximately in `value` (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
      const vb = decodeVarbind({ oid: '1.3.6.1.2.1.31.1.1.1.6.1', type: TypeTag.Counter64, value: u64Buffer(n) }, undefined);
      assert.equal(vb.type, 'Counter64');
      assert.equal(vb.exact, n.toString());
      assert.equal(vb.value, Number(n));
      JSON.stringify(vb); // never a BigInt or Buffer
    }), { numRuns: 3000 });
  });

  it('rejects a Counter64 wider than 64 bits as a bad value', () => {
    const nine = Buffer.from('01ffffffffffffffff', 'hex');
    assert.throws(() => decodeVarbind({ oid: '1.3', type: TypeTag.Counter64, value: nine }, undefined), BadValueError);
  });

  it('renders printable octets as text and anything else as colon hex (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const vb = decodeVarbind({ oid: '1.3.6.1.2.1.2.2.1.6.1', type: TypeTag.OctetString, value: buf }, undefined);
      assert.equal(typeof vb.value, 'string');
      const text = printableText(buf);
      if (text === undefined) {
        assert.equal(vb.value, toHex(buf));
        // hex round-trips to the exact bytes
        const back = (vb.value as string) === '' ? Buffer.alloc(0) : Buffer.from((vb.value as string).split(':').join(''), 'hex');
        assert.deepEqual(back, buf);
      } else {
        assert.equal(vb.value, text);
        assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text));
      }
    }), { numRuns: 3000 });
  });

  it('shows a MAC address as hex and a name as text', () => {
    const mac = decodeVarbind({ oid: '1.3.6.1.2.1.2.2.1.6.1', type: TypeTag.OctetString, value: Buffer.from('001a2b3c4d5e', 'hex') }, undefined);
    assert.equal(mac.value, '00:1a:2b:3c:4d:5e');
    const name = decodeVarbind({ oid: '1.3.6.1.2.1.1.5.0', type: TypeTag.OctetString, value: Buffer.from('core-1\0') }, undefined);
    assert.equal(name.value, 'core-1');
    const utf8 = decodeVarbind({ oid: '1.3.6.1.2.1.1.6.0', type: TypeTag.OctetString, value: Buffer.from('Zürich') }, undefined);
    assert.equal(utf8.value, 'Zürich');
  });

  it('keeps the bytes of zeros and of NUL-padded non-text as hex; pads after visible text are dropped', () => {
    const value = (hex: string) => decodeVarbind({ oid: '1.3.6.1.4.1.5.9', type: TypeTag.OctetString, value: Buffer.from(hex, 'hex') }, undefined).value;
    assert.equal(value('000000000000'), '00:00:00:00:00:00', 'a zero MAC address');
    assert.equal(value('00'), '00');
    assert.equal(value('0a000000'), '0a:00:00:00', 'a line feed and zeros');
    assert.equal(value('20200000'), '20:20:00:00', 'spaces and zeros');
    assert.equal(value('6574683000'), 'eth0', 'a C string');
    assert.equal(value(''), '', 'empty is empty');
    assert.equal(value('0a'), '\n', 'a line feed alone, no padding, stays text');
  });

  it('reads a DisplayString that is not UTF-8 as Latin-1, losing no byte', () => {
    const info: OidInfo = { oid: '1.3.6.1.2.1.1.6', module: 'SNMPv2-MIB', name: 'sysLocation', instance: '0', syntax: 'DisplayString' };
    const text = (hex: string) => decodeVarbind({ oid: '1.3.6.1.2.1.1.6.0', type: TypeTag.OctetString, value: Buffer.from(hex, 'hex') }, info).value;
    assert.equal(text('5afc72696368'), 'Zürich', 'Latin-1 from an older agent');
    assert.equal(text('5ac3bc72696368'), 'Zürich', 'UTF-8');
    assert.equal(text('efbfbd41'), '\ufffdA', 'a U+FFFD the agent sent stays');
    assert.equal(text('fffe0041'), '\u00ff\u00fe\u0000A');
    assert.equal(text('6574683000000000'), 'eth0', 'NUL padding dropped');
  });

  it('renders an integer by its DISPLAY-HINT as display, as snmptrapd does ("d-1": 235 is 23.5)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hint-mib-'));
    try {
      fs.writeFileSync(path.join(dir, 'ACME-HINT-MIB.txt'), `ACME-HINT-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises, Integer32, Gauge32, OBJECT-TYPE FROM SNMPv2-SMI TEXTUAL-CONVENTION FROM SNMPv2-TC;
Tenths ::= TEXTUAL-CONVENTION DISPLAY-HINT "d-1" STATUS current DESCRIPTION "tenths" SYNTAX Integer32
Hundredths ::= TEXTUAL-CONVENTION DISPLAY-HINT "d-2" STATUS current DESCRIPTION "hundredths" SYNTAX Gauge32
acme OBJECT IDENTIFIER ::= { enterprises 99123 }
acmeTemp OBJECT-TYPE SYNTAX Tenths MAX-ACCESS read-only STATUS current DESCRIPTION "t" ::= { acme 1 }
acmeLoad OBJECT-TYPE SYNTAX Hundredths MAX-ACCESS read-only STATUS current DESCRIPTION "l" ::= { acme 2 }
acmeCount OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "c" ::= { acme 3 }
END
`);
      const mib = new MibService({ defaults: false, dirs: [bundledMibDir()!, dir] });
      const vb = (oid: string, type: number, value: number) => decodeVarbind({ oid, type, value }, mib.describe(oid), mib);
      assert.deepEqual({ ...vb('1.3.6.1.4.1.99123.1.0', TypeTag.Integer, 235) }, { oid: '1.3.6.1.4.1.99123.1.0', name: 'ACME-HINT-MIB::acmeTemp.0', type: 'Integer', value: 235, display: '23.5' });
      assert.equal(vb('1.3.6.1.4.1.99123.1.0', TypeTag.Integer, -5).display, '-0.5');
      assert.equal(vb('1.3.6.1.4.1.99123.2.0', TypeTag.Gauge32, 5).display, '0.05', 'a Gauge32 convention');
      assert.equal(vb('1.3.6.1.4.1.99123.3.0', TypeTag.Integer, 7).display, undefined, 'no hint, no display');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the float or double an Opaque wraps (net-snmp\'s encoding) as display, keeping the bytes as the value', () => {
    const vb = decodeVarbind({ oid: '1.3.6.1.4.1.2021.10.1.6.1', type: TypeTag.Opaque, value: Buffer.from('9f78043e19999a', 'hex') }, undefined);
    assert.deepEqual({ value: vb.value, display: vb.display, type: vb.type }, { value: '9f:78:04:3e:19:99:9a', display: '0.15', type: 'Opaque' });
    assert.equal(opaqueFloat(Buffer.from('9f780442f60000', 'hex')), '123');
    assert.equal(opaqueFloat(Buffer.from('9f7908400921fb54442d18', 'hex')), String(Math.PI));
    assert.equal(opaqueFloat(Buffer.from('9f78047fc00000', 'hex')), 'NaN');
    assert.equal(opaqueFloat(Buffer.from('9f78043e1999', 'hex')), undefined, 'cut short');
    assert.equal(opaqueFloat(Buffer.from('0102030405', 'hex')), undefined, 'other content');
    assert.equal(decodeVarbind({ oid: '1.3.6.1.4.1.9.1', type: TypeTag.Opaque, value: Buffer.from('0102', 'hex') }, undefined).display, undefined);
  });

  it('treats DisplayString as text even when it holds odd bytes', () => {
    const info: OidInfo = { oid: '1.3.6.1.2.1.2.2.1.2', module: 'IF-MIB', name: 'ifDescr', instance: '1', syntax: 'DisplayString' };
    const vb = decodeVarbind({ oid: '1.3.6.1.2.1.2.2.1.2.1', type: TypeTag.OctetString, value: Buffer.from([0x65, 0x74, 0x68, 0x01]) }, info);
    assert.equal(vb.value, 'eth\u0001');
    assert.equal(vb.name, 'IF-MIB::ifDescr.1');
  });

  it('keeps enumerations numeric with an enum label', () => {
    const info: OidInfo = { oid: '1.3.6.1.2.1.2.2.1.8', module: 'IF-MIB', name: 'ifOperStatus', instance: '3', enums: { 1: 'up', 2: 'down' } };
    const vb = decodeVarbind({ oid: '1.3.6.1.2.1.2.2.1.8.3', type: TypeTag.Integer, value: 2 }, info);
    assert.deepEqual({ value: vb.value, enum: vb.enum, type: vb.type }, { value: 2, enum: 'down', type: 'Integer' });
  });

  it('gives exceptions as null with their type', () => {
    for (const [tag, name] of [[TypeTag.NoSuchObject, 'NoSuchObject'], [TypeTag.NoSuchInstance, 'NoSuchInstance'], [TypeTag.EndOfMibView, 'EndOfMibView']] as const) {
      const vb = decodeVarbind({ oid: '1.3.6.1.2.1.1.99.0', type: tag, value: null }, undefined);
      assert.deepEqual({ type: vb.type, value: vb.value }, { type: name, value: null });
    }
  });

  it('checks 32-bit unsigned types and passes IpAddress and OIDs through', () => {
    assert.throws(() => decodeVarbind({ oid: '1.3', type: TypeTag.Counter32, value: -1 }, undefined), BadValueError);
    assert.throws(() => decodeVarbind({ oid: '1.3', type: TypeTag.Gauge32, value: 2 ** 32 }, undefined), BadValueError);
    assert.throws(() => decodeVarbind({ oid: '1.3', type: 99, value: 1 }, undefined), /unknown SMI type/);
    assert.equal(decodeVarbind({ oid: '1.3', type: TypeTag.TimeTicks, value: 4294967295 }, undefined).value, 4294967295);
    assert.equal(decodeVarbind({ oid: '1.3', type: TypeTag.IpAddress, value: '192.0.2.1' }, undefined).value, '192.0.2.1');
    assert.equal(decodeVarbind({ oid: '1.3', type: TypeTag.OID, value: '1.3.6.1.4.1.8072' }, undefined).value, '1.3.6.1.4.1.8072');
  });

  // found by the poll-response fuzz (issue 14): net-snmp reads an empty OID as "0.NaN"
  it('refuses a varbind whose OID net-snmp could not read, as a bad value', () => {
    for (const bad of ['0.NaN', '1.3.6.1e+21', '1', '', '1..3', '.1.3', '1.3.', '1.3.4294967296', '1.3.99999999999', ' 1.3']) {
      assert.equal(isWireOid(bad), false, bad);
      assert.throws(() => decodeVarbind({ oid: bad, type: TypeTag.Integer, value: 1 }, undefined), BadValueError, bad);
    }
    for (const good of ['0.0', '1.3.6.1.2.1.1.3.0', '1.3.4294967295', '2.999']) assert.equal(isWireOid(good), true, good);
    assert.equal(isWireOid(undefined), false);
  });

  it('never describes a malformed OID, so a described varbind needs no OID check', () => {
    const mib = getMibService();
    for (const bad of ['1.3.6.1.2.1.1.3.NaN', '1.3.6.1.2.1.1.3.0.', '1.3.6.1.2.1.1.3.4294967296', '1.3.6.1.2.1.1..3', '1.3.6.1.2.1.1.3.0x']) {
      assert.equal(mib.describe(bad), undefined, bad);
    }
  });

  it('converts big-endian bytes to BigInt', () => {
    assert.equal(bytesToBigInt(Buffer.from('00ffffffffffffffff', 'hex')), (1n << 64n) - 1n);
    assert.equal(bytesToBigInt(Buffer.alloc(0)), 0n);
  });
});
