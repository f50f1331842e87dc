/**
 * A poll node's own schedule: every device polled at its own interval, the turns of a
 * fleet spread evenly across each interval instead of all at the top of the cycle, a
 * device's phase derived from its identity so that a restart with the same inventory
 * polls each device at the same second as before, and a new inventory applied in place.
 *
 * Phase. The turns of the devices that share an interval are laid out on slots of about
 * a second (an interval of I seconds has I slots). A device goes to the slot its identity
 * hashes to, at a position inside the slot that also comes from the hash; when that slot
 * already holds its share of the devices (10 % above the mean), the device takes the next
 * slot with room. So no second carries much more than the mean, a device's phase comes
 * from its own identity unless its slot is full, and the layout is a function of the
 * inventory alone. Turns are anchored to the epoch (a turn is
 * due when `time ≡ phase (mod interval)`), which keeps the phase across restarts.
 *
 * In place. A new inventory keeps the slot and the next turn of every device it still
 * lists, places the new ones (each polled within one interval) and forgets the removed
 * ones. A device whose previous poll still runs when its turn comes is skipped and
 * counted, never polled twice at once.
 */
import { deviceKey } from '../common/inventory';
import type { Device } from '../common/types';

/** Width of a slot: turns are balanced per second, the unit a busy agent or link feels. */
const SLOT_MS = 1000;
/** A slot takes up to this much more than the mean of its interval before a device moves on. */
const SLOT_HEADROOM = 1.1;
/**
 * Turns start in batches: the timer fires at the start of each slot of this many ms that
 * holds a turn, and starts every turn of the slot. A second is ten such slots, so the
 * requests of each second stay what they would be turn by turn, while the process wakes
 * at most ten times a second instead of once per turn (10,000 devices every 60 s: 167
 * wake-ups a second, which cost more CPU than the polls; `npm run bench`, schedule). A
 * turn starts up to this much early, in the same slot every interval, so a device's
 * polls stay exactly one interval apart.
 */
const DEFAULT_BATCH_MS = 100;

/** What the schedule needs of time; the globals by default (so fake timers reach them). */
export interface ScheduleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ScheduleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ScheduleOptions {
  /** Seconds between two turns of a device that has no interval of its own. */
  defaultInterval: number;
  /** Starts the polls of the devices whose turn came; none of them is busy. Must not throw. */
  poll(devices: Device[]): void;
  /** True while the device's previous poll runs or waits for a slot of the fleet scheduler. */
  isBusy(key: string): boolean;
  clock?: ScheduleClock;
  /** Width of the slots turns start in together (ms, dividing 1000); 0: each turn at its own ms. */
  batchMs?: number;
}

/** How a new inventory changed the schedule. */
export interface ScheduleChange {
  added: number;
  removed: number;
  /** Devices kept whose interval changed: they move to a slot of their new interval. */
  moved: number;
  kept: number;
}

interface Entry {
  key: string;
  device: Device;
  intervalMs: number;
  /** Slot index within the interval's group. */
  slot: number;
  /** Offset of the turns from the epoch, in [0, intervalMs). */
  phaseMs: number;
  nextDue: number;
  /** Bumped when the entry is rescheduled or removed: heap items of older versions are stale. */
  version: number;
  removed: boolean;
}

interface HeapItem {
  due: number;
  entry: Entry;
  version: number;
}

/** The devices sharing one interval, and how many sit in each of its slots. */
interface Group {
  intervalMs: number;
  load: number[];
  size: number;
}

/** 32-bit FNV-1a: a fixed, portable hash (a restart in another Node version gives the same phase). */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3's fmix32): FNV alone leaves keys that differ in their last
  // characters (consecutive ports) close together in the high bits
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 4294967296;

/** The first time at or after `now` that is ≡ `phaseMs` (mod `intervalMs`). */
export function nextTurn(now: number, phaseMs: number, intervalMs: number): number {
  const r = (((now - phaseMs) % intervalMs) + intervalMs) % intervalMs;
  return r === 0 ? now : now - r + intervalMs;
}

