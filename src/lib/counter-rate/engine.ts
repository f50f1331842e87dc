/**
 * counter-rate's engine: turns the counters of a poll message into per-second rates
 * (or deltas) in place, keeping the payload's shape. The series are held compactly
 * (series-table.ts: 16 bytes a series in per-device typed arrays) and shown to the
 * context store in the readable, JSON-serialisable v3 layout ({@link CounterRateState}).
 *
 * A series is device + row index + field, the device being its identity (host:port)
 * when the message names one, else its topic. The message's own type information decides
 * what is a counter: `msg.types` and `msg.varbinds` (with Counter64 `exact` strings);
 * only a message without any is read as "every numeric field is a counter of the
 * configured width".
 *
 * Hot path: a fleet cycle runs every counter of every device through here, so values
 * below 2^53 (nearly all) take plain-number arithmetic (exact there) and BigInt is used
 * only beyond; varbinds are indexed only when the payload cannot answer by itself.
 */
import {
  counterStep,
  counterStepSafe,
  discontinuityChanged,
  interfaceMaxRate,
  parseCounter,
  rateOf,
  uptimeRestarted,
  type CounterStepOptions,
  type CounterWidth,
  type ResetReason,
  type UptimeSample,
} from './counter-math';
import { MAX_DATE_MS, isLateSample, isRestorableTime } from '../common/state-store';
import { LayoutPool, clearSlot, newDeviceTable, setSlotValue, slotValue, type DeviceTable } from './series-table';

export interface CounterRateOptions {
  /** Width of counters in payloads without type information ('auto' = 64: a decrease is a reset). */
  width: 'auto' | CounterWidth;
  mode: 'rate' | 'delta';
  /** Multiplier of every output (8 turns octets into bits). */
  scale: number;
  /** Highest believable rate in output units per second (after `scale`); undefined = from ifSpeed. */
  maxRate?: number;
  /** Series (and devices) not seen for this long are forgotten. */
  expireMs: number;
}

/** One visible counter event, as listed in `msg.counterEvents`. */
export interface CounterEvent {
  kind: 'reset' | 'wrap' | 'time-backwards' | 'same-time' | 'bad-value';
  reason?: ResetReason;
  topic: string;
  /** Row index (rows) or instance; absent for device-wide events. */
  index?: string;
  field?: string;
  previous?: string;
  current?: string;
  /** Series concerned by a device-wide event. */
  count?: number;
}

/** What a message contributes, taken apart by the node entry. */
export interface CounterInput {
  /** msg.topic: names the device in events. */
  topic: string;
  /**
   * What the device's series are kept under: its identity (`host:port`, see
   * common/inventory deviceIdentity) when the message has msg.device, else the topic.
   * Default: the topic.
   */
  key?: string;
  /** Object or array of rows; rewritten in place. */
  payload: Record<string, unknown> | Array<Record<string, unknown>>;
  varbinds?: unknown;
  types?: unknown;
  /** Poll time in ms (msg.snmp.time). */
  time: number;
  /**
   * The node's clock when the message came, ms. With it, a message older than the
   * device's last is told apart: late (the last poll is not ahead of the clock), it is
   * left out and every baseline stays; the clock set back (the last poll lies ahead of
   * it), it becomes the baseline. Without it, an older message always becomes the baseline.
   */
  now?: number;
}


export interface CounterResult {
  events: CounterEvent[];
  /** Fields given a rate (or delta). */
  rated: number;
}

/**
 * A series' last sample, as a compact `[value, pollTime]` tuple (there is one per
 * counter of every row of every device, so the stored form stays short): `value` is a
 * number below 2^53, else its exact decimal text (Counter64 beyond 2^53, as JSON has
 * no BigInt); `pollTime` is the poll time of that value, ms.
 */
export type Sample = [value: number | string, pollTime: number];

