'use strict';
/**
 * trap-in under load (issue 15: SNMPv2c, default settings, 60 s sustained, none lost,
 * >= 50,000 traps/s and <= 15 µs of CPU per trap), side by side with net-snmp's bare
 * Receiver in the same process:
 *
 * 1. CPU per trap: `repeats` pairs of runs at the target rate, pack and Receiver
 *    interleaved (the order alternating), each `cpuSeconds` long; medians, min-max and
 *    the pack/Receiver ratio of the pairs. Two floors are run once each: a bare socket
 *    that only counts (any receiver in Node.js), and a Node-RED node that sends every
 *    datagram on as a message to the same sink, decoding nothing (any node in Node-RED
 *    that emits a message per trap).
 * 2. Sustained: `seconds` (60) at the target rate into trap-in and into the Receiver.
 *    When trap-in loses traps there, the highest rate it holds is found with short
 *    probes and confirmed over the full time, stepping down while a long run loses some.
 *
 * A sender process blasts pre-encoded linkDown traps from 256 loopback addresses (each
 * well under trap-in's per-source limit). Where `taskset` exists the sender runs on the
 * first CPU and this process on the last, so both see the same neighbours every run.
 */
const dgram = require('dgram');
const fs = require('fs');
const path = require('path');
const { cycleOrder, pairedRatio, searchHighestRate, summarize } = require('./stats');
const { canPin, cpuCount, pinnedCommand, pinSelf } = require('./procs');

const RCVBUF = 4 * 1024 * 1024;

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Datagrams the kernel dropped on the UDP socket bound to 127.0.0.1:`port` (full
 * receive buffer), from the last column of /proc/net/udp; undefined where unreadable.
 */
function kernelDrops(port) {
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const line = fs.readFileSync('/proc/net/udp', 'utf8').split('\n').find((l) => l.trim().split(/\s+/)[1] === local);
    return line ? Number(line.trim().split(/\s+/).pop()) : undefined;
  } catch {
    return undefined;
  }
}

/** trap-in on `port` into sink channel 'trap'; with `forwardPort`, the Node-RED floor (bench-udp-forward) into 'forward'. */
function trapFlows(port, community, forwardPort) {
  const z = 'bench-traps';
  const forward = forwardPort === undefined ? [] : [
    { id: 'bench-forward', type: 'bench-udp-forward', z, name: 'floor', port: String(forwardPort), wires: [['sink-forward']] },
    { id: 'sink-forward', type: 'bench-sink', z, channel: 'forward', wires: [] },
  ];
  return [
    ...forward,
    { id: z, type: 'tab', label: 'bench traps' },
    { id: 'cfg-trap', type: 'snmp-config', name: 'trap profile', version: '2c', credentials: { community } },
    // defaults otherwise: 4 MiB receive buffer, 1,000 a second per source after a burst of 2,000
    { id: 'bench-trap-in', type: 'trap-in', z, name: 'traps', port: String(port), address: '127.0.0.1', snmp: 'cfg-trap', wires: [['sink-trap'], ['sink-trap-rejected']] },
    { id: 'sink-trap', type: 'bench-sink', z, channel: 'trap', wires: [] },
    { id: 'sink-trap-rejected', type: 'bench-sink', z, channel: 'trap-rejected', wires: [] },
  ];
}

class TrapSender {
  async start(spawnTracked, cpu) {
    // fork through the tracker so the sender is stopped whatever happens
    const [cmd, args] = pinnedCommand(cpu, process.execPath, [path.join(__dirname, 'trap-sender.js')]);
    this.child = spawnTracked(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.pending = undefined;
    this.child.on('message', (m) => {
      if (m.ready) { this.readyResolve?.(m); return; }
      const p = this.pending;
      this.pending = undefined;
      if (p) (m.ok ? p.resolve(m) : p.reject(new Error(m.error)));
    });
    this.child.once('exit', (code) => {
      const p = this.pending;
      this.pending = undefined;
      if (p) p.reject(new Error(`trap sender exited (${code})`));
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('trap sender did not start')), 10000);
      this.readyResolve = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
    });
  }

  blast(args) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send({ cmd: 'blast', ...args });
    });
  }

  stop() {
    try { this.child.send({ cmd: 'exit' }); } catch { /* gone */ }
  }
}

