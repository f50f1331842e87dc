#!/usr/bin/env node
'use strict';
/**
 * `npm run soak` (not part of npm test): the whole pack under a long, mixed load, the way
 * a production Node-RED would carry it, watching for what a short test cannot see —
 * missed poll cycles, a heap or RSS that creeps, event-loop stalls, descriptors left
 * behind by redeploys.
 *
 *   node scripts/soak.js [--minutes 30] [--devices 1000] [--interval 10] [--timeouts 5]
 *        [--garbage 1] [--trap-rate 2000] [--burst 100] [--burst-every 60]
 *        [--redeploy-every 300] [--concurrency 200] [--interfaces 48] [--no-save]
 *
 * The load: a simulated fleet (its own process) of --devices agents, --timeouts % of them
 * never answering or answering after the timeout (half each), --garbage % answering
 * every request with a broken datagram; polled every --interval seconds by snmp-bulkwalk
 * (example 01's five interface columns) → counter-rate → threshold-alert, and by snmp-get
 * (sysUpTime, sysName), all on one snmp-config. A trap flood (its own process) sends
 * --trap-rate SNMPv2c traps a second to a trap-in node, and every --burst-every seconds a
 * burst of --burst traps of the largest UDP size (about 3,300 varbinds). The flows are
 * redeployed (a full deploy) every --redeploy-every seconds, between two cycles.
 *
 * Node-RED runs embedded in this process (scripts/bench/red.js), so the process figures
 * are Node-RED's: cycles missed (a cycle not complete before the next is due, or
 * triggered more than half a period late), heap and RSS slope after a warm-up (the heap's
 * floor per minute, so garbage not yet collected does not count), event-loop delay
 * (perf_hooks, 10-ms resolution), file descriptors and UDP sockets at start and end.
 * Progress goes to stderr, the report to stdout and, unless --no-save, to
 * bench/results/soak-<date>.{txt,json}.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const { parseArgs } = require('util');
const { spawnTracked, waitForEvent, stop, stopAll, openUdpSockets, tempDir, removeTempDir, machine } = require('./bench/procs');
const { EmbeddedRed } = require('./bench/red');
const { freeUdpPort, kernelDrops } = require('./bench/traps');
const { fmt, table } = require('./bench/stats');
const { BIG_TRAP_OID } = require('./bench/trap-encode');
const A = require('./soak/analysis');

const ROOT = path.resolve(__dirname, '..');
const COMMUNITY = 'public';
const SIDES = ['walk', 'get'];
const SLOW_MS = 6000;
/**
 * The simulator's broken-datagram kinds (its --garbage devices take them in turn) that
 * still carry a readable answer: a request-id sent as an OCTET STRING or in five bytes,
 * a PDU length 13 bytes too long. net-snmp reads these as the answer they carry, and the
 * pack's decoder answers as net-snmp does (its differential test), so those devices are
 * polled, not failed.
 */
const READABLE_KINDS = new Set(['bad-length', 'wrong-type', 'reqid5']);