/** Per-device state, in plain JSON shapes (no BigInt) for the context store. */
export interface DeviceState {
  /** Latest poll time seen, ms. */
  lastPoll: number;
  /** The latest sysUpTime reading: TimeTicks and its poll time (ms). */
  uptime?: UptimeSample;
  /** ifCounterDiscontinuityTime (TimeTicks) by row index / instance. */
  discontinuities?: Record<string, number>;
  /** Series by row index ('' for object payloads), then field. */
  rows: Record<string, Record<string, Sample>>;
}

/** Version of the stored layout; see {@link restoreCounterState} for the older ones. */
export const COUNTER_STATE_VERSION = 3;

export interface CounterRateState {
  v: typeof COUNTER_STATE_VERSION;
  devices: Record<string, DeviceState>;
}

const SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0';
const DISCONTINUITY = 'ifCounterDiscontinuityTime';
/** Fields that signal resets or limits: never rated even in untyped payloads. */
const SIGNAL_FIELDS = new Set(['index', 'sysUpTime', DISCONTINUITY, 'ifSpeed', 'ifHighSpeed']);
/** A device identity as deviceIdentity writes it: `host:port`, `[v6]:port`. */
const IDENTITY = /^(\[[^\]]+\]|[^:[\]]+):\d+$/;
/** Joins column and index in the varbind index. */
const SEP = '\t';
const DECIMAL = /^\d{1,20}$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An empty state, with null prototypes so device names like "__proto__" stay plain keys. */
export function emptyCounterState(): CounterRateState {
  return { v: COUNTER_STATE_VERSION, devices: Object.create(null) };
}

/** What {@link restoreCounterState} had to repair. */
export interface CounterRestoreReport {
  /** Times that were not plausible: their samples dropped, a device's latest time set to now. */
  repaired: number;
}

/**
 * A state read back from a context store, checked and copied into null-prototype
 * objects. Anything malformed is dropped (a corrupt store must not crash the node), and
 * so is a state of an unknown version. Times after `now` + a day (a bad msg.snmp.time
 * saved by an older version, a clock that was far ahead) would make every later poll
 * look older than its baseline, so those samples are dropped (the series starts again)
 * and a device's time becomes `now`.
 *
 * Layouts read:
 * - v3 (this one): see {@link DeviceState}.
 * - v2 (release 0.1.0): one-letter keys, converted on the way in (the next save writes
 *   v3): `t` → `lastPoll`, `u: [ticks, time]` → `uptime: {ticks, time}`,
 *   `d` → `discontinuities`, `r` → `rows` (samples were already `[value, pollTime]`).
 * @param raw what the store held
 * @param now the node's clock, ms
 * @param report counts the repairs, for a warning
 */
export function restoreCounterState(raw: unknown, now: number = Date.now(), report?: CounterRestoreReport): CounterRateState {
  const state = emptyCounterState();
  if (!isObject(raw) || !isObject(raw.devices)) return state;
  let upgrade: (dev: Record<string, any>) => unknown;
  if (raw.v === COUNTER_STATE_VERSION) upgrade = (dev) => dev;
  else if (raw.v === 2) upgrade = deviceFromV2;
  else return state;
  const repaired = (): void => {
    if (report) report.repaired++;
  };
  for (const [topic, stored] of Object.entries(raw.devices)) {
    const dev = isObject(stored) ? upgrade(stored) : undefined;
    if (!isObject(dev) || !Number.isFinite(dev.lastPoll) || !isObject(dev.rows)) continue;
    const d: DeviceState = { lastPoll: dev.lastPoll as number, rows: Object.create(null) };
    if (!isRestorableTime(d.lastPoll, now)) {
      d.lastPoll = now;
      repaired();
    }
    const uptime = dev.uptime;
    if (isObject(uptime) && Number.isFinite(uptime.ticks) && Number.isFinite(uptime.time)) {
      if (isRestorableTime(uptime.time, now)) d.uptime = { ticks: uptime.ticks, time: uptime.time };
      else repaired();
    }
    if (isObject(dev.discontinuities)) {
      const discontinuities: Record<string, number> = Object.create(null);
      for (const [k, v] of Object.entries(dev.discontinuities)) if (Number.isFinite(v)) discontinuities[k] = v as number;
      d.discontinuities = discontinuities;
    }
    for (const [index, fields] of Object.entries(dev.rows)) {
      if (!isObject(fields)) continue;
      const row: Record<string, Sample> = Object.create(null);
      let n = 0;
      for (const [field, sample] of Object.entries(fields)) {
        if (!Array.isArray(sample) || sample.length !== 2 || !Number.isFinite(sample[1])) continue;
        const [value, pollTime] = sample as [unknown, number];
        if (!isRestorableTime(pollTime, now)) {
          repaired();
          continue;
        }
        if (!isSampleValue(value)) continue;
        row[field] = [value, pollTime];
        n++;
      }
      if (n > 0) d.rows[index] = row;
    }
    state.devices[topic] = d;
  }
  return state;
}

