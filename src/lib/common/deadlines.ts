/**
 * Deadlines of one length share one timer (a ring per length: they pass in the order
 * they were set). The fleet's device deadlines use them, where each device had a
 * setTimeout of its own.
 */
import { performance } from 'perf_hooks';

/**
 * A deadline set in a DeadlineQueue: its ticket (the queue's count of deadlines set
 * before it), which the queue's `finish()` takes back.
 */
export type Deadline = number;

/** How late a deadline may fire, ms, so that one wake-up serves those of a few ms. */
const DEADLINE_SLACK_MS = 5;

/**
 * Deadlines of one length, kept in the order they were set, so they also pass in that
 * order: one timer serves them all (the first live one's), where a timer per poll would
 * cost a setTimeout, a clearTimeout and their objects on every device of every cycle.
 *
 * They are slots of a ring (when each passes, in a Float64Array; what it calls, in an
 * array), not an object each. A finished deadline stays in the ring until it reaches the
 * front or none is left, which is most of a cycle: an object per deadline kept that long
 * outlived the young generation's collections while its poll's own objects died. On a
 * 5,000-device get in Node-RED, five cycles moved 29 MB to the old generation with an
 * object per deadline and 10 MB with the ring, and V8's young-generation collections
 * took a third of the time (node --trace-gc-nvp).
 */
export class DeadlineQueue {
  private ats = new Float64Array(64);
  private calls: Array<(() => void) | undefined> = new Array(64).fill(undefined);
  /** Ticket of the front slot, and of the next deadline set: the ring holds [head, tail). */
  private head = 0;
  private tail = 0;
  private live = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Inside fire(): what an expiring deadline sets meanwhile does not arm the timer (fire arms it for the front). */
  private firing = false;

  constructor(readonly ms: number) {}

  /** Calls `onExpire` once `ms` have passed, unless `finish()` comes first. */
  add(onExpire: () => void): Deadline {
    if (this.tail - this.head === this.calls.length) this.grow();
    const ticket = this.tail++;
    const at = performance.now() + this.ms;
    const i = ticket & (this.calls.length - 1);
    this.ats[i] = at;
    this.calls[i] = onExpire;
    this.live++;
    if (!this.timer && !this.firing) this.arm(at);
    return ticket;
  }

  /** The deadline is no longer needed (the work ended first): it will not fire. */
  finish(ticket: Deadline): void {
    if (ticket < this.head || ticket >= this.tail) return;
    const i = ticket & (this.calls.length - 1);
    if (this.calls[i] === undefined) return;
    this.calls[i] = undefined;
    if (--this.live > 0) return;
    // nothing is waiting: let the process and the timer go
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.head = this.tail;
  }

  get pending(): number {
    return this.live;
  }

  /** Twice the slots, the waiting ones moved to their places in the larger ring. */
  private grow(): void {
    const size = this.calls.length * 2;
    const ats = new Float64Array(size);
    const calls: Array<(() => void) | undefined> = new Array(size).fill(undefined);
    for (let t = this.head; t < this.tail; t++) {
      const from = t & (this.calls.length - 1);
      ats[t & (size - 1)] = this.ats[from];
      calls[t & (size - 1)] = this.calls[from];
    }
    this.ats = ats;
    this.calls = calls;
  }

  private arm(at: number): void {
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    this.firing = true;
    try {
      this.expire(now);
    } finally {
      this.firing = false;
    }
    // the front's time, not that of a deadline an expiring one set meanwhile (a device that
    // timed out frees its slot, and the next device's poll sets a deadline a whole length later)
    if (this.head < this.tail && !this.timer) this.arm(Math.max(this.ats[this.head & (this.calls.length - 1)], now + DEADLINE_SLACK_MS));
  };

  /** Calls every deadline passed by `now`, front first, and drops the finished ones before them. */
  private expire(now: number): void {
    while (this.head < this.tail) {
      const i = this.head & (this.calls.length - 1);
      const onExpire = this.calls[i];
      if (onExpire !== undefined && this.ats[i] > now) break;
      this.head++;
      if (onExpire === undefined) continue;
      this.calls[i] = undefined;
      this.live--;
      try {
        onExpire();
      } catch {
        // one poll's failure must not stop the others' deadlines
      }
    }
  }
}

/** The shared queue of each deadline length (a profile's deadline is one length). */
const queues = new Map<number, DeadlineQueue>();

export function deadlineQueue(ms: number): DeadlineQueue {
  let q = queues.get(ms);
  if (!q) {
    if (queues.size >= 64) {
      // lengths come from profiles; keep the ones in use when many were tried
      for (const [k, v] of queues) if (v.pending === 0) queues.delete(k);
    }
    q = new DeadlineQueue(ms);
    queues.set(ms, q);
  }
  return q;
}
