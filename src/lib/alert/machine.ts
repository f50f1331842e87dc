/**
 * The alert state machine of one series and rule, as pure functions:
 *
 *     inactive ─(active)─► pending ─(held for `for`)─► firing ─(clear for keepFiringFor)─► resolved (= inactive)
 *                              └──(not held)──► inactive (silently)
 *
 * Prometheus' semantics (pending, `for`, `keep_firing_for`) with a clear threshold
 * for hysteresis, and Alertmanager's notification rules: a notification on each
 * change, a repeat while firing, silences that mute announcements but never leave a
 * receiver with an incident that is not closed.
 */

export type Phase = 'pending' | 'firing';

/** State of an alert that is not inactive (inactive alerts are not stored). */
export interface AlertState {
  phase: Phase;
  /** When the condition first became active (pending since), ms. */
  activeAt: number;
  /** When it fired: the alert's startsAt, ms. */
  firedAt?: number;
  /** While firing: when the value first passed the clear threshold (keepFiringFor countdown). */
  clearSince?: number;
  /**
   * Time of the last firing notification sent. Undefined while firing means the firing
   * is owed (it happened under a silence) and is announced once the silence ends.
   */
  notifiedAt?: number;
  /** Time of the latest observation, ms. */
  seen: number;
  value: number | string | null;
}

export interface Observation {
  time: number;
  /** The value crosses the threshold. */
  active: boolean;
  /** The value has not passed the clear threshold (implied by active). */
  held: boolean;
  value: number | string | null;
}

export interface Timing {
  forMs: number;
  keepFiringForMs: number;
  /** Re-notify a firing alert this often; 0 = never. */
  repeatMs: number;
}

/** What the receiver is told. */
export type Notify = 'firing' | 'repeat' | 'resolved';

export interface Step {
  /** The new state; undefined = inactive. */
  next: AlertState | undefined;
  notify?: Notify;
  /** The observation was older than the state and was ignored. */
  stale?: boolean;
}

/**
 * An observation this much older than the latest one is not a reordered message but
 * a clock that was set back: the state's timers move back with it instead of freezing
 * the alert until the clock catches up.
 */
export const CLOCK_JUMP_MS = 15 * 60 * 1000;

/**
 * Applies one observation to one alert.
 * @param prev  the current state (undefined = inactive)
 * @param obs   the new value with its poll time
 * @param timing the rule's `for` / keep-firing-for and the node's repeat interval
 * @param muted a silence covers this alert now
 */
export function observe(prev: AlertState | undefined, obs: Observation, timing: Timing, muted = false): Step {
  if (!prev) {
    if (!obs.active) return { next: undefined };
    const pending: AlertState = { phase: 'pending', activeAt: obs.time, seen: obs.time, value: obs.value };
    if (timing.forMs > 0) return { next: pending };
    return fire(pending, obs.time, muted);
  }
  let state = prev;
  if (obs.time < prev.seen) {
    if (prev.seen - obs.time < CLOCK_JUMP_MS) return { next: prev, stale: true };
    state = shiftTimes(prev, obs.time - prev.seen);
  }
  state = { ...state, seen: obs.time, value: obs.value };

  if (state.phase === 'pending') {
    if (!obs.held) return { next: undefined };
    if (obs.time - state.activeAt >= timing.forMs) return fire(state, obs.time, muted);
    return { next: state };
  }

  // firing
  if (obs.held) {
    delete state.clearSince;
  } else {
    if (state.clearSince === undefined) state.clearSince = obs.time;
    if (obs.time - state.clearSince >= timing.keepFiringForMs) return resolve(state);
  }
  return announce(state, obs.time, timing.repeatMs, muted);
}

/**
 * A firing alert's due notification without a new observation: an owed firing once a
 * silence has ended (repeats wait for the next observation).
 */
export function owed(state: AlertState, now: number, muted: boolean): Step {
  if (state.phase !== 'firing' || muted || state.notifiedAt !== undefined) return { next: state };
  return { next: { ...state, notifiedAt: now }, notify: 'firing' };
}

/** The series stopped reporting and the policy resolves it. */
export function resolve(state: AlertState): Step {
  // A firing that was never announced (silenced throughout) is not resolved aloud.
  if (state.phase === 'firing' && state.notifiedAt !== undefined) return { next: undefined, notify: 'resolved' };
  return { next: undefined };
}

function fire(state: AlertState, time: number, muted: boolean): Step {
  const firing: AlertState = { ...state, phase: 'firing', firedAt: time };
  delete firing.clearSince;
  if (muted) {
    delete firing.notifiedAt;
    return { next: firing };
  }
  firing.notifiedAt = time;
  return { next: firing, notify: 'firing' };
}

function announce(state: AlertState, time: number, repeatMs: number, muted: boolean): Step {
  if (muted) return { next: state };
  if (state.notifiedAt === undefined) return { next: { ...state, notifiedAt: time }, notify: 'firing' };
  if (repeatMs > 0 && time - state.notifiedAt >= repeatMs) return { next: { ...state, notifiedAt: time }, notify: 'repeat' };
  return { next: state };
}

function shiftTimes(s: AlertState, delta: number): AlertState {
  // firedAt is left alone: it was announced as startsAt and times nothing.
  const out: AlertState = { ...s, activeAt: s.activeAt + delta };
  if (s.clearSince !== undefined) out.clearSince = s.clearSince + delta;
  if (s.notifiedAt !== undefined) out.notifiedAt = s.notifiedAt + delta;
  return out;
}
