/**
 * Rows of a walk over objects the loaded MIBs do not know (a vendor table, a column added
 * to a known table): each cell under its column's OID, one row per index, each column with
 * its own type; and a scalar's instance given as a walk root walks the scalar.
 */
import { strict as assert } from 'assert';
import { getMibService } from '../../../src/lib/mib';
import { buildRows } from '../../../src/lib/poll/messages';
import { expandWalkOids } from '../../../src/lib/poll/targets';
import type { PollSuccess } from '../../../src/lib/poll/device-poll';
import type { SmiType, Varbind } from '../../../src/lib/common/types';

const mib = getMibService();
const DEVICE = { host: '192.0.2.10', port: 161, name: 'core-1', labels: {} };

/** A walk result as device-poll returns it: each varbind described by the MIB service. */
function walk(cells: Array<[string, SmiType, Varbind['value']]>): PollSuccess {
  const varbinds: Varbind[] = cells.map(([oid, type, value]) => ({ oid, name: mib.qualifiedName(oid), type, value }));
  return { ok: true, device: DEVICE, varbinds, infos: varbinds.map((vb) => mib.describe(vb.oid)), nonRepeaterCount: 0, time: 1, elapsedMs: 1, requests: 1 };
}

describe('walk rows of objects the MIBs do not know', () => {
  it('gives a vendor table one row per index, its columns by OID, each with its own type', () => {
    const T = '1.3.6.1.4.1.55555.1.1';
    const cells: Array<[string, SmiType, Varbind['value']]> = [];
    for (const i of [1, 2, 3]) {
      cells.push([`${T}.1.${i}`, 'Integer', i], [`${T}.2.${i}`, 'OctetString', `port ${i}`], [`${T}.3.${i}`, 'Counter64', 1000 * i], [`${T}.4.${i}`, 'Counter32', 7 * i]);
    }
    const { rows, types } = buildRows(walk(cells), mib);
    assert.deepEqual(rows.map((r) => r.index), ['1', '2', '3']);
    assert.deepEqual(rows[1], { index: '2', [`${T}.1`]: 2, [`${T}.2`]: 'port 2', [`${T}.3`]: 2000, [`${T}.4`]: 14 });
    assert.deepEqual(types, { [`${T}.1`]: 'Integer', [`${T}.2`]: 'OctetString', [`${T}.3`]: 'Counter64', [`${T}.4`]: 'Counter32' });
  });

  it('names a column added to a known table by its OID beside the known columns', () => {
    const { rows, types } = buildRows(walk([
      ['1.3.6.1.2.1.2.2.1.2.1', 'OctetString', 'eth0'],
      ['1.3.6.1.2.1.2.2.1.99.1', 'Gauge32', 5],
    ]), mib);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].ifDescr, 'eth0');
    assert.equal(rows[0]['1.3.6.1.2.1.2.2.1.99'], 5);
    assert.equal(types['1.3.6.1.2.1.2.2.1.99'], 'Gauge32');
    assert.ok(!('ifEntry' in rows[0]), 'not under the row\'s name');
  });

  it('walks the scalar when a walk root is its instance (sysUpTime.0), and leaves non-repeaters and tables as they were', () => {
    assert.deepEqual(expandWalkOids(['1.3.6.1.2.1.1.3.0'], 0, mib), ['1.3.6.1.2.1.1.3']);
    assert.deepEqual(expandWalkOids(['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.3.0'], 1, mib), ['1.3.6.1.2.1.1.5', '1.3.6.1.2.1.1.3']);
    assert.deepEqual(expandWalkOids(['1.3.6.1.2.1.2.2.1.10.3'], 0, mib), ['1.3.6.1.2.1.2.2.1.10.3'], 'a column instance is a subtree like any other');
  });
});
