/**
 * The fleet scheduler: at most `concurrency` devices in flight per profile, shared by
 * every node that uses the profile, each device bounded by its deadline; plus the
 * per-node cycle runner that streams one result per device and sums up the cycle.
 */
import { PollError } from '../common/errors';

/** A FIFO semaphore: `run(task)` waits for a slot, then runs the task. */
export class FleetScheduler {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private closed = false;

  constructor(private concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, n);
    this.pump();
  }

  /** Runs the task when a slot is free. Rejects with PollError after close(). */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PollError('unreachable', 'polling stopped (node closed)'));
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (this.closed) {
          reject(new PollError('unreachable', 'polling stopped (node closed)'));
          return;
        }
        this.active++;
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          this.active--;
          this.pump();
        };
        let p: Promise<T>;
        try {
          p = task();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        p.then((v) => { finish(); resolve(v); }, (e) => { finish(); reject(e); });
      };
      this.queue.push(start);
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      next();
    }
  }

  /** Rejects everything still waiting; tasks in flight finish on their own. */
  close(): void {
    this.closed = true;
    const waiting = this.queue.splice(0);
    for (const start of waiting) start();
  }
}

/**
 * Runs `fn` with a deadline: resolves with its result, or rejects with a timeout
 * PollError when `ms` passes first. The late result of `fn` is ignored.
 */
export function withDeadline<T>(ms: number, fn: (expired: () => boolean) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new PollError('timeout', `device deadline of ${ms} ms exceeded`));
    }, ms);
  });
  const work = fn(() => expired);
  // keep an unobserved rejection of the loser from surfacing as unhandled
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
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
  poll: (d: D) => Promise<R>;
  /** Called once per polled device as soon as its result is in. */
  onResult: (d: D, result: R) => void;
  isOk: (r: R) => boolean;
  /** True once the cycle's deadline passed: devices still waiting are dropped and counted, not polled late. */
  expired?: () => boolean;
  now?: () => number;
}

/** What a slot yields for a device whose deadline passed before its turn. */
const EXPIRED: unique symbol = Symbol('expired');

/** Polls every device through the scheduler; resolves with the cycle summary. */
export async function runCycle<D, R>(o: CycleOptions<D, R>): Promise<CycleSummary> {
  const now = o.now ?? Date.now;
  const started = now();
  const summary: CycleSummary = { total: o.devices.length, ok: 0, failed: 0, skipped: 0, elapsedMs: 0 };
  const runs: Promise<void>[] = [];
  for (const device of o.devices) {
    const key = o.keyOf(device);
    if (!o.guard.tryEnter(key)) {
      summary.skipped++;
      continue;
    }
    runs.push(
      o.scheduler.run<R | typeof EXPIRED>(() => (o.expired?.() ? Promise.resolve(EXPIRED) : o.poll(device))).then(
        (result) => {
          if (result === EXPIRED) {
            summary.expired = (summary.expired ?? 0) + 1;
            return;
          }
          if (o.isOk(result)) summary.ok++;
          else summary.failed++;
          try {
            o.onResult(device, result);
          } catch (err) {
            // a downstream failure must not stop the cycle; report it with the summary
            summary.deliveryErrors = (summary.deliveryErrors ?? 0) + 1;
            summary.lastDeliveryError = err instanceof Error ? err.message : String(err);
          }
        },
        () => {
          // the scheduler closed under us: the node is going away
          summary.failed++;
        },
      ).finally(() => o.guard.leave(key)),
    );
  }
  await Promise.all(runs);
  summary.elapsedMs = now() - started;
  return summary;
}
