#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: fleet-scale speed and memory of this pack inside a real Node-RED,
 * side by side with raw net-snmp in the same run (the machine is shared and noisy, so
 * only figures measured together are compared). Runs the COMPILED nodes in nodes/
 * (npm run bench builds first); the simulated fleet runs in a separate process on
 * loopback, so the CPU figures are this process's alone.
 *
 *   node --expose-gc scripts/bench.js [--walk-devices 1000] [--get-devices 5000]
 *        [--cycles 5] [--concurrency 50] [--endurance 20] [--endurance-devices 500] [--sample 20]
 *        [--trap-rate 50000] [--trap-seconds 60] [--trap-repeats 5] [--trap-cpu-seconds 10]
 *        [--flood-rate 1000] [--metrics-devices 1000] [--scale-devices 1000]
 *        [--schedule-devices 10000] [--schedule-interval 60]
 *        [--scaling-get 100,1000,10000] [--scaling-walk 100,500,2000] [--rss-runs 5] [--rss-idle-seconds 40]
 *        [--skip heap,walk,get,rss,endurance,scaling,schedule,flood,metrics,traps,mib,reference,scale] [--quick] [--no-save]
 *        [--pack-dir DIR]   (another build of the pack, for before/after comparisons)
 *
 * Prints progress on stderr, then the report on stdout: tables, and as the last line
 * one JSON object. Saves both under bench/results/<date>.{txt,json}.
 *
 * Where taskset exists (and the machine has two CPUs or more), the simulator runs on
 * CPU 0 and this process, with the Node-RED it embeds, on the last CPU, so the load
 * generator and the measured side do not take each other's turns.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const { spawnTracked, waitForEvent, stopAll, openUdpSockets, machine, canPin, cpuCount, pinSelf } = require('./bench/procs');
const { summarize, pairedRatio, fmt, pct, table, verdict } = require('./bench/stats');
const { startSim } = require('./bench/sim');
const { EmbeddedRed } = require('./bench/red');
const { RawFleet } = require('./bench/raw');
const P = require('./bench/poll');
const { freeUdpPort, trapFlows, trapBenchmark } = require('./bench/traps');
const { floodBenchmark } = require('./bench/flood');
const { snmpbulkwalkReference } = require('./bench/reference');
const S = require('./bench/schedule');
const { metricsBenchmark } = require('./bench/metrics');
const { scaleBenchmark, sizing, redisStateLoad } = require('./bench/scale');
const { counterHeap } = require('./bench/counter-heap');
const SC = require('./bench/scaling');
const { rssBenchmark } = require('./bench/rss');

const ROOT = path.resolve(__dirname, '..');
const COMMUNITY = 'public';
const MAX_REPETITIONS = 25;
/** snmp-config's default; --concurrency sets another for both sides. */
const DEFAULT_CONCURRENCY = 50;
// issue 15's targets (round 2): walk CPU ≤ 0.5× raw and ≥ 600,000 varbinds per CPU-second
// through the flow, get CPU ≤ 1.0× raw, RSS ≤ 1.5× raw, CPU per device flat within 20 %
const TARGETS = { walkCpuRatio: 0.5, walkVarbindsPerCpuSecond: 600000, getCpuRatio: 1.0, rssRatio: 1.5, scalingFlat: 1.2, loopP99Ms: 50, heapGrowthMB: 50, designTrapsPerSecond: 50000, trapCpuUs: 15, heapPerSeriesB: 64, scrapeMs: 10000, schedulePeakToMean: 1.3 };

