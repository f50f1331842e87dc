'use strict';
/**
 * Pure pieces of the soak (scripts/soak.js): the trend of a memory series, the per-cycle
 * accounting of poll results and the verdicts. No I/O, so they are unit-tested
 * (test/unit/scripts/soak-analysis.test.ts).
 */

/**
 * The least-squares slope of `points` ({ t: ms, v }), in units of v per hour; NaN with
 * fewer than two points or no spread in time.
 */
function slopePerHour(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mv = points.reduce((a, p) => a + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 3600000;
}

/**
 * The lowest value of each window of `windowMs` ({ t, v } per window, t its start): for
 * a garbage-collected heap, the floor under the sawtooth, which is what grows when
 * something leaks.
 */
function floorPerWindow(samples, windowMs) {
  const windows = new Map();
  for (const s of samples) {
    const w = Math.floor(s.t / windowMs) * windowMs;
    const cur = windows.get(w);
    if (cur === undefined || s.v < cur) windows.set(w, s.v);
  }
  return [...windows].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

/** The samples after the first `fraction` of the run (JIT, caches and sessions warm up first). */
function afterWarmUp(samples, fraction = 0.2) {
  if (samples.length === 0) return samples;
  const t0 = samples[0].t;
  const t1 = samples[samples.length - 1].t;
  const from = t0 + (t1 - t0) * fraction;
  return samples.filter((s) => s.t >= from);
}

/**
 * A new poll cycle's record: when it was due and triggered, and what came back from each
 * poll node (`sides`, e.g. ['walk', 'get']).
 */
function newCycle(n, dueAt, triggeredAt, sides) {
  const c = { n, dueAt, triggeredAt, sides: {} };
  for (const s of sides) c.sides[s] = { ok: 0, failed: 0, codes: {}, doneMs: undefined };
  return c;
}

/**
 * Counts one result message (a poll node's output 1 or 2) into its cycle; returns true
 * when that side of the cycle just became complete (`devices` results).
 */
function countResult(cycle, side, msg, devices, now) {
  const s = cycle.sides[side];
  if (!s) return false;
  if (msg.payload === null || msg.payload === undefined) {
    s.failed++;
    const code = (msg.error && msg.error.code) || 'unknown';
    s.codes[code] = (s.codes[code] || 0) + 1;
  } else {
    s.ok++;
  }
  if (s.doneMs === undefined && s.ok + s.failed >= devices) {
    s.doneMs = now - cycle.triggeredAt;
    return true;
  }
  return false;
}

/** True when every side of the cycle has all its results. */
function cycleComplete(cycle) {
  return Object.values(cycle.sides).every((s) => s.doneMs !== undefined);
}

/**
 * Whether a cycle was missed: triggered more than half a period late, or not complete
 * before the next one was due (or by the end of the run).
 */
function cycleMissed(cycle, periodMs) {
  if (cycle.triggeredAt - cycle.dueAt > periodMs / 2) return true;
  return Object.values(cycle.sides).some((s) => s.doneMs === undefined || cycle.triggeredAt + s.doneMs > cycle.dueAt + periodMs);
}

/** The value at quantile q (0..1) of a list, nearest rank; NaN when empty. */
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

module.exports = { slopePerHour, floorPerWindow, afterWarmUp, newCycle, countResult, cycleComplete, cycleMissed, quantile };
