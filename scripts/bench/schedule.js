'use strict';
/**
 * The request-rate profile: how the requests of one poll interval spread over its
 * seconds, for a fleet polled by snmp-get on its own schedule (each device at its moment
 * of the interval) and by one trigger per cycle (every device at the top of the cycle).
 * Requests are counted at the sink by the second of their answer (`msg.snmp.time`, on
 * loopback within a millisecond of the request) and weighted by `msg.snmp.requests`.
 * CPU is the whole measuring process over the interval, idle time included, so per
 * request it says more for 10,000 devices than for a quick run's 1,000.
 *
 * On a shared machine the process is sometimes not run for a few hundred ms; the turns
 * due meanwhile start together when it runs again, which moves requests from one second
 * into the next whatever the schedule. A sampler records those stalls, and the profile
 * is also given over the seconds no stall touched.
 */

/** Flows of the two sides: the same profile and OIDs, the inventory in snmp-config. */
function scheduleFlows({ inventory, mode, intervalSeconds, community = 'public' }) {
  const z = 'bench-schedule-tab';
  const id = mode === 'interval' ? 'bench-sched-self' : 'bench-sched-trigger';
  return [
    { id: z, type: 'tab', label: 'bench schedule' },
    { id: `cfg-${id}`, type: 'snmp-config', name: `${mode} fleet`, version: '2c', inventory, credentials: { community } },
    {
      id, type: 'snmp-get', z, name: mode, snmp: `cfg-${id}`, oids: 'sysUpTime.0\nsysName.0',
      schedule: mode, interval: String(intervalSeconds), wires: [[`sink-${id}`], [`sink-${id}`]],
    },
    { id: `sink-${id}`, type: 'bench-sink', z, channel: id, wires: [] },
  ];
}

/** Late ticks of a 20-ms timer: when this process was not run for over `thresholdMs`. */
function stallSampler(thresholdMs = 50) {
  const stalls = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last > 20 + thresholdMs) stalls.push({ from: last + 20, to: now });
    last = now;
  }, 20);
  return { stalls, stop: () => clearInterval(timer) };
}

/** The profile's seconds (indexes) that a stall, or the burst of work right after it, touched. */
function stalledSeconds(stalls, from) {
  const touched = new Set();
  for (const st of stalls) {
    for (let t = st.from; t <= st.to + 250; t += 250) touched.add(Math.floor((t - from) / 1000));
  }
  return touched;
}

/**
 * Requests per second over [from, from + seconds × 1000): the busiest and quietest
 * second against the mean, from a sink counter's `bySecond` map.
 */
function profile(bySecond, from, seconds, stalls = []) {
  const first = Math.floor(from / 1000);
  const counts = [];
  for (let s = 0; s < seconds; s++) counts.push(bySecond.get(first + s) ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const mean = total / seconds;
  const busiest = Math.max(...counts);
  const stalled = stalledSeconds(stalls, first * 1000);
  const clean = counts.filter((_, i) => !stalled.has(i));
  return {
    /** Seconds no stall of the process touched, and the busiest of them. */
    cleanSeconds: clean.length,
    cleanBusiest: clean.length > 0 ? Math.max(...clean) : null,
    cleanPeakToMean: clean.length > 0 && mean > 0 ? Math.max(...clean) / mean : null,
    stalls: stalls.length,
    longestStallMs: Math.max(0, ...stalls.map((st) => st.to - st.from)),
    seconds,
    requests: total,
    mean,
    busiest,
    quietest: Math.min(...counts),
    peakToMean: mean > 0 ? busiest / mean : null,
    /** Seconds that carried any request. */
    activeSeconds: counts.filter((c) => c > 0).length,
    counts,
  };
}

/**
 * One trigger per cycle: a message into the node at the start of an interval, the
 * interval's seconds counted until its end (the cycle itself ends long before).
 */
async function triggeredInterval(red, { devices, intervalSeconds, timeoutMs }) {
  const id = 'bench-sched-trigger';
  const c = red.counter(id);
  c.reset();
  // start on a whole second, so the cycle's seconds are whole seconds of the profile
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
  const from = Date.now();
  const sampler = stallSampler();
  const cpu0 = process.cpuUsage();
  red.trigger(id);
  await c.waitFor(devices, timeoutMs);
  const cycleMs = Date.now() - from;
  const left = from + intervalSeconds * 1000 - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  const cpu = process.cpuUsage(cpu0);
  sampler.stop();
  return { ...profile(c.bySecond, from, intervalSeconds, sampler.stalls), cycleMs, failed: c.failed, cpuMs: (cpu.user + cpu.system) / 1000, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, firstError: c.firstError };
}

/**
 * The node on its own schedule, deployed just before: the first interval places every
 * device (and opens its session); the second is measured.
 */
async function scheduledInterval(red, { intervalSeconds, log }) {
  const id = 'bench-sched-self';
  const c = red.counter(id);
  const deployedAt = Date.now();
  const from = Math.ceil((deployedAt + intervalSeconds * 1000) / 1000) * 1000;
  log?.(`schedule: warming up one interval (${intervalSeconds} s), then measuring the next`);
  await new Promise((r) => setTimeout(r, from - Date.now()));
  const failedBefore = c.failed;
  const sampler = stallSampler();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, intervalSeconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  // the answers of the interval's last polls
  await new Promise((r) => setTimeout(r, 1500));
  sampler.stop();
  return { ...profile(c.bySecond, from, intervalSeconds, sampler.stalls), failed: c.failed - failedBefore, cpuMs: (cpu.user + cpu.system) / 1000, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, firstError: c.firstError };
}

module.exports = { scheduleFlows, profile, stallSampler, triggeredInterval, scheduledInterval };
