/**
 * The soak's arithmetic (scripts/soak/analysis.js): the memory trend a leak would show,
 * and when a poll cycle counts as missed.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';

// scripts/soak is plain CommonJS, like scripts/bench
interface Sample { t: number; v: number }
interface Side { ok: number; failed: number; codes: Record<string, number>; doneMs?: number }
interface Cycle { n: number; dueAt: number; triggeredAt: number; sides: Record<string, Side> }
const A: {
  slopePerHour(points: Sample[]): number;
  floorPerWindow(samples: Sample[], windowMs: number): Sample[];
  afterWarmUp(samples: Sample[], fraction?: number): Sample[];
  newCycle(n: number, dueAt: number, triggeredAt: number, sides: string[]): Cycle;
  countResult(cycle: Cycle, side: string, msg: unknown, devices: number, now: number): boolean;
  cycleComplete(cycle: Cycle): boolean;
  cycleMissed(cycle: Cycle, periodMs: number): boolean;
  quantile(values: number[], q: number): number;
} = require('../../../scripts/soak/analysis');

const HOUR = 3600000;

describe('soak analysis', () => {
  it('gives the slope of a series per hour, exact for a line whatever its offset', () => {
    fc.assert(fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), (perHour, offset) => {
      const pts = Array.from({ length: 30 }, (_, i) => ({ t: i * 60000, v: offset + (perHour * i * 60000) / HOUR }));
      return Math.abs(A.slopePerHour(pts) - perHour) <= 1e-6 * Math.max(1, Math.abs(perHour));
    }), { seed: 14, numRuns: 100 });
    assert.ok(Number.isNaN(A.slopePerHour([{ t: 0, v: 1 }])));
  });

  it('takes the floor of a garbage-collected sawtooth, so a flat heap has a flat trend and a leak shows', () => {
    const saw = (leakPerHour: number) => Array.from({ length: 1800 }, (_, s) => ({ t: s * 1000, v: 100 + (s % 37) * 2 + (leakPerHour * s * 1000) / HOUR }));
    const flat = A.slopePerHour(A.afterWarmUp(A.floorPerWindow(saw(0), 60000)));
    const leaking = A.slopePerHour(A.afterWarmUp(A.floorPerWindow(saw(50), 60000)));
    assert.ok(Math.abs(flat) < 5, `flat: ${flat} MB/h`);
    assert.ok(Math.abs(leaking - 50) < 5, `leaking: ${leaking} MB/h`);
    assert.deepEqual(A.floorPerWindow([{ t: 1000, v: 5 }, { t: 2000, v: 3 }, { t: 61000, v: 9 }], 60000), [{ t: 0, v: 3 }, { t: 60000, v: 9 }]);
  });

  it('counts a cycle complete once every side has all devices, failures by code', () => {
    const c = A.newCycle(1, 0, 10, ['walk', 'get']);
    assert.equal(A.countResult(c, 'walk', { payload: [] }, 2, 100), false);
    assert.equal(A.countResult(c, 'walk', { payload: null, error: { code: 'timeout' } }, 2, 4010), true);
    assert.equal(c.sides.walk.doneMs, 4000);
    assert.deepEqual(c.sides.walk.codes, { timeout: 1 });
    assert.equal(A.cycleComplete(c), false);
    A.countResult(c, 'get', { payload: {} }, 2, 50);
    A.countResult(c, 'get', { payload: {} }, 2, 60);
    assert.equal(A.cycleComplete(c), true);
    assert.equal(A.countResult(c, 'other', { payload: {} }, 2, 70), false, 'an unknown side is ignored');
  });

  it('calls a cycle missed when it ends after the next is due, never ends, or starts half a period late', () => {
    const done = (dueAt: number, triggeredAt: number, walkMs: number | undefined) => {
      const c = A.newCycle(1, dueAt, triggeredAt, ['walk']);
      c.sides.walk.doneMs = walkMs;
      return c;
    };
    assert.equal(A.cycleMissed(done(0, 5, 9000), 10000), false);
    assert.equal(A.cycleMissed(done(0, 5, 9996), 10000), true, 'ends after the next is due');
    assert.equal(A.cycleMissed(done(0, 5, undefined), 10000), true, 'never complete');
    assert.equal(A.cycleMissed(done(0, 6000, 100), 10000), true, 'triggered 6 s late');
  });

  it('takes quantiles by nearest rank', () => {
    assert.equal(A.quantile([5, 1, 4, 2, 3], 0.5), 3);
    assert.equal(A.quantile([5, 1, 4, 2, 3], 0.99), 5);
    assert.equal(A.quantile([5, 1, 4, 2, 3], 0), 1);
    assert.ok(Number.isNaN(A.quantile([], 0.5)));
  });
});