/** Devices of the --garbage ones that fail: their kind carries no readable answer. */
function failingGarbage(garbage) {
  const { MALFORMED_KINDS } = require('../nodes/sim/device');
  let n = 0;
  for (let k = 0; k < garbage; k++) if (!READABLE_KINDS.has(MALFORMED_KINDS[k % MALFORMED_KINDS.length])) n++;
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' }, devices: { type: 'string' }, interval: { type: 'string' },
      timeouts: { type: 'string' }, garbage: { type: 'string' }, 'trap-rate': { type: 'string' },
      burst: { type: 'string' }, 'burst-every': { type: 'string' }, 'redeploy-every': { type: 'string' },
      concurrency: { type: 'string' }, interfaces: { type: 'string' }, 'no-save': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(3, 29).map((l) => l.replace(/^ \* ?/, '')).join('\n') + '\n');
    process.exit(0);
  }
  const num = (name, def, min) => {
    const v = values[name] === undefined ? def : Number(values[name]);
    if (!Number.isFinite(v) || v < min) {
      process.stderr.write(`soak: --${name} must be a number >= ${min}\n`);
      process.exit(2);
    }
    return v;
  };
  const devices = Math.round(num('devices', 1000, 1));
  const timeouts = Math.round((devices * num('timeouts', 5, 0)) / 100);
  return {
    minutes: num('minutes', 30, 0.5),
    devices,
    intervalMs: num('interval', 10, 1) * 1000,
    dead: Math.ceil(timeouts / 2),
    slow: Math.floor(timeouts / 2),
    garbage: Math.round((devices * num('garbage', 1, 0)) / 100),
    trapRate: num('trap-rate', 2000, 0),
    burst: Math.round(num('burst', 100, 0)),
    burstEverySec: num('burst-every', 60, 1),
    redeployEveryMs: num('redeploy-every', 300, 10) * 1000,
    concurrency: Math.round(num('concurrency', 200, 1)),
    interfaces: Math.round(num('interfaces', 48, 1)),
    save: !values['no-save'],
  };
}

function log(line) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

const MB = 1048576;
const ms = (ns) => ns / 1e6;

function openFds() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; NaN where unreadable. */
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function soakFlows({ inventory, trapPort, concurrency }) {
  // ids no property value can equal (Node-RED takes such a value for a node reference)
  const z = 'soak-tab';
  return [
    { id: z, type: 'tab', label: 'soak' },
    { id: 'soak-cfg', type: 'snmp-config', name: 'soak fleet', version: '2c', inventory, concurrency: String(concurrency), credentials: { community: COMMUNITY } },
    {
      id: 'soak-walk', type: 'snmp-bulkwalk', z, name: 'interfaces', snmp: 'soak-cfg', output: 'rows',
      oids: 'IF-MIB::ifName\nIF-MIB::ifHCInOctets\nIF-MIB::ifHCOutOctets\nIF-MIB::ifOperStatus\nIF-MIB::ifHighSpeed',
      wires: [['soak-rate'], ['soak-rate']],
    },
    { id: 'soak-rate', type: 'counter-rate', z, name: 'bits/s', width: 'auto', mode: 'rate', scale: '8', wires: [['sink-walk', 'soak-alert']] },
    {
      id: 'soak-alert', type: 'threshold-alert', z, name: 'alerts', format: 'alert', repeat: '4h', nodata: 'resolve', nodataAfter: '3', store: '',
      rules: [
        { kind: 'threshold', name: 'InterfaceDown', field: 'ifOperStatus', op: '==', threshold: '2', clear: '', for: '1m', keepFiringFor: '', severity: 'warning', summary: '{{device}} {{ifName}} is down' },
        { kind: 'device-down', name: 'DeviceUnreachable', field: '', op: '>', threshold: '', clear: '', for: '2m', keepFiringFor: '', severity: 'critical', summary: '{{device}} does not answer SNMP: {{error}}' },
      ],
      wires: [['sink-alert']],
    },
    { id: 'soak-get', type: 'snmp-get', z, name: 'uptime', snmp: 'soak-cfg', oids: 'sysUpTime.0\nsysName.0', wires: [['sink-get'], ['sink-get']] },
    { id: 'soak-trap-cfg', type: 'snmp-config', name: 'trap profile', version: '2c', credentials: { community: COMMUNITY } },
    { id: 'soak-trap-in', type: 'trap-in', z, name: 'traps', port: String(trapPort), address: '127.0.0.1', snmp: 'soak-trap-cfg', wires: [['sink-trap'], ['sink-trap-rejected']] },
    ...['walk', 'get', 'alert', 'trap', 'trap-rejected'].map((channel) => ({ id: `sink-${channel}`, type: 'bench-sink', z, channel, wires: [] })),
  ];
}