/** The self-schedule of one poll node. */
export class PollSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly groups = new Map<number, Group>();
  private readonly heap: HeapItem[] = [];
  private readonly clock: ScheduleClock;
  private readonly batchMs: number;
  private timer: unknown;
  private timerDue = Infinity;
  private closed = false;
  private skippedTotal = 0;
  private turnsTotal = 0;

  constructor(private readonly options: ScheduleOptions) {
    this.clock = options.clock ?? realClock;
    this.batchMs = options.batchMs ?? DEFAULT_BATCH_MS;
  }

  /** Devices on the schedule. */
  get size(): number {
    return this.entries.size;
  }

  /** Turns skipped since the start because the device was still busy (or the process stalled past a turn). */
  get skipped(): number {
    return this.skippedTotal;
  }

  /** Turns that started a poll since the start. */
  get started(): number {
    return this.turnsTotal;
  }

  /** The phase of a device (ms after each multiple of its interval), for tests and diagnostics. */
  phaseOf(key: string): { intervalMs: number; phaseMs: number; nextDue: number } | undefined {
    const e = this.entries.get(key);
    return e && { intervalMs: e.intervalMs, phaseMs: e.phaseMs, nextDue: e.nextDue };
  }

  /** Whether the device of this identity (deviceKey) is on the schedule. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The devices on the schedule, in no particular order. */
  devices(): Device[] {
    return [...this.entries.values()].map((e) => e.device);
  }

  /**
   * Makes `devices` the schedule's inventory, in place: kept devices keep their phase and
   * next turn (their name, labels and profile are taken from the new list), new ones are
   * placed and polled within one interval, the others are dropped. `devices` must not list
   * an identity twice (the inventory grammar and readTargets see to it).
   */
  update(devices: Device[]): ScheduleChange {
    if (this.closed) return { added: 0, removed: 0, moved: 0, kept: 0 };
    const now = this.clock.now();
    const change: ScheduleChange = { added: 0, removed: 0, moved: 0, kept: 0 };
    const wanted = new Map<string, Device>();
    // each interval's slots are sized for the whole new inventory, not for the part placed so far
    const sizes = new Map<number, number>();
    for (const d of devices) {
      wanted.set(deviceKey(d), d);
      const ms = this.intervalMsOf(d);
      sizes.set(ms, (sizes.get(ms) ?? 0) + 1);
    }
    for (const [key, entry] of this.entries) {
      if (!wanted.has(key)) {
        this.remove(entry);
        change.removed++;
      }
    }
    // new devices are placed in the order of their hash, so that a schedule built from a
    // list at once comes out the same whatever order the list had
    const fresh: Array<{ key: string; device: Device; h: number }> = [];
    for (const [key, device] of wanted) {
      const entry = this.entries.get(key);
      const intervalMs = this.intervalMsOf(device);
      if (!entry) {
        fresh.push({ key, device, h: hash32(key) });
        continue;
      }
      entry.device = device;
      if (entry.intervalMs === intervalMs) {
        change.kept++;
        continue;
      }
      this.leaveGroup(entry);
      this.place(entry, intervalMs, hash32(key), sizes.get(intervalMs)!);
      this.arm(entry, now);
      change.moved++;
    }
    fresh.sort((a, b) => a.h - b.h || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const f of fresh) {
      const entry: Entry = { key: f.key, device: f.device, intervalMs: 0, slot: 0, phaseMs: 0, nextDue: 0, version: 0, removed: false };
      const intervalMs = this.intervalMsOf(f.device);
      this.place(entry, intervalMs, f.h, sizes.get(intervalMs)!);
      this.entries.set(f.key, entry);
      this.arm(entry, now);
      change.added++;
    }
    this.rearm();
    return change;
  }

  /** Stops the timer; the schedule takes no more turns. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
    this.heap.length = 0;
  }

  private intervalMsOf(device: Device): number {
    return Math.round((device.interval ?? this.options.defaultInterval) * 1000);
  }

  /**
   * Puts the entry into a slot of its interval's group (see the header) and sets its
   * phase; `groupSize` is how many devices the group will hold once the update is done.
   */
  private place(entry: Entry, intervalMs: number, h: number, groupSize: number): void {
    let group = this.groups.get(intervalMs);
    if (!group) {
      const slots = Math.max(1, Math.round(intervalMs / SLOT_MS));
      group = { intervalMs, load: new Array<number>(slots).fill(0), size: 0 };
      this.groups.set(intervalMs, group);
    }
    const slots = group.load.length;
    group.size++;
    const capacity = Math.max(1, Math.ceil((Math.max(groupSize, group.size) / slots) * SLOT_HEADROOM));
    const preferred = Math.floor((h / TWO_32) * slots);
    let slot = preferred;
    for (let i = 0; i < slots; i++) {
      slot = (preferred + i) % slots;
      if (group.load[slot] < capacity) break;
    }
    group.load[slot]++;
    // the position inside the slot, from a second hash: devices of one slot do not all start at its beginning
    const within = hash32(entry.key, 0x9747b28c) / TWO_32;
    const width = intervalMs / slots;
    entry.intervalMs = intervalMs;
    entry.slot = slot;
    entry.phaseMs = Math.min(intervalMs - 1, Math.floor((slot + within) * width));
  }

  private leaveGroup(entry: Entry): void {
    const group = this.groups.get(entry.intervalMs);
    if (!group) return;
    group.load[entry.slot]--;
    group.size--;
    if (group.size === 0) this.groups.delete(entry.intervalMs);
  }

  private remove(entry: Entry): void {
    this.leaveGroup(entry);
    entry.removed = true;
    entry.version++;
    this.entries.delete(entry.key);
  }

  /** Sets the entry's next turn from its phase and queues it. */
  private arm(entry: Entry, now: number): void {
    entry.version++;
    entry.nextDue = nextTurn(now, entry.phaseMs, entry.intervalMs);
    this.push({ due: entry.nextDue, entry, version: entry.version });
  }

  /** Keeps one timer, set for the earliest turn. */
  private rearm(): void {
    if (this.closed) return;
    this.compact();
    this.dropStale();
    const top = this.heap[0];
    if (!top) {
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    const at = this.slotStart(top.due);
    if (this.timer !== undefined && this.timerDue <= at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  /** The start of the batch slot holding time `t`. */
  private slotStart(t: number): number {
    return this.batchMs > 0 ? Math.floor(t / this.batchMs) * this.batchMs : t;
  }

  /** Runs from the timer: starts every turn due now or later in the current slot. */
  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.closed) return;
    const now = this.clock.now();
    // the end of the slot the timer fired in (a late timer: the slot it fired in, not the one it was set for)
    const until = this.batchMs > 0 ? this.slotStart(now) + this.batchMs : now + 1;
    const due: Device[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.due >= until) break;
      this.pop();
      const entry = top.entry;
      if (this.options.isBusy(entry.key)) this.skippedTotal++;
      else due.push(entry.device);
      // the next turn keeps the phase; turns missed while the process stalled are skipped too
      let next = entry.nextDue + entry.intervalMs;
      while (next <= now) {
        next += entry.intervalMs;
        this.skippedTotal++;
      }
      entry.nextDue = next;
      entry.version++;
      this.push({ due: next, entry, version: entry.version });
    }
    if (due.length > 0) {
      this.turnsTotal += due.length;
      try {
        this.options.poll(due);
      } catch {
        // a throwing poll callback must not stop the schedule: the caller reports its own failures
      }
    }
    this.rearm();
  }

  /** Rebuilds the heap without stale items once they outnumber the live ones (inventories that change often). */
  private compact(): void {
    if (this.heap.length <= 2 * this.entries.size + 64) return;
    const live = this.heap.filter((item) => !item.entry.removed && item.version === item.entry.version);
    this.heap.length = 0;
    for (const item of live) this.push(item);
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (!top.entry.removed && top.version === top.entry.version) return;
      this.pop();
    }
  }

  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].due <= item.due) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = item;
  }

  private pop(): HeapItem | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mDue = last.due;
      if (l < h.length && h[l].due < mDue) {
        m = l;
        mDue = h[l].due;
      }
      if (r < h.length && h[r].due < mDue) m = r;
      if (m === i) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = last;
    return top;
  }
}

