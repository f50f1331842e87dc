'use strict';
/**
 * Issue 14 defect 2: a flood of maximum-size traps (64 KiB, about 3,400 varbinds each)
 * while a fleet walk runs. The event loop's delay (p99, max) during the walk, the walk's
 * time, and what trap-in did with the traps: the walk alone first (what the walk and
 * the neighbours cost the event loop by themselves), then under the flood with
 * trap-in's default varbind cap and with the cap raised past the trap's size (every
 * varbind decoded, as before the cap existed).
 */
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const { freeUdpPort } = require('./traps');
const { pinnedCommand, canPin } = require('./procs');

function floodFlows(port, community, maxVarbinds) {
  const z = 'bench-flood';
  return [
    { id: z, type: 'tab', label: 'bench flood' },
    { id: 'cfg-flood', type: 'snmp-config', name: 'flood profile', version: '2c', credentials: { community } },
    {
      id: 'bench-flood-in', type: 'trap-in', z, name: 'flood', port: String(port), address: '127.0.0.1', snmp: 'cfg-flood',
      maxVarbinds: maxVarbinds === undefined ? '' : String(maxVarbinds), wires: [['sink-flood'], ['sink-flood-rejected']],
    },
    { id: 'sink-flood', type: 'bench-sink', z, channel: 'flood', wires: [] },
    { id: 'sink-flood-rejected', type: 'bench-sink', z, channel: 'flood-rejected', wires: [] },
  ];
}

/**
 * One run per entry of `caps` ('none': no flood; undefined: the default cap; a
 * number): deploys `pollFlows` plus a trap-in on a fresh port, runs a warm-up walk,
 * starts the flood (`rate` maximum-size traps a second from 256 sources), runs one walk
 * cycle through `walkCycle()`, stops the flood. Returns per cap the event-loop delay
 * during the walk, the walk's wall time and trap-in's counters.
 */
async function floodBenchmark({ red, spawnTracked, pollFlows, walkCycle, community, rate, caps, log }) {
  const child = spawnTracked(...pinnedCommand(canPin() ? 0 : undefined, process.execPath, [path.join(__dirname, 'trap-sender.js')]), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('trap sender did not start')), 10000);
    child.on('message', (m) => {
      if (m.ready) { clearTimeout(timer); resolve(); return; }
      const p = pending;
      pending = undefined;
      p?.(m);
    });
  });
  const results = [];
  try {
    for (const cap of caps) {
      const port = await freeUdpPort();
      await red.deploy([...pollFlows, ...floodFlows(port, community, cap === 'none' ? undefined : cap)]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const listener = red.trapListener('127.0.0.1', port);
      // the walk's JIT, sessions and counter-rate series first: the measured walk is a steady one
      await walkCycle();
      const histogram = monitorEventLoopDelay({ resolution: 5 });
      // the flood runs for as long as the walk takes: it is stopped when the walk ends
      const flood = cap === 'none' ? undefined : new Promise((resolve) => {
        pending = resolve;
        child.send({ cmd: 'blast', host: '127.0.0.1', port, rate, seconds: 600, community, size: 'max' });
      });
      if (flood) await new Promise((resolve) => setTimeout(resolve, 1000));
      histogram.enable();
      const t0 = Date.now();
      // a walk starved past its timeout is a result here, not a failure of the bench
      const walk = await walkCycle().catch((err) => ({ wallMs: Date.now() - t0, cpuMs: NaN, ok: NaN, failed: NaN, error: err.message }));
      histogram.disable();
      let sent;
      if (flood) {
        child.send({ cmd: 'stop' });
        sent = (await flood)?.sent;
      }
      const stats = listener ? { ...listener.stats } : undefined;
      const r = {
        cap: cap ?? 'default',
        flood: cap !== 'none',
        loopP99Ms: histogram.percentile(99) / 1e6,
        loopMaxMs: histogram.max / 1e6,
        loopMeanMs: histogram.mean / 1e6,
        walk: { wallMs: walk.wallMs, cpuMs: walk.cpuMs, ok: walk.ok, failed: walk.failed, error: walk.error },
        traps: stats && { sent, received: stats.received, accepted: stats.accepted, rateLimited: stats.rateLimited, truncated: stats.truncated, varbindsDropped: stats.varbindsDropped },
      };
      log(`  ${r.flood ? `flood, maxVarbinds ${r.cap}` : 'no flood'}: event-loop delay p99 ${r.loopP99Ms.toFixed(1)} ms, max ${r.loopMaxMs.toFixed(0)} ms; walk ${(walk.wallMs / 1000).toFixed(1)} s, ${walk.error ?? `${walk.ok} ok, ${walk.failed} failed`}; traps ${JSON.stringify(r.traps)}`);
      results.push(r);
    }
  } finally {
    try { child.send({ cmd: 'exit' }); } catch { /* gone */ }
  }
  return results;
}

module.exports = { floodBenchmark, floodFlows };
