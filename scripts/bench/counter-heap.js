'use strict';
/**
 * Heap per counter series held by counter-rate (issue 15): a child process loads the
 * pack's counter-rate engine (this build, or another with --pack-dir), feeds it the
 * ifTable + ifXTable walk of N devices (48 interfaces × 41 columns = 1,968 varbinds a
 * device, as snmp-bulkwalk emits it: rows, msg.types) twice, so every counter has a
 * baseline and a rate, and reads the heap after a forced GC before and after. The
 * difference over the series held is the figure (ArrayBuffer backing stores included:
 * typed arrays keep their contents outside the JS heap). The engine's own time per device of the
 * second pass is reported too (the walk flow's CPU is the walk part of the bench).
 *
 * With `snapshot`, two heap snapshots (before / after) are compared by object type and
 * constructor: the biggest growths are where a series' bytes go ("Heap profile" in
 * bench/README.md).
 */
const path = require('path');
const v8 = require('v8');
const { forkResult } = require('./procs');

const IF_TABLE = ['ifIndex', 'ifDescr', 'ifType', 'ifMtu', 'ifSpeed', 'ifPhysAddress', 'ifAdminStatus', 'ifOperStatus', 'ifLastChange',
  'ifInOctets', 'ifInUcastPkts', 'ifInNUcastPkts', 'ifInDiscards', 'ifInErrors', 'ifInUnknownProtos',
  'ifOutOctets', 'ifOutUcastPkts', 'ifOutNUcastPkts', 'ifOutDiscards', 'ifOutErrors', 'ifOutQLen', 'ifSpecific'];
const IF_X_TABLE = ['ifName', 'ifInMulticastPkts', 'ifInBroadcastPkts', 'ifOutMulticastPkts', 'ifOutBroadcastPkts',
  'ifHCInOctets', 'ifHCInUcastPkts', 'ifHCInMulticastPkts', 'ifHCInBroadcastPkts', 'ifHCOutOctets', 'ifHCOutUcastPkts',
  'ifHCOutMulticastPkts', 'ifHCOutBroadcastPkts', 'ifLinkUpDownTrapEnable', 'ifHighSpeed', 'ifPromiscuousMode',
  'ifConnectorPresent', 'ifAlias', 'ifCounterDiscontinuityTime'];
const INTERFACES = 48;
const COUNTER32 = new Set(['ifInOctets', 'ifInUcastPkts', 'ifInNUcastPkts', 'ifInDiscards', 'ifInErrors', 'ifInUnknownProtos', 'ifOutOctets',
  'ifOutUcastPkts', 'ifOutNUcastPkts', 'ifOutDiscards', 'ifOutErrors', 'ifInMulticastPkts', 'ifInBroadcastPkts', 'ifOutMulticastPkts', 'ifOutBroadcastPkts']);
const TYPES = {};
for (const c of [...IF_TABLE, ...IF_X_TABLE]) {
  TYPES[c] = COUNTER32.has(c) ? 'Counter32' : c.startsWith('ifHC') ? 'Counter64' : /Descr|Name|Alias|PhysAddress|Specific/.test(c) ? 'OctetString' : 'Integer';
}
TYPES.ifLastChange = 'TimeTicks';
TYPES.ifCounterDiscontinuityTime = 'TimeTicks';
TYPES.ifSpeed = 'Gauge32';
TYPES.ifHighSpeed = 'Gauge32';
const COLUMNS = [...IF_TABLE, ...IF_X_TABLE];