/** Waits until `count()` reaches `sent` or stops growing (the rest is lost). */
async function drain(count, sent) {
  let last = -1;
  const until = Date.now() + 10000;
  while (count() < sent && Date.now() < until) {
    if (count() === last) break;
    last = count();
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A receiver outside Node-RED on a fresh port: 'socket' only counts, 'net-snmp' is a bare Receiver. */
async function bareReceiver(kind, community) {
  const port = await freeUdpPort();
  let received = 0;
  let close;
  if (kind === 'socket') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => { received++; });
    await new Promise((resolve) => socket.bind({ address: '127.0.0.1', port }, resolve));
    socket.setRecvBufferSize(RCVBUF);
    close = () => new Promise((resolve) => socket.close(resolve));
  } else {
    const snmp = require('net-snmp');
    const receiver = snmp.createReceiver({ port, address: '127.0.0.1', transport: 'udp4' }, (err) => { if (!err) received++; });
    receiver.getAuthorizer().addCommunity(community);
    const sockets = Object.values(receiver.listener.sockets);
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('listening', resolve))));
    for (const s of sockets) s.setRecvBufferSize(RCVBUF);
    close = () => new Promise((resolve) => receiver.close(resolve));
  }
  return { port, count: () => received, close };
}

/**
 * Runs the trap benchmark on a deployed trap-in (sink channels 'trap' and
 * 'trap-rejected'). `log(line)` reports progress.
 */
