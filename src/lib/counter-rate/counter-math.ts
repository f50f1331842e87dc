/**
 * The arithmetic of cumulative counters, as pure functions: exact deltas (BigInt, so
 * Counter64 stays exact past 2^53), Counter32 wrap plausibility, and the two reset
 * signals SNMP gives us — sysUpTime (RFC 3418) and ifCounterDiscontinuityTime
 * (RFC 2863 §3.1.6). Nothing here knows about messages or Node-RED.
 */

/** 2^32: the modulus of Counter32 and of TimeTicks. */
export const TWO_POW_32 = 1n << 32n;
/** 2^64: the modulus of Counter64. */
export const TWO_POW_64 = 1n << 64n;

/**
 * An implied wrap rate may exceed the link's maximum by this factor and still count as
 * plausible: the agent samples its counters some time before the response is stamped,
 * so short intervals carry a few percent of timing jitter.
 */
export const WRAP_HEADROOM = 1.1;

/**
 * A sysUpTime that wrapped (after 497 days) must agree with the wall clock within this
 * many ms (or 5 % of the interval, whichever is larger) to count as a wrap, not a restart.
 */
export const UPTIME_SLACK_MS = 5000;

export type CounterWidth = 32 | 64;

/** One observation of a counter: exact value and the poll time in ms. */
export interface CounterSample {
  value: bigint;
  time: number;
}

/** Why a sample produced no rate although a previous one existed. */
export type ResetReason = 'decrease' | 'implausible-wrap' | 'out-of-range' | 'uptime' | 'discontinuity';

export type CounterStep =
  /** No previous sample: this one becomes the baseline. */
  | { kind: 'first' }
  /** A normal increase, or a plausible Counter32 wrap (`wrapped`). */
  | { kind: 'delta'; delta: bigint; seconds: number; wrapped: boolean }
  /** The counter restarted: no rate; this sample becomes the baseline. */
  | { kind: 'reset'; reason: ResetReason }
  /** Same poll time as the baseline (a duplicate): no rate; keep the old baseline. */
  | { kind: 'same-time' }
  /** Older than the baseline (message out of order, or the clock went back): re-baseline. */
  | { kind: 'time-backwards' };

export interface CounterStepOptions {
  width: CounterWidth;
  /**
   * Highest believable increase per second, in counter units (e.g. octets/s from
   * ifSpeed / 8). Undefined = unknown: a Counter32 decrease is then taken as a wrap, the
   * reading RFC 2578 §7.1.6 gives when no discontinuity is signalled.
   */
  maxRate?: number;
  /** The device or the row signalled a discontinuity (sysUpTime, ifCounterDiscontinuityTime). */
  discontinuity?: ResetReason;
}

const DECIMAL = /^\d{1,20}$/;

/**
 * The exact value of a counter from a varbind's `exact` string or a JSON number.
 * Returns undefined for anything that is not a non-negative integer below 2^64
 * (negative, fractional, NaN, huge, non-numeric strings).
 */
export function parseCounter(value: unknown, exact?: unknown): bigint | undefined {
  if (typeof exact === 'string' && DECIMAL.test(exact)) {
    const n = BigInt(exact);
    return n < TWO_POW_64 ? n : undefined;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 64) return undefined;
    return BigInt(value);
  }
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = BigInt(value);
    return n < TWO_POW_64 ? n : undefined;
  }
  if (typeof value === 'bigint') return value >= 0n && value < TWO_POW_64 ? value : undefined;
  return undefined;
}

/**
 * Classifies a new counter sample against the previous one. The caller turns a `delta`
 * into a rate with {@link rateOf}; every other kind yields no rate.
 *
 * Order of checks: time (duplicates and reordering are not counter events), then a
 * signalled discontinuity, then the value. A decrease of a Counter64 is always a reset
 * (it cannot wrap in a device's lifetime); a Counter32 decrease is a wrap only when the
 * rate it implies is plausible.
 */
export function counterStep(prev: CounterSample | undefined, cur: CounterSample, opts: CounterStepOptions): CounterStep {
  if (!prev) return { kind: 'first' };
  if (cur.time === prev.time) return { kind: 'same-time' };
  if (cur.time < prev.time) return { kind: 'time-backwards' };
  if (opts.discontinuity) return { kind: 'reset', reason: opts.discontinuity };
  const seconds = (cur.time - prev.time) / 1000;
  if (cur.value >= prev.value) return { kind: 'delta', delta: cur.value - prev.value, seconds, wrapped: false };
  if (opts.width === 64) return { kind: 'reset', reason: 'decrease' };
  // A 32-bit counter can only wrap from a value it can hold.
  if (prev.value >= TWO_POW_32 || cur.value >= TWO_POW_32) return { kind: 'reset', reason: 'out-of-range' };
  const delta = cur.value + TWO_POW_32 - prev.value;
  if (opts.maxRate !== undefined && Number(delta) / seconds > opts.maxRate * WRAP_HEADROOM) {
    return { kind: 'reset', reason: 'implausible-wrap' };
  }
  return { kind: 'delta', delta, seconds, wrapped: true };
}