/** A sample's value as stored: a safe non-negative integer, or the decimal text of a counter up to 2^64 - 1. */
function isSampleValue(v: unknown): v is number | string {
  return typeof v === 'number' ? Number.isSafeInteger(v) && v >= 0 : typeof v === 'string' && DECIMAL.test(v) && parseCounter(undefined, v) !== undefined;
}

/**
 * A device of the v2 layout (release 0.1.0) in the v3 shape, unchecked: the caller
 * checks it as it checks a v3 device. Keyed maps are passed on, not copied.
 */
function deviceFromV2(dev: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = { lastPoll: dev.t, rows: dev.r };
  if (Array.isArray(dev.u) && dev.u.length === 2) out.uptime = { ticks: dev.u[0], time: dev.u[1] };
  if (dev.d !== undefined) out.discontinuities = dev.d;
  return out;
}

/** Counter width of an SMI type name; 0 for anything else. */
function widthOf(type: unknown): 0 | CounterWidth {
  return type === 'Counter64' ? 64 : type === 'Counter32' ? 32 : 0;
}

/**
 * Holds the series state of one counter-rate node and rates messages against it.
 *
 * The series live in compact per-device tables (series-table.ts: typed arrays and a
 * layout shared by like devices). `state` is their readable v3 form, live: each device
 * in it is a small view whose fields are read from the table when asked (a save to the
 * context store, JSON.stringify), so a store that keeps the object by reference keeps
 * the views only, and a store that serialises writes the layout it always did.
 */
export class CounterRateEngine {
  readonly state: CounterRateState;
  private readonly devices = new Map<string, DeviceTable>();
  private readonly layouts = new LayoutPool();
  /** Reset events since the engine started (for the status). */
  resets = 0;
  /**
   * Devices (keys of `state.devices`) changed or removed since the node last wrote the
   * state: the node writes those only, and empties the set.
   */
  readonly changedDevices = new Set<string>();
  private seriesCount = 0;
  /** Poll time of each device's last series sweep (not persisted: only an optimisation). */
  private readonly lastExpiry = new Map<string, number>();

  constructor(private readonly opts: CounterRateOptions, state?: CounterRateState) {
    this.state = emptyCounterState();
    if (state) for (const [key, dev] of Object.entries(state.devices)) this.seriesCount += this.addDevice(key, tableOf(dev, this.layouts)).live;
  }

  /** Number of distinct series layouts held (devices with the same table share one). */
  get layoutCount(): number {
    return this.layouts.size;
  }

  private addDevice(key: string, table: DeviceTable): DeviceTable {
    this.devices.set(key, table);
    this.state.devices[key] = deviceView(table);
    return table;
  }

  private removeDevice(key: string): DeviceTable | undefined {
    const table = this.devices.get(key);
    if (!table) return undefined;
    this.devices.delete(key);
    delete this.state.devices[key];
    return table;
  }

  /** Number of series held. */
  get series(): number {
    return this.seriesCount;
  }

