/**
 * Deadlines of one length share one timer (a FIFO per length: they pass in the order
 * they were set). The fleet's device deadlines use them, where each device had a
 * setTimeout of its own.
 */
import { performance } from 'perf_hooks';
import { Fifo } from './fifo';

/** A deadline set in a DeadlineQueue; the queue's `finish()` takes it back. */
export interface Deadline {
  at: number;
  onExpire: (() => void) | undefined;
}

/** How late a deadline may fire, ms, so that one wake-up serves those of a few ms. */
const DEADLINE_SLACK_MS = 5;

/**
 * Deadlines of one length, kept in the order they were set, so they also pass in that
 * order: one timer serves them all (the first live one's), where a timer per poll would
 * cost a setTimeout, a clearTimeout and their objects on every device of every cycle.
 * A finished deadline stays in the list until it reaches the front.
 */
export class DeadlineQueue {
  private readonly entries = new Fifo<Deadline>();
  private live = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}

  /** Calls `onExpire` once `ms` have passed, unless `finish()` comes first. */
  add(onExpire: () => void): Deadline {
    const d: Deadline = { at: performance.now() + this.ms, onExpire };
    this.entries.push(d);
    this.live++;
    if (!this.timer) this.arm(d.at);
    return d;
  }

  /** The deadline is no longer needed (the work ended first): it will not fire. */
  finish(d: Deadline): void {
    if (!d.onExpire) return;
    d.onExpire = undefined;
    if (--this.live > 0) return;
    // nothing is waiting: let the process and the timer go
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  get pending(): number {
    return this.live;
  }

  private arm(at: number): void {
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    for (let d = this.entries.peek(); d !== undefined; d = this.entries.peek()) {
      if (d.onExpire && d.at > now) break;
      this.entries.shift();
      const onExpire = d.onExpire;
      if (!onExpire) continue;
      d.onExpire = undefined;
      this.live--;
      try {
        onExpire();
      } catch {
        // one poll's failure must not stop the others' deadlines
      }
    }
    const next = this.entries.peek();
    if (next && !this.timer) this.arm(Math.max(next.at, now + DEADLINE_SLACK_MS));
  };
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
