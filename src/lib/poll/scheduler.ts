/**
 * The fleet scheduler: at most `concurrency` devices in flight per profile, shared by
 * every node that uses the profile, each device bounded by its deadline; plus the
 * per-node cycle runner that streams one result per device and sums up the cycle.
 */
import { performance } from 'perf_hooks';
import { PollError } from '../common/errors';

/**
 * A FIFO semaphore: `enqueue(start)` calls `start(true)` when a slot is free, and the
 * caller gives the slot back with `release()`; after close() waiting starts get `false`.
 * `run(task)` is the same for a promise-returning task.
 */
export class FleetScheduler {
  private active = 0;
  private readonly queue: Array<((open: boolean) => void) | undefined> = [];
  private head = 0;
  private closed = false;
  private pumping = false;

  constructor(private concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, n);
    this.pump();
  }

  /** Calls `start(true)` when a slot is free (then `release()` it), or `start(false)` once closed. */
  enqueue(start: (open: boolean) => void): void {
    if (this.closed) {
      start(false);
      return;
    }
    this.queue.push(start);
    this.pump();
  }

  /** Gives back the slot of a started task. */
  release(): void {
    this.active--;
    this.pump();
  }

  /** Runs the task when a slot is free. Rejects with PollError after close(). */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue((open) => {
        if (!open) {
          reject(new PollError('unreachable', 'polling stopped (node closed)'));
          return;
        }
        let p: Promise<T>;
        try {
          p = task();
        } catch (err) {
          this.release();
          reject(err);
          return;
        }
        p.then((v) => { this.release(); resolve(v); }, (e) => { this.release(); reject(e); });
      });
    });
  }

  private pump(): void {
    // A task that ends at once (a job that expired, a refused session) releases its slot
    // from inside this loop: the loop itself takes the next, so a fleet of them does not
    // nest one call per device.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.active < this.concurrency && this.head < this.queue.length) {
        const next = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
        this.active++;
        next(true);
      }
    } finally {
      this.pumping = false;
    }
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Tells everything still waiting it will not run; tasks in flight finish on their own. */
  close(): void {
    this.closed = true;
    const waiting = this.queue.slice(this.head) as Array<(open: boolean) => void>;
    this.queue.length = 0;
    this.head = 0;
    for (const start of waiting) start(false);
  }
}

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
  private readonly entries: Array<Deadline | undefined> = [];
  private head = 0;
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
    this.entries.length = 0;
    this.head = 0;
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
    while (this.head < this.entries.length) {
      const d = this.entries[this.head]!;
      if (d.onExpire && d.at > now) break;
      this.entries[this.head++] = undefined;
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
    if (this.head === this.entries.length) {
      this.entries.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.entries.length && !this.timer) this.arm(Math.max(this.entries[this.head]!.at, now + DEADLINE_SLACK_MS));
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

/** Remembers which devices a node is polling, so a new trigger does not stack a second poll. */
export class InFlightGuard {
  private readonly keys = new Set<string>();

  tryEnter(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }

  leave(key: string): void {
    this.keys.delete(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }
}

export interface CycleSummary {
  total: number;
  ok: number;
  failed: number;
  /** Devices skipped because their previous poll was still running. */
  skipped: number;
  /** Devices not polled because their job's deadline passed while they waited. */
  expired?: number;
  elapsedMs: number;
  /** Results whose delivery (onResult) threw. */
  deliveryErrors?: number;
  lastDeliveryError?: string;
}

export interface CycleOptions<D, R> {
  devices: D[];
  keyOf: (d: D) => string;
  guard: InFlightGuard;
  scheduler: FleetScheduler;
  /** The poll as a promise, or (pollCb) as a callback: no promise per device. One of them. */
  poll?: (d: D) => Promise<R>;
  pollCb?: (d: D, report: (result: R) => void) => void;
  /** Called once per polled device as soon as its result is in. */
  onResult: (d: D, result: R) => void;
  isOk: (r: R) => boolean;
  /** True once the cycle's deadline passed: devices still waiting are dropped and counted, not polled late. */
  expired?: () => boolean;
  now?: () => number;
}

/** Polls every device through the scheduler; resolves with the cycle summary. */
export function runCycle<D, R>(o: CycleOptions<D, R>): Promise<CycleSummary> {
  const now = o.now ?? Date.now;
  const started = now();
  const summary: CycleSummary = { total: o.devices.length, ok: 0, failed: 0, skipped: 0, elapsedMs: 0 };
  return new Promise<CycleSummary>((resolve) => {
    // one more than the devices in flight until every device is queued
    let open = 1;
    const settle = () => {
      if (--open > 0) return;
      summary.elapsedMs = now() - started;
      resolve(summary);
    };
    const deliver = (device: D, result: R) => {
      if (o.isOk(result)) summary.ok++;
      else summary.failed++;
      try {
        o.onResult(device, result);
      } catch (err) {
        // a downstream failure must not stop the cycle; report it with the summary
        summary.deliveryErrors = (summary.deliveryErrors ?? 0) + 1;
        summary.lastDeliveryError = err instanceof Error ? err.message : String(err);
      }
    };
    for (const device of o.devices) {
      const key = o.keyOf(device);
      if (!o.guard.tryEnter(key)) {
        summary.skipped++;
        continue;
      }
      open++;
      // callbacks, not a promise per step: this runs for every device of every cycle
      o.scheduler.enqueue((slot) => {
        if (!slot) {
          // the scheduler closed under us: the node is going away
          summary.failed++;
          o.guard.leave(key);
          settle();
          return;
        }
        if (o.expired?.()) {
          // its job's deadline passed while it waited: counted, not polled late
          o.scheduler.release();
          summary.expired = (summary.expired ?? 0) + 1;
          o.guard.leave(key);
          settle();
          return;
        }
        let reported = false;
        const report = (result: R) => {
          if (reported) return;
          reported = true;
          o.scheduler.release();
          deliver(device, result);
          o.guard.leave(key);
          settle();
        };
        const failed = () => {
          if (reported) return;
          reported = true;
          o.scheduler.release();
          summary.failed++;
          o.guard.leave(key);
          settle();
        };
        try {
          if (o.pollCb) o.pollCb(device, report);
          else o.poll!(device).then(report, failed);
        } catch {
          failed();
        }
      });
    }
    settle();
  });
}