  /**
   * Rates the counters of one message in place: counter fields become rates (or
   * deltas); a counter without a rate this time (first sample, reset, bad value) is
   * removed from the payload. Non-counter fields stay, for tags.
   */
  process(input: CounterInput): CounterResult {
    const { topic, time } = input;
    const key = input.key ?? topic;
    // The node checks message times against its clock; this keeps any other caller from
    // storing a time that would outlive every later poll.
    if (!Number.isFinite(time) || Math.abs(time) > MAX_DATE_MS) throw new RangeError(`time must be ms since 1970 (got ${time})`);
    const dev = this.devices.get(key) ?? this.adoptTopicState(key, topic) ?? this.addDevice(key, newDeviceTable(time));
    this.changedDevices.add(key);
    // A late message (an MQTT backlog, a retried delivery) is older than what was rated
    // already: as a baseline it made the next rate span time already reported (delta
    // sums counted it twice), so it is left out, as Prometheus drops out-of-order samples.
    const late = input.now !== undefined && isLateSample(time, dev.lastPoll, input.now);
    const run: Run = { dev, topic, time, late, events: [], backwards: 0, same: 0, rated: 0, rowKey: undefined, rowSlots: undefined };
    const deviceReset = this.checkUptime(run, findUptime(input));
    const rows = Array.isArray(input.payload);
    const types = isObject(input.types) ? input.types : undefined;
    const hasVarbinds = Array.isArray(input.varbinds) && input.varbinds.length > 0;
    const untypedWidth: CounterWidth = this.opts.width === 'auto' ? 64 : this.opts.width;
    const fixedMax = this.opts.maxRate === undefined ? undefined : this.opts.maxRate / this.opts.scale;
    let varbindIndex: Map<string, Counter> | undefined;
    const fromVarbinds = (location: string): Counter | undefined => {
      if (!hasVarbinds) return undefined;
      if (!varbindIndex) varbindIndex = counterIndex(input.varbinds, rows);
      return varbindIndex.get(location);
    };

    if (Array.isArray(input.payload)) {
      input.payload.forEach((row, position) => {
        if (!isObject(row)) return;
        const index = row.index === undefined || row.index === null ? String(position) : String(row.index);
        // Recorded even across a reboot, so the new baseline is not taken for a change later.
        const rowReset = this.rowDiscontinuity(run, index, row[DISCONTINUITY], !deviceReset);
        const stepOpts: CounterStepOptions = {
          width: 64,
          maxRate: fixedMax ?? interfaceMaxRate(row.ifSpeed, row.ifHighSpeed),
          discontinuity: deviceReset ? 'uptime' : rowReset,
        };
        for (const field of Object.keys(row)) {
          if (field === 'index') continue;
          const value = row[field];
          let width: 0 | CounterWidth;
          let exact: string | undefined;
          if (types) {
            width = widthOf(types[field]);
            if (width === 64 && !isSafeCount(value)) exact = fromVarbinds(field + SEP + index)?.exact;
          } else if (hasVarbinds) {
            const c = fromVarbinds(field + SEP + index);
            width = c ? c.width : 0;
            exact = c?.exact;
          } else {
            width = typeof value === 'number' && !SIGNAL_FIELDS.has(field) ? untypedWidth : 0;
          }
          if (width === 0) continue;
          stepOpts.width = width;
          this.rateField(run, row, field, index, exact, stepOpts);
        }
      });
    } else {
      const payload = input.payload;
      const resetInstances = this.keyedDiscontinuities(run, payload, !deviceReset);
      const stepOpts: CounterStepOptions = { width: 64 };
      for (const key of Object.keys(payload)) {
        const value = payload[key];
        let width: 0 | CounterWidth;
        let exact: string | undefined;
        if (types || hasVarbinds) {
          const c = fromVarbinds(key);
          width = c ? c.width : widthOf(types?.[key]);
          exact = c?.exact;
        } else {
          width = typeof value === 'number' && !SIGNAL_FIELDS.has(columnOf(key)) ? untypedWidth : 0;
        }
        if (width === 0) continue;
        const instance = instanceOf(key);
        stepOpts.width = width;
        stepOpts.discontinuity = deviceReset ? 'uptime' : resetInstances.has(instance) ? 'discontinuity' : undefined;
        stepOpts.maxRate = fixedMax ?? (instance ? interfaceMaxRate(payload['ifSpeed.' + instance], payload['ifHighSpeed.' + instance]) : undefined);
        this.rateField(run, payload, key, undefined, exact, stepOpts);
      }
    }

    if (run.backwards) run.events.push({ kind: 'time-backwards', topic, count: run.backwards });
    if (run.same) run.events.push({ kind: 'same-time', topic, count: run.same });
    if (time > dev.lastPoll) dev.lastPoll = time;
    this.expireSeries(key, dev, time);
    this.layouts.intern(dev);
    syncView(this.state.devices[key], dev);
    for (const e of run.events) if (e.kind === 'reset') this.resets++;
    return { events: run.events, rated: run.rated };
  }

