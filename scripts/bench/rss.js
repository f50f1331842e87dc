'use strict';
/**
 * Process RSS of the walk → counter-rate flow against raw net-snmp walking the same
 * columns (issue 15: "process RSS, steady state ≤ 1.5× raw net-snmp's"). The other
 * parts run both sides in one process, where RSS cannot be told apart, so here each side
 * runs alone in a fresh process, as a user would run it:
 *
 *  - pack: Node-RED embedded (scripts/bench/red.js) with this pack, snmp-bulkwalk
 *    (ifTable + ifXTable, rows) → counter-rate → a counting sink;
 *  - raw: net-snmp's session.subtree over the same devices, the varbinds of a device
 *    collected and counted (scripts/bench/raw.js), holding nothing between cycles.
 *
 * A warm-up cycle, then `cycles` cycles back to back, no forced GC (the figure is what
 * the operating system sees of a process left to itself). RSS is sampled every 50 ms
 * during the measured cycles: its median is the steady state, its max the peak. The pack
 * also reports its RSS once Node-RED has started and before the flow was deployed, and one
 * more fresh process starts the same Node-RED without this pack and reports its RSS after
 * `NODE_RED_SETTLE_MS`: the part of the figure that is Node-RED itself. Runs alternate pack and raw. With `idleSeconds`,
 * each side then polls nothing for that long and reports its RSS at the end, as between the
 * walks of a 60-s interval.
 */
const { median, cycleOrder } = require('./stats');
const { forkResult } = require('./procs');
const P = require('./poll');

const MB = 1048576;
/** How long Node-RED without the pack runs before its RSS is read (its start-up garbage collected by then). */
const NODE_RED_SETTLE_MS = 5000;

/** RSS every 50 ms; the heap V8 has reserved and the Buffers' memory every 500 ms (memoryUsage() walks the heap's spaces). */
function rssSampler() {
  const samples = [];
  const heapTotal = [];
  const external = [];
  const fast = setInterval(() => samples.push(process.memoryUsage.rss() / MB), 50);
  const slow = setInterval(() => {
    const m = process.memoryUsage();
    heapTotal.push(m.heapTotal / MB);
    external.push(m.external / MB);
  }, 500);
  return {
    stop() {
      clearInterval(fast);
      clearInterval(slow);
      return { samples, heapTotal, external };
    },
  };
}

async function child(o) {
  const started = process.memoryUsage().rss / MB;
  if (o.side === 'node-red') {
    const { EmbeddedRed } = require('./red');
    const red = new EmbeddedRed({ packDir: null });
    await red.start();
    await new Promise((resolve) => setTimeout(resolve, NODE_RED_SETTLE_MS));
    const idleMB = process.memoryUsage().rss / MB;
    await red.stop();
    process.send({ side: o.side, startedMB: started, idleMB });
    return;
  }
  let cycle;
  let close;
  let idle;
  if (o.side === 'pack') {
    const { EmbeddedRed } = require('./red');
    const red = new EmbeddedRed({ packDir: o.packDir });
    await red.start();
    idle = process.memoryUsage().rss / MB;
    await red.deploy(P.pollFlows({ walkInventory: o.inventory, getInventory: o.inventory.split('\n')[0], community: o.community, concurrency: o.concurrency }));
    cycle = async (measured) => {
      const c = red.counter('walk');
      c.reset();
      red.trigger('bench-walk');
      await c.waitFor(o.devices.length, 60000 + o.devices.length * 200);
      if (c.failed > 0) throw new Error(`${c.failed} devices failed (${c.firstError})`);
      // the warm-up cycle gives counter-rate its baselines; every later one must give rates
      if (measured && c.rated < o.devices.length) throw new Error(`counter-rate gave rates for ${c.rated} of ${o.devices.length} devices`);
    };
    close = () => red.stop();
  } else {
    const { RawFleet } = require('./raw');
    const raw = new RawFleet(o.devices, { community: o.community, concurrency: o.concurrency, maxRepetitions: o.maxRepetitions });
    cycle = async () => {
      const r = await raw.walkCycle([P.IF_TABLE, P.IF_X_TABLE]);
      if (r.failed > 0) throw new Error(`${r.failed} devices failed`);
    };
    close = async () => raw.close();
  }
  await cycle(false);
  const sampler = rssSampler();
  const atEnd = [];
  for (let i = 0; i < o.cycles; i++) {
    await cycle(true);
    atEnd.push(process.memoryUsage().rss / MB);
  }
  const { samples, heapTotal, external } = sampler.stop();
  // then no polling for `idleSeconds`, as between the walks of a 60-s interval: what the
  // process holds once V8 has given back the heap it sized to the walk's allocation rate
  // (its memory reducer acts after some seconds of little allocation)
  let afterIdleMB;
  let afterIdleHeapMB;
  if (o.idleSeconds > 0) {
    await new Promise((resolve) => setTimeout(resolve, o.idleSeconds * 1000));
    afterIdleMB = process.memoryUsage.rss() / MB;
    afterIdleHeapMB = process.memoryUsage().heapTotal / MB;
  }
  const result = {
    afterIdleMB, afterIdleHeapMB,
    side: o.side, startedMB: started, idleMB: idle, steadyMB: median(samples), maxMB: Math.max(...samples), endOfCycleMB: atEnd, samples: samples.length,
    // where the RSS is: the heap V8 holds (live objects and garbage not yet collected) and Buffers outside it
    heapTotalMB: median(heapTotal), externalMB: median(external),
  };
  await close();
  process.send(result);
}

/**
 * One side in a fresh process (it inherits this process's CPU affinity).
 * @returns {Promise<{side, startedMB, idleMB?, steadyMB, maxMB, endOfCycleMB, samples, heapTotalMB, externalMB}>}
 */
function rssRun(o) {
  return forkResult(__filename, ['child'], { send: o, quiet: true, name: `rss ${o.side}` });
}

/** `runs` runs of each side, alternating, then Node-RED without the pack once; `log` gets a line per run. */
async function rssBenchmark({ runs, log, ...o }) {
  const out = { pack: [], raw: [] };
  for (let i = 0; i < runs; i++) {
    for (const side of cycleOrder(i)) {
      const r = await rssRun({ ...o, side });
      out[side].push(r);
      log(`rss ${side} ${i + 1}/${runs}: steady ${r.steadyMB.toFixed(0)} MB, max ${r.maxMB.toFixed(0)} MB, V8 heap ${r.heapTotalMB.toFixed(0)} MB, Buffers ${r.externalMB.toFixed(0)} MB${r.afterIdleMB ? `, after ${o.idleSeconds} s idle ${r.afterIdleMB.toFixed(0)} MB (V8 heap ${r.afterIdleHeapMB.toFixed(0)} MB)` : ''}${r.idleMB ? `, Node-RED started before the deploy ${r.idleMB.toFixed(0)} MB` : ''}`);
    }
  }
  out.nodeRed = await rssRun({ ...o, side: 'node-red' });
  log(`rss Node-RED without this pack, ${NODE_RED_SETTLE_MS / 1000} s after its start, nothing deployed: ${out.nodeRed.idleMB.toFixed(0)} MB`);
  return out;
}

if (require.main === module && process.argv[2] === 'child') {
  process.once('message', (o) => {
    child(o).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

module.exports = { rssBenchmark };