/** One device's walk message, as snmp-bulkwalk gives it to counter-rate. */
function walkMessage(device, pass, time) {
  const payload = [];
  for (let i = 1; i <= INTERFACES; i++) {
    const row = { index: String(i) };
    for (const c of COLUMNS) {
      const t = TYPES[c];
      if (t === 'Counter32') row[c] = (device * 7919 + i * 104729 + pass * 1000 * i) % 4294967296;
      else if (t === 'Counter64') row[c] = device * 1e9 + i * 1e7 + pass * 5e5 * i;
      else if (t === 'OctetString') row[c] = `${c}-${i}`;
      else if (c === 'ifHighSpeed') row[c] = 1000;
      else if (c === 'ifSpeed') row[c] = 1e9;
      else if (c === 'ifCounterDiscontinuityTime') row[c] = 0;
      else row[c] = i;
    }
    payload.push(row);
  }
  return { topic: `dev-${device}`, key: `10.0.${device >> 8}.${device & 255}:161`, payload, types: TYPES, time, varbinds: undefined };
}

/** JS heap plus ArrayBuffer backing stores (typed arrays live outside the JS heap), after GC. */
function heapUsed() {
  for (let i = 0; i < 3; i++) global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Self size by "type constructor" of a heap snapshot. */
function snapshotSizes() {
  const snap = JSON.parse(require('fs').readFileSync(v8.writeHeapSnapshot(path.join(require('os').tmpdir(), `counter-heap-${process.pid}-${Date.now()}.heapsnapshot`)), 'utf8'));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const stride = fields.length;
  const T = fields.indexOf('type');
  const N = fields.indexOf('name');
  const S = fields.indexOf('self_size');
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + T]];
    const name = type === 'object' || type === 'native' || type === 'hidden' || type === 'array' ? snap.strings[snap.nodes[i + N]] : '';
    const k = name ? `${type} ${name.slice(0, 40)}` : type;
    const e = out.get(k) ?? { bytes: 0, count: 0 };
    e.bytes += snap.nodes[i + S];
    e.count++;
    out.set(k, e);
  }
  return out;
}

async function child(packDir, devices, withSnapshot) {
  const { CounterRateEngine } = require(path.join(packDir, 'nodes', 'lib', 'counter-rate', 'engine.js'));
  const engine = new CounterRateEngine({ width: 'auto', mode: 'rate', scale: 8, expireMs: 3600_000 });
  const T0 = Date.UTC(2026, 0, 1);
  const sizesBefore = withSnapshot ? snapshotSizes() : undefined;
  const before = heapUsed();
  for (let d = 0; d < devices; d++) engine.process(walkMessage(d, 0, T0));
  const cpu0 = process.cpuUsage();
  for (let d = 0; d < devices; d++) engine.process(walkMessage(d, 1, T0 + 60_000));
  const cpu = process.cpuUsage(cpu0);
  const after = heapUsed();
  const series = engine.series;
  const result = { devices, series, seriesPerDevice: series / devices, heapMB: (after - before) / 1048576, bytesPerSeries: (after - before) / series, engineUsPerDevice: (cpu.user + cpu.system) / devices };
  if (withSnapshot) {
    const sizesAfter = snapshotSizes();
    const grown = [];
    for (const [k, e] of sizesAfter) {
      const b = sizesBefore.get(k) ?? { bytes: 0, count: 0 };
      if (e.bytes - b.bytes > 0) grown.push({ what: k, bytesPerDevice: (e.bytes - b.bytes) / devices, bytesPerSeries: (e.bytes - b.bytes) / series, objects: e.count - b.count });
    }
    grown.sort((a, b) => b.bytesPerDevice - a.bytesPerDevice);
    result.retainers = grown.slice(0, 5);
  }
  if (engine.series !== series) throw new Error('engine dropped');
  process.send(result);
}

/**
 * Runs the measurement in a fresh process with --expose-gc.
 * @returns {Promise<{devices, series, seriesPerDevice, heapMB, bytesPerSeries, engineUsPerDevice, retainers?}>}
 */
function counterHeap({ packDir, devices, snapshot = false }) {
  return forkResult(__filename, ['child', packDir, String(devices), snapshot ? '1' : '0'], { execArgv: ['--expose-gc', '--max-old-space-size=4096'], name: 'counter-heap' });
}

if (require.main === module && process.argv[2] === 'child') {
  child(process.argv[3], Number(process.argv[4]), process.argv[5] === '1').catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { counterHeap, walkMessage };