  /**
   * Series saved before they were keyed by device identity (release 0.1.0 and this
   * layout until issue 14) sit under the message topic: the first message of a device
   * takes them over, so an upgrade does not cost every series a sample. Only a key that
   * is not itself an identity is taken, and only once: when two devices shared a topic
   * (the defect this keying fixes), the second starts afresh.
   */
  private adoptTopicState(key: string, topic: string): DeviceTable | undefined {
    if (key === topic || IDENTITY.test(topic)) return undefined;
    const dev = this.removeDevice(topic);
    if (!dev) return undefined;
    this.lastExpiry.delete(topic);
    this.addDevice(key, dev);
    // its part moves: the old one is removed from the store, the new one written
    this.changedDevices.add(topic);
    this.changedDevices.add(key);
    return dev;
  }

  /**
   * Forgets devices whose latest poll is older than `expireMs` before `now` (ms).
   * Series of devices that still report are expired as their messages arrive.
   */
  sweep(now: number): number {
    let removed = 0;
    for (const [topic, dev] of [...this.devices]) {
      if (dev.lastPoll < now - this.opts.expireMs) {
        removed += dev.live;
        this.removeDevice(topic);
        this.layouts.release(dev);
        this.lastExpiry.delete(topic);
        this.changedDevices.add(topic);
      }
    }
    this.seriesCount -= removed;
    return removed;
  }

