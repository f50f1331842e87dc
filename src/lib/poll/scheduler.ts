/**
 * The fleet scheduler: at most `concurrency` devices in flight per profile, shared by
 * every node that uses the profile, each device bounded by its deadline; plus the
 * per-node cycle runner that streams one result per device and sums up the cycle.
 */
import { PollError } from '../common/errors';
import { Fifo } from '../common/fifo';

/**
 * A FIFO semaphore: `enqueue(start)` calls `start(true)` when a slot is free, and the
 * caller gives the slot back with `release()`; after close() waiting starts get `false`.
 * `run(task)` is the same for a promise-returning task.
 */
export class FleetScheduler {
  private active = 0;
  private readonly queue = new Fifo<(open: boolean) => void>();
  private closed = false;
  private pumping = false;

  constructor(private concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.size;
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
      while (this.active < this.concurrency && this.queue.size > 0) {
        const next = this.queue.shift()!;
        this.active++;
        next(true);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Tells everything still waiting it will not run; tasks in flight finish on their own. */
  close(): void {
    this.closed = true;
    for (const start of this.queue.drain()) start(false);
  }
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