async function trapBenchmark({ red, spawnTracked, port, forwardPort, community, target, repeats, cpuSeconds, seconds, probeSeconds, log }) {
  const cpus = cpuCount();
  const pinning = canPin() && cpus >= 2;
  const sender = new TrapSender();
  await sender.start(spawnTracked, pinning ? 0 : undefined);
  const restoreAffinity = pinning ? pinSelf(cpus - 1) : () => undefined;
  const received = red.counter('trap');
  const rejected = red.counter('trap-rejected');
  const forwarded = red.counter('forward');

  /** One run: `rate` traps a second for `duration` s into `side` ('pack', 'node-red', 'net-snmp' or 'socket'). */
  async function run(side, rate, duration) {
    let target;
    if (side === 'pack') {
      received.reset();
      rejected.reset();
      target = { port, count: () => received.messages, close: async () => undefined };
    } else if (side === 'node-red') {
      forwarded.reset();
      target = { port: forwardPort, count: () => forwarded.messages, close: async () => undefined };
    } else {
      target = await bareReceiver(side, community);
    }
    try {
      if (typeof global.gc === 'function') global.gc();
      const drops0 = kernelDrops(target.port);
      const cpu0 = process.cpuUsage();
      const r = await sender.blast({ host: '127.0.0.1', port: target.port, rate, seconds: duration, community });
      await drain(target.count, r.sent);
      const cpu = process.cpuUsage(cpu0);
      const drops1 = kernelDrops(target.port);
      const got = target.count();
      const lost = r.sent - got;
      const out = {
        side, rate, seconds: duration, sent: r.sent, received: got, lost, achieved: r.sent / (r.elapsedMs / 1000),
        // lost in the socket's receive buffer (the process did not read fast enough), as against inside the process
        kernelDrops: drops0 === undefined || drops1 === undefined ? undefined : drops1 - drops0,
        cpuMs: (cpu.user + cpu.system) / 1000,
        cpuUsPerTrap: (cpu.user + cpu.system) / Math.max(1, got),
        rejected: side === 'pack' ? rejected.messages : 0,
      };
      out.pass = lost === 0 && out.rejected === 0;
      return out;
    } finally {
      await target.close();
    }
  }

  const line = (p) => `${p.side} ${Math.round(p.rate)}/s for ${p.seconds} s: sent ${p.sent} (${Math.round(p.achieved)}/s), received ${p.received}, `
    + `lost ${p.lost}${p.kernelDrops ? ` (${p.kernelDrops} in the kernel buffer)` : ''}${p.rejected ? `, rejected ${p.rejected}` : ''}, ${p.cpuUsPerTrap.toFixed(1)} µs CPU/trap`;

  try {
    // warm-up, and proof that the listener is up
    const warm = await run('pack', 1000, 1);
    if (warm.received === 0) throw new Error(`trap-in received none of ${warm.sent} warm-up traps`);

    // 1. CPU per trap, interleaved
    const pairs = [];
    for (let i = 0; i < repeats; i++) {
      const pair = {};
      for (const order of cycleOrder(i)) {
        const side = order === 'pack' ? 'pack' : 'net-snmp';
        pair[side] = await run(side, target, cpuSeconds);
        log(`  cpu ${i + 1}/${repeats} ${line(pair[side])}`);
      }
      pairs.push(pair);
    }
    const floor = await run('socket', target, cpuSeconds);
    log(`  floor ${line(floor)}`);
    const redFloor = forwardPort === undefined ? undefined : await run('node-red', target, cpuSeconds);
    if (redFloor) log(`  floor ${line(redFloor)}`);

    // 2. sustained
    const sustained = { pack: await run('pack', target, seconds) };
    log(`  sustained ${line(sustained.pack)}`);
    sustained['net-snmp'] = await run('net-snmp', target, seconds);
    log(`  sustained ${line(sustained['net-snmp'])}`);
    let highest = sustained.pack.pass ? sustained.pack : undefined;
    const probes = [];
    const attempts = [];
    if (!highest) {
      // the best rate of short probes, then the full time, stepping down while it loses
      const search = await searchHighestRate(async (rate) => {
        const p = await run('pack', rate, probeSeconds);
        probes.push(p);
        log(`  probe ${line(p)}`);
        return p.pass;
      }, { low: Math.round(target / 10), high: target, resolution: 0.1, maxProbes: 6 });
      let rate = search.rate;
      for (let attempt = 0; attempt < 3 && rate > 0; attempt++) {
        const c = await run('pack', rate, seconds);
        attempts.push(c);
        log(`  confirm ${line(c)}`);
        if (c.pass) {
          highest = c;
          break;
        }
        rate = Math.round(rate * 0.85);
      }
    }

    const cpuOf = (side) => summarize(pairs.map((p) => p[side].cpuUsPerTrap));
    const ratio = pairedRatio(pairs.map((p) => p.pack.cpuUsPerTrap), pairs.map((p) => p['net-snmp'].cpuUsPerTrap));
    return {
      target, repeats, cpuSeconds, seconds, probeSeconds, pinned: pinning,
      pairs, floor, redFloor,
      cpu: { pack: cpuOf('pack'), raw: cpuOf('net-snmp'), ratio: ratio.ratio, ratios: ratio.ratios },
      lostAtTarget: { pack: summarize(pairs.map((p) => p.pack.lost)), raw: summarize(pairs.map((p) => p['net-snmp'].lost)) },
      sustained, probes, attempts,
      highest: highest && { rate: highest.rate, achieved: highest.achieved, sent: highest.sent, received: highest.received, seconds: highest.seconds, cpuUsPerTrap: highest.cpuUsPerTrap },
      senderLimited: sustained.pack.achieved < 0.95 * target,
    };
  } finally {
    restoreAffinity();
    sender.stop();
  }
}

module.exports = { freeUdpPort, kernelDrops, trapFlows, trapBenchmark };
