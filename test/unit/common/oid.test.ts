import { strict as assert } from 'assert';
import fc from 'fast-check';
import { compareOids, isNumericOid, isUnder, normalizeOid, suffixUnder } from '../../../src/lib/common/oid';

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
});
