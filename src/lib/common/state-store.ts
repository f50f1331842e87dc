/**
 * Keeps one node's state object in a Node-RED context store under one key, through a
 * narrow interface (no node-red import). Always uses the callback forms of get/set:
 * a file store without cache only supports asynchronous access, and a callback turns
 * a store failure into an error we can report instead of a throw. Also the checks on
 * times that may enter such a state (from messages or from the store itself).
 */

/**
 * The largest |ms| a JavaScript Date holds (ECMA-262, "Time Values and Time Range");
 * past it `new Date(t).toISOString()` throws a RangeError.
 */
export const MAX_DATE_MS = 8.64e15;

/**
 * How far a message's time (msg.snmp.time) may be from the node's clock. The poll nodes
 * stamp it with this machine's clock when the answer arrives, so a time a day away is no
 * late message but a unit mistake (seconds, µs or ns since 1970) or garbage, which would
 * otherwise be kept in the state and freeze rates and alerts.
 */
export const MAX_TIME_SKEW_MS = 24 * 3600 * 1000;

/** True for a ms epoch within {@link MAX_TIME_SKEW_MS} of `now`. */
export function isPlausibleTime(t: unknown, now: number): t is number {
  return typeof t === 'number' && Number.isFinite(t) && Math.abs(t - now) <= MAX_TIME_SKEW_MS;
}

/**
 * True for a time read back from a store that a node may resume from: a ms epoch from
 * 1970 up to `now` + {@link MAX_TIME_SKEW_MS}. Old times are fine (an alert may fire
 * for months, a node may be stopped for a week); future ones are what a bad message
 * time saved before this check existed would leave behind.
 */
export function isRestorableTime(t: unknown, now: number): t is number {
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= now + MAX_TIME_SKEW_MS;
}

/** The part of `node.context()` used here. */
export interface ContextLike {
  get(key: string, store: string | undefined, cb: (err: Error | undefined | null, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, cb: (err: Error | undefined | null) => void): void;
}

export class StateStore {
  private failedOnce = false;

  /**
   * @param context the node's context
   * @param key the context key holding the state
   * @param store the context store name; empty = the default store
   * @param onError reports a store failure (called once, later failures are quiet)
   */
  constructor(
    private readonly context: ContextLike,
    private readonly key: string,
    private readonly store: string | undefined,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Reads the stored state; undefined when none or when the store fails. */
  load(): Promise<unknown> {
    return new Promise((resolve) => {
      try {
        this.context.get(this.key, this.store || undefined, (err, value) => {
          if (err) this.fail(err);
          resolve(err ? undefined : value);
        });
      } catch (err) {
        this.fail(err as Error);
        resolve(undefined);
      }
    });
  }

  /**
   * Writes the state. Memory and cached file stores keep the object by reference, so
   * this is cheap; a file store flushes it on its own interval and on close. A file
   * store without cache or a remote store does a full write: call through
   * {@link StateSaver}, not per message.
   */
  save(value: unknown): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.context.set(this.key, value, this.store || undefined, (err) => {
          if (err) this.fail(err);
          resolve();
        });
      } catch (err) {
        this.fail(err as Error);
        resolve();
      }
    });
  }

  private fail(err: Error): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.onError(err);
  }
}

/** Wait between a change of the state and its write, ms. */
export const SAVE_DELAY_MS = 1000;

/**
 * Writes one node's live state object through a {@link StateStore} at most once per
 * `delayMs`, and once more on close.
 *
 * Why not on every message: a file store without cache reads, parses, stringifies and
 * rewrites the node's whole context file on each set, a remote store makes a round
 * trip; at 500 messages per fleet cycle those writes queue without bound (DESIGN.md:
 * "written once per cycle and on close").
 *
 * The choice: the first change after a write starts a `delayMs` timer that later
 * changes do not push back, so a steady stream of messages is still written every
 * `delayMs` (a debounce would wait for a pause that may never come). At most one write
 * is in flight: a change made meanwhile is written after it, never beside it.
 */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private writing = false;
  private dirty = false;
  private closed = false;

  /**
   * @param store where the state goes
   * @param state returns the live state object; undefined = nothing to write yet
   * @param delayMs the longest a change waits for its write
   */
  constructor(
    private readonly store: StateStore,
    private readonly state: () => unknown,
    private readonly delayMs = SAVE_DELAY_MS,
  ) {}

  /**
   * Notes that the state changed; it is written within `delayMs`, or right after the
   * write in flight (a store that never answers holds further writes until close).
   */
  markDirty(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Stops the timer and writes the state a last time, waiting at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const state = this.state();
    if (state === undefined) return;
    this.dirty = false;
    await withTimeout(this.store.save(state), timeoutMs);
  }

  private schedule(): void {
    if (this.closed || this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.delayMs);
  }

  private write(): void {
    const state = this.state();
    if (this.closed || !this.dirty || state === undefined) return;
    this.dirty = false;
    this.writing = true;
    void this.store.save(state).then(() => {
      this.writing = false;
      if (this.dirty) this.schedule();
    });
  }
}

/** Resolves when `p` does or after `ms`, whichever comes first (a close must not hang on a store). */
export function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The `code` of a store error that says the store cannot be reached for now (a remote
 * store whose server is down): the stateful nodes keep their state, retry and write it
 * again, instead of taking the failure for an empty or lost store.
 */
export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE';
