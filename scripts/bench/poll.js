'use strict';
/**
 * The polling benchmarks: the pack inside Node-RED against raw net-snmp, cycle by
 * cycle in alternating order, and the long run that watches memory and sockets.
 */
const { monitorEventLoopDelay } = require('perf_hooks');
const { cycleOrder } = require('./stats');
const { openUdpSockets } = require('./procs');

const IF_TABLE = '1.3.6.1.2.1.2.2';
const IF_X_TABLE = '1.3.6.1.2.1.31.1.1';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';

function gc(type) {
  if (typeof global.gc !== 'function') return;
  if (type === 'minor') global.gc({ type: 'minor' });
  else global.gc();
}

/**
 * Times `fn` (wall and this process's CPU, user + system). A forced GC first, so each
 * cycle starts from the same heap and does not pay for its predecessor's garbage. The
 * event loop's delay during `fn` too (perf_hooks monitorEventLoopDelay, sampled every
 * 5 ms; the forced GC is before it starts): p99 and max, ms. A stall also counts time
 * the process was not scheduled, so the neighbours' load shows in it.
 *
 * `gc: 'full'` (the default) is V8's full, memory-reducing collection, which also drops
 * optimized code and the feedback it was built on: the cycle then runs its code
 * unoptimized until V8 optimizes it again, as a cycle does after seconds of idling
 * (V8's memory reducer collects the same way then: a 60-s interval's cycles run so).
 * `gc: 'minor'` collects the young generation only and keeps the compiled code, as in
 * cycles back to back.
 */
async function measure(fn, { gc: gcType = 'full' } = {}) {
  gc(gcType);
  const heapMB = process.memoryUsage().heapUsed / 1048576;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const loopP99Ms = loop.count > 0 ? loop.percentile(99) / 1e6 : 0;
  const loopMaxMs = loop.count > 0 ? loop.max / 1e6 : 0;
  return { ...result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, heapAtStartMB: heapMB, loopP99Ms, loopMaxMs };
}

/**
 * Flows of the poll benchmarks, one chain per fleet: walk → counter-rate → sink, get →
 * sink, and a second walk chain on its own profile for the long run (a smaller fleet, so
 * 20 cycles fit the run time).
 */
function pollFlows({ walkInventory, getInventory, enduranceInventory, community = 'public', counterRate = true, concurrency }) {
  // devices in flight per profile; blank is snmp-config's default (50)
  const inFlight = concurrency === undefined ? {} : { concurrency: String(concurrency) };
  // ids that no property value can equal: Node-RED takes any property equal to a
  // node id for a reference to that node
  const z = 'bench-tab';
  const walkChain = (suffix, inventory, channel) => {
    const next = counterRate ? `bench-rate${suffix}` : `sink-${channel}`;
    return [
      { id: `cfg-walk${suffix}`, type: 'snmp-config', name: `${channel} fleet`, version: '2c', inventory, ...inFlight, credentials: { community } },
      { id: `bench-walk${suffix}`, type: 'snmp-bulkwalk', z, name: 'interfaces', snmp: `cfg-walk${suffix}`, oids: 'IF-MIB::ifTable\nIF-MIB::ifXTable', output: 'rows', wires: [[next], [next]] },
      ...(counterRate ? [{ id: `bench-rate${suffix}`, type: 'counter-rate', z, name: 'rates', width: 'auto', mode: 'rate', wires: [[`sink-${channel}`]] }] : []),
      { id: `sink-${channel}`, type: 'bench-sink', z, channel, wires: [] },
    ];
  };
  return [
    { id: z, type: 'tab', label: 'bench' },
    ...walkChain('', walkInventory, 'walk'),
    ...(enduranceInventory ? walkChain('-endurance', enduranceInventory, 'endurance') : []),
    { id: 'cfg-get', type: 'snmp-config', name: 'get fleet', version: '2c', inventory: getInventory, ...inFlight, credentials: { community } },
    { id: 'bench-get', type: 'snmp-get', z, name: 'uptime', snmp: 'cfg-get', oids: 'sysUpTime.0\nsysName.0', wires: [['sink-get'], ['sink-get']] },
    { id: 'sink-get', type: 'bench-sink', z, channel: 'get', wires: [] },
  ];
}

/** One pack cycle: a message into `nodeId`, done when `devices` messages reached the sink. `gc` as measure's. */
function packCycle(red, nodeId, channel, devices, timeoutMs, { gc: gcType } = {}) {
  return measure(async () => {
    const c = red.counter(channel);
    c.reset();
    red.trigger(nodeId);
    await c.waitFor(devices, timeoutMs);
    return { ok: c.ok, failed: c.failed, varbinds: c.varbinds, rated: c.rated, firstError: c.firstError };
  }, { gc: gcType });
}

/**
 * Alternating pack/raw cycles after one unmeasured warm-up cycle of each (MIB load,
 * session creation, JIT). Returns the per-cycle measurements of both sides.
 */
async function pairedCycles({ cycles, pack, raw, onCycle }) {
  await pack();
  await raw();
  const out = { pack: [], raw: [] };
  for (let i = 0; i < cycles; i++) {
    for (const side of cycleOrder(i)) {
      const m = side === 'pack' ? await pack() : await raw();
      out[side].push(m);
      if (onCycle) onCycle(i, side, m);
    }
  }
  return out;
}

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / 1048576, rssMB: m.rss / 1048576, externalMB: m.external / 1048576, sockets: openUdpSockets() };
}

/**
 * `cycles` consecutive pack cycles after a warm-up; heap, RSS and UDP sockets after a
 * forced GC before and after, and the heap after the GC that starts each cycle.
 */
async function endurance({ cycles, pack, onCycle }) {
  // one unmeasured cycle first: sessions and counter-rate series are state, not growth
  await pack();
  const before = memory();
  const runs = [];
  for (let i = 0; i < cycles; i++) {
    const m = await pack();
    runs.push(m);
    if (onCycle) onCycle(i, m);
  }
  const after = memory();
  return { before, after, runs, heapSeries: runs.map((m) => m.heapAtStartMB) };
}

module.exports = { IF_TABLE, IF_X_TABLE, SYS_UPTIME, SYS_NAME, measure, pollFlows, packCycle, pairedCycles, endurance, memory };
