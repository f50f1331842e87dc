/**
 * "Outages that lose nothing" for InfluxDB (issue 14), end to end: example 01 as shipped
 * (only addresses, credentials and timing substituted, as in examples-e2e) polls the
 * simulator every 2 s and writes through its snmp-spool into a real influxd, in a real
 * Node-RED process. The 5-minute outage is scaled down to 30 s (15 poll cycles).
 *
 * What counts as every point: a test-only file node, wired from the same two outputs
 * that feed the spool, appends each message (its array of points) to tap.jsonl. Points
 * in InfluxDB are compared with it series by series (COUNT with the exact number, and
 * the timestamps). That a point was not written twice is read from influxd's own
 * counter of points written (SHOW STATS), since InfluxDB keeps one point per series and
 * time and a COUNT cannot show a repeat.
 *
 * 1. InfluxDB stopped for 30 s; 10 s into it Node-RED is killed (SIGKILL) and started
 *    again on the same user directory; InfluxDB comes back: every point of the outage
 *    is there once.
 * 2. The spool capped at 30 messages and InfluxDB stopped until 40 are dropped: the
 *    status shows the loss while it happens and after; exactly the oldest messages of
 *    the outage are missing, as many as the status counts, and nothing else.
 *
 * Kills and halts happen between two poll cycles (the tap quiet for 500 ms), so that no
 * message is half-way between the tap and the spool; a cycle that starts at that very
 * moment is detected and reported rather than counted against the spool.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, ROOT, type NodeRed, type FlowNode, type NodeStatus } from '../support/node-red-process';
import { startInfluxd, influxRows, type Influxd } from '../support/influxd';

const { loadExamples, prepareExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
};

const POLL_S = 2;
const OUTAGE_S = 30;
const KILL_AFTER_S = 10;
const DB = 'snmp_fleet';
const COMMUNITY = 'outage-community-51c2';
const DEVICES = 6;
const INTERFACES = 4;
const CAP = 30;

interface Point { measurement: string; tags: Record<string, string>; timestamp: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function linkModule(userDir: string, name: string): void {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', ...name.split('/')), link, 'dir');
}

const seriesOf = (p: Point) => `${p.measurement}|${p.tags.device}|${p.tags.ifName ?? ''}`;
const keyOf = (p: Point) => `${seriesOf(p)}@${p.timestamp}`;
const num = (text: string | undefined, re: RegExp) => Number((re.exec(text ?? '')?.[1] ?? 'NaN').replace(/,/g, ''));

describe('InfluxDB outage through example 01 and snmp-spool (influxd stopped, Node-RED killed)', function () {
  this.timeout(400000);

  let fleet: Fleet;
  let influx: Influxd;
  let red: NodeRed | undefined;
  let userDir = '';
  let tapFile = '';
  let flows: FlowNode[] = [];
  let spoolId = '';
  const env = { SLACK_WEBHOOK_URL: '', PAGERDUTY_ROUTING_KEY: '' };

  /** Each line of the tap: one message, its points. */
  function tap(): Point[][] {
    let text = '';
    try { text = fs.readFileSync(tapFile, 'utf8'); } catch { return []; }
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Point[]);
  }
  const tapSize = () => { try { return fs.statSync(tapFile).size; } catch { return 0; } };
  /** The messages of the tap's first `bytes` bytes (what it held at a quiet moment). */
  function tapUpTo(bytes: number): Point[][] {
    const text = fs.readFileSync(tapFile).subarray(0, bytes).toString('utf8');
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Point[]);
  }

  /** Waits for the gap between two poll cycles: the tap quiet for 500 ms, every device's system point of the last cycle in. */
  async function betweenCycles(): Promise<number> {
    let size = tapSize();
    let quietSince = Date.now();
    return until('a quiet moment between poll cycles', () => {
      const now = tapSize();
      if (now !== size) {
        size = now;
        quietSince = Date.now();
        return false;
      }
      if (Date.now() - quietSince < 500) return false;
      const systemPoints = tap().flat().filter((p) => p.measurement === 'snmp_system').length;
      return systemPoints > 0 && systemPoints % DEVICES === 0 ? size : false;
    }, 30000);
  }

  async function startRed(keepFlows: boolean): Promise<NodeRed> {
    return startNodeRed({ userDir, env, keepFlows, settings: { fileWorkingDirectory: userDir }, startTimeoutMs: 60000 });
  }

  async function spoolStatus(accept: (s: NodeStatus) => boolean, timeoutMs: number): Promise<NodeStatus> {
    return red!.waitForStatus(spoolId, (s) => typeof s.text === 'string' && accept(s), timeoutMs);
  }

  /** Points in InfluxDB (both measurements) with time in (from, to], as keys. */
  async function influxKeys(fromMs: number, toMs: number): Promise<Map<string, number>> {
    const where = `WHERE time > ${fromMs}ms AND time <= ${toMs}ms`;
    const rows = [
      ...influxRows(await influx.query(`SELECT up FROM snmp_system ${where} GROUP BY device`, DB)).map((r) => ({ measurement: 'snmp_system', tags: { device: r.device }, timestamp: r.time })),
      ...influxRows(await influx.query(`SELECT in_bps FROM snmp_interface ${where} GROUP BY device, ifName`, DB)).map((r) => ({ measurement: 'snmp_interface', tags: { device: r.device, ifName: r.ifName }, timestamp: r.time })),
    ];
    const keys = new Map<string, number>();
    for (const p of rows) keys.set(keyOf(p), (keys.get(keyOf(p)) ?? 0) + 1);
    return keys;
  }

  /** COUNT per series, as InfluxDB computes it, for time in (from, to]. */
  async function influxCounts(fromMs: number, toMs: number): Promise<Map<string, number>> {
    const where = `WHERE time > ${fromMs}ms AND time <= ${toMs}ms`;
    const counts = new Map<string, number>();
    for (const r of influxRows(await influx.query(`SELECT COUNT(up) FROM snmp_system ${where} GROUP BY device`, DB))) counts.set(`snmp_system|${r.device}|`, r.count);
    for (const r of influxRows(await influx.query(`SELECT COUNT(in_bps) FROM snmp_interface ${where} GROUP BY device, ifName`, DB))) counts.set(`snmp_interface|${r.device}|${r.ifName}`, r.count);
    return counts;
  }

  async function pointsWrittenOK(): Promise<number> {
    const rows = influxRows(await influx.query("SHOW STATS FOR 'httpd'"));
    return rows.reduce((n, r) => n + Number(r.pointsWrittenOK ?? 0), 0);
  }

  before(async function () {
    fleet = await startFleet({ count: DEVICES, interfaces: INTERFACES, community: COMMUNITY, labels: { site: ['paris', 'lyon'] } });
    influx = await startInfluxd({ database: DB });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'influx-outage-'));
    linkModule(userDir, 'node-red-contrib-influxdb');
    tapFile = path.join(userDir, 'tap.jsonl');

    const example = loadExamples().find((e) => e.name.startsWith('01'))!.flow;
    flows = prepareExamples(example, {
      inventory: fleet.inventoryText(),
      community: COMMUNITY,
      pollSeconds: POLL_S,
      timeScale: POLL_S / 60,
      influx: { hostname: '127.0.0.1', port: influx.port, database: DB },
    });
    const spool = flows.find((n) => n.type === 'snmp-spool')!;
    spoolId = spool.id;
    // the test's tap: a file node beside the spool on both wires that feed it
    const z = spool.z as string;
    for (const n of flows) {
      const wires = n.wires as string[][] | undefined;
      if (n.id !== spoolId && wires?.some((port) => port.includes(spoolId)) && n.type !== 'complete' && n.type !== 'catch') {
        wires[0].push('outage-test-tap');
      }
    }
    flows.push({ id: 'outage-test-tap', type: 'file', z, name: 'test tap', filename: tapFile, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', x: 1220, y: 400, wires: [[]] });

    red = await startRed(false);
    await red.deploy(flows);
  });

  after(async function () {
    await red?.stop();
    await influx?.stop();
    await fleet?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it(`keeps every point of a ${OUTAGE_S} s InfluxDB outage, with Node-RED killed and restarted in the middle, and writes none twice`, async function () {
    // steady state: points flow and the spool is empty
    await until('points in InfluxDB', async () => (await influxKeys(0, Date.now() + 60000)).size >= 3 * DEVICES, 60000);
    await spoolStatus((s) => s.fill === 'green' && s.text === '0 queued', 30000);

    const quietSize = await betweenCycles();
    const beforeOutage = tapUpTo(quietSize);
    const lastBefore = Math.max(...beforeOutage.flat().map((p) => p.timestamp));
    await until('InfluxDB to hold every point so far', async () => (await influxKeys(0, lastBefore)).size === beforeOutage.flat().length, 30000);
    await influx.halt();
    const outageStart = Date.now();
    // a cycle that began between the quiet moment and the halt may or may not be in the old influxd
    const atHalt = tap();
    const raced = atHalt.flat().length - beforeOutage.flat().length;
    const racedMessages = atHalt.length - beforeOutage.length;

    const failing = await spoolStatus((s) => s.fill === 'yellow' && /^retry in .* queued/.test(s.text!), 30000);
    assert.match(failing.text!, /^retry in [\d.]+ (ms|s) · \d+ queued \([\d.]+ (B|kB|MB)\)$/);

    // Node-RED killed while the spool holds the outage's points
    await sleep(Math.max(0, outageStart + KILL_AFTER_S * 1000 - Date.now()));
    const sizeAtKill = await betweenCycles();
    await red!.kill();
    assert.equal(tapSize(), sizeAtKill, 'a poll cycle began at the very moment of the kill: rerun');
    // what the spool took in since the halt (a cycle racing the halt may have been written before it)
    const spooledAtKill = tap().length - beforeOutage.length - racedMessages;
    assert.ok(spooledAtKill >= 2 * DEVICES, `${spooledAtKill} messages spooled before the kill`);
    red = await startRed(true);
    const replayed = await spoolStatus((s) => /queued/.test(s.text!) && num(s.text, /([\d,]+) queued/) >= spooledAtKill, 60000);
    assert.notEqual(replayed.fill, 'red');
    assert.match(red.output(), /found in the spool folder, delivering them/);

    await sleep(Math.max(0, outageStart + OUTAGE_S * 1000 - Date.now()));
    await influx.restart();
    const outageEnd = Date.now();
    await spoolStatus((s) => s.fill === 'green' && s.text === '0 queued', 90000);
    assert.match(red.output(), /Delivering again after/);

    // the comparison, at a quiet moment, once InfluxDB holds everything the tap saw
    let checked = false;
    for (let attempt = 0; attempt < 5 && !checked; attempt++) {
      const size = await betweenCycles();
      const messages = tap();
      const points = messages.flat();
      const last = Math.max(...points.map((p) => p.timestamp));
      const expected = new Map<string, number>();
      for (const p of points) expected.set(seriesOf(p), (expected.get(seriesOf(p)) ?? 0) + 1);
      await until('InfluxDB to hold every point the tap saw', async () => {
        const counts = await influxCounts(0, last);
        return [...expected].every(([k, n]) => counts.get(k) === n);
      }, 60000).catch(() => undefined);
      // "none twice": what influxd accepted since its restart is what it holds since the outage began
      const heldBefore = (await influxKeys(lastBefore, Date.now() + 60000)).size;
      const written = await pointsWrittenOK();
      const heldAfter = (await influxKeys(lastBefore, Date.now() + 60000)).size;
      if (tapSize() !== size || heldBefore !== heldAfter) continue; // a new cycle landed in between: again

      const counts = await influxCounts(0, last);
      assert.deepEqual([...counts].sort(), [...expected].sort(), 'SELECT COUNT per series = the points the tap saw');
      assert.equal(counts.size, DEVICES * (1 + INTERFACES), 'every device and interface has a series');
      const keys = await influxKeys(0, last);
      const tapKeys = new Set(points.map(keyOf));
      assert.equal(tapKeys.size, points.length, 'each poll has its own timestamp per series');
      assert.deepEqual([...keys.keys()].filter((k) => !tapKeys.has(k)), [], 'nothing in InfluxDB that was not polled');
      assert.deepEqual([...tapKeys].filter((k) => !keys.has(k)), [], 'every polled point is in InfluxDB');

      const during = points.filter((p) => p.timestamp > outageStart && p.timestamp < outageEnd);
      const systemDuring = during.filter((p) => p.measurement === 'snmp_system').length;
      // 15 cycles less the few lost to the restart itself (no Node-RED, no poll)
      assert.ok(systemDuring >= DEVICES * 6, `${systemDuring} system points polled during the outage`);
      assert.ok(raced === 0 ? written === heldAfter : written <= heldAfter && written >= heldAfter - raced,
        `influxd accepted ${written} points since its restart and holds ${heldAfter} newer than the outage's start (${raced} in doubt)`);
      console.log(`      outage ${Math.round((outageEnd - outageStart) / 1000)} s: ${during.length} points polled during it (${systemDuring / DEVICES} cycles), ${spooledAtKill} messages spooled when Node-RED was killed; all ${points.length} points in InfluxDB once; ${written} points written since InfluxDB came back`);
      checked = true;
    }
    assert.ok(checked, 'no quiet moment to compare in 5 tries');
    assert.doesNotMatch(red.output(), /Uncaught|TypeError|field type conflict/);
  });

  it(`past its cap (${CAP} messages) drops the oldest, shows the loss while it happens and after, and delivers the rest`, async function () {
    const capped = flows.map((n) => (n.id === spoolId ? { ...n, maxMessages: String(CAP) } : n));
    await red!.deploy(capped);
    await spoolStatus((s) => s.fill === 'green' && s.text === '0 queued', 30000);
    const quiet = await betweenCycles();
    const first = tapUpTo(quiet).length;
    const lastBefore = Math.max(...tapUpTo(quiet).flat().map((p) => p.timestamp));
    await until('InfluxDB to hold every point so far', async () => (await influxKeys(0, lastBefore)).size === tapUpTo(quiet).flat().length, 30000);
    await influx.halt();
    const raced = tap().length - first;
    const dropping = await spoolStatus((s) => s.fill === 'red' && s.shape === 'ring' && num(s.text, /full: ([\d,]+) dropped/) >= 40, 90000);
    assert.match(dropping.text!, /^full: [\d,]+ dropped · 30 queued \(/);
    assert.match(red!.output(), /The spool is full \(30 messages or 100 MB\): the oldest messages are dropped/);
    await betweenCycles();
    await influx.restart();
    const after = await spoolStatus((s) => s.fill === 'yellow' && s.shape === 'dot' && /^0 queued · [\d,]+ dropped when full$/.test(s.text!), 90000);
    const dropped = num(after.text, /([\d,]+) dropped/);
    assert.match(red!.output(), new RegExp(`${dropped.toLocaleString('en-US')} messages were dropped while the spool was full`));

    await betweenCycles();
    const messages = tap().slice(first);
    const last = Math.max(...messages.flat().map((p) => p.timestamp));
    let present: boolean[] = [];
    const missingNow = async () => {
      const keys = await influxKeys(0, last);
      present = messages.map((m) => m.every((p) => keys.has(keyOf(p))));
      return present.filter((ok) => !ok).length;
    };
    // the last cycle's messages may still be on their way to InfluxDB
    await until('InfluxDB to hold all but the dropped messages', async () => (await missingNow()) <= dropped, 30000).catch(() => undefined);
    // a cycle racing the halt may have been written before it: those messages come first
    const skipped = present.slice(0, raced).filter(Boolean).length;
    const missing = present.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0);
    assert.equal(missing.length, dropped, `the status counts ${dropped} dropped; ${missing.length} messages are missing`);
    assert.deepEqual(missing, Array.from({ length: missing.length }, (_, i) => i + skipped), 'the missing ones are the oldest of the outage');
    assert.ok(messages.length - dropped >= CAP, `${messages.length - dropped} delivered`);
  });
});