function options() {
  const { values } = parseArgs({
    options: {
      'walk-devices': { type: 'string' }, 'get-devices': { type: 'string' }, cycles: { type: 'string' }, concurrency: { type: 'string' },
      endurance: { type: 'string' }, 'endurance-devices': { type: 'string' }, 'trap-seconds': { type: 'string' }, sample: { type: 'string' },
      'schedule-devices': { type: 'string' }, 'schedule-interval': { type: 'string' },
      'trap-rate': { type: 'string' }, 'trap-repeats': { type: 'string' }, 'trap-cpu-seconds': { type: 'string' }, 'flood-rate': { type: 'string' },
      'metrics-devices': { type: 'string' }, 'scale-devices': { type: 'string' }, 'scaling-get': { type: 'string' }, 'scaling-walk': { type: 'string' }, 'rss-runs': { type: 'string' }, 'rss-idle-seconds': { type: 'string' },
      skip: { type: 'string' }, 'pack-dir': { type: 'string' }, quick: { type: 'boolean' }, 'no-save': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(3, 24).map((l) => l.replace(/^ \* ?/, '')).join('\n') + '\n');
    process.exit(0);
  }
  const int = (v, d) => (v === undefined ? d : Math.max(1, Number.parseInt(v, 10) || d));
  const quick = !!values.quick;
  const sizes = (v, d) => (v === undefined ? d : v.split(',').map((x) => Number.parseInt(x, 10)).filter((n) => n > 0));
  return {
    walkDevices: int(values['walk-devices'], quick ? 100 : 1000),
    getDevices: int(values['get-devices'], quick ? 500 : 5000),
    cycles: int(values.cycles, quick ? 2 : 5),
    // devices in flight per profile, the pack's and raw net-snmp's alike
    concurrency: int(values.concurrency, DEFAULT_CONCURRENCY),
    endurance: int(values.endurance, quick ? 3 : 20),
    // half the walk fleet: 20 cycles of all 1,000 devices alone would take ~8 minutes here
    enduranceDevices: int(values['endurance-devices'], quick ? 50 : 500),
    // issue 15: 50,000 traps/s sustained for 60 s; CPU per trap from 5 interleaved pairs
    trapRate: int(values['trap-rate'], 50000),
    trapSeconds: int(values['trap-seconds'], quick ? 3 : 60),
    trapRepeats: int(values['trap-repeats'], quick ? 2 : 5),
    trapCpuSeconds: int(values['trap-cpu-seconds'], quick ? 2 : 10),
    // issue 14 defect 2: maximum-size traps a second during a walk of the fleet
    floodRate: int(values['flood-rate'], quick ? 200 : 1000),
    sample: int(values.sample, quick ? 3 : 20),
    scheduleDevices: int(values['schedule-devices'], quick ? 1000 : 10000),
    // the examples' poll interval; the node's floor is 5 s
    scheduleInterval: Math.max(5, int(values['schedule-interval'], quick ? 10 : 60)),
    metricsDevices: int(values['metrics-devices'], quick ? 100 : 1000),
    scrapes: quick ? 2 : 5,
    scaleDevices: int(values['scale-devices'], quick ? 100 : 1000),
    // issue 15's scaling table: fleet sizes of the get and the walk
    scalingGet: sizes(values['scaling-get'], quick ? [100, 500] : [100, 1000, 10000]),
    scalingWalk: sizes(values['scaling-walk'], quick ? [50, 200] : [100, 500, 2000]),
    // issue 15: process RSS of the walk flow against raw net-snmp's, each alone in a fresh process
    // issue 15: every figure at least five times
    rssRuns: int(values['rss-runs'], quick ? 1 : 5),
    // RSS after the walks, polling nothing for this long (between the walks of a 60-s interval)
    rssIdleSeconds: int(values['rss-idle-seconds'], quick ? 0 : 40),
    skip: new Set((values.skip ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    save: !values['no-save'],
    packDir: values['pack-dir'] ? path.resolve(values['pack-dir']) : ROOT,
    quick,
  };
}

function log(line) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function ensureGc() {
  if (typeof global.gc === 'function') return;
  // started without --expose-gc (plain `node scripts/bench.js`): turn it on now
  require('v8').setFlagsFromString('--expose-gc');
  global.gc = require('vm').runInNewContext('gc');
}

/** Per-side figures of a set of poll cycles. */
function pollFigures(runs, devices) {
  const wall = runs.map((r) => r.wallMs);
  const cpuPerDevice = runs.map((r) => r.cpuMs / devices);
  const varbinds = runs.map((r) => r.varbinds / Math.max(1, r.ok));
  const w = summarize(wall);
  const c = summarize(cpuPerDevice);
  return {
    cycles: runs.length,
    wallMs: w,
    devicesPerSecond: devices / (w.median / 1000),
    varbindsPerSecond: summarize(runs.map((r) => r.varbinds / (r.wallMs / 1000))).median,
    cpuMsPerDevice: c,
    devicesPerCpuSecond: 1000 / c.median,
    varbindsPerCpuSecond: summarize(runs.map((r) => r.varbinds / (r.cpuMs / 1000))).median,
    varbindsPerDevice: summarize(varbinds).median,
    failed: runs.reduce((a, r) => a + r.failed, 0),
    firstError: runs.find((r) => r.firstError)?.firstError,
    // event-loop delay during each cycle: its p99 and max (scripts/bench/poll.js measure)
    loopP99Ms: summarize(runs.map((r) => r.loopP99Ms)),
    loopMaxMs: summarize(runs.map((r) => r.loopMaxMs)),
  };
}

function compare(result, devices) {
  const pack = pollFigures(result.pack, devices);
  const raw = pollFigures(result.raw, devices);
  const wall = pairedRatio(result.pack.map((r) => r.wallMs), result.raw.map((r) => r.wallMs));
  const cpu = pairedRatio(result.pack.map((r) => r.cpuMs), result.raw.map((r) => r.cpuMs));
  return { devices, pack, raw, ratio: wall.ratio, ratios: wall.ratios, cpuRatio: cpu.ratio, cpuRatios: cpu.ratios, cycles: result };
}

function cycleLine(i, side, m, devices) {
  const rated = m.rated ? `, ${m.rated} with rates` : '';
  return `  cycle ${i + 1} ${side.padEnd(4)} ${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / devices).toFixed(2)} ms CPU/device, event-loop delay p99 ${fmt(m.loopP99Ms, 1)} ms, ${m.ok} ok, ${m.failed} failed, ${fmt(m.varbinds)} varbinds${rated}${m.firstError ? ` (${m.firstError})` : ''}`;
}

async function runMibChild() {
  const child = spawnTracked(process.execPath, [path.join(__dirname, 'bench', 'mib.js')]);
  return waitForEvent(child, 'mib', 120000);
}

function report(r) {
  const out = [];
  const m = r.machine;
  out.push(`snmp-fleet benchmark, ${r.date}`);
  out.push(`machine: ${m.cpu}, ${m.memoryGB} GB, ${m.os}; Node ${m.node}, net-snmp ${m.netSnmp}, Node-RED ${m.nodeRed}; load average at start ${m.loadAverage.join(' ')}`);
  out.push(`1-minute load average as each part began: ${Object.entries(r.load).map(([k, v]) => `${k} ${v}`).join(', ')} (2 cores; other work shares the machine)`);
  if (r.options.packDir !== ROOT) out.push(`pack measured: the build in ${r.options.packDir} (--pack-dir), not this repository's`);
  out.push(`setup: loopback, SNMPv2c, simulator (${r.simulator.devices} devices, ${r.simulator.interfaces} interfaces) in its own process; concurrency ${r.options.concurrency}, maxRepetitions ${MAX_REPETITIONS}; CPU = this process (user + system); ${r.options.cycles} measured cycles per side after one warm-up, alternating order, a full forced GC before each (V8 then re-optimizes the code as after idling; the get also back to back)${r.pinned ? '; the simulator on CPU 0, this process on the other (taskset)' : ''}`);
  out.push('');

  const rows = [['', 'wall/cycle', 'min-max', 'spread', 'devices/s', 'varbinds/s', 'CPU ms/device', 'devices/CPU-s', 'varbinds/CPU-s', 'failed']];
  const sideRows = (title, cmp, rawLabel) => {
    rows.push([`${title}: ${fmt(cmp.devices)} devices, ${fmt(cmp.pack.varbindsPerDevice)} varbinds each`]);
    for (const side of ['pack', 'raw']) {
      const f = cmp[side];
      rows.push([side === 'pack' ? '  pack in Node-RED' : `  ${rawLabel}`, `${fmt(f.wallMs.median / 1000, 2)} s`,
        `${fmt(f.wallMs.min / 1000, 2)}-${fmt(f.wallMs.max / 1000, 2)} s`, pct(f.wallMs.cv), fmt(f.devicesPerSecond), fmt(f.varbindsPerSecond),
        fmt(f.cpuMsPerDevice.median, f.cpuMsPerDevice.median < 1 ? 3 : 2), fmt(f.devicesPerCpuSecond), fmt(f.varbindsPerCpuSecond), fmt(f.failed)]);
    }
    rows.push(['  ratio pack/raw (median of pairs)', `${fmt(cmp.ratio, 2)}x`, `${fmt(Math.min(...cmp.ratios), 2)}-${fmt(Math.max(...cmp.ratios), 2)}x`, '', '', '', `${fmt(cmp.cpuRatio, 2)}x`]);
  };
  if (r.walk) sideRows('snmp-bulkwalk (ifTable, ifXTable) → counter-rate', r.walk, 'raw net-snmp, 2 subtree walks');
  if (r.get) sideRows('snmp-get (sysUpTime.0, sysName.0)', r.get, 'raw net-snmp, session.get');
  if (r.getWarm) sideRows('snmp-get, the same back to back (young-generation GC only: compiled code kept)', r.getWarm, 'raw net-snmp, session.get');
  if (r.reference) {
    const ref = r.reference;
    rows.push([`reference: snmpbulkwalk per device and table, run one after the other: ${fmt(ref.devices)} devices, ${fmt(ref.varbinds / ref.devices)} varbinds each`]);
    rows.push([`  ${ref.tool}`, `${fmt(ref.wallMs / ref.devices)} ms/device`, '', '', fmt(ref.devices / (ref.wallMs / 1000), 1), fmt(ref.varbinds / (ref.wallMs / 1000)),
      fmt(ref.cpuMs / ref.devices, 2), fmt(ref.devices / (ref.cpuMs / 1000), 1), fmt(ref.varbinds / (ref.cpuMs / 1000)), '']);
  }
  if (r.counterHeap) {
    const h = r.counterHeap;
    out.push(`counter-rate state: ${fmt(h.devices)} devices × 1,968 varbinds (ifTable + ifXTable, 48 interfaces) → ${fmt(h.series)} counter series, after forced GC (JS heap + ArrayBuffers), ${h.bytesPerSeries.n} runs in fresh processes`);
    out.push(table([
      ['', 'median', 'min-max'],
      ['heap per counter series', `${fmt(h.bytesPerSeries.median, 1)} B`, `${fmt(h.bytesPerSeries.min, 1)}-${fmt(h.bytesPerSeries.max, 1)} B`],
      ['heap for all series', `${fmt(h.heapMB.median, 1)} MB`, `${fmt(h.heapMB.min, 1)}-${fmt(h.heapMB.max, 1)} MB`],
      ['engine CPU per device (2nd pass: every counter rated)', `${fmt(h.engineUsPerDevice.median)} µs`, `${fmt(h.engineUsPerDevice.min)}-${fmt(h.engineUsPerDevice.max)} µs`],
    ]));
    out.push(`biggest growths in a heap snapshot (${h.profileDevices} devices), per device: ${h.retainers.slice(0, 3).map((x) => `${x.what} ${fmt(x.bytesPerDevice)} B (${fmt(x.bytesPerSeries, 1)} B/series)`).join('; ')}`);
    out.push('');
  }
  if (rows.length > 1) {
    out.push('Polling');
    out.push(table(rows));
    out.push('');
  }
  for (const [name, cmp] of [['bulkwalk', r.walk], ['get', r.get]]) {
    if (!cmp) continue;
    out.push(`${name} per cycle, wall s (pack / raw): ${cmp.cycles.pack.map((p, i) => `${(p.wallMs / 1000).toFixed(2)}/${(cmp.cycles.raw[i].wallMs / 1000).toFixed(2)}`).join('  ')}`);
    out.push(`${name} heap after GC before each pack cycle, MB: ${cmp.cycles.pack.map((p) => p.heapAtStartMB.toFixed(0)).join(' ')}`);
    out.push(`${name} event-loop delay per cycle, p99/max ms: pack ${cmp.cycles.pack.map((p) => `${fmt(p.loopP99Ms)}/${fmt(p.loopMaxMs)}`).join(' ')}; raw ${cmp.cycles.raw.map((p) => `${fmt(p.loopP99Ms)}/${fmt(p.loopMaxMs)}`).join(' ')}`);
    if (name === 'bulkwalk') out.push(`bulkwalk messages whose counters counter-rate turned into rates, per pack cycle: ${cmp.cycles.pack.map((p) => p.rated).join(' ')}`);
  }
  if (r.walk || r.get) out.push('');

  if (r.rss) {
    const x = r.rss;
    const mb = (q) => `${fmt(q.median)} MB (${fmt(q.min)}-${fmt(q.max)})`;
    out.push(`Process RSS: snmp-bulkwalk (ifTable, ifXTable) → counter-rate in Node-RED against raw net-snmp walking the same columns, ${fmt(x.devices)} devices, each side alone in a fresh process, ${x.runs} runs each alternating; a warm-up cycle, then ${x.cycles} cycles back to back with no forced GC, RSS sampled every 50 ms (steady = the median of the samples), the heap V8 holds (heapTotal: live objects and garbage not yet collected) and Buffers (external) every 500 ms; median (min-max) of the runs`);
    out.push(table([
      ['', 'steady RSS', 'peak RSS', 'V8 heap held', 'Buffers', 'at process start', 'Node-RED started, nothing deployed'],
      ['pack in Node-RED', mb(x.pack.steadyMB), mb(x.pack.maxMB), mb(x.pack.heapTotalMB), mb(x.pack.externalMB), mb(x.pack.startedMB), mb(x.pack.idleMB)],
      ['raw net-snmp', mb(x.raw.steadyMB), mb(x.raw.maxMB), mb(x.raw.heapTotalMB), mb(x.raw.externalMB), mb(x.raw.startedMB), ''],
      ['ratio pack/raw (median of pairs)', `${fmt(x.ratio, 2)}x`],
      ...(x.nodeRedMB === undefined ? [] : [['Node-RED without this pack, once', '', '', '', '', '', `${fmt(x.nodeRedMB)} MB`]]),
    ]));
    if (x.idleSeconds > 0 && x.idle?.pack.afterIdleMB) {
      out.push(`then ${x.idleSeconds} s without polling (as between the walks of a 60-s interval): RSS pack ${mb(x.idle.pack.afterIdleMB)}, V8 heap ${mb(x.idle.pack.afterIdleHeapMB)}; raw net-snmp ${mb(x.idle.raw.afterIdleMB)}, V8 heap ${mb(x.idle.raw.afterIdleHeapMB)}`);
    }
    out.push('');
  }
  if (r.rssError) {
    out.push(`Process RSS: failed (${r.rssError})`);
    out.push('');
  }

  if (r.endurance) {
    const e = r.endurance;
    out.push(`Memory and sockets: ${e.cycles} consecutive snmp-bulkwalk → counter-rate cycles of ${fmt(e.devices)} devices (after a forced GC)`);
    out.push(table([
      ['', 'before', 'after', 'growth'],
      ['heap used', `${fmt(e.before.heapMB, 1)} MB`, `${fmt(e.after.heapMB, 1)} MB`, `${fmt(e.heapGrowthMB, 1)} MB`],
      ['RSS', `${fmt(e.before.rssMB, 1)} MB`, `${fmt(e.after.rssMB, 1)} MB`, `${fmt(e.rssGrowthMB, 1)} MB`],
      ['UDP sockets', fmt(e.before.sockets), fmt(e.after.sockets), fmt(e.after.sockets - e.before.sockets)],
    ]));
    out.push(`heap after GC at each cycle start, MB: ${e.heapSeries.map((h) => h.toFixed(0)).join(' ')}`);
    out.push(`wall per cycle: median ${fmt(e.wallMs.median / 1000, 2)} s, ${fmt(e.wallMs.min / 1000, 2)}-${fmt(e.wallMs.max / 1000, 2)} s; failed results ${fmt(e.failed)}`);
    out.push(`UDP sockets after the poll flows were replaced by the trap flow: ${r.socketsAfterRedeploy ?? '-'}`);
    out.push('');
  }

  if (r.scaling) {
    const x = r.scaling;
    out.push(`Scaling: CPU and heap per device as the fleet grows; each size deployed alone on its own profile, pack and raw net-snmp alternating, ${x.cycles} cycles per side after a warm-up; CPU median (min-max) of the cycles; heap after a forced GC: pack = what the size's state holds after its cycles, raw = what its sessions gave back when closed (raw keeps no counter state)`);
    const cpu = (s) => `${fmt(s.median, 3)} (${fmt(s.min, 3)}-${fmt(s.max, 3)})`;
    const rowsOf = (label, list) => list.map((q) => [`${label} ${fmt(q.devices)}`, cpu(q.pack.cpuMsPerDevice), cpu(q.raw.cpuMsPerDevice), `${fmt(q.cpuRatio.ratio, 2)}x`,
      fmt(q.pack.heapKBPerDevice, 1), fmt(q.raw.heapKBPerDevice, 1), `${fmt(q.pack.failed)}/${fmt(q.raw.failed)}`]);
    out.push(table([
      ['devices', 'pack CPU ms/device', 'raw CPU ms/device', 'CPU ratio', 'pack heap KB/device', 'raw heap KB/device', 'failed pack/raw'],
      ...rowsOf('snmp-get', x.get),
      ...rowsOf('bulkwalk → counter-rate', x.walk),
    ]));
    out.push(`CPU per device, largest over smallest size: get pack ${fmt(x.getFlat, 2)}x (raw ${fmt(x.rawGetFlat, 2)}x), walk pack ${fmt(x.walkFlat, 2)}x (raw ${fmt(x.rawWalkFlat, 2)}x)`);
    const v = x.verdict;
    if (v) out.push(`verdict: one ${v.cores}-core machine polls about ${fmt(Math.floor(v.devices / 100) * 100)} devices of ifTable + ifXTable every ${v.intervalS} s (${v.cores} Node-RED processes at ${Math.round(v.utilization * 100)} % of a core each, ${fmt(v.cpuMsPerDevice, 2)} ms CPU per device at ${fmt(v.measuredAt)} devices; about ${fmt(v.heapMBPerProcess)} MB of heap per process for their state)`);
    out.push('');
  } else if (r.scalingError) {
    out.push(`scaling: not measured: ${r.scalingError}`);
    out.push('');
  }

  if (r.flood) {
    const f = r.flood;
    out.push(`trap-in under a flood: ${fmt(f.rate)} maximum-size SNMPv2c traps a second (64 KiB, about 3,400 varbinds each) from 256 sources, during one snmp-bulkwalk → counter-rate cycle of ${fmt(f.devices)} devices`);
    out.push(table([
      ['trap-in maxVarbinds', 'event-loop delay p99', 'max', 'walk wall', 'walk ok/failed', 'traps sent', 'accepted', 'truncated', 'varbinds dropped'],
      ...f.runs.map((x) => [!x.flood ? 'no flood' : x.cap === 'default' ? 'default (256)' : `${fmt(x.cap)} (all decoded)`, `${fmt(x.loopP99Ms, 1)} ms`, `${fmt(x.loopMaxMs)} ms`,
        `${fmt(x.walk.wallMs / 1000, 1)} s${x.walk.error ? ' (timed out)' : ''}`, `${fmt(x.walk.ok)}/${fmt(x.walk.failed)}`, x.flood ? fmt(x.traps?.sent) : '0', fmt(x.traps?.accepted), fmt(x.traps?.truncated), fmt(x.traps?.varbindsDropped)]),
    ]));
    out.push('');
  } else if (r.floodError) {
    out.push(`trap flood: not measured: ${r.floodError}`);
    out.push('');
  }

  if (r.metrics) {
    const x = r.metrics;
    out.push(`snmp-metrics: ${fmt(x.devices)} devices × ${x.interfaces} interfaces walked (${x.columns} columns) into snmp-metrics: ${fmt(x.series)} interface series, heap ${fmt(x.heapMB, 1)} MB for them (${fmt(x.bytesPerSeries)} B per series, node and poll state included)`);
    out.push(`updating them: a walk cycle costs ${fmt(x.cpuMsPerDevice, 2)} ms CPU per device into snmp-metrics and a sink, ${fmt(x.cpuMsPerDeviceWithout, 2)} ms into two sinks (median of ${r.options.cycles} alternating pairs; difference per pair, median: ${fmt(x.ingestCpuMsPerDevice, 2)} ms per device, ${fmt((x.ingestCpuMsPerDevice * 1000 * x.devices) / Math.max(1, x.series), 2)} µs per series)`);
    out.push(table([
      ['scrape (GET over loopback)', 'median', 'min-max', 'CPU', 'bytes', 'longest event-loop stall'],
      ...x.scrapes.map((k) => [k.name, `${fmt(k.wallMs.median)} ms`, `${fmt(k.wallMs.min)}-${fmt(k.wallMs.max)} ms`, `${fmt(k.cpuMs)} ms`, `${fmt(k.bytes / 1048576, 1)} MB${k.encoding === 'gzip' ? ` gzip (${fmt(x.textBytes / 1048576, 1)} MB text)` : ''}`, `${fmt(k.maxStallMs)} ms`]),
    ]));
    out.push('');
  } else if (r.metricsError) {
    out.push(`snmp-metrics: not measured: ${r.metricsError}`);
    out.push('');
  }

  if (r.traps) {
    const t = r.traps;
    const us = (x) => `${fmt(x.median, 1)} µs (${fmt(x.min, 1)}-${fmt(x.max, 1)})`;
    out.push(`trap-in: SNMPv2c linkDown traps from ${t.sources} loopback source addresses, trap-in defaults (4 MiB buffer; per source 1,000/s after a burst of 2,000), counted at a sink node; net-snmp's bare Receiver (community check, callback) in this process for comparison${t.pinned ? '; sender on CPU 0, this process on the last CPU (taskset)' : ''}`);
    out.push(table([
      ['', 'CPU per trap, median (min-max)', 'traps per CPU-second', 'lost per run, median (max)'],
      [`trap-in in Node-RED, ${t.repeats} × ${t.cpuSeconds} s at ${fmt(t.target)}/s`, us(t.cpu.pack), fmt(1e6 / t.cpu.pack.median), `${fmt(t.lostAtTarget.pack.median)} (${fmt(t.lostAtTarget.pack.max)})`],
      [`net-snmp Receiver, interleaved`, us(t.cpu.raw), fmt(1e6 / t.cpu.raw.median), `${fmt(t.lostAtTarget.raw.median)} (${fmt(t.lostAtTarget.raw.max)})`],
      ['ratio trap-in / Receiver (median of pairs)', `${fmt(t.cpu.ratio, 2)}x (${fmt(Math.min(...t.cpu.ratios), 2)}-${fmt(Math.max(...t.cpu.ratios), 2)}x)`],
      [`bare socket that only counts, once`, `${fmt(t.floor.cpuUsPerTrap, 1)} µs`, fmt(1e6 / t.floor.cpuUsPerTrap), fmt(t.floor.lost)],
      ...(t.redFloor ? [[`Node-RED node sending each datagram on undecoded, once`, `${fmt(t.redFloor.cpuUsPerTrap, 1)} µs`, fmt(1e6 / t.redFloor.cpuUsPerTrap), fmt(t.redFloor.lost)]] : []),
    ]));
    const s = t.sustained;
    const sus = (x) => `${fmt(x.achieved)}/s sent, ${x.pass ? 'none lost' : `lost ${fmt(x.lost)} of ${fmt(x.sent)}${x.kernelDrops !== undefined ? ` (${fmt(x.kernelDrops)} by the kernel)` : ''}`}, ${fmt(x.cpuUsPerTrap, 1)} µs CPU/trap`;
    out.push(`${t.seconds} s at ${fmt(t.target)}/s: trap-in ${sus(s.pack)}; net-snmp Receiver ${sus(s['net-snmp'])}${t.senderLimited ? ' (the sender fell short of the rate: a lower bound)' : ''}`);
    if (t.highest) out.push(`highest rate trap-in held over ${t.highest.seconds} s without loss: ${fmt(t.highest.achieved)}/s (${fmt(t.highest.sent)} sent, ${fmt(t.highest.received)} received)`);
    else out.push(`trap-in held no rate tried over ${t.seconds} s without loss`);
    if (t.probes.length) out.push(`probes (${t.probeSeconds} s): ${t.probes.map((p) => `${fmt(p.achieved)}/s ${p.pass ? 'ok' : `lost ${fmt(p.lost)}`}`).join(', ')}; ${t.seconds} s runs: ${t.attempts.map((a) => `${fmt(a.achieved)}/s ${a.pass ? 'ok' : `lost ${fmt(a.lost)}`}`).join(', ')}`);
    out.push('');
  } else if (r.trapError) {
    out.push(`trap-in: not measured: ${r.trapError}`);
    out.push('');
  }

  if (r.schedule) {
    const sc = r.schedule;
    out.push(`Request rate: ${fmt(sc.devices)} devices, snmp-get sysUpTime.0 + sysName.0 every ${sc.intervalSeconds} s; requests per second over one interval, by the second of their answer`);
    const ratio = (v) => (v === null || v === undefined ? '-' : `${fmt(v, 2)}x`);
    const row = (label, p) => [label, fmt(p.requests), fmt(p.mean, 1), fmt(p.busiest), ratio(p.peakToMean), fmt(p.quietest), `${p.activeSeconds}/${p.seconds}`,
      `${p.cleanBusiest === null ? '-' : fmt(p.cleanBusiest)} (${ratio(p.cleanPeakToMean)}) of ${p.cleanSeconds}`, fmt(p.cpuMs / Math.max(1, p.requests), 3), fmt(p.failed)];
    out.push(table([
      ['', 'requests', 'mean/s', 'busiest s', 'busiest/mean', 'quietest s', 'seconds used', 'busiest s without a stall', 'CPU ms/request', 'failed'],
      row('one trigger per cycle', sc.triggered),
      row('own schedule', sc.scheduled),
    ]));
    const split = (p) => `${fmt(p.cpuUserMs / Math.max(1, p.requests), 3)} + ${fmt(p.cpuSystemMs / Math.max(1, p.requests), 3)}`;
    out.push(`CPU ms per request, user + system: one trigger ${split(sc.triggered)}, own schedule ${split(sc.scheduled)} (the whole process over the interval, idle time included)`);
    out.push(`the triggered cycle took ${fmt(sc.triggered.cycleMs / 1000, 2)} s of the ${sc.intervalSeconds}; this process was not run for over 50 ms ${sc.triggered.stalls} and ${sc.scheduled.stalls} times (longest ${fmt(sc.triggered.longestStallMs)} and ${fmt(sc.scheduled.longestStallMs)} ms)`);
    out.push(`requests per second, one trigger: ${sc.triggered.counts.slice(0, 10).join(' ')} ...; own schedule: ${sc.scheduled.counts.join(' ')}`);
    out.push('');
  }

  if (r.scale) {
    const x = r.scale;
    const z = x.sizing;
    out.push(`Scale-out: the worker flow's walk (${x.oids.join(', ')}) of ${fmt(x.devices)} devices, ${x.cycles} cycles per side after a warm-up, alternating; CPU per process from /proc`);
    out.push(table([
      ['', 'wall/cycle', 'CPU ms/device', 'devices/CPU-s'],
      ['one process: snmp-bulkwalk → counter-rate', `${fmt(x.single.wallMs.median / 1000, 2)} s`, fmt(x.single.cpuMsPerDevice.median, 2), fmt(x.single.devicesPerCpuSecond)],
      [`via MQTT: worker (jobs of ${x.jobSize}, results as JSON)`, `${fmt(x.mqtt.wallMs.median / 1000, 2)} s`, fmt(x.mqtt.workerCpuMsPerDevice.median, 2), fmt(x.mqtt.workerDevicesPerCpuSecond)],
      ['via MQTT: aggregator (mqtt in → counter-rate)', '', fmt(x.mqtt.aggregatorCpuMsPerDevice.median, 2), fmt(x.mqtt.aggregatorDevicesPerCpuSecond)],
      ['via MQTT: broker (mosquitto)', '', fmt(x.mqtt.brokerCpuMsPerDevice.median, 3), ''],
    ]));
    if (x.redis) {
      const q = x.redis;
      out.push(`counter-rate state in Redis (the pack's context store, one key per device): ${fmt(q.devices)} devices × ${q.interfaces} interfaces (${fmt(q.series)} series, ${fmt(q.redisMB)} MB in Redis) read back at start in ${fmt(q.loadMs / 1000, 2)} s; written whole in ${fmt(q.fullWriteMs / 1000, 2)} s; a cycle's ${fmt(q.changed)} changed devices in ${fmt(q.changedWriteMs)} ms`);
    }
    out.push(`sizing, ${fmt(z.devices)} devices every ${z.intervalS} s (${fmt(z.devicesPerSecond)} devices/s): workers ${fmt(z.workerCpuCores, 1)} cores → ${z.workerProcesses} worker processes at ${Math.round(z.utilization * 100)} % of a core = ${z.workerMachines} ${z.cores}-core workers; aggregation ${fmt(z.aggregatorCpuCores, 2)} cores; broker ${fmt(z.brokerCpuCores, 2)} cores`);
    out.push('');
  } else if (r.scaleError) {
    out.push(`scale-out: not measured: ${r.scaleError}`);
    out.push('');
  }

  if (r.mib) {
    const b = r.mib;
    out.push(`MIB service (fresh process): ${fmt(b.modules)} modules, ${fmt(b.objects)} named OIDs loaded in ${fmt(b.loadMs)} ms (${b.warnings} warnings); naming instance OIDs: ${fmt(b.namesPerSecond)}/s first seen, ${fmt(b.namesPerSecondCached)}/s repeated; names to OIDs: ${fmt(b.resolvePerSecond)}/s`);
    out.push('');
  }

  out.push('Targets');
  out.push(table([['target', 'measured', 'verdict'], ...r.targets.map((t) => [t.name, t.value, verdict(t.met)])]));
  if (r.logged.length) {
    out.push('');
    out.push(`Node-RED logged ${r.logged.length} warnings/errors (first 5):`);
    for (const l of r.logged.slice(0, 5)) out.push(`  ${l.slice(0, 200)}`);
  }
  return out.join('\n');
}

function targets(r) {
  const list = [];
  if (r.walk) {
    list.push({ name: `bulkwalk → counter-rate CPU per device <= ${TARGETS.walkCpuRatio}x raw net-snmp's`, value: `${fmt(r.walk.cpuRatio, 2)}x (wall ${fmt(r.walk.ratio, 2)}x)`, met: r.walk.cpuRatio <= TARGETS.walkCpuRatio });
    const vbPerCpuS = r.walk.pack.varbindsPerCpuSecond;
    list.push({
      name: `bulkwalk → counter-rate >= ${fmt(TARGETS.walkVarbindsPerCpuSecond)} varbinds per CPU-second`,
      value: `${fmt(vbPerCpuS)} (${fmt(r.walk.pack.devicesPerCpuSecond)} devices/CPU-s of ${fmt(r.walk.pack.varbindsPerDevice)} varbinds; raw ${fmt(r.walk.raw.varbindsPerCpuSecond)})`,
      met: vbPerCpuS >= TARGETS.walkVarbindsPerCpuSecond,
    });
  }
  // the walk by itself, no trap flood: the walk section's cycles, else the flood section's run without a flood
  const walkAlone = r.walk
    ? { p99: r.walk.pack.loopP99Ms.median, text: `${fmt(r.walk.pack.loopP99Ms.median, 1)} ms (median of ${r.walk.pack.cycles} cycles, ${fmt(r.walk.pack.loopP99Ms.min, 1)}-${fmt(r.walk.pack.loopP99Ms.max, 1)}; raw net-snmp ${fmt(r.walk.raw.loopP99Ms.median, 1)} ms)` }
    : r.flood?.runs.find((x) => !x.flood) && { p99: r.flood.runs.find((x) => !x.flood).loopP99Ms, text: `${fmt(r.flood.runs.find((x) => !x.flood).loopP99Ms, 1)} ms (the flood section's walk without a flood)` };
  if (walkAlone) list.push({ name: `bulkwalk → counter-rate alone: event-loop delay p99 <= ${TARGETS.loopP99Ms} ms`, value: walkAlone.text, met: walkAlone.p99 <= TARGETS.loopP99Ms });
  if (r.counterHeap) list.push({ name: `heap per counter series held by counter-rate <= ${TARGETS.heapPerSeriesB} B`, value: `${fmt(r.counterHeap.bytesPerSeries.median, 1)} B (${fmt(r.counterHeap.bytesPerSeries.min, 1)}-${fmt(r.counterHeap.bytesPerSeries.max, 1)})`, met: r.counterHeap.bytesPerSeries.median <= TARGETS.heapPerSeriesB });
  if (r.rss) list.push({ name: `process RSS of the walk → counter-rate flow, steady, <= ${TARGETS.rssRatio}x raw net-snmp's`, value: `${fmt(r.rss.ratio, 2)}x (${fmt(r.rss.pack.steadyMB.median)} / ${fmt(r.rss.raw.steadyMB.median)} MB)`, met: r.rss.ratio <= TARGETS.rssRatio });
  if (r.get) list.push({ name: `get CPU per device <= ${TARGETS.getCpuRatio}x raw net-snmp's`, value: `${fmt(r.get.cpuRatio, 2)}x (wall ${fmt(r.get.ratio, 2)}x${r.getWarm ? `; back to back ${fmt(r.getWarm.cpuRatio, 2)}x` : ''})`, met: r.get.cpuRatio <= TARGETS.getCpuRatio });
  if (r.endurance) {
    list.push({ name: `heap growth over ${r.endurance.cycles} cycles <= ${TARGETS.heapGrowthMB} MB`, value: `${fmt(r.endurance.heapGrowthMB, 1)} MB (RSS ${fmt(r.endurance.rssGrowthMB, 1)} MB)`, met: r.endurance.heapGrowthMB <= TARGETS.heapGrowthMB });
    list.push({ name: 'no UDP socket growth', value: `${r.endurance.before.sockets} -> ${r.endurance.after.sockets}`, met: r.endurance.after.sockets <= r.endurance.before.sockets });
  }
  if (r.scaling) {
    const x = r.scaling;
    const flat = Math.max(x.getFlat ?? 1, x.walkFlat ?? 1);
    list.push({ name: `scaling: CPU per device flat within ${Math.round((TARGETS.scalingFlat - 1) * 100)} % (get ${x.get.map((q) => fmt(q.devices)).join('/')}, walk ${x.walk.map((q) => fmt(q.devices)).join('/')})`, value: `largest/smallest: get ${fmt(x.getFlat, 2)}x, walk ${fmt(x.walkFlat, 2)}x`, met: flat <= TARGETS.scalingFlat });
  }
  if (r.schedule) {
    const p = r.schedule.scheduled;
    // a stall of this process bunches whatever runs: the target is judged on the seconds none touched, when they are most
    const judged = p.cleanSeconds >= p.seconds / 2 ? p.cleanPeakToMean : null;
    list.push({
      name: `own schedule: busiest second <= ${TARGETS.schedulePeakToMean}x the mean requests/s (seconds without a stall of the process)`,
      value: `${fmt(p.cleanBusiest)} / ${fmt(p.mean, 1)} = ${fmt(p.cleanPeakToMean, 2)}x over ${p.cleanSeconds} of ${p.seconds} s; all seconds ${fmt(p.peakToMean, 2)}x; one trigger per cycle ${fmt(r.schedule.triggered.peakToMean, 1)}x`,
      met: judged === null ? undefined : judged <= TARGETS.schedulePeakToMean,
    });
  }
  if (r.flood) {
    const d = r.flood.runs.find((x) => x.cap === 'default');
    const alone = r.flood.runs.find((x) => !x.flood);
    if (d) list.push({ name: `trap flood during a walk: event-loop delay p99 <= ${TARGETS.loopP99Ms} ms`, value: `${fmt(d.loopP99Ms, 1)} ms (walk alone ${fmt(alone?.loopP99Ms, 1)} ms)`, met: d.loopP99Ms <= TARGETS.loopP99Ms });
  }
  if (r.metrics) {
    const prom = r.metrics.scrapes[0];
    list.push({ name: `snmp-metrics: Prometheus scrape of ${fmt(r.metrics.devices)} devices within its default scrape_timeout (${TARGETS.scrapeMs / 1000} s)`, value: `${fmt(prom.wallMs.median)} ms for ${fmt(r.metrics.series)} series`, met: prom.wallMs.max <= TARGETS.scrapeMs });
  }
  if (r.traps || r.trapError) {
    const t = r.traps;
    const held = t?.highest?.achieved ?? 0;
    list.push({ name: `trap-in: ${fmt(TARGETS.designTrapsPerSecond)} traps/s for ${r.options.trapSeconds} s, none lost`, value: t ? `${fmt(held)}/s held` : '-', met: t ? held >= 0.98 * TARGETS.designTrapsPerSecond && t.sustained.pack.pass : undefined });
    list.push({ name: `trap-in: CPU per trap <= ${TARGETS.trapCpuUs} µs`, value: t ? `${fmt(t.cpu.pack.median, 1)} µs (Receiver ${fmt(t.cpu.raw.median, 1)} µs${t.redFloor ? `; a Node-RED node forwarding undecoded ${fmt(t.redFloor.cpuUsPerTrap, 1)} µs` : ''})` : '-', met: t ? t.cpu.pack.median <= TARGETS.trapCpuUs : undefined });
  }
  return list;
}

async function main() {
  const opt = options();
  ensureGc();
  const started = Date.now();
  const date = new Date().toISOString();
  const r = { date, machine: machine(), options: { ...opt, skip: [...opt.skip] }, logged: [] };
  const want = (phase) => !opt.skip.has(phase);
  // the machine is shared: note how busy it was as each part began
  r.load = {};
  const phase = (name) => { r.load[name] = Math.round(os.loadavg()[0] * 100) / 100; };
  const interrupted = () => {
    log('interrupted: stopping everything');
    stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);

  if (want('heap')) {
    phase('heap');
    // a child process per repeat, before the simulator starts: the engine's state alone
    const runs = [];
    for (let i = 0; i < opt.cycles; i++) {
      const h = await counterHeap({ packDir: opt.packDir, devices: opt.walkDevices });
      log(`counter-rate heap ${i + 1}/${opt.cycles}: ${fmt(h.series)} series, ${h.heapMB.toFixed(1)} MB, ${h.bytesPerSeries.toFixed(1)} B per series, engine ${fmt(h.engineUsPerDevice)} µs CPU per device`);
      runs.push(h);
    }
    const profile = await counterHeap({ packDir: opt.packDir, devices: Math.min(50, opt.walkDevices), snapshot: true });
    r.counterHeap = {
      devices: opt.walkDevices, series: runs[0].series, seriesPerDevice: runs[0].seriesPerDevice,
      bytesPerSeries: summarize(runs.map((h) => h.bytesPerSeries)), heapMB: summarize(runs.map((h) => h.heapMB)),
      engineUsPerDevice: summarize(runs.map((h) => h.engineUsPerDevice)), retainers: profile.retainers, profileDevices: profile.devices,
    };
  }

  const simDevices = Math.max(want('walk') || want('flood') || want('rss') ? opt.walkDevices : 1, want('endurance') ? opt.enduranceDevices : 1, want('get') ? opt.getDevices : 1, want('schedule') ? opt.scheduleDevices : 1, want('metrics') ? opt.metricsDevices : 1, want('scale') ? opt.scaleDevices : 1,
    want('scaling') ? Math.max(...opt.scalingGet, ...opt.scalingWalk) : 1, opt.sample);
  // the simulator on CPU 0, the measured process on the last one (given back before the
  // trap part, which pins itself, and the scale-out part, whose Node-RED processes, broker
  // and Redis share the machine)
  const pin = canPin() && cpuCount() >= 2;
  log(`starting the simulator: ${simDevices} devices${pin ? `, on CPU 0; this process on CPU ${cpuCount() - 1}` : ''}`);
  const sim = await startSim({ devices: simDevices, cpu: pin ? 0 : undefined });
  let unpin = pin ? pinSelf(cpuCount() - 1) : () => undefined;
  r.pinned = pin;
  r.simulator = { devices: simDevices, interfaces: sim.ready.interfaces, startMs: sim.ready.startMs };
  // the HTTP node server only when snmp-metrics is scraped: the other parts run as before
  const red = new EmbeddedRed({ packDir: opt.packDir, http: want('metrics') });
  try {
    const sets = await red.start();
    log(`Node-RED ${r.machine.nodeRed} embedded (userDir ${red.userDir}), node sets: ${sets.join(', ')}`);
    await red.deploy(P.pollFlows({
      walkInventory: sim.inventory(opt.walkDevices), getInventory: sim.inventory(opt.getDevices),
      enduranceInventory: want('endurance') ? sim.inventory(opt.enduranceDevices) : undefined, community: COMMUNITY, concurrency: opt.concurrency,
    }));
    const cycleTimeout = (devices) => 60000 + devices * 200;

    if (want('walk')) {
      phase('walk');
      const devices = sim.devices.slice(0, opt.walkDevices);
      const raw = new RawFleet(devices, { community: COMMUNITY, concurrency: opt.concurrency, maxRepetitions: MAX_REPETITIONS });
      log(`bulkwalk: ${devices.length} devices, ifTable + ifXTable, warm-up + ${opt.cycles} cycles per side`);
      const result = await P.pairedCycles({
        cycles: opt.cycles,
        pack: () => P.packCycle(red, 'bench-walk', 'walk', devices.length, cycleTimeout(devices.length)),
        raw: () => P.measure(() => raw.walkCycle([P.IF_TABLE, P.IF_X_TABLE])),
        onCycle: (i, side, m) => log(cycleLine(i, side, m, devices.length)),
      });
      raw.close();
      r.walk = compare(result, devices.length);
      log(`bulkwalk ratio ${r.walk.ratio.toFixed(2)} (CPU ${r.walk.cpuRatio.toFixed(2)})`);
    }

    if (want('get')) {
      phase('get');
      const devices = sim.devices.slice(0, opt.getDevices);
      const raw = new RawFleet(devices, { community: COMMUNITY, concurrency: opt.concurrency, maxRepetitions: MAX_REPETITIONS });
      log(`get: ${devices.length} devices, sysUpTime.0 + sysName.0, warm-up + ${opt.cycles} cycles per side`);
      const result = await P.pairedCycles({
        cycles: opt.cycles,
        pack: () => P.packCycle(red, 'bench-get', 'get', devices.length, cycleTimeout(devices.length)),
        raw: () => P.measure(() => raw.getCycle([P.SYS_UPTIME, P.SYS_NAME])),
        onCycle: (i, side, m) => log(cycleLine(i, side, m, devices.length)),
      });
      r.get = compare(result, devices.length);
      log(`get ratio ${r.get.ratio.toFixed(2)} (CPU ${r.get.cpuRatio.toFixed(2)})`);
      // the same cycles back to back: only the young generation collected before each, so
      // neither side re-optimizes its code (the figure above is a cycle after idling)
      log(`get back to back: young-generation GC only before each cycle, warm-up + ${opt.cycles} cycles per side`);
      const warm = await P.pairedCycles({
        cycles: opt.cycles,
        pack: () => P.packCycle(red, 'bench-get', 'get', devices.length, cycleTimeout(devices.length), { gc: 'minor' }),
        raw: () => P.measure(() => raw.getCycle([P.SYS_UPTIME, P.SYS_NAME]), { gc: 'minor' }),
        onCycle: (i, side, m) => log(cycleLine(i, side, m, devices.length)),
      });
      raw.close();
      r.getWarm = compare(warm, devices.length);
      log(`get back to back ratio ${r.getWarm.ratio.toFixed(2)} (CPU ${r.getWarm.cpuRatio.toFixed(2)})`);
    }

    if (want('rss')) {
      phase('rss');
      const devices = sim.devices.slice(0, opt.walkDevices);
      log(`rss: the walk → counter-rate flow and raw net-snmp walking the same columns, each alone in a fresh process, ${opt.rssRuns} runs each of a warm-up + ${opt.cycles} cycles of ${devices.length} devices`);
      try {
        const runs = await rssBenchmark({
          runs: opt.rssRuns, cycles: opt.cycles, idleSeconds: opt.rssIdleSeconds, devices, inventory: sim.inventory(devices.length), packDir: opt.packDir,
          community: COMMUNITY, concurrency: opt.concurrency, maxRepetitions: MAX_REPETITIONS, log,
        });
        const s = (side, k) => summarize(runs[side].map((x) => x[k]));
        const idle = (side) => (opt.rssIdleSeconds > 0 ? { afterIdleMB: s(side, 'afterIdleMB'), afterIdleHeapMB: s(side, 'afterIdleHeapMB') } : {});
        r.rss = {
          devices: devices.length, runs: opt.rssRuns, cycles: opt.cycles, idleSeconds: opt.rssIdleSeconds,
          idle: { pack: idle('pack'), raw: idle('raw') },
          pack: { steadyMB: s('pack', 'steadyMB'), maxMB: s('pack', 'maxMB'), idleMB: s('pack', 'idleMB'), startedMB: s('pack', 'startedMB'), heapTotalMB: s('pack', 'heapTotalMB'), externalMB: s('pack', 'externalMB') },
          raw: { steadyMB: s('raw', 'steadyMB'), maxMB: s('raw', 'maxMB'), startedMB: s('raw', 'startedMB'), heapTotalMB: s('raw', 'heapTotalMB'), externalMB: s('raw', 'externalMB') },
          ratio: pairedRatio(runs.pack.map((x) => x.steadyMB), runs.raw.map((x) => x.steadyMB)).ratio,
          nodeRedMB: runs.nodeRed.idleMB,
        };
        log(`rss ratio pack/raw ${r.rss.ratio.toFixed(2)} (steady ${r.rss.pack.steadyMB.median.toFixed(0)} / ${r.rss.raw.steadyMB.median.toFixed(0)} MB)`);
      } catch (err) {
        r.rssError = err.message;
        log(`rss benchmark failed: ${err.message}`);
      }
    }

    if (want('endurance')) {
      phase('endurance');
      const devices = opt.enduranceDevices;
      // let the raw sessions' sockets finish closing before counting
      await new Promise((resolve) => setTimeout(resolve, 200));
      log(`endurance: ${opt.endurance} consecutive bulkwalk cycles of ${devices} devices`);
      const e = await P.endurance({
        cycles: opt.endurance,
        pack: () => P.packCycle(red, 'bench-walk-endurance', 'endurance', devices, cycleTimeout(devices)),
        onCycle: (i, m) => log(cycleLine(i, 'pack', m, devices)),
      });
      r.endurance = {
        cycles: opt.endurance, devices, before: e.before, after: e.after,
        heapGrowthMB: e.after.heapMB - e.before.heapMB, rssGrowthMB: e.after.rssMB - e.before.rssMB,
        heapSeries: e.heapSeries, wallMs: summarize(e.runs.map((x) => x.wallMs)), failed: e.runs.reduce((a, x) => a + x.failed, 0),
      };
      log(`heap ${e.before.heapMB.toFixed(1)} -> ${e.after.heapMB.toFixed(1)} MB, RSS ${e.before.rssMB.toFixed(1)} -> ${e.after.rssMB.toFixed(1)} MB, UDP sockets ${e.before.sockets} -> ${e.after.sockets}`);
    }

    if (want('scaling')) {
      phase('scaling');
      try {
        const common = { red, sim, cycles: opt.cycles, community: COMMUNITY, concurrency: opt.concurrency, maxRepetitions: MAX_REPETITIONS, cycleTimeout, log };
        log(`scaling: snmp-get at ${opt.scalingGet.join(', ')} devices, snmp-bulkwalk → counter-rate at ${opt.scalingWalk.join(', ')}, pack and raw net-snmp alternating, ${common.cycles} cycles per side and size`);
        const get = await SC.scalingKind({ ...common, kind: 'get', sizes: opt.scalingGet });
        const walk = await SC.scalingKind({ ...common, kind: 'walk', sizes: opt.scalingWalk });
        r.scaling = { cycles: common.cycles, get, walk, verdict: SC.verdict(walk), getFlat: SC.flatness(get), walkFlat: SC.flatness(walk), rawGetFlat: SC.flatness(get, 'raw'), rawWalkFlat: SC.flatness(walk, 'raw') };
      } catch (err) {
        r.scalingError = err.message;
        log(`scaling benchmark failed: ${err.message}`);
      }
    }

    if (want('schedule')) {
      phase('schedule');
      const devices = opt.scheduleDevices;
      const intervalSeconds = opt.scheduleInterval;
      const inventory = sim.inventory(devices);
      log(`schedule: ${devices} devices, snmp-get sysUpTime.0 + sysName.0, requests per second over one ${intervalSeconds}-s interval: one trigger per cycle, then the node on its own schedule`);
      await red.deploy(S.scheduleFlows({ inventory, mode: 'input', intervalSeconds, community: COMMUNITY }));
      // an unmeasured cycle opens the sessions, as the scheduled side's first interval does
      const warm = red.counter('bench-sched-trigger');
      warm.reset();
      red.trigger('bench-sched-trigger');
      await warm.waitFor(devices, cycleTimeout(devices));
      const triggered = await S.triggeredInterval(red, { devices, intervalSeconds, timeoutMs: cycleTimeout(devices) });
      log(`schedule, one trigger: the cycle took ${(triggered.cycleMs / 1000).toFixed(2)} s; busiest second ${triggered.busiest} requests, mean ${triggered.mean.toFixed(1)}/s`);
      await red.deploy(S.scheduleFlows({ inventory, mode: 'interval', intervalSeconds, community: COMMUNITY }));
      const scheduled = await S.scheduledInterval(red, { intervalSeconds, log });
      log(`schedule, own schedule: busiest second ${scheduled.busiest} requests, mean ${scheduled.mean.toFixed(1)}/s`);
      r.schedule = { devices, intervalSeconds, triggered, scheduled };
    }

    if (want('flood')) {
      phase('flood');
      try {
        const devices = opt.walkDevices;
        log(`flood: ${opt.floodRate} maximum-size traps a second during a walk of ${devices} devices, trap-in's default varbind cap, then every varbind decoded`);
        const pollFlows = P.pollFlows({ walkInventory: sim.inventory(devices), getInventory: sim.inventory(1), community: COMMUNITY, concurrency: opt.concurrency });
        r.flood = {
          rate: opt.floodRate,
          devices,
          runs: await floodBenchmark({
            red, spawnTracked, pollFlows, community: COMMUNITY, rate: opt.floodRate, caps: ['none', undefined, 10000], log,
            walkCycle: () => P.packCycle(red, 'bench-walk', 'walk', devices, cycleTimeout(devices)),
          }),
        };
      } catch (err) {
        r.floodError = err.message;
        log(`flood benchmark failed: ${err.message}`);
      }
    }

    if (want('metrics')) {
      phase('metrics');
      const devices = opt.metricsDevices;
      log(`snmp-metrics: ${devices} devices walked into snmp-metrics, then ${opt.scrapes} scrapes of each kind`);
      try {
        const m = await metricsBenchmark({ red, inventory: sim.inventory(devices), devices, cycles: opt.cycles, scrapes: opt.scrapes, community: COMMUNITY, timeoutMs: cycleTimeout(devices), log });
        r.metrics = { ...m, interfaces: sim.ready.interfaces, columns: require('./bench/metrics').COLUMNS.length };
      } catch (err) {
        r.metricsError = err.message;
        log(`snmp-metrics benchmark failed: ${err.message}`);
      }
    }

    // the trap part pins the sender and this process itself (it reads the CPUs this process
    // may use, one while pinned); the scale-out part runs unpinned
    unpin();
    unpin = () => undefined;
    if (want('traps')) {
      phase('traps');
      try {
        const port = await freeUdpPort();
        const forwardPort = await freeUdpPort();
        await red.deploy(trapFlows(port, COMMUNITY, forwardPort));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // the poll flows' state is garbage now: collect it before, not during, the trap runs
        P.memory();
        r.socketsAfterRedeploy = openUdpSockets();
        log(`trap-in on 127.0.0.1:${port} (UDP sockets now ${r.socketsAfterRedeploy}): ${opt.trapRepeats} pairs of ${opt.trapCpuSeconds} s at ${opt.trapRate}/s, then ${opt.trapSeconds} s sustained`);
        const t = await trapBenchmark({
          red, spawnTracked, port, forwardPort, community: COMMUNITY, target: opt.trapRate, repeats: opt.trapRepeats, cpuSeconds: opt.trapCpuSeconds,
          seconds: opt.trapSeconds, probeSeconds: opt.quick ? 1 : 5, log,
        });
        r.traps = { sources: 256, ...t };
      } catch (err) {
        r.trapError = err.message;
        log(`trap benchmark failed: ${err.message}`);
      }
    }

    if (want('scale')) {
      phase('scale');
      try {
        r.scale = await scaleBenchmark({ sim, devices: opt.scaleDevices, cycles: opt.cycles, log });
        r.scale.sizing = sizing(r.scale);
        r.scale.redis = await redisStateLoad({ devices: opt.quick ? 5000 : 50000, log });
      } catch (err) {
        r.scaleError = err.message;
        log(`scale-out benchmark failed: ${err.message}`);
      }
    }

    if (want('mib')) {
      log('MIB service: load and naming, in a fresh process');
      r.mib = await runMibChild();
    }

    if (want('reference')) {
      log(`reference: snmpbulkwalk on ${opt.sample} devices`);
      try {
        r.reference = await snmpbulkwalkReference({ devices: sim.devices.slice(0, opt.sample), tables: [P.IF_TABLE, P.IF_X_TABLE], community: COMMUNITY, maxRepetitions: MAX_REPETITIONS });
        if (!r.reference) log('snmpbulkwalk is not installed: no reference line');
      } catch (err) {
        log(`reference failed: ${err.message}`);
      }
    }
  } finally {
    unpin();
    r.logged = red.logged.filter((l) => !/Projects disabled|Encrypted credentials not found/.test(l));
    await red.stop().catch((err) => log(`Node-RED stop: ${err.message}`));
    await sim.close();
    await stopAll();
  }

  r.socketsAtEnd = openUdpSockets();
  phase('end');
  r.elapsedS = (Date.now() - started) / 1000;
  r.targets = targets(r);
  const text = `${report(r)}\n\ntotal run time ${fmt(r.elapsedS)} s; UDP sockets left open ${r.socketsAtEnd}`;
  const summary = {
    ratio: r.walk?.ratio ?? null,
    cpuRatio: r.walk?.cpuRatio ?? null,
    getRatio: r.get?.ratio ?? null,
    getCpuRatio: r.get?.cpuRatio ?? null,
    getWarmCpuRatio: r.getWarm?.cpuRatio ?? null,
    devices: r.walk?.devices ?? null,
    getDevices: r.get?.devices ?? null,
    varbindsPerDevice: r.walk?.pack.varbindsPerDevice ?? null,
    walkCycleS: r.walk ? r.walk.pack.wallMs.median / 1000 : null,
    rawWalkCycleS: r.walk ? r.walk.raw.wallMs.median / 1000 : null,
    cpuMsPerDevice: r.walk?.pack.cpuMsPerDevice.median ?? null,
    rawCpuMsPerDevice: r.walk?.raw.cpuMsPerDevice.median ?? null,
    walkLoopP99Ms: r.walk?.pack.loopP99Ms.median ?? null,
    rawWalkLoopP99Ms: r.walk?.raw.loopP99Ms.median ?? null,
    devicesPerCpuSecond: r.walk?.pack.devicesPerCpuSecond ?? null,
    heapGrowthMB: r.endurance?.heapGrowthMB ?? null,
    counterHeapBytesPerSeries: r.counterHeap?.bytesPerSeries.median ?? null,
    rssSteadyMB: r.rss?.pack.steadyMB.median ?? null,
    rawRssSteadyMB: r.rss?.raw.steadyMB.median ?? null,
    nodeRedRssMB: r.rss?.nodeRedMB ?? null,
    rssRatio: r.rss?.ratio ?? null,
    rssAfterIdleMB: r.rss?.idle?.pack.afterIdleMB?.median ?? null,
    rawRssAfterIdleMB: r.rss?.idle?.raw.afterIdleMB?.median ?? null,
    enduranceDevices: r.endurance?.devices ?? null,
    enduranceCycles: r.endurance?.cycles ?? null,
    rssGrowthMB: r.endurance?.rssGrowthMB ?? null,
    socketsBefore: r.endurance?.before.sockets ?? null,
    socketsAfter: r.endurance?.after.sockets ?? null,
    trapsPerSecond: r.traps ? r.traps.highest?.achieved ?? 0 : null,
    trapCpuUs: r.traps?.cpu.pack.median ?? null,
    trapReceiverCpuUs: r.traps?.cpu.raw.median ?? null,
    trapCpuRatio: r.traps?.cpu.ratio ?? null,
    trapSocketFloorUs: r.traps?.floor.cpuUsPerTrap ?? null,
    trapNodeRedFloorUs: r.traps?.redFloor?.cpuUsPerTrap ?? null,
    floodLoopP99Ms: r.flood?.runs.find((x) => x.cap === 'default')?.loopP99Ms ?? null,
    floodWalkAloneLoopP99Ms: r.flood?.runs.find((x) => !x.flood)?.loopP99Ms ?? null,
    metricsSeries: r.metrics?.series ?? null,
    scrapeMs: r.metrics ? r.metrics.scrapes[0].wallMs.median : null,
    scrapeBytesGzip: r.metrics ? r.metrics.scrapes[0].bytes : null,
    scrapeBytesText: r.metrics?.textBytes ?? null,
    mibLoadMs: r.mib?.loadMs ?? null,
    namesPerSecond: r.mib?.namesPerSecond ?? null,
    snmpbulkwalkMsPerDevice: r.reference ? r.reference.wallMs / r.reference.devices : null,
    scheduleDevices: r.schedule?.devices ?? null,
    scheduleIntervalS: r.schedule?.intervalSeconds ?? null,
    schedulePeakToMean: r.schedule?.scheduled.peakToMean ?? null,
    scheduleCleanPeakToMean: r.schedule?.scheduled.cleanPeakToMean ?? null,
    triggeredPeakToMean: r.schedule?.triggered.peakToMean ?? null,
    triggeredCycleS: r.schedule ? r.schedule.triggered.cycleMs / 1000 : null,
    scaleSingleDevicesPerCpuSecond: r.scale?.single.devicesPerCpuSecond ?? null,
    scaleWorkerDevicesPerCpuSecond: r.scale?.mqtt.workerDevicesPerCpuSecond ?? null,
    scaleAggregatorDevicesPerCpuSecond: r.scale?.mqtt.aggregatorDevicesPerCpuSecond ?? null,
    scaleBrokerCpuMsPerDevice: r.scale?.mqtt.brokerCpuMsPerDevice.median ?? null,
    scaleWorkersFor100k: r.scale?.sizing.workerMachines ?? null,
    redisStateLoadMs: r.scale?.redis?.loadMs ?? null,
    scalingGetCpuMsPerDevice: r.scaling ? Object.fromEntries(r.scaling.get.map((q) => [q.devices, q.pack.cpuMsPerDevice.median])) : null,
    scalingWalkCpuMsPerDevice: r.scaling ? Object.fromEntries(r.scaling.walk.map((q) => [q.devices, q.pack.cpuMsPerDevice.median])) : null,
    scalingWalkHeapKBPerDevice: r.scaling ? Object.fromEntries(r.scaling.walk.map((q) => [q.devices, q.pack.heapKBPerDevice])) : null,
    scalingDevicesPerMachineAt60s: r.scaling?.verdict?.devices ?? null,
    targetsMissed: r.targets.filter((t) => t.met === false).map((t) => t.name),
    machine: r.machine.cpu,
    load: r.load,
    date,
  };
  const json = JSON.stringify(summary);
  if (opt.save) {
    const dir = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const stamp = date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
    fs.writeFileSync(path.join(dir, `${stamp}.json`), `${JSON.stringify({ summary, ...r }, null, 1)}\n`);
    fs.writeFileSync(path.join(dir, `${stamp}.txt`), `${text}\n${json}\n`);
    log(`saved bench/results/${stamp}.json and .txt`);
  }
  process.stdout.write(`${text}\n${json}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`bench failed: ${err.stack || err.message}`);
    stopAll().finally(() => process.exit(1));
  },
);
