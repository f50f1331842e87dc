/**
 * Example 06 "inventory from a database", end to end: a private MariaDB (Debian's
 * mariadbd on a free loopback port, its own data folder, a user with a password for
 * node-red-node-mysql), the table and sample rows made by the shipped
 * `examples/06 inventory.sql`, the example flow as shipped in a real Node-RED process
 * (only addresses, credentials and timing substituted: the table is read every 5 s
 * instead of 60 s, rows without an interval are polled every 10 s instead of 300 s),
 * simulated devices, and a real influxd. While the flow runs, rows are inserted, updated,
 * deleted and broken, and each change must show in what is polled (the simulator counts
 * each device's requests) within one read plus one interval.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, linkModule, watchDebug, ROOT, type NodeRed, type FlowNode } from '../support/node-red-process';
import { startInfluxd, influxRows, type Influxd } from '../support/influxd';
import { startMariadb, sqlString, type Mariadb } from '../support/mariadb';
import { startTogether } from '../support/together';

const { loadExamples, prepareExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
};

const DB = 'snmp_fleet';
const REFRESH_S = 5;
const DEFAULT_INTERVAL_S = 10;
/** A change must show within one read plus one interval; the rest is room for a loaded machine. */
const SLACK_S = 20;

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('example 06: the inventory in MariaDB, each device on its own interval', function () {
  this.timeout(300000);

  let db: Mariadb;
  let influx: Influxd;
  let fleet: Fleet;
  let red: NodeRed;
  let debug: ReturnType<typeof watchDebug>;
  let userDir = '';
  let walkId = '';
  /** Seconds from a change to the first poll (or last, for a removal) that shows it. */
  const delays: Record<string, number> = {};

  const requests = (i: number) => fleet.device(i).stats().requests;
  const row = (i: number, interval: number | null, labels: Record<string, string>, extra: { profile?: string | null; host?: string } = {}) => {
    const d = fleet.devices[i];
    const json = JSON.stringify(labels);
    return `(${sqlString(extra.host ?? d.host)}, ${d.port}, ${sqlString(d.name)}, ${extra.profile ? sqlString(extra.profile) : 'NULL'}, ${interval ?? 'NULL'}, ${sqlString(json)}, TRUE)`;
  };
  const insert = (values: string[]) => db.sql(`INSERT INTO snmp_inventory (host, port, name, profile, poll_interval, labels, enabled) VALUES ${values.join(',\n')};`, DB);
  /** Waits until device i is polled after now; returns the seconds it took. */
  const polledAfterNow = async (i: number, what: string, timeoutS: number): Promise<number> => {
    const start = Date.now();
    const before = requests(i);
    await until(what, () => requests(i) > before, timeoutS * 1000);
    return (Date.now() - start) / 1000;
  };

  before(async function () {
    [db, influx, fleet] = await startTogether([
      startMariadb({ database: DB, user: 'nodered', password: 'Inventory-Reader-9' }),
      startInfluxd({ database: DB }),
      startFleet({ count: 6, interfaces: 2, labels: { site: ['sim'] } }),
    ]);
    // the shipped SQL file, as a user would run it: table and sample rows
    await db.sql(fs.readFileSync(path.join(ROOT, 'examples', '06 inventory.sql'), 'utf8'), DB);

    const shipped = loadExamples().find((e) => e.name.startsWith('06'))!.flow;
    const deployed = prepareExamples(shipped, {
      pollSeconds: REFRESH_S,
      intervalSeconds: DEFAULT_INTERVAL_S,
      influx: { hostname: '127.0.0.1', port: influx.port, database: DB },
      mysql: { host: db.host, port: db.port, database: DB },
      community: 'public',
    });
    walkId = deployed.find((n) => n.type === 'snmp-bulkwalk')!.id;
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inventory-db-'));
    linkModule(userDir, 'node-red-contrib-influxdb');
    linkModule(userDir, 'node-red-node-mysql');
    red = await startNodeRed({ userDir, env: { MYSQL_USER: db.user, MYSQL_PASSWORD: db.password }, startTimeoutMs: 60000 });
    debug = watchDebug(red.port);
    // the sample rows point at a simulator on ports 16100-16105: replace them before deploying
    await db.sql('DELETE FROM snmp_inventory;', DB);
    await insert([row(0, 5, { site: 'paris', role: 'core' }), row(1, 5, { site: 'lyon' }), row(2, null, { site: 'paris', role: 'access' })]);
    await red.deploy(deployed);
  });

  after(async function () {
    debug?.close();
    await red?.stop();
    await Promise.all([db?.stop(), influx?.stop(), fleet?.close()]);
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    if (Object.keys(delays).length) console.log(`      seconds from a change in the table to the poll that shows it (read every ${REFRESH_S} s, intervals 5 and ${DEFAULT_INTERVAL_S} s): ${Object.entries(delays).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  });

  it('creates the table with the shipped SQL file, sample rows included', async function () {
    // read back before the test replaced them? the file's rows were deleted; run it once more in a scratch database
    await db.sql('CREATE DATABASE scratch;');
    await db.sql(fs.readFileSync(path.join(ROOT, 'examples', '06 inventory.sql'), 'utf8'), 'scratch');
    const rows = (await db.sql('SELECT name, poll_interval, JSON_VALUE(labels, "$.site"), enabled FROM snmp_inventory ORDER BY port;', 'scratch')).trim().split('\n');
    assert.equal(rows.length, 6);
    assert.deepEqual(rows[0].split('\t'), ['core-1', '60', 'paris', '1']);
    assert.deepEqual(rows[5].split('\t'), ['lab-1', '30', 'lab', '0']);
    // the JSON column refuses text that is not JSON
    await assert.rejects(db.sql("INSERT INTO snmp_inventory (host, labels) VALUES ('192.0.2.1', '{site: x}');", 'scratch'), /CONSTRAINT|check/i);
    await db.sql('DROP DATABASE scratch;');
  });

  it('polls the rows of the table, each on its interval, and writes their rates with the rows\' labels', async function () {
    for (const i of [0, 1, 2]) await until(`device ${i} polled`, () => requests(i) > 0, (REFRESH_S + DEFAULT_INTERVAL_S + SLACK_S) * 1000);
    // a rate needs two polls: the 10-s device within two reads and two intervals
    const points = await until('points of the three devices in InfluxDB', async () => {
      const rows = influxRows(await influx.query('SELECT in_bps FROM snmp_interface GROUP BY device, site, role', DB));
      return new Set(rows.map((r) => r.device)).size === 3 && rows;
    }, (REFRESH_S + 2 * DEFAULT_INTERVAL_S + SLACK_S) * 1000);
    const sim0 = points.find((r) => r.device === 'sim-0000')!;
    assert.equal(sim0.site, 'paris');
    assert.equal(sim0.role, 'core');
    assert.ok(sim0.in_bps > 0);
    assert.equal(requests(3), 0, 'a device not in the table is not polled');
    const status = await red.waitForStatus(walkId, (s) => /^3 devices · \d+\/min$/.test(s.text ?? ''), 30000);
    assert.equal(status.fill, 'green');
  });

  it('polls an inserted row within one read plus its interval, without a redeploy', async function () {
    const inserted = insert([row(3, 5, { site: 'nice' })]);
    const t = await polledAfterNow(3, 'the inserted device polled', REFRESH_S + 5 + SLACK_S);
    await inserted;
    delays.insert = t;
    await red.waitForStatus(walkId, (s) => /^4 devices/.test(s.text ?? ''), 30000);
  });

  it('takes an updated row at the next read: new labels on its points, a new interval', async function () {
    await db.sql(`UPDATE snmp_inventory SET labels = '{"site": "moved"}', poll_interval = 5 WHERE port = ${fleet.devices[2].port};`, DB);
    const start = Date.now();
    await until('points of sim-0002 tagged site=moved', async () => {
      const rows = influxRows(await influx.query("SELECT in_bps FROM snmp_interface WHERE device = 'sim-0002' AND site = 'moved'", DB));
      return rows.length > 0;
    }, (REFRESH_S + 5 + SLACK_S) * 1000);
    delays.update = (Date.now() - start) / 1000;
    // its counter-rate series went on: the first poll with the new labels already had a rate
    const all = influxRows(await influx.query("SELECT in_bps FROM snmp_interface WHERE device = 'sim-0002' GROUP BY site", DB));
    assert.ok(all.some((r) => r.site === 'paris') && all.some((r) => r.site === 'moved'));
  });

  it('stops polling a deleted row', async function () {
    await db.sql(`DELETE FROM snmp_inventory WHERE port = ${fleet.devices[0].port};`, DB);
    const start = Date.now();
    await red.waitForStatus(walkId, (s) => /^3 devices/.test(s.text ?? ''), (REFRESH_S + SLACK_S) * 1000);
    delays.delete = (Date.now() - start) / 1000;
    // a walk in flight at that moment may still finish
    await new Promise((r) => setTimeout(r, 2000));
    const settled = requests(0);
    await new Promise((r) => setTimeout(r, 2 * 5 * 1000));
    assert.equal(requests(0), settled, 'the deleted device is polled no more');
    await polledAfterNow(1, 'the other rows still polled', 5 + SLACK_S);
  });

  it('reports each bad row once per read on output 2, naming the row, and keeps polling the good ones; a row of an unknown profile fails each turn', async function () {
    const since = debug.messages.length;
    await insert([
      row(4, 5, { site: 'x' }, { profile: 'core-v3' }),
      row(5, 2, { site: 'x' }),
      row(4, 5, { site: 'x' }, { host: 'bad..host' }),
    ]);
    await db.sql(`INSERT INTO snmp_inventory (host, port, name, labels) VALUES ('192.0.2.9', 161, 'labels-not-an-object', '["site", "x"]');`, DB);
    const bad = await until('three bad rows in the debug sidebar', () => {
      const got = debug.messages.slice(since).filter((m) => m.name === 'rows not polled');
      return new Set(got.map((m) => m.msg)).size >= 3 && got;
    }, (REFRESH_S + SLACK_S) * 1000);
    const texts = [...new Set(bad.map((m) => String(m.msg).replace(/^msg\.targets\[\d+\] /, '')))].sort();
    const port4 = fleet.devices[4].port;
    const port5 = fleet.devices[5].port;
    assert.equal(texts.length, 3, texts.join('\n'));
    // a row naming a profile no snmp-config node has is read fine: each turn of it fails with code profile
    const unknown = await until('the row of profile core-v3 failing with code profile', () => debug.messages.slice(since)
      .find((m) => m.name === 'devices failing' && m.msg?.code === 'profile'), (REFRESH_S + 5 + SLACK_S) * 1000);
    assert.match(String(unknown.msg.message), /no snmp-config node is named "core-v3"/);
    // each names its row by host:port, then says what is wrong with it
    for (const expected of [
      `(127.0.0.1:${port5}): interval 2 is below the floor of 5 s`,
      `(bad..host:${port4}): "bad..host" is not a host name or IP address`,
    ]) assert.ok(texts.includes(expected), `${expected}\nin\n${texts.join('\n')}`);
    // a JSON array: mysql2 hands the JSON column over parsed (or as text on other servers)
    assert.ok(texts.some((t) => /^\(192\.0\.2\.9:161\): labels must be (an object of key: value|a JSON object)/.test(t)), texts.join('\n'));
    const status = await red.waitForStatus(walkId, (s) => /^4 devices · \d+\/min · 3 bad · /.test(s.text ?? ''), 30000);
    assert.equal(status.fill, 'yellow');
    // the good rows go on, the bad ones are not polled
    await polledAfterNow(3, 'a good row still polled', 5 + SLACK_S);
    assert.equal(requests(4) + requests(5), 0, 'devices of bad rows, and of an unknown profile, are not polled');
    // the next read sends them again (one line per row per read), the log has each once
    const count = bad.length;
    await until('the bad rows again at the next read', () => debug.messages.slice(since).filter((m) => m.name === 'rows not polled').length >= count + 3, (REFRESH_S + SLACK_S) * 1000);
    const logged = red.output().split('\n').filter((l) => l.includes('not polled: msg.targets'));
    assert.equal(logged.length, 3, logged.join('\n'));
    assert.equal(red.output().split('\n').filter((l) => l.includes('no snmp-config node is named "core-v3"')).length, 1, 'the unknown profile warned once');
  });

  it('keeps secrets out of the flow file, the log and the sidebar', async function () {
    const flows = JSON.stringify((await red.getFlows()).flows);
    const output = red.output();
    for (const text of [flows, output, JSON.stringify(debug.messages)]) assert.ok(!text.includes(db.password));
    assert.ok(!red.problems().some((l) => /Error: ER_|ECONNREFUSED|Access denied/.test(l)), red.problems().join('\n'));
  });
});