async function startSim(o, dir) {
  const inventory = path.join(dir, 'inventory.txt');
  const child = spawnTracked(process.execPath, [
    path.join(ROOT, 'nodes', 'sim', 'cli.js'), '--devices', String(o.devices), '--interfaces', String(o.interfaces),
    '--host', '127.0.0.1', '--inventory', inventory, '--dead', String(o.dead), '--slow', String(o.slow),
    '--slow-ms', String(SLOW_MS), '--garbage', String(o.garbage),
  ]);
  const ready = await waitForEvent(child, 'ready', 180000);
  return { child, ready, inventory: fs.readFileSync(inventory, 'utf8') };
}

/** Calls `onLine(obj)` for each JSON line a child prints on stdout. */
function jsonLines(child, onLine) {
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        onLine(JSON.parse(line));
      } catch {
        // a log line that merely starts with a brace
      }
    }
  });
}

async function startFlood(o, port) {
  const child = spawnTracked(process.execPath, [
    path.join(__dirname, 'soak', 'trap-flood.js'), '--port', String(port), '--rate', String(o.trapRate),
    '--burst', String(o.burst), '--burst-every', String(o.burstEverySec), '--community', COMMUNITY,
  ]);
  let last = { sent: 0, bigSent: 0, bursts: 0, sendErrors: 0 };
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the trap flood did not start')), 30000);
    child.once('exit', (code) => reject(new Error(`the trap flood exited (${code}): ${stderr}`)));
    jsonLines(child, (m) => {
      if (m.event === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.event === 'stats' || m.event === 'stopped') last = m;
    });
  });
  const closed = new Promise((resolve) => child.once('close', resolve));
  return {
    child,
    ready,
    /** The flood's own count; the final one once stopped. */
    stats: () => last,
    /** When bursts began: the flood keeps its schedule from its start. */
    burstTimes(until) {
      const times = [];
      for (let t = ready.t + o.burstEverySec * 1000; t <= until; t += o.burstEverySec * 1000) times.push(t);
      return times;
    },
    async stop() {
      await stop(child, 5000);
      // 'close' comes after the last stdout data: the final count is in
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

async function main() {
  const o = options();
  const started = new Date();
  const m = machine();
  log(`soak: ${o.minutes} min, ${o.devices} devices every ${o.intervalMs / 1000} s (${o.dead} dead, ${o.slow} answering after ${SLOW_MS / 1000} s, ${o.garbage} garbage), ${o.trapRate} traps/s, bursts of ${o.burst} large traps every ${o.burstEverySec} s, redeploy every ${o.redeployEveryMs / 1000} s`);
  const dir = tempDir('snmp-fleet-soak-');
  const sim = await startSim(o, dir);
  log(`simulator ready: ${o.devices} devices in ${sim.ready.startMs} ms`);

  const cycles = [];
  const byNumber = new Map();
  const traps = { small: 0, big: 0, other: 0, rejected: 0, bigVarbinds: 0 };
  let alerts = 0;
  let stray = 0;
  const onMessage = (channel, msg) => {
    if (channel === 'walk' || channel === 'get') {
      const c = byNumber.get(msg.cycle);
      if (!c) stray++;
      else A.countResult(c, channel, msg, o.devices, Date.now());
    } else if (channel === 'trap') {
      const oid = msg.trap && msg.trap.oid;
      if (oid === BIG_TRAP_OID) {
        traps.big++;
        if (msg.payload && typeof msg.payload === 'object') traps.bigVarbinds = Math.max(traps.bigVarbinds, Object.keys(msg.payload).length);
      } else if (oid === '1.3.6.1.6.3.1.1.5.3') traps.small++;
      else traps.other++;
    } else if (channel === 'trap-rejected') traps.rejected++;
    else if (channel === 'alert') alerts++;
  };

  const red = new EmbeddedRed({ onMessage });
  await red.start();
  const trapPort = await freeUdpPort();
  const flows = soakFlows({ inventory: sim.inventory, trapPort, concurrency: o.concurrency });
  await red.deploy(flows);
  log(`Node-RED started, flows deployed (trap-in on 127.0.0.1:${trapPort})`);

  const elOverall = monitorEventLoopDelay({ resolution: 10 });
  const elWindow = monitorEventLoopDelay({ resolution: 10 });
  const windows = [];
  const memory = [];
  const handles = [];
  const redeploys = [];

  const flood = await startFlood(o, trapPort);
  log(`trap flood started: ${o.trapRate}/s, large traps of ${flood.ready.bigBytes} bytes (${flood.ready.bigVarbinds} varbinds)`);

  // first cycle unmeasured: sessions, MIB names and JIT warm up
  const warm = A.newCycle(0, Date.now(), Date.now(), SIDES);
  byNumber.set(0, warm);
  for (const side of SIDES) red.trigger(`soak-${side}`, { payload: 0, cycle: 0 });
  const warmUntil = Date.now() + 120000;
  while (!A.cycleComplete(warm) && Date.now() < warmUntil) await new Promise((r) => setTimeout(r, 100));
  log(`warm-up cycle: walk ${fmt(warm.sides.walk.doneMs)} ms, get ${fmt(warm.sides.get.doneMs)} ms`);
  await new Promise((r) => setTimeout(r, 1000));

  const startFds = openFds();
  const startUdp = openUdpSockets();
  const cpu0 = process.cpuUsage();
  const simCpu0 = cpuSecondsOf(sim.child.pid);
  const floodCpu0 = cpuSecondsOf(flood.child.pid);
  // trap-in's socket is new after each redeploy, and so is its drop counter
  let dropsSeen = kernelDrops(trapPort) ?? 0;
  let drops = 0;
  const countDrops = () => {
    const cur = kernelDrops(trapPort);
    if (cur === undefined) return;
    drops += cur >= dropsSeen ? cur - dropsSeen : cur;
    dropsSeen = cur;
  };
  // counting starts now: traps and cycles from here on
  const traps0 = { ...traps };
  const t0 = Date.now();
  const endAt = t0 + o.minutes * 60000;
  elOverall.enable();
  elWindow.enable();

  const sampler = setInterval(() => {
    const mu = process.memoryUsage();
    memory.push({ t: Date.now(), heap: mu.heapUsed, rss: mu.rss });
  }, 1000);
  const windowTimer = setInterval(() => {
    windows.push({ t: Date.now(), p50: ms(elWindow.percentile(50)), p99: ms(elWindow.percentile(99)), max: ms(elWindow.max) });
    elWindow.reset();
    handles.push({ t: Date.now(), fds: openFds(), udp: openUdpSockets() });
    countDrops();
  }, 10000);
  const progress = setInterval(() => {
    const done = cycles.filter((c) => c.dueAt + o.intervalMs < Date.now());
    const missed = done.filter((c) => A.cycleMissed(c, o.intervalMs)).length;
    const last = memory[memory.length - 1];
    const w = windows.slice(-6);
    log(`${Math.round((Date.now() - t0) / 60000)} min: ${cycles.length} cycles, ${missed} missed; heap ${fmt(last.heap / MB, 1)} MB, RSS ${fmt(last.rss / MB, 1)} MB; event-loop p99 (last minute) ${fmt(Math.max(...w.map((x) => x.p99)), 1)} ms; traps ${traps.small - traps0.small} + ${traps.big - traps0.big} large; ${redeploys.length} redeploys`);
  }, 60000);

  let nextRedeploy = t0 + o.redeployEveryMs;
  let redeploying;
  for (let n = 1; ; n++) {
    const dueAt = t0 + (n - 1) * o.intervalMs;
    if (dueAt >= endAt) break;
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now())));
    if (redeploying) await redeploying;
    const c = A.newCycle(n, dueAt, Date.now(), SIDES);
    cycles.push(c);
    byNumber.set(n, c);
    byNumber.delete(n - 3);
    for (const side of SIDES) {
      try {
        red.trigger(`soak-${side}`, { payload: n, cycle: n });
      } catch (err) {
        log(`cycle ${n}: ${side} not triggered: ${err.message}`);
      }
    }
    // a redeploy between two cycles: once this one is complete, or 90 % of the period on (a
    // deploy takes about 0.1 s; a redeploy that cut the cycle would count its unfinished
    // polls as a missed cycle: with 5 % of the devices timing out a cycle takes 5-8 s)
    if (Date.now() >= nextRedeploy) {
      nextRedeploy += o.redeployEveryMs;
      redeploying = (async () => {
        const giveUp = dueAt + o.intervalMs * 0.9;
        while (!A.cycleComplete(c) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 50));
        countDrops();
        const r0 = Date.now();
        await red.deploy(flows);
        dropsSeen = 0;
        const r = { t: r0, ms: Date.now() - r0, cycle: n, fds: openFds(), udp: openUdpSockets() };
        redeploys.push(r);
        log(`redeploy after cycle ${n}: ${r.ms} ms, ${r.fds} descriptors, ${r.udp} UDP sockets`);
      })().catch((err) => log(`redeploy failed: ${err.message}`)).finally(() => { redeploying = undefined; });
    }
  }
  // the last cycle gets its period to finish
  await new Promise((r) => setTimeout(r, Math.max(0, endAt + 1000 - Date.now())));
  if (redeploying) await redeploying;
  clearInterval(sampler);
  clearInterval(windowTimer);
  clearInterval(progress);
  elOverall.disable();
  elWindow.disable();
  const wallMs = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const simCpu = cpuSecondsOf(sim.child.pid) - simCpu0;
  const floodCpu = cpuSecondsOf(flood.child.pid) - floodCpu0;
  await flood.stop();
  // what the socket still holds reaches the sink
  await new Promise((r) => setTimeout(r, 1500));
  countDrops();
  const floodEnd = flood.stats();
  const endFds = openFds();
  const endUdp = openUdpSockets();
  const logged = red.logged.slice();
  await red.stop();
  await stop(sim.child);
  removeTempDir(dir);

  // ---- figures
  const missed = cycles.filter((c) => A.cycleMissed(c, o.intervalMs));
  const doneMs = (side) => cycles.map((c) => c.sides[side].doneMs).filter((v) => v !== undefined);
  const lag = cycles.map((c) => c.triggeredAt - c.dueAt);
  const codes = {};
  for (const c of cycles) for (const s of Object.values(c.sides)) for (const [k, v] of Object.entries(s.codes)) codes[k] = (codes[k] || 0) + v;
  const failedPerCycle = (side) => A.quantile(cycles.map((c) => c.sides[side].failed), 0.5);
  const heapFloor = A.floorPerWindow(memory.map((s) => ({ t: s.t, v: s.heap / MB })), 60000);
  const rssFloor = A.floorPerWindow(memory.map((s) => ({ t: s.t, v: s.rss / MB })), 60000);
  const heapSlope = A.slopePerHour(A.afterWarmUp(heapFloor));
  const rssSlope = A.slopePerHour(A.afterWarmUp(rssFloor));
  const bursts = flood.burstTimes(Date.now()).filter((t) => t >= t0);
  const inBurst = (w) => bursts.some((b) => w.t >= b && w.t - 10000 <= b + 1000);
  const burstWindows = windows.filter(inBurst);
  const calmWindows = windows.filter((w) => !inBurst(w));
  const el = { p50: ms(elOverall.percentile(50)), p99: ms(elOverall.percentile(99)), p999: ms(elOverall.percentile(99.9)), max: ms(elOverall.max) };
  // the flood keeps an exact schedule from its start: what it had sent at t0 follows from it
  // (its own stats lines come only every 10 s)
  const sentSmall = floodEnd.sent - Math.floor((o.trapRate * (t0 - flood.ready.t)) / 1000);
  const sentBig = floodEnd.bigSent - flood.burstTimes(t0).length * o.burst;
  const gotSmall = traps.small - traps0.small;
  const gotBig = traps.big - traps0.big;
  const redeployGapTraps = Math.round(redeploys.reduce((a, r) => a + r.ms, 0) / 1000 * o.trapRate);

  const result = {
    date: started.toISOString(),
    machine: m,
    loadAverageEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    options: { ...o, slowMs: SLOW_MS },
    minutes: wallMs / 60000,
    cycles: { total: cycles.length, missed: missed.length, missedCycles: missed.map((c) => ({ n: c.n, lagMs: c.triggeredAt - c.dueAt, walk: c.sides.walk, get: c.sides.get })).slice(0, 20) },
    cycleMs: Object.fromEntries(SIDES.map((s) => [s, { p50: A.quantile(doneMs(s), 0.5), p95: A.quantile(doneMs(s), 0.95), max: Math.max(...doneMs(s)) }])),
    triggerLagMs: { p50: A.quantile(lag, 0.5), p99: A.quantile(lag, 0.99), max: Math.max(...lag) },
    failuresPerCycle: { walk: failedPerCycle('walk'), get: failedPerCycle('get') },
    failureCodes: codes,
    strayResults: stray,
    alerts,
    memory: {
      heapStartMB: heapFloor[0]?.v, heapEndMB: heapFloor[heapFloor.length - 1]?.v, heapSlopeMBPerHour: heapSlope,
      rssStartMB: rssFloor[0]?.v, rssEndMB: rssFloor[rssFloor.length - 1]?.v, rssSlopeMBPerHour: rssSlope,
      heapFloorPerMinuteMB: heapFloor.map((p) => Math.round(p.v * 10) / 10),
      rssFloorPerMinuteMB: rssFloor.map((p) => Math.round(p.v * 10) / 10),
    },
    eventLoopDelayMs: {
      ...el,
      windowP99: { calmMax: Math.max(...calmWindows.map((w) => w.p99)), burstMax: Math.max(...burstWindows.map((w) => w.p99)), calmMedian: A.quantile(calmWindows.map((w) => w.p99), 0.5) },
    },
    handles: { start: { fds: startFds, udp: startUdp }, end: { fds: endFds, udp: endUdp }, maxFds: Math.max(...handles.map((h) => h.fds)), maxUdp: Math.max(...handles.map((h) => h.udp)) },
    redeploys,
    traps: {
      sent: sentSmall, received: gotSmall, bigSent: sentBig, bigReceived: gotBig, bigVarbindsSent: flood.ready.bigVarbinds, bigVarbindsReceived: traps.bigVarbinds,
      rejected: traps.rejected - traps0.rejected, other: traps.other - traps0.other, kernelDrops: drops,
      sendErrors: floodEnd.sendErrors, expectedLostInRedeploys: redeployGapTraps,
    },
    cpu: {
      nodeRedPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      simulatorPercent: (simCpu * 1000 / wallMs) * 100,
      trapFloodPercent: (floodCpu * 1000 / wallMs) * 100,
    },
    // for finding when something happened: event-loop delay per 10 s, and every cycle
    eventLoopWindows: windows.map((w) => ({ s: Math.round((w.t - t0) / 1000), p99: Math.round(w.p99), max: Math.round(w.max) })),
    cycleLog: cycles.map((c) => ({ n: c.n, s: Math.round((c.dueAt - t0) / 1000), lagMs: c.triggeredAt - c.dueAt, walkMs: c.sides.walk.doneMs ?? null, getMs: c.sides.get.doneMs ?? null, walkFailed: c.sides.walk.failed, getFailed: c.sides.get.failed })),
    warnings: groupLines(logged),
  };

  const report = renderReport(result);
  process.stdout.write(report);
  process.stdout.write(`${JSON.stringify({ cyclesMissed: result.cycles.missed, cycles: result.cycles.total, heapSlopeMBPerHour: heapSlope, rssSlopeMBPerHour: rssSlope, eventLoopP99Ms: el.p99, fds: [startFds, endFds], udp: [startUdp, endUdp] })}\n`);
  if (o.save) {
    const stamp = started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
    const out = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `soak-${stamp}.txt`), report);
    fs.writeFileSync(path.join(out, `soak-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    log(`saved bench/results/soak-${stamp}.txt and .json`);
  }
}

/** Log lines with the same text, counted, in order of first appearance. */
function groupLines(lines) {
  const seen = new Map();
  for (const line of lines) seen.set(line, (seen.get(line) || 0) + 1);
  return [...seen].map(([text, count]) => ({ count, text }));
}

function renderReport(r) {
  const o = r.options;
  const mb = (v) => (v === undefined ? '-' : `${fmt(v, 1)} MB`);
  const brokenFailing = failingGarbage(o.garbage);
  const lines = [];
  lines.push(`snmp-fleet soak, ${r.date}`);
  lines.push(`machine: ${r.machine.cpu}, ${r.machine.memoryGB} GB, ${r.machine.os}; Node ${r.machine.node}, net-snmp ${r.machine.netSnmp}, Node-RED ${r.machine.nodeRed}; load average at start ${r.machine.loadAverage.join(' ')}, at end ${r.loadAverageEnd.join(' ')} (shared machine)`);
  lines.push(`load: ${fmt(r.minutes, 1)} min; ${fmt(o.devices)} devices × ${o.interfaces} interfaces polled every ${o.intervalMs / 1000} s by snmp-bulkwalk (5 columns) → counter-rate → threshold-alert and snmp-get (2 OIDs), one snmp-config, concurrency ${o.concurrency}, timeout 2 s, 1 retry;`);
  lines.push(`      ${o.dead} devices dead and ${o.slow} answering after ${o.slowMs / 1000} s (${fmt((o.dead + o.slow) / o.devices * 100, 1)} % timing out), ${o.garbage} answering broken datagrams (${fmt(o.garbage / o.devices * 100, 1)} %);`);
  lines.push(`      trap-in: ${fmt(o.trapRate)} SNMPv2c traps/s from 256 sources, every ${o.burstEverySec} s a burst of ${o.burst} traps of ${fmt(r.traps.bigVarbindsSent)} varbinds (~64 KB) from 8 sources over 1 s; a full redeploy every ${o.redeployEveryMs / 1000} s`);
  lines.push('');
  lines.push(table([
    ['figure', 'measured', 'target'],
    ['cycles missed', `${fmt(r.cycles.missed)} of ${fmt(r.cycles.total)}`, '0'],
    ['cycle time, walk p50 / p95 / max', `${fmt(r.cycleMs.walk.p50)} / ${fmt(r.cycleMs.walk.p95)} / ${fmt(r.cycleMs.walk.max)} ms`, `< ${o.intervalMs} ms`],
    ['cycle time, get p50 / p95 / max', `${fmt(r.cycleMs.get.p50)} / ${fmt(r.cycleMs.get.p95)} / ${fmt(r.cycleMs.get.max)} ms`, `< ${o.intervalMs} ms`],
    ['trigger lag p50 / p99 / max', `${fmt(r.triggerLagMs.p50)} / ${fmt(r.triggerLagMs.p99)} / ${fmt(r.triggerLagMs.max)} ms`, ''],
    ['heap floor start → end, slope', `${mb(r.memory.heapStartMB)} → ${mb(r.memory.heapEndMB)}, ${fmt(r.memory.heapSlopeMBPerHour, 1)} MB/h`, 'flat'],
    ['RSS floor start → end, slope', `${mb(r.memory.rssStartMB)} → ${mb(r.memory.rssEndMB)}, ${fmt(r.memory.rssSlopeMBPerHour, 1)} MB/h`, 'flat'],
    ['event-loop delay p50 / p99 / p99.9 / max', `${fmt(r.eventLoopDelayMs.p50, 1)} / ${fmt(r.eventLoopDelayMs.p99, 1)} / ${fmt(r.eventLoopDelayMs.p999, 1)} / ${fmt(r.eventLoopDelayMs.max, 1)} ms`, 'p99 ≤ 50 ms'],
    ['event-loop p99 per 10 s: calm median / calm max / burst max', `${fmt(r.eventLoopDelayMs.windowP99.calmMedian, 1)} / ${fmt(r.eventLoopDelayMs.windowP99.calmMax, 1)} / ${fmt(r.eventLoopDelayMs.windowP99.burstMax, 1)} ms`, ''],
    ['file descriptors start → end (max)', `${fmt(r.handles.start.fds)} → ${fmt(r.handles.end.fds)} (${fmt(r.handles.maxFds)})`, 'flat'],
    ['UDP sockets start → end (max)', `${fmt(r.handles.start.udp)} → ${fmt(r.handles.end.udp)} (${fmt(r.handles.maxUdp)})`, 'flat'],
    ['redeploys (time each)', `${r.redeploys.length} (${r.redeploys.map((x) => `${fmt(x.ms)} ms`).join(', ') || '-'})`, ''],
    ['traps received / sent', `${fmt(r.traps.received)} / ${fmt(r.traps.sent)} (sent − received ${fmt(r.traps.sent - r.traps.received)}, ± what was queued when counting began; dropped by the kernel ${fmt(r.traps.kernelDrops)}; ~${fmt(r.traps.expectedLostInRedeploys)} sent while trap-in was redeploying)`, ''],
    ['large traps received / sent', `${fmt(r.traps.bigReceived)} / ${fmt(r.traps.bigSent)} (largest seen ${fmt(r.traps.bigVarbindsReceived)} varbinds)`, ''],
    ['failures per cycle (median), walk / get', `${fmt(r.failuresPerCycle.walk)} / ${fmt(r.failuresPerCycle.get)}; codes ${Object.entries(r.failureCodes).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`, `${o.dead + o.slow + brokenFailing} expected (${o.dead + o.slow} timing out, ${brokenFailing} of the ${o.garbage} broken)`],
    ['CPU: Node-RED / simulator / trap flood', `${fmt(r.cpu.nodeRedPercent)} % / ${fmt(r.cpu.simulatorPercent)} % / ${fmt(r.cpu.trapFloodPercent)} % of one core`, ''],
  ]));
  lines.push('');
  lines.push(`heap floor per minute, MB: ${r.memory.heapFloorPerMinuteMB.join(' ')}`);
  lines.push(`RSS floor per minute, MB: ${r.memory.rssFloorPerMinuteMB.join(' ')}`);
  if (r.cycles.missedCycles.length) lines.push(`missed cycles: ${r.cycles.missedCycles.map((c) => `#${c.n} (lag ${c.lagMs} ms, walk ${c.walk.ok + c.walk.failed}${c.walk.doneMs === undefined ? '' : ` in ${c.walk.doneMs} ms`}, get ${c.get.ok + c.get.failed}${c.get.doneMs === undefined ? '' : ` in ${c.get.doneMs} ms`})`).join(', ')}`);
  if (r.strayResults) lines.push(`results of cycles no longer tracked: ${r.strayResults}`);
  lines.push(`alerts sent by threshold-alert: ${fmt(r.alerts)}`);
  if (r.warnings.length) lines.push(`Node-RED warnings and errors among the first 1,000 log lines (times seen, text; devices fall again after each redeploy):\n  ${r.warnings.slice(0, 40).map((w) => `${fmt(w.count)} × ${w.text}`).join('\n  ')}`);
  return `${lines.join('\n')}\n`;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${sig}: stopping`);
    stopAll().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await stopAll();
    process.exit(0);
  },
  async (err) => {
    log(`soak failed: ${err.stack || err.message}`);
    await stopAll();
    process.exit(1);
  },
);
