import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  counterStep,
  discontinuityChanged,
  interfaceMaxRate,
  parseCounter,
  rateOf,
  uptimeRestarted,
  TWO_POW_32,
  TWO_POW_64,
  type CounterSample,
  type CounterStepOptions,
} from '../../../src/lib/counter-rate/counter-math';

const T0 = 1_700_000_000_000;
const s = (value: bigint, time: number): CounterSample => ({ value, time });
const c32: CounterStepOptions = { width: 32 };
const c64: CounterStepOptions = { width: 64 };

function rate(prev: CounterSample | undefined, cur: CounterSample, opts: CounterStepOptions, scale = 1): number | undefined {
  const step = counterStep(prev, cur, opts);
  return step.kind === 'delta' ? rateOf(step.delta, step.seconds, scale) : undefined;
}

describe('counter-math', () => {
  describe('counterStep', () => {
    it('first sample: no rate, it is the baseline', () => {
      assert.deepEqual(counterStep(undefined, s(100n, T0), c64), { kind: 'first' });
    });

    it('normal delta: 6000 octets in 60 s = 100/s', () => {
      const step = counterStep(s(1000n, T0), s(7000n, T0 + 60_000), c32);
      assert.deepEqual(step, { kind: 'delta', delta: 6000n, seconds: 60, wrapped: false });
      assert.equal(rate(s(1000n, T0), s(7000n, T0 + 60_000), c32), 100);
    });

    it('scales (x8 for bits)', () => {
      assert.equal(rate(s(0n, T0), s(125_000_000n, T0 + 1000), c64, 8), 1e9);
    });

    it('Counter32 wrap at a plausible rate gives the exact delta', () => {
      // 2^32 - 1000 → 5000 is 6000 octets through the wrap; 1 Gb/s link = 125e6 octets/s.
      const step = counterStep(s(TWO_POW_32 - 1000n, T0), s(5000n, T0 + 10_000), { width: 32, maxRate: 125e6 });
      assert.deepEqual(step, { kind: 'delta', delta: 6000n, seconds: 10, wrapped: true });
      assert.equal(rateOf(6000n, 10), 600);
    });

    it('Counter32 wrap at exactly 2^32-1 → 0 is a delta of 1', () => {
      const step = counterStep(s(TWO_POW_32 - 1n, T0), s(0n, T0 + 1000), c32);
      assert.deepEqual(step, { kind: 'delta', delta: 1n, seconds: 1, wrapped: true });
    });

    it('an implausible Counter32 "wrap" is a reset', () => {
      // From 1e6 to 500 in 10 s would be ~4.29e9 octets = 429 MB/s: above a 100 Mb/s link.
      const step = counterStep(s(1_000_000n, T0), s(500n, T0 + 10_000), { width: 32, maxRate: 12.5e6 });
      assert.deepEqual(step, { kind: 'reset', reason: 'implausible-wrap' });
    });

    it('a Counter32 decrease without a known max rate is a wrap (RFC 2578 reading)', () => {
      const step = counterStep(s(1_000_000n, T0), s(500n, T0 + 10_000), c32);
      assert.equal(step.kind, 'delta');
    });

    it('a Counter32 value above 2^32-1 cannot wrap: reset', () => {
      assert.deepEqual(counterStep(s(TWO_POW_32 + 5n, T0), s(3n, T0 + 1000), c32), { kind: 'reset', reason: 'out-of-range' });
    });

    it('Counter64 from 2^53-10 to 2^53+10 in 1 s is exactly 20/s', () => {
      const p = 2n ** 53n;
      const step = counterStep(s(p - 10n, T0), s(p + 10n, T0 + 1000), c64);
      assert.deepEqual(step, { kind: 'delta', delta: 20n, seconds: 1, wrapped: false });
      assert.equal(rateOf(20n, 1), 20);
      // An odd value above 2^53 has no double: floats would be off by one, BigInt is not.
      const odd = counterStep(s(p - 10n, T0), s(p + 11n, T0 + 1000), c64);
      assert.equal(odd.kind === 'delta' && odd.delta, 21n);
      assert.notEqual(Number(p + 11n) - Number(p - 10n), 21);
    });

    it('Counter64 near 2^64 stays exact', () => {
      const step = counterStep(s(TWO_POW_64 - 1001n, T0), s(TWO_POW_64 - 1n, T0 + 2000), c64);
      assert.deepEqual(step, { kind: 'delta', delta: 1000n, seconds: 2, wrapped: false });
      assert.equal(rateOf(1000n, 2), 500);
    });

    it('a Counter64 decrease is a reset, never a wrap', () => {
      assert.deepEqual(counterStep(s(TWO_POW_64 - 5n, T0), s(10n, T0 + 1000), c64), { kind: 'reset', reason: 'decrease' });
      assert.deepEqual(counterStep(s(1000n, T0), s(999n, T0 + 1000), c64), { kind: 'reset', reason: 'decrease' });
    });

    it('a signalled discontinuity is a reset even when the value grew', () => {
      assert.deepEqual(counterStep(s(1000n, T0), s(2000n, T0 + 1000), { width: 64, discontinuity: 'uptime' }), { kind: 'reset', reason: 'uptime' });
      assert.deepEqual(counterStep(s(1000n, T0), s(2000n, T0 + 1000), { width: 32, discontinuity: 'discontinuity' }), { kind: 'reset', reason: 'discontinuity' });
    });

    it('two samples with the same time: no rate (no division by zero)', () => {
      assert.deepEqual(counterStep(s(1000n, T0), s(2000n, T0), c64), { kind: 'same-time' });
    });

    it('a sample older than the baseline: time went backwards', () => {
      assert.deepEqual(counterStep(s(1000n, T0), s(900n, T0 - 1000), c64), { kind: 'time-backwards' });
    });
  });

  describe('uptimeRestarted', () => {
    it('first reading is a baseline', () => {
      assert.equal(uptimeRestarted(undefined, { ticks: 5, time: T0 }), false);
    });
    it('a normal advance is no restart', () => {
      assert.equal(uptimeRestarted({ ticks: 100_000, time: T0 }, { ticks: 106_000, time: T0 + 60_000 }), false);
    });
    it('a sysUpTime drop is a restart', () => {
      assert.equal(uptimeRestarted({ ticks: 8_640_000, time: T0 }, { ticks: 3000, time: T0 + 60_000 }), true);
    });
    it('an uptime shorter than the time since the last poll is a restart, even if it grew', () => {
      // 10 s of uptime, polled 5 min later: now up for 60 s — it rebooted in between.
      assert.equal(uptimeRestarted({ ticks: 1000, time: T0 }, { ticks: 6000, time: T0 + 300_000 }), true);
    });
    it("sysUpTime's own 497-day wrap, consistent with the wall clock, is no restart", () => {
      const prev = { ticks: 2 ** 32 - 3000, time: T0 }; // 30 s before the wrap
      assert.equal(uptimeRestarted(prev, { ticks: 3000, time: T0 + 60_000 }), false);
    });
    it('a drop near the wrap point that disagrees with the wall clock is a restart', () => {
      const prev = { ticks: 2 ** 32 - 3000, time: T0 };
      assert.equal(uptimeRestarted(prev, { ticks: 3000, time: T0 + 3_600_000 }), true);
    });
    it('readings out of order are not judged', () => {
      assert.equal(uptimeRestarted({ ticks: 9000, time: T0 }, { ticks: 10, time: T0 - 1000 }), false);
    });
  });

  describe('discontinuityChanged', () => {
    it('is false for a first reading and an unchanged value, true for a change', () => {
      assert.equal(discontinuityChanged(undefined, 500), false);
      assert.equal(discontinuityChanged(500, 500), false);
      assert.equal(discontinuityChanged(500, 9000), true);
      assert.equal(discontinuityChanged(500, undefined), false);
    });
  });

  describe('parseCounter', () => {
    it('prefers the exact string', () => {
      assert.equal(parseCounter(1.2e15, '1200000000000001'), 1200000000000001n);
      assert.equal(parseCounter(18446744073709552000, '18446744073709551615'), TWO_POW_64 - 1n);
    });
    it('rejects negatives, fractions, NaN, huge values, junk', () => {
      for (const v of [-1, 1.5, NaN, Infinity, 2 ** 64, '12a', '', null, undefined, {}, [], true, '-5']) {
        assert.equal(parseCounter(v), undefined, `accepted ${String(v)}`);
      }
      assert.equal(parseCounter(0, '18446744073709551616'), undefined);
    });
    it('accepts decimal strings and safe integers', () => {
      assert.equal(parseCounter('42'), 42n);
      assert.equal(parseCounter(42), 42n);
    });
  });

  describe('interfaceMaxRate', () => {
    it('prefers ifHighSpeed, ignores a saturated or zero ifSpeed', () => {
      assert.equal(interfaceMaxRate(1e9, 1000), 125e6);
      assert.equal(interfaceMaxRate(4294967295, 10000), 1.25e9);
      assert.equal(interfaceMaxRate(4294967295, 0), undefined);
      assert.equal(interfaceMaxRate(100e6, undefined), 12.5e6);
      assert.equal(interfaceMaxRate(0, 0), undefined);
      assert.equal(interfaceMaxRate('fast', null), undefined);
    });
  });

  describe('properties', () => {
    const sampleArb = fc.record({
      value: fc.bigInt({ min: 0n, max: TWO_POW_64 - 1n }),
      dt: fc.integer({ min: -120_000, max: 600_000 }),
    });
    const optsArb = fc.record({
      width: fc.constantFrom(32 as const, 64 as const),
      maxRate: fc.option(fc.double({ min: 1, max: 1e12, noNaN: true }), { nil: undefined }),
      discontinuity: fc.option(fc.constantFrom('uptime' as const, 'discontinuity' as const), { nil: undefined, freq: 10 }),
    });

    it('no sequence of samples ever yields a negative or non-finite rate', () => {
      fc.assert(fc.property(fc.array(sampleArb, { maxLength: 40 }), optsArb, fc.double({ min: 0.001, max: 1000, noNaN: true }), (samples, opts, scale) => {
        let prev: CounterSample | undefined;
        let time = T0;
        for (const x of samples) {
          time += x.dt;
          const value = opts.width === 32 ? x.value % TWO_POW_32 : x.value;
          const cur = { value, time };
          const step = counterStep(prev, cur, opts);
          if (step.kind === 'delta') {
            assert.ok(step.delta >= 0n, 'negative delta');
            assert.ok(step.seconds > 0, 'non-positive interval');
            const r = rateOf(step.delta, step.seconds, scale);
            assert.ok(Number.isFinite(r) && r >= 0, `bad rate ${r}`);
            if (opts.width === 32) assert.ok(step.delta < TWO_POW_32);
          }
          if (step.kind !== 'same-time') prev = cur;
        }
      }), { numRuns: 2000 });
    });

    it('a plausible Counter32 wrap recovers the true increment exactly', () => {
      fc.assert(fc.property(
        fc.bigInt({ min: 0n, max: TWO_POW_32 - 1n }),
        fc.bigInt({ min: 1n, max: TWO_POW_32 - 1n }),
        fc.integer({ min: 1, max: 3600 }),
        (start, increment, seconds) => {
          const end = (start + increment) % TWO_POW_32;
          const step = counterStep(s(start, T0), s(end, T0 + seconds * 1000), c32);
          assert.equal(step.kind, 'delta');
          if (step.kind === 'delta') assert.equal(step.delta, increment);
        },
      ));
    });

    it('Counter64 deltas are exact anywhere below 2^64', () => {
      fc.assert(fc.property(
        fc.bigInt({ min: 0n, max: TWO_POW_64 - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        (start, increment) => {
          fc.pre(start + increment < TWO_POW_64);
          const step = counterStep(s(start, T0), s(start + increment, T0 + 1000), c64);
          assert.deepEqual(step, { kind: 'delta', delta: increment, seconds: 1, wrapped: false });
          assert.equal(rateOf(increment, 1), Number(increment));
        },
      ));
    });

    it('sysUpTime advancing with the wall clock is never a restart, across the wrap too', () => {
      fc.assert(fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        (ticks, elapsedMs) => {
          const next = (ticks + Math.floor(elapsedMs / 10)) % 2 ** 32;
          assert.equal(uptimeRestarted({ ticks, time: T0 }, { ticks: next, time: T0 + elapsedMs }), false);
        },
      ));
    });
  });
});