  /**
   * Rates one field in place; removes it when this sample yields no rate.
   * `rowIndex` is the row's index; undefined for object payloads, whose keys carry the
   * instance (their series live under the row key '').
   */
  private rateField(run: Run, holder: Record<string, unknown>, field: string, rowIndex: string | undefined, exact: string | undefined, stepOpts: CounterStepOptions): void {
    const value = holder[field];
    const index = rowIndex ?? '';
    let curNum: number | undefined;
    let curBig: bigint | undefined;
    if (exact === undefined && isSafeCount(value)) {
      curNum = value as number;
    } else {
      curBig = parseCounter(value, exact);
      if (curBig === undefined) {
        run.events.push(withIndex({ kind: 'bad-value', topic: run.topic, field, current: describe(value) }, rowIndex));
        delete holder[field];
        return;
      }
      if (curBig <= MAX_SAFE) {
        curNum = Number(curBig);
        curBig = undefined;
      }
    }
    if (run.late) {
      run.backwards++;
      delete holder[field];
      return;
    }
    const dev = run.dev;
    let slots = run.rowSlots;
    if (run.rowKey !== index) {
      slots = dev.layout.rows.get(index);
      run.rowKey = index;
      run.rowSlots = slots;
    }
    let slot = slots?.get(field) ?? -1;
    const prevValue = slot < 0 ? NaN : dev.values[slot];
    if (Number.isNaN(prevValue)) {
      // No series yet (or it expired): this sample is the baseline.
      if (slot < 0) {
        slot = this.layouts.addSlot(dev, index, field);
        run.rowKey = undefined; // the layout may be a new copy
      }
      setSlotValue(dev, slot, curNum ?? curBig!.toString());
      dev.times[slot] = run.time;
      dev.live++;
      this.seriesCount++;
      delete holder[field];
      return;
    }
    const prev = curNum !== undefined && prevValue >= 0 ? prevValue : slotValue(dev, slot);
    const prevTime = dev.times[slot];
    if (curNum !== undefined && typeof prev === 'number' && run.time > prevTime && curNum >= prev && !stepOpts.discontinuity) {
      // Nearly every counter of every poll: a safe integer that rose since an earlier
      // poll, no reset signalled. counterStepSafe's 'delta' and rateOf's arithmetic,
      // without the step object (a fleet cycle rates a million series).
      dev.values[slot] = curNum;
      dev.times[slot] = run.time;
      const delta = curNum - prev;
      holder[field] = this.opts.mode === 'delta' ? delta * this.opts.scale : rateOf(delta, (run.time - prevTime) / 1000, this.opts.scale);
      run.rated++;
      return;
    }
    const step = curNum !== undefined && typeof prev === 'number'
      ? counterStepSafe(prev, prevTime, curNum, run.time, stepOpts)
      : counterStep({ value: BigInt(prev), time: prevTime }, { value: curBig ?? BigInt(curNum!), time: run.time }, stepOpts);
    if (step.kind === 'same-time') {
      // A duplicate poll: the earlier sample stays the baseline.
      run.same++;
      delete holder[field];
      return;
    }
    const cur = curNum ?? curBig!.toString();
    // The new baseline.
    setSlotValue(dev, slot, cur);
    dev.times[slot] = run.time;
    if (step.kind !== 'delta') {
      if (step.kind === 'time-backwards') run.backwards++;
      // Device- and row-wide resets are reported once (checkUptime, rowDiscontinuity).
      else if (step.kind === 'reset' && step.reason !== 'uptime' && step.reason !== 'discontinuity') {
        run.events.push(withIndex({ kind: 'reset', reason: step.reason, topic: run.topic, field, previous: String(prev), current: String(cur) }, rowIndex));
      }
      delete holder[field];
      return;
    }
    if (step.wrapped) run.events.push(withIndex({ kind: 'wrap', topic: run.topic, field, previous: String(prev), current: String(cur) }, rowIndex));
    holder[field] = this.opts.mode === 'delta' ? Number(step.delta) * this.opts.scale : rateOf(step.delta, step.seconds, this.opts.scale);
    run.rated++;
  }

  /**
   * Records sysUpTime; true when the device restarted since its previous reading. A
   * restart ends every series of the device, not only those of this message: a row the
   * restarted device does not list yet (a line card still booting, a walk cut short)
   * must not be rated against its value from before, when it comes back.
   */
  private checkUptime(run: Run, ticks: number | undefined): boolean {
    if (ticks === undefined || run.late) return false;
    const dev = run.dev;
    const prev = dev.uptime;
    // A duplicate reading neither judges nor moves the baseline.
    if (prev && run.time === prev.time) return false;
    const reading: UptimeSample = { ticks, time: run.time };
    dev.uptime = reading;
    // An older one (the clock stepped back, a message came late) cannot tell a restart,
    // but becomes the baseline, as the counters' samples from it do (rateField): the next
    // reading is judged against the one their baselines came with.
    if (prev && run.time < prev.time) return false;
    if (!uptimeRestarted(prev, reading)) return false;
    run.events.push({ kind: 'reset', reason: 'uptime', topic: run.topic, previous: String(prev!.ticks), current: String(ticks), count: dev.live });
    this.clearDevice(dev);
    return true;
  }

  /** Forgets the samples of every series of a device; their slots stay in its layout. */
  private clearDevice(dev: DeviceTable): void {
    const { values } = dev;
    const size = dev.layout.size;
    for (let slot = 0; slot < size; slot++) {
      if (Number.isNaN(values[slot])) continue;
      clearSlot(dev, slot);
      dev.live--;
      this.seriesCount--;
    }
  }

