import { strict as assert } from 'assert';
import fc from 'fast-check';
import { CLOCK_JUMP_MS, observe, owed, resolve, type AlertState, type Observation, type Timing } from '../../../src/lib/alert/machine';

const T0 = 1_700_000_000_000;
const S = 1000;
const NOW: Timing = { forMs: 0, keepFiringForMs: 0, repeatMs: 0 };
const FOR_60: Timing = { forMs: 60 * S, keepFiringForMs: 0, repeatMs: 0 };

const hot = (time: number, value = 95): Observation => ({ time, active: true, held: true, value });
const warm = (time: number, value = 85): Observation => ({ time, active: false, held: true, value });
const cold = (time: number, value = 10): Observation => ({ time, active: false, held: false, value });

describe('alert state machine', () => {
  it('inactive stays inactive while the condition is false', () => {
    assert.deepEqual(observe(undefined, cold(T0), NOW), { next: undefined });
    assert.deepEqual(observe(undefined, warm(T0), NOW), { next: undefined }, 'inside the hysteresis band does not start an alert');
  });

  it('inactive → firing at once when for = 0, announced', () => {
    const step = observe(undefined, hot(T0), NOW);
    assert.equal(step.notify, 'firing');
    assert.deepEqual(step.next, { phase: 'firing', activeAt: T0, firedAt: T0, notifiedAt: T0, seen: T0, value: 95 });
  });

  it('inactive → pending (silently) when for > 0', () => {
    const step = observe(undefined, hot(T0), FOR_60);
    assert.equal(step.notify, undefined);
    assert.equal(step.next?.phase, 'pending');
  });

  it('pending → pending until `for` has passed, then → firing with startsAt at firing time', () => {
    let st = observe(undefined, hot(T0), FOR_60).next;
    const mid = observe(st, hot(T0 + 30 * S), FOR_60);
    assert.equal(mid.next?.phase, 'pending');
    assert.equal(mid.notify, undefined);
    st = mid.next;
    const fired = observe(st, hot(T0 + 60 * S), FOR_60);
    assert.equal(fired.notify, 'firing');
    assert.equal(fired.next?.phase, 'firing');
    assert.equal(fired.next?.firedAt, T0 + 60 * S);
    assert.equal(fired.next?.activeAt, T0);
  });

  it('pending → inactive silently when the value clears', () => {
    const st = observe(undefined, hot(T0), FOR_60).next;
    assert.deepEqual(observe(st, cold(T0 + 30 * S), FOR_60), { next: undefined });
  });

  it('hysteresis: pending and firing hold inside the band, clear only below it', () => {
    let st = observe(undefined, hot(T0), FOR_60).next;
    st = observe(st, warm(T0 + 30 * S), FOR_60).next;
    assert.equal(st?.phase, 'pending', 'held at 85 with clear 80');
    const f = observe(st, warm(T0 + 60 * S), FOR_60);
    assert.equal(f.notify, 'firing', 'held for 60 s after crossing: fires');
    const still = observe(f.next, warm(T0 + 90 * S), FOR_60);
    assert.equal(still.notify, undefined);
    assert.equal(still.next?.phase, 'firing');
    const done = observe(still.next, cold(T0 + 120 * S), FOR_60);
    assert.equal(done.notify, 'resolved');
    assert.equal(done.next, undefined);
  });

  it('firing → resolved when the value clears (keepFiringFor 0)', () => {
    const st = observe(undefined, hot(T0), NOW).next;
    assert.deepEqual(observe(st, cold(T0 + S), NOW), { next: undefined, notify: 'resolved' });
  });

  it('keep-firing-for: stays firing through a short dip, resolves after the full period clear', () => {
    const t: Timing = { forMs: 0, keepFiringForMs: 120 * S, repeatMs: 0 };
    let st = observe(undefined, hot(T0), t).next;
    let step = observe(st, cold(T0 + 60 * S), t);
    assert.equal(step.notify, undefined);
    assert.equal(step.next?.clearSince, T0 + 60 * S);
    step = observe(step.next, hot(T0 + 120 * S), t);
    assert.equal(step.next?.clearSince, undefined, 'back above: the countdown restarts');
    step = observe(step.next, cold(T0 + 180 * S), t);
    step = observe(step.next, cold(T0 + 240 * S), t);
    assert.equal(step.next?.phase, 'firing', '60 s clear of 120');
    step = observe(step.next, cold(T0 + 300 * S), t);
    assert.equal(step.notify, 'resolved');
    st = step.next;
    assert.equal(st, undefined);
  });

  it('repeat: re-announces while firing once the interval has passed, not before', () => {
    const t: Timing = { forMs: 0, keepFiringForMs: 0, repeatMs: 3600 * S };
    let step = observe(undefined, hot(T0), t);
    step = observe(step.next, hot(T0 + 1800 * S), t);
    assert.equal(step.notify, undefined);
    step = observe(step.next, hot(T0 + 3600 * S), t);
    assert.equal(step.notify, 'repeat');
    assert.equal(step.next?.notifiedAt, T0 + 3600 * S);
    assert.equal(step.next?.firedAt, T0, 'startsAt unchanged by repeats');
    step = observe(step.next, hot(T0 + 5000 * S), t);
    assert.equal(step.notify, undefined);
  });

  it('muted: firing is owed, not announced; announced once unmuted; repeats wait', () => {
    const t: Timing = { forMs: 0, keepFiringForMs: 0, repeatMs: 60 * S };
    let step = observe(undefined, hot(T0), t, true);
    assert.equal(step.notify, undefined);
    assert.equal(step.next?.phase, 'firing');
    assert.equal(step.next?.notifiedAt, undefined);
    step = observe(step.next, hot(T0 + 120 * S), t, true);
    assert.equal(step.notify, undefined, 'no repeat under a silence');
    const o = owed(step.next!, T0 + 130 * S, false);
    assert.equal(o.notify, 'firing');
    assert.equal(owed(o.next!, T0 + 131 * S, false).notify, undefined, 'owed only once');
    assert.equal(owed(step.next!, T0 + 130 * S, true).notify, undefined, 'still muted: nothing');
  });

  it('muted: a never-announced alert resolves quietly; an announced one resolves aloud', () => {
    const quiet = observe(undefined, hot(T0), NOW, true).next;
    assert.deepEqual(observe(quiet, cold(T0 + S), NOW, true), { next: undefined });
    const loud = observe(undefined, hot(T0), NOW, false).next;
    assert.deepEqual(observe(loud, cold(T0 + S), NOW, true), { next: undefined, notify: 'resolved' });
  });

  it('resolve(): the no-data policy closes announced alerts only', () => {
    const firing = observe(undefined, hot(T0), NOW).next!;
    assert.deepEqual(resolve(firing), { next: undefined, notify: 'resolved' });
    const pending = observe(undefined, hot(T0), FOR_60).next!;
    assert.deepEqual(resolve(pending), { next: undefined });
  });

  it('an observation older than the state is ignored (reordered message)', () => {
    const st = observe(undefined, hot(T0 + 60 * S), NOW).next;
    const step = observe(st, cold(T0), NOW);
    assert.equal(step.stale, true);
    assert.equal(step.next, st);
  });

  it('a clock set far back moves the timers with it instead of freezing the alert', () => {
    let st = observe(undefined, hot(T0), FOR_60).next;
    const back = T0 - CLOCK_JUMP_MS - 3600 * S;
    const step = observe(st, hot(back), FOR_60);
    assert.equal(step.stale, undefined);
    assert.equal(step.next?.phase, 'pending');
    st = step.next;
    assert.equal(observe(st, hot(back + 60 * S), FOR_60).notify, 'firing');
  });

  describe('properties', () => {
    const obsArb = fc.record({
      dt: fc.integer({ min: -30 * S, max: 400 * S }),
      level: fc.constantFrom('hot', 'warm', 'cold'),
      muted: fc.boolean(),
    });
    const timingArb = fc.record({
      forMs: fc.constantFrom(0, 30 * S, 300 * S),
      keepFiringForMs: fc.constantFrom(0, 60 * S),
      repeatMs: fc.constantFrom(0, 600 * S),
    });

    it('announcements alternate: firing (+repeats) then resolved, never two firings or a stray resolve', () => {
      fc.assert(fc.property(fc.array(obsArb, { maxLength: 60 }), timingArb, (seq, timing) => {
        let st: AlertState | undefined;
        let open = false;
        let t = T0;
        for (const o of seq) {
          t += o.dt;
          const obs = o.level === 'hot' ? hot(t) : o.level === 'warm' ? warm(t) : cold(t);
          const step = observe(st, obs, timing, o.muted);
          if (step.notify === 'firing') {
            assert.equal(open, false, 'firing twice');
            open = true;
          } else if (step.notify === 'repeat') {
            assert.equal(open, true, 'repeat without firing');
          } else if (step.notify === 'resolved') {
            assert.equal(open, true, 'resolved without firing');
            open = false;
          }
          st = step.next;
          if (!st) assert.equal(open, false, 'inactive while announced as firing');
          if (st && st.phase === 'firing' && st.notifiedAt !== undefined) assert.equal(open, true);
          if (st) {
            const o2 = owed(st, t, false);
            if (o2.notify) {
              assert.equal(open, false);
              open = true;
              st = o2.next;
            }
          }
        }
      }), { numRuns: 3000 });
    });

    it('flapping faster than `for` never fires (hot runs shorter than 60 s, polled every 10 s)', () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }), (runs) => {
        let st: AlertState | undefined;
        let t = T0;
        for (const run of runs) {
          // `run` hot samples span (run - 1) * 10 s < 60 s, then one cold sample.
          for (let i = 0; i < run; i++) {
            t += 10 * S;
            const step = observe(st, hot(t), FOR_60);
            assert.notEqual(step.notify, 'firing');
            st = step.next;
          }
          t += 10 * S;
          st = observe(st, cold(t), FOR_60).next;
          assert.equal(st, undefined);
        }
      }));
    });
  });
});
