/**
 * counter-rate's per-device series storage, compact: a device's last samples sit in two
 * Float64Arrays (value, poll time) indexed by a slot, and the map from row index + field
 * to slot (a {@link SeriesLayout}) is shared by every device whose table has the same
 * rows and columns (a fleet of like devices shares a handful of layouts). A series
 * costs 16 bytes of its device's arrays, no object or array of its own.
 *
 * Values are exact: a value below 2^53 is the number itself; a larger one (Counter64
 * beyond 2^53, rare) is marked {@link BIG} and kept as its decimal text in a side map.
 * An empty slot (no series, or one that expired) holds NaN.
 */
import type { UptimeSample } from './counter-math';

/** A value slot whose exact value is the decimal text in {@link DeviceTable.big}. */
export const BIG = -1;

/** Row index → field → slot. Shared layouts are never changed: a device copies one to add a series. */
export interface SeriesLayout {
  rows: Map<string, Map<string, number>>;
  /** Slots used (the next new one). */
  size: number;
  /** The interning key (every slot's row and field, in slot order) once shared. */
  signature?: string;
  /** Devices using this layout, while shared. */
  refs: number;
}

/** One device's series and the device-wide readings. */
export interface DeviceTable {
  /** Latest poll time seen, ms. */
  lastPoll: number;
  uptime?: UptimeSample;
  discontinuities?: Record<string, number>;
  layout: SeriesLayout;
  /** Last value per slot: a safe integer, {@link BIG}, or NaN (no series). */
  values: Float64Array;
  /** Poll time of that value, ms. */
  times: Float64Array;
  /** Exact decimal text of the {@link BIG} slots. */
  big?: Map<number, string>;
  /** Series held (slots that are not NaN). */
  live: number;
  /** The layout is this device's own and changed since it was last interned. */
  dirty: boolean;
}

const EMPTY_VALUES = new Float64Array(0);

export function newLayout(): SeriesLayout {
  return { rows: new Map(), size: 0, refs: 0 };
}

export function newDeviceTable(lastPoll: number): DeviceTable {
  return { lastPoll, layout: newLayout(), values: EMPTY_VALUES, times: EMPTY_VALUES, live: 0, dirty: false };
}

/**
 * Interns layouts: devices whose series have the same rows and fields, added in the same
 * order, share one layout object.
 */
export class LayoutPool {
  private readonly pool = new Map<string, SeriesLayout>();

  /** Number of shared layouts held. */
  get size(): number {
    return this.pool.size;
  }

  /** Adds a series slot for `index`/`field` to the device (copying a shared layout first). */
  addSlot(dev: DeviceTable, index: string, field: string): number {
    if (dev.layout.signature !== undefined) this.unshare(dev);
    const layout = dev.layout;
    let row = layout.rows.get(index);
    if (!row) {
      row = new Map();
      layout.rows.set(index, row);
    }
    const slot = layout.size++;
    row.set(field, slot);
    if (slot >= dev.values.length) grow(dev, Math.max(16, dev.values.length * 2));
    dev.dirty = true;
    return slot;
  }

  /** Shares the device's changed layout with the devices that have the same one. */
  intern(dev: DeviceTable): void {
    if (!dev.dirty) return;
    dev.dirty = false;
    const layout = dev.layout;
    const keys: string[] = new Array(layout.size);
    for (const [index, row] of layout.rows) for (const [field, slot] of row) keys[slot] = index + '\t' + field;
    const signature = keys.join('\n');
    const shared = this.pool.get(signature);
    if (shared) {
      dev.layout = shared;
      shared.refs++;
    } else {
      layout.signature = signature;
      layout.refs = 1;
      this.pool.set(signature, layout);
    }
    if (dev.values.length > layout.size) grow(dev, layout.size);
  }

  /** The device no longer uses its layout (removed, or about to copy it). */
  release(dev: DeviceTable): void {
    const layout = dev.layout;
    if (layout.signature === undefined) return;
    if (--layout.refs <= 0) this.pool.delete(layout.signature);
  }

  /**
   * Drops the empty slots of a device whose series came and went (rows that vanished),
   * so its layout does not grow with every index it ever had. Only when most are empty.
   */
  compact(dev: DeviceTable): void {
    const size = dev.layout.size;
    if (size - dev.live < 32 || size - dev.live < dev.live) return;
    const old = dev.layout;
    const values = dev.values;
    const times = dev.times;
    const big = dev.big;
    this.release(dev);
    dev.layout = newLayout();
    dev.values = EMPTY_VALUES;
    dev.times = EMPTY_VALUES;
    dev.big = undefined;
    for (const [index, row] of old.rows) {
      for (const [field, slot] of row) {
        const v = values[slot];
        if (Number.isNaN(v)) continue;
        const s = this.addSlot(dev, index, field);
        dev.values[s] = v;
        dev.times[s] = times[slot];
        if (v === BIG) (dev.big ??= new Map()).set(s, big!.get(slot)!);
      }
    }
    this.intern(dev);
  }

  private unshare(dev: DeviceTable): void {
    const shared = dev.layout;
    this.release(dev);
    const rows = new Map<string, Map<string, number>>();
    for (const [index, row] of shared.rows) rows.set(index, new Map(row));
    dev.layout = { rows, size: shared.size, refs: 0 };
  }
}

function grow(dev: DeviceTable, capacity: number): void {
  const values = new Float64Array(capacity).fill(NaN);
  const times = new Float64Array(capacity);
  const n = Math.min(capacity, dev.values.length);
  values.set(dev.values.subarray(0, n));
  times.set(dev.times.subarray(0, n));
  dev.values = values;
  dev.times = times;
}

/** The exact value of a slot as the readable layout stores it (number, or decimal text). */
export function slotValue(dev: DeviceTable, slot: number): number | string {
  const v = dev.values[slot];
  return v === BIG ? dev.big!.get(slot)! : v;
}

/** Sets a slot's value: a safe integer, or the decimal text of a larger one. */
export function setSlotValue(dev: DeviceTable, slot: number, value: number | string): void {
  if (typeof value === 'number') {
    if (dev.values[slot] === BIG) dev.big!.delete(slot);
    dev.values[slot] = value;
  } else {
    dev.values[slot] = BIG;
    (dev.big ??= new Map()).set(slot, value);
  }
}

/** Empties a slot (its series expired). */
export function clearSlot(dev: DeviceTable, slot: number): void {
  if (dev.values[slot] === BIG) dev.big!.delete(slot);
  dev.values[slot] = NaN;
}