/**
 * Events of the last minute, by second (polls done, failures by code): what a status
 * shows as "per minute". Bounded: 60 buckets.
 */
export class LastMinute {
  private readonly seconds = new Array<number>(60).fill(-1);
  private readonly counts = new Array<number>(60).fill(0);
  private readonly codes: Array<Map<string, number> | undefined> = new Array(60);
  private readonly partials = new Array<number>(60).fill(0);

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one event now; `code` also tallies it under that name (a failure code);
   * `partial` counts an answer that is not whole (a walk kept in part).
   */
  add(code?: string, partial = false): void {
    const s = Math.floor(this.now() / 1000);
    const i = s % 60;
    if (this.seconds[i] !== s) {
      this.seconds[i] = s;
      this.counts[i] = 0;
      this.codes[i] = undefined;
      this.partials[i] = 0;
    }
    this.counts[i]++;
    if (partial) this.partials[i]++;
    if (code !== undefined) {
      const m = this.codes[i] ?? new Map<string, number>();
      m.set(code, (m.get(code) ?? 0) + 1);
      this.codes[i] = m;
    }
  }

  /** Events of the last 60 s, the tallies by code, and the partial answers. */
  total(): { count: number; codes: Map<string, number>; partial: number } {
    const s = Math.floor(this.now() / 1000);
    let count = 0;
    let partial = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      if (this.seconds[i] <= s - 60 || this.seconds[i] > s) continue;
      count += this.counts[i];
      partial += this.partials[i];
      for (const [k, v] of this.codes[i] ?? []) codes.set(k, (codes.get(k) ?? 0) + v);
    }
    return { count, codes, partial };
  }
}
