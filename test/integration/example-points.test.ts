/**
 * The points the examples build for InfluxDB, from hostile inventories and devices, written
 * with the client the "influxdb batch" node uses into a real influxd: InfluxDB refuses an
 * empty tag value, a tag key "time", a line break or a trailing backslash in a tag, and one
 * refused point would otherwise be retried by the spool for ever. Every point-building
 * change node of the examples is evaluated as Node-RED evaluates it (its JSONata).
 */
import { strict as assert } from 'assert';
import { startInfluxd, influxRows, type Influxd } from '../support/influxd';

const { loadExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ name: string; flow: Array<{ type: string; name?: string; rules?: Array<{ to: string; tot: string }> }> }>;
};
const jsonata = require('jsonata') as (expr: string) => { evaluate(input: unknown): Promise<unknown> };
const Influx = require('influx');

/** Every JSONata rule of the examples that builds points with tags, by "example / node". */
function pointBuilders(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const e of loadExamples()) {
    for (const n of e.flow) {
      if (n.type !== 'change') continue;
      for (const r of n.rules ?? []) if (r.tot === 'jsonata' && /"tags":/.test(r.to)) out.push({ where: `${e.name.slice(0, 2)} / ${n.name}`, expr: r.to });
    }
  }
  return out;
}

/** A poll result, a walk result and a trap, from a device whose inventory InfluxDB cannot store as it is. */
function hostileMessage(i: number): Record<string, unknown> {
  const name = `evil\nname ${i}\\`;
  return {
    topic: name,
    device: { name, labels: { site: '', time: 'now', role: 'core\r\n', rack: 'a\\' } },
    snmp: { time: 1_700_000_000_000 + i, elapsedMs: 3 },
    payload: { 'sysUpTime.0': 100, 'sysName.0': 'x' },
    trap: { version: 'v2c', time: 1_700_000_000_000 + i },
  };
}

describe('the examples\' InfluxDB points, from hostile inventories, into a real influxd', function () {
  this.timeout(60000);
  let influxd: Influxd | undefined;

  before(async () => {
    influxd = await startInfluxd({ database: 'points' });
  });

  after(async () => {
    await influxd?.stop();
  });

  it('finds the point builders of examples 01, 02 and 06', () => {
    assert.deepEqual([...new Set(pointBuilders().map((b) => b.where.slice(0, 2)))].sort(), ['01', '02', '06']);
  });

  it('writes every point they build, with the empty tags and the tag key "time" left out and the rest cleaned', async () => {
    const client = new Influx.InfluxDB({ host: '127.0.0.1', port: influxd!.port, database: 'points' });
    let i = 0;
    for (const { where, expr } of pointBuilders()) {
      i++;
      const msg = hostileMessage(i);
      // a walk's rows: one interface without a name
      if (/ifHCInOctets/.test(expr)) msg.payload = [{ index: '7', ifName: '', ifHCInOctets: 5, ifHCOutOctets: 6, ifOperStatus: 1, ifHighSpeed: 1000, utilization: 1 }];
      const points = await jsonata(expr).evaluate(msg) as Array<{ measurement: string; tags: Record<string, string> }>;
      assert.ok(Array.isArray(points) && points.length > 0, `${where}: builds points`);
      await assert.doesNotReject(client.writePoints(points, { precision: 'ms' }), `${where}: InfluxDB accepts them`);
      for (const p of points) {
        assert.equal(p.tags.device, `evil name ${i}`, `${where}: the device tag without its line break and trailing backslash`);
        assert.ok(!('site' in p.tags) && !('time' in p.tags), `${where}: no empty tag, no tag key "time"`);
        assert.equal(p.tags.role, 'core', `${where}: role`);
        assert.equal(p.tags.rack, 'a', `${where}: rack`);
        if (/ifHCInOctets/.test(expr)) assert.equal(p.tags.ifName, 'ifIndex.7', `${where}: an interface without a name keeps a series of its own`);
      }
    }
    const rows = influxRows(await influxd!.query('SELECT count(*) FROM /snmp_.*/ GROUP BY "device"', 'points'));
    assert.equal(rows.length, i, 'one series group per builder, each written');
  });
});