/**
 * {@link counterStep} for values that are safe integers (below 2^53), in plain numbers:
 * the same decisions, exact (every sum stays below 2^54 and is an integer), without
 * BigInt allocations. The poll path uses it for the common case; tests check it agrees
 * with the BigInt reference on every input.
 */
export function counterStepSafe(prevValue: number, prevTime: number, value: number, time: number, opts: CounterStepOptions): SafeStep {
  if (time === prevTime) return SAME_TIME;
  if (time < prevTime) return TIME_BACKWARDS;
  if (opts.discontinuity) return { kind: 'reset', reason: opts.discontinuity };
  const seconds = (time - prevTime) / 1000;
  if (value >= prevValue) return { kind: 'delta', delta: value - prevValue, seconds, wrapped: false };
  if (opts.width === 64) return DECREASE;
  if (prevValue >= 4294967296 || value >= 4294967296) return OUT_OF_RANGE;
  const delta = value + 4294967296 - prevValue;
  if (opts.maxRate !== undefined && delta / seconds > opts.maxRate * WRAP_HEADROOM) return IMPLAUSIBLE;
  return { kind: 'delta', delta, seconds, wrapped: true };
}

/** A {@link CounterStep} whose delta is a number (see {@link counterStepSafe}). */
export type SafeStep = Exclude<CounterStep, { kind: 'delta' } | { kind: 'first' }> | { kind: 'delta'; delta: number; seconds: number; wrapped: boolean };

const SAME_TIME: SafeStep = { kind: 'same-time' };
const TIME_BACKWARDS: SafeStep = { kind: 'time-backwards' };
const DECREASE: SafeStep = { kind: 'reset', reason: 'decrease' };
const OUT_OF_RANGE: SafeStep = { kind: 'reset', reason: 'out-of-range' };
const IMPLAUSIBLE: SafeStep = { kind: 'reset', reason: 'implausible-wrap' };

/**
 * Per-second rate of an exact delta, times `scale`. Exact while the delta is below
 * 2^53 (Number(delta) is then the integer itself); always finite and >= 0 for seconds > 0.
 */
export function rateOf(delta: bigint | number, seconds: number, scale = 1): number {
  return (Number(delta) / seconds) * scale;
}

/** sysUpTime (TimeTicks, hundredths of a second) with the poll time it was read at. */
export interface UptimeSample {
  ticks: number;
  time: number;
}

/**
 * Did the device (its SNMP agent) restart between two sysUpTime readings?
 *
 * - A decrease is a restart, unless it is TimeTicks' own wrap at 2^32 hundredths
 *   (497.1 days) *and* the wrapped difference agrees with the elapsed wall time.
 * - An uptime shorter than the time since the previous reading also means a restart in
 *   between, even when the new uptime is already larger than the old one.
 * Readings out of time order are not judged (returns false).
 */
export function uptimeRestarted(prev: UptimeSample | undefined, cur: UptimeSample): boolean {
  if (!prev) return false;
  const elapsedMs = cur.time - prev.time;
  if (elapsedMs < 0) return false;
  const slack = Math.max(UPTIME_SLACK_MS, elapsedMs * 0.05);
  if (cur.ticks < prev.ticks) {
    const wrappedMs = (cur.ticks + 2 ** 32 - prev.ticks) * 10;
    return Math.abs(wrappedMs - elapsedMs) > slack;
  }
  return cur.ticks * 10 + slack < elapsedMs;
}

/**
 * Did ifCounterDiscontinuityTime change? A first reading is a baseline, not a change
 * (RFC 2863: the value is the sysUpTime of the last discontinuity, so any change means
 * the row's counters restarted since the previous poll).
 */
export function discontinuityChanged(prev: number | undefined, cur: number | undefined): boolean {
  return prev !== undefined && cur !== undefined && prev !== cur;
}

/**
 * Highest believable rate of an interface's counters in octets per second, from
 * ifHighSpeed (Mb/s) or ifSpeed (b/s). ifSpeed is saturated at 2^32-1 above 4.29 Gb/s
 * (RFC 2863), and 0 means unknown; both give undefined unless ifHighSpeed helps.
 */
export function interfaceMaxRate(ifSpeed: unknown, ifHighSpeed: unknown): number | undefined {
  if (typeof ifHighSpeed === 'number' && Number.isFinite(ifHighSpeed) && ifHighSpeed > 0) return (ifHighSpeed * 1e6) / 8;
  if (typeof ifSpeed === 'number' && Number.isFinite(ifSpeed) && ifSpeed > 0 && ifSpeed < 4294967295) return ifSpeed / 8;
  return undefined;
}