  /** Records a row's ifCounterDiscontinuityTime; 'discontinuity' when it changed (reported when `report`). */
  private rowDiscontinuity(run: Run, index: string, cur: unknown, report: boolean): ResetReason | undefined {
    if (typeof cur !== 'number' || !Number.isFinite(cur) || run.late) return undefined;
    const dev = run.dev;
    dev.discontinuities ??= Object.create(null) as Record<string, number>;
    const prev = dev.discontinuities[index];
    dev.discontinuities[index] = cur;
    // An older message's reading is kept, as its counters become the row's baselines
    // (rateField), but its change is not news: its counters give no rate anyway.
    if (!discontinuityChanged(prev, cur) || !report || run.time < dev.lastPoll) return undefined;
    run.events.push({ kind: 'reset', reason: 'discontinuity', topic: run.topic, index, previous: String(prev), current: String(cur) });
    return 'discontinuity';
  }

  /** Object payloads (`ifCounterDiscontinuityTime.3`): the instances whose counters restarted. */
  private keyedDiscontinuities(run: Run, payload: Record<string, unknown>, report: boolean): Set<string> {
    const changed = new Set<string>();
    const prefix = DISCONTINUITY + '.';
    for (const key of Object.keys(payload)) {
      if (key.startsWith(prefix) && this.rowDiscontinuity(run, key.slice(prefix.length), payload[key], report)) {
        changed.add(key.slice(prefix.length));
      }
    }
    return changed;
  }

  /** Drops a reporting device's vanished series; runs a few times per expiry period. */
  private expireSeries(key: string, dev: DeviceTable, time: number): void {
    const last = this.lastExpiry.get(key);
    if (last === undefined) {
      this.lastExpiry.set(key, time);
      return;
    }
    if (time - last < this.opts.expireMs / 4) return;
    this.lastExpiry.set(key, time);
    const oldest = time - this.opts.expireMs;
    const { values, times } = dev;
    const size = dev.layout.size;
    for (let slot = 0; slot < size; slot++) {
      if (times[slot] < oldest && !Number.isNaN(values[slot])) {
        clearSlot(dev, slot);
        dev.live--;
        this.seriesCount--;
      }
    }
    if (dev.discontinuities) forgetDiscontinuities(dev);
    this.layouts.compact(dev);
  }
}

/** The working set of one process() call. */
interface Run {
  dev: DeviceTable;
  /** The row whose slots were looked up last, and its slots (a row's fields come together). */
  rowKey: string | undefined;
  rowSlots: Map<string, number> | undefined;
  topic: string;
  time: number;
  /** Older than the device's last poll, and not from a clock set back: rates nothing, moves nothing. */
  late: boolean;
  events: CounterEvent[];
  backwards: number;
  same: number;
  rated: number;
}

interface Counter {
  width: CounterWidth;
  exact?: string;
}

/** A device of the readable layout (restored, checked) as a compact table. */
function tableOf(dev: DeviceState, layouts: LayoutPool): DeviceTable {
  const table = newDeviceTable(dev.lastPoll);
  if (dev.uptime) table.uptime = dev.uptime;
  if (dev.discontinuities) table.discontinuities = dev.discontinuities;
  for (const index in dev.rows) {
    const row = dev.rows[index];
    for (const field in row) {
      const [value, pollTime] = row[field];
      const slot = layouts.addSlot(table, index, field);
      setSlotValue(table, slot, value);
      table.times[slot] = pollTime;
      table.live++;
    }
  }
  layouts.intern(table);
  return table;
}

/** A device's series in the readable layout: `[value, pollTime]` by row index, then field. */
function rowsOf(dev: DeviceTable): Record<string, Record<string, Sample>> {
  const rows: Record<string, Record<string, Sample>> = Object.create(null);
  for (const [index, slots] of dev.layout.rows) {
    let row: Record<string, Sample> | undefined;
    for (const [field, slot] of slots) {
      if (Number.isNaN(dev.values[slot])) continue;
      row ??= rows[index] = Object.create(null) as Record<string, Sample>;
      row[field] = [slotValue(dev, slot), dev.times[slot]];
    }
  }
  return rows;
}

/**
 * The readable {@link DeviceState} of a table, read when asked: enumerable getters, so
 * JSON.stringify and the context stores see the v3 fields; `uptime` and
 * `discontinuities` are the table's own, `rows` is built at each read.
 */
