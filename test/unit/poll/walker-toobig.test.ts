/**
 * An agent with a small message size: a v1 GETNEXT of many columns answers tooBig,
 * which fewer repetitions cannot cure. The walker splits the columns into groups and
 * walks them one after the other, ending with every value.
 */
import { strict as assert } from 'assert';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { FleetEngine } from '../../../src/lib/poll/fleet-engine';
import { resolveOids } from '../../../src/lib/poll/targets';
import { pollWalk } from '../../../src/lib/poll/device-poll';
import { getMibService } from '../../../src/lib/mib';
import { startFleet, type Fleet } from '../../../src/sim/fleet';

describe('walker against a small agent buffer (tooBig)', function () {
  this.timeout(30000);
  let fleet: Fleet;
  before(async () => { fleet = await startFleet({ count: 1, interfaces: 4, maxMessageSize: 484 }); });
  after(async () => { if (fleet) await fleet.close(); });

  for (const version of ['1', '2c'] as const) {
    it(`walks ifTable + ifXTable column by column groups with SNMPv${version}`, async () => {
      const mib = getMibService();
      const roots = resolveOids(['ifTable', 'ifXTable'], mib).flatMap((oid) => mib.tableColumns(oid));
      const profile = buildProfile({ version, timeout: 1000, retries: 0 }, { community: 'public' });
      const engine = new FleetEngine(profile);
      try {
        const d = fleet.devices[0];
        const r = await pollWalk({ pool: engine.pool, profile, mib }, { host: d.host, port: d.port, name: d.name, labels: {} }, roots, { nonRepeaters: 0, maxRepetitions: 25, maxVarbinds: 100000 });
        assert.ok(r.ok, !r.ok ? `${r.failure.code}: ${r.failure.message}` : '');
        if (!r.ok) return;
        // v1 has no Counter64 columns (RFC 3584): 22 ifTable + 11 ifXTable columns; v2c all 41
        const columns = version === '1' ? 33 : 41;
        assert.equal(r.varbinds.length, columns * 4);
        const oids = r.varbinds.map((vb) => vb.oid);
        assert.equal(new Set(oids).size, oids.length, 'no OID twice');
      } finally {
        engine.close();
      }
    });
  }
});
