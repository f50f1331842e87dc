import { strict as assert } from 'assert';
import fc from 'fast-check';
import { compareOids, isNumericOid, isUnder, normalizeOid, suffixUnder, unsendableOid } from '../../../src/lib/common/oid';

// net-snmp's own BER writer and reader
const { Ber } = require('asn1-ber');

const arcs = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 });

function refCompare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return Math.sign(a.length - b.length);
}

describe('oid', () => {
  it('compares OIDs arc by arc, as RFC 3416 orders them (property)', () => {
    fc.assert(fc.property(arcs, arcs, (a, b) => {
      assert.equal(Math.sign(compareOids(a.join('.'), b.join('.'))), refCompare(a, b));
    }), { numRuns: 2000 });
  });

  it('orders numerically, not as text', () => {
    assert.ok(compareOids('1.3.6.1.2', '1.3.6.1.10') < 0);
    assert.ok(compareOids('1.3.6.1.2.1', '1.3.6.1.2') > 0);
    assert.equal(compareOids('1.3.6', '1.3.6'), 0);
  });

  it('tells subtree membership without matching sibling prefixes', () => {
    assert.ok(isUnder('1.3.6.1.2.1.2.2.1.2.3', '1.3.6.1.2.1.2.2'));
    assert.ok(!isUnder('1.3.6.1.2.1.2.20', '1.3.6.1.2.1.2.2'));
    assert.ok(!isUnder('1.3.6.1.2.1.2.2', '1.3.6.1.2.1.2.2'));
    assert.equal(suffixUnder('1.3.6.1.2.1.2.2.1.2.3', '1.3.6.1.2.1.2.2.1.2'), '3');
    assert.equal(suffixUnder('1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.2'), '');
    assert.equal(suffixUnder('1.3.6.2', '1.3.6.1'), undefined);
  });

  it('normalizes a leading dot and rejects non-OIDs and oversize arcs', () => {
    assert.equal(normalizeOid('.1.3.6.1'), '1.3.6.1');
    assert.ok(isNumericOid('.1.3.6'));
    assert.ok(!isNumericOid('1.3.x'));
    assert.throws(() => normalizeOid('1.3.4294967296'), /out of range/);
    assert.throws(() => normalizeOid('sysDescr'), /not a numeric OID/);
  });

  it('refuses exactly the OIDs net-snmp would not carry unchanged, saying why', () => {
    assert.match(unsendableOid('1') ?? '', /one arc/);
    assert.match(unsendableOid('7.1.2') ?? '', /first arc is 0, 1 or 2/);
    assert.match(unsendableOid('1.50.1') ?? '', /second arc must be below 40/);
    assert.match(unsendableOid('2.40.1') ?? '', /second arc must be below 40/);
    for (const ok of ['1.3.6.1.2.1.1.3.0', '0.0', '2.39.1', '1.39.4294967295']) assert.equal(unsendableOid(ok), undefined, ok);
    // the differential: every OID it accepts, net-snmp writes as that OID to an agent reading
    // X.690 (the first byte v is 0.v below 40, 1.(v-40) below 80, else 2.(v-80)) and reads
    // back from those bytes as it went in; every OID it refuses fails one of the two, or
    // cannot be written at all
    const carried = (oid: string): boolean => {
      try {
        const w = new Ber.Writer();
        w.writeOID(oid);
        const back: string = new Ber.Reader(w.buffer).readOID();
        const arcs = back.split('.').map(Number);
        const v = arcs[0] * 40 + arcs[1];
        const agent = [...(v < 40 ? [0, v] : v < 80 ? [1, v - 40] : [2, v - 80]), ...arcs.slice(2)].join('.');
        return back === oid && agent === oid;
      } catch {
        return false;
      }
    };
    const small = fc.integer({ min: 0, max: 200 });
    fc.assert(fc.property(fc.array(fc.oneof(small, fc.integer({ min: 0, max: 0xffffffff })), { minLength: 1, maxLength: 8 }), small, (rest, first) => {
      const oid = [first % 4, ...rest].join('.');
      assert.equal(unsendableOid(oid) === undefined, carried(oid), oid);
    }), { numRuns: 3000 });
  });
});