function deviceView(dev: DeviceTable): DeviceState {
  const view = Object.create(null) as DeviceState;
  Object.defineProperties(view, {
    lastPoll: { enumerable: true, get: () => dev.lastPoll },
    rows: { enumerable: true, get: () => rowsOf(dev) },
  });
  syncView(view, dev);
  return view;
}

/** Gives a view the optional fields its table has by now (absent ones stay absent, as in the readable layout). */
function syncView(view: DeviceState, dev: DeviceTable): void {
  if (dev.uptime && !('uptime' in view)) Object.defineProperty(view, 'uptime', { enumerable: true, get: () => dev.uptime });
  if (dev.discontinuities && !('discontinuities' in view)) Object.defineProperty(view, 'discontinuities', { enumerable: true, get: () => dev.discontinuities });
}

function isSafeCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Column of an object payload key: `ifHCInOctets.3` → `ifHCInOctets`. */
function columnOf(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

/**
 * Drops the ifCounterDiscontinuityTime readings of rows without a series left (rows come
 * and go: PPP and VPN sub-interfaces take new ifIndex values), which would otherwise be
 * kept, and stored, for every index the device ever had.
 */
function forgetDiscontinuities(dev: DeviceTable): void {
  const live = new Set<string>();
  for (const [index, row] of dev.layout.rows) {
    for (const [field, slot] of row) {
      if (Number.isNaN(dev.values[slot])) continue;
      // object payloads keep their series under the row '' with the instance in the field
      if (index !== '') {
        live.add(index);
        break;
      }
      live.add(instanceOf(field));
    }
  }
  const kept = dev.discontinuities!;
  for (const index of Object.keys(kept)) if (!live.has(index)) delete kept[index];
}

/** Instance of a named object payload key: `ifHCInOctets.3` → `3`; numeric OIDs have none. */
function instanceOf(key: string): string {
  if (/^\d/.test(key)) return '';
  const dot = key.indexOf('.');
  return dot < 0 ? '' : key.slice(dot + 1);
}

function withIndex(e: CounterEvent, index: string | undefined): CounterEvent {
  if (index !== undefined) e.index = index;
  return e;
}

function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 64 ? s.slice(0, 64) + '…' : s;
}

/**
 * Counter varbinds by payload location: `column\tindex` for rows (split as
 * snmp-bulkwalk does: at the first dot of a MIB name, at the last arc of a numeric
 * OID), the short name (`ifHCInOctets.3`) for object payloads.
 */
function counterIndex(varbinds: unknown, rows: boolean): Map<string, Counter> {
  const map = new Map<string, Counter>();
  if (!Array.isArray(varbinds)) return map;
  for (const vb of varbinds) {
    if (!isObject(vb)) continue;
    const width = widthOf(vb.type);
    if (width === 0 || typeof vb.name !== 'string') continue;
    const counter: Counter = { width };
    if (typeof vb.exact === 'string') counter.exact = vb.exact;
    const short = stripModule(vb.name);
    if (!rows) {
      map.set(short, counter);
      continue;
    }
    const numeric = /^\d/.test(short);
    const dot = numeric ? short.lastIndexOf('.') : short.indexOf('.');
    if (dot < 0) continue;
    map.set(short.slice(0, dot) + SEP + short.slice(dot + 1), counter);
  }
  return map;
}

function stripModule(name: string): string {
  const i = name.indexOf('::');
  return i < 0 ? name : name.slice(i + 2);
}

/** sysUpTime.0 from the varbinds or an object payload, in TimeTicks. */
function findUptime(input: CounterInput): number | undefined {
  if (Array.isArray(input.varbinds)) {
    for (const vb of input.varbinds) {
      if (vb === null || typeof vb !== 'object') continue;
      // By OID only: every varbind carries one, and a string compare is all a
      // 500-varbind walk can afford per message.
      if (vb.oid === SYS_UPTIME_OID) return validTicks(vb.value);
    }
  }
  if (!Array.isArray(input.payload)) {
    return validTicks(input.payload['sysUpTime.0'] ?? input.payload.sysUpTime);
  }
  return undefined;
}

function validTicks(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32 ? v : undefined;
}
