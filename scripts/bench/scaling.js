'use strict';
/**
 * The scaling table (issue 15): what a device costs as the fleet grows. For each fleet
 * size, snmp-get (sysUpTime.0, sysName.0) and snmp-bulkwalk (ifTable + ifXTable) →
 * counter-rate are deployed alone on their own profile and run against raw net-snmp
 * polling the same devices, cycle by cycle in alternating order after a warm-up of
 * each; CPU per device is this process's CPU over a cycle, heap per device what the
 * size's state holds after a forced GC:
 *
 *  - pack: the heap after the cycles less the heap right after the size's flow was
 *    deployed (sessions, the shared socket's routes, counter-rate's series, the poll
 *    node's state), with raw net-snmp's sessions already closed;
 *  - raw: what closing raw net-snmp's sessions (one per device, each with its socket)
 *    gave back. Raw keeps no counter state: the walk's raw heap is sessions only.
 *
 * The MIB's name caches are shared by every size (the simulated devices have the same
 * OIDs), so they count in the first size measured only when no earlier section walked.
 */
const P = require('./poll');
const { RawFleet } = require('./raw');
const { summarize, pairedRatio } = require('./stats');

/**
 * The flow of one size: a poll node on its own profile into a counting sink (channel
 * 'scaling'). Ids carry the kind and size, so each deploy replaces every node (a node
 * id that changed type between two full deploys trips Node-RED's rewiring).
 */
function scalingFlows(kind, inventory, community, devices, concurrency) {
  const k = `${kind}-${devices}`;
  const z = `bench-scaling-tab-${k}`;
  const cfgId = `cfg-scaling-${k}`;
  const sinkId = `sink-scaling-${k}`;
  const cfg = { id: cfgId, type: 'snmp-config', name: `scaling ${kind}`, version: '2c', inventory, ...(concurrency === undefined ? {} : { concurrency: String(concurrency) }), credentials: { community } };
  const sink = { id: sinkId, type: 'bench-sink', z, channel: 'scaling', wires: [] };
  if (kind === 'walk') {
    return [
      { id: z, type: 'tab', label: 'bench scaling' }, cfg,
      { id: `bench-scaling-${k}`, type: 'snmp-bulkwalk', z, name: 'interfaces', snmp: cfgId, oids: 'IF-MIB::ifTable\nIF-MIB::ifXTable', output: 'rows', wires: [[`rate-scaling-${k}`], [`rate-scaling-${k}`]] },
      { id: `rate-scaling-${k}`, type: 'counter-rate', z, name: 'rates', width: 'auto', mode: 'rate', wires: [[sinkId]] },
      sink,
    ];
  }
  return [
    { id: z, type: 'tab', label: 'bench scaling' }, cfg,
    { id: `bench-scaling-${k}`, type: 'snmp-get', z, name: 'uptime', snmp: cfgId, oids: 'sysUpTime.0\nsysName.0', wires: [[sinkId], [sinkId]] },
    sink,
  ];
}

function heapMB() {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  return process.memoryUsage().heapUsed / 1048576;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one kind ('get' or 'walk') at each size of `sizes`. `sim` is the running
 * simulator (its devices and inventory), `red` the embedded Node-RED.
 */
async function scalingKind({ red, sim, kind, sizes, cycles, community, concurrency, maxRepetitions, cycleTimeout, log }) {
  const rows = [];
  // one unmeasured cycle of the smallest size first: what the process pays once (the MIB's
  // names of these OIDs, compiled code) must not land in the first size's heap per device
  const first = Math.min(...sizes);
  await red.deploy(scalingFlows(kind, sim.inventory(first), community, `warm-${first}`, concurrency));
  await P.packCycle(red, `bench-scaling-${kind}-warm-${first}`, 'scaling', first, cycleTimeout(first));
  for (const devices of sizes) {
    await red.deploy(scalingFlows(kind, sim.inventory(devices), community, devices, concurrency));
    const fleet = sim.devices.slice(0, devices);
    const raw = new RawFleet(fleet, { community, concurrency, maxRepetitions });
    const heap0 = heapMB();
    const result = await P.pairedCycles({
      cycles,
      pack: () => P.packCycle(red, `bench-scaling-${kind}-${devices}`, 'scaling', devices, cycleTimeout(devices)),
      raw: () => P.measure(() => (kind === 'walk' ? raw.walkCycle([P.IF_TABLE, P.IF_X_TABLE]) : raw.getCycle([P.SYS_UPTIME, P.SYS_NAME]))),
    });
    const heapBoth = heapMB();
    raw.close();
    // net-snmp closes a session's socket asynchronously
    await pause(300);
    const heapPack = heapMB();
    const cpu = (runs) => summarize(runs.map((m) => m.cpuMs / devices));
    const row = {
      kind, devices,
      pack: { cpuMsPerDevice: cpu(result.pack), heapKBPerDevice: ((heapPack - heap0) * 1024) / devices, failed: result.pack.reduce((a, m) => a + m.failed, 0), wallMs: summarize(result.pack.map((m) => m.wallMs)) },
      raw: { cpuMsPerDevice: cpu(result.raw), heapKBPerDevice: ((heapBoth - heapPack) * 1024) / devices, failed: result.raw.reduce((a, m) => a + m.failed, 0), wallMs: summarize(result.raw.map((m) => m.wallMs)) },
      cpuRatio: pairedRatio(result.pack.map((m) => m.cpuMs), result.raw.map((m) => m.cpuMs)),
    };
    rows.push(row);
    log(`scaling ${kind} ${devices} devices: CPU ms/device pack ${row.pack.cpuMsPerDevice.median.toFixed(3)}, raw ${row.raw.cpuMsPerDevice.median.toFixed(3)} (ratio ${row.cpuRatio.ratio.toFixed(2)}); heap KB/device pack ${row.pack.heapKBPerDevice.toFixed(1)}, raw ${row.raw.heapKBPerDevice.toFixed(1)}`);
  }
  return rows;
}

/**
 * How many devices of ifTable + ifXTable one machine polls every `intervalS`, from the
 * walk's CPU per device at the largest size measured: Node-RED runs JavaScript on one
 * core, so one process per core, each kept at `utilization` of it (the scale-out
 * sizing's rule), and the heap those devices hold.
 */
function verdict(walkRows, { intervalS = 60, cores = 2, utilization = 0.6 } = {}) {
  if (!walkRows.length) return undefined;
  const largest = walkRows[walkRows.length - 1];
  const cpuMs = largest.pack.cpuMsPerDevice.median;
  const perProcess = Math.floor((intervalS * 1000 * utilization) / cpuMs);
  const devices = perProcess * cores;
  return { intervalS, cores, utilization, measuredAt: largest.devices, cpuMsPerDevice: cpuMs, perProcess, devices, heapMBPerProcess: (perProcess * largest.pack.heapKBPerDevice) / 1024 };
}

/** How flat CPU per device stays across sizes: the largest median over the smallest. */
function flatness(rows, side = 'pack') {
  const medians = rows.map((r) => r[side].cpuMsPerDevice.median);
  return medians.length ? Math.max(...medians) / Math.min(...medians) : undefined;
}

module.exports = { scalingFlows, scalingKind, verdict, flatness };
