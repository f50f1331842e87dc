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

/** How far ahead of the node's clock a series' last poll may lie before the clock counts as set back. */
const CLOCK_SLACK_MS = 60_000;

/**
 * True when a sample polled at `time` comes after one polled at `newest` (an MQTT backlog,
 * a retried delivery) and is to be left out, as Prometheus drops out-of-order samples:
 * unless `newest` lies more than a minute ahead of the clock `now`, which then was set back.
 */
export function isLateSample(time: number, newest: number, now: number): boolean {
  return time < newest && newest <= now + CLOCK_SLACK_MS;
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

/** The part of `node.context()` used here: one key or several at once, and the keys of the scope. */
export interface ContextLike {
  get(key: string | string[], store: string | undefined, cb: (err: Error | undefined | null, ...values: unknown[]) => void): void;
  set(key: string | string[], value: unknown, store: string | undefined, cb: (err: Error | undefined | null) => void): void;
  /** Node-RED's context has it; a stand-in without it keeps only the head of a parted state. */
  keys?(store: string | undefined, cb: (err: Error | undefined | null, keys?: string[]) => void): void;
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
  private writing: Promise<void> | undefined;
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

  /**
   * Writes the state now — after the write in flight, if any, since that one may predate
   * the latest change — and resolves once the store has answered. For a write-ahead:
   * what is about to be announced is in the store first.
   */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.write();
  }

  private schedule(): void {
    if (this.closed || this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.delayMs);
  }

  private write(): Promise<void> {
    const state = this.state();
    if (this.closed || !this.dirty || state === undefined) return Promise.resolve();
    this.dirty = false;
    const writing = this.store.save(state).then(() => {
      this.writing = undefined;
      if (this.dirty) this.schedule();
    });
    this.writing = writing;
    return writing;
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

/** True for an error a store gave because it cannot be reached for now ({@link STORE_UNAVAILABLE}). */
export function isStoreUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === STORE_UNAVAILABLE;
}

/**
 * How a node's state is kept as a small head plus one part per device, so that a
 * change to one device writes that device only: a fleet of 50,000 devices never
 * rewrites one giant value, and a remote store (Redis) gets a few kilobytes per device
 * that changed instead of the whole state every second.
 */
export interface StateLayout<S> {
  /** Everything outside the parts (version, silences): small, written when its JSON changed. */
  head(state: S): unknown;
  /** The names of every part the state holds now. */
  names(state: S): string[];
  /** The values of the named parts, in order; undefined for a part that is gone. */
  parts(state: S, names: string[]): unknown[];
  /**
   * The state as the node's restore() reads it, from the stored head and parts. A head
   * that holds the whole state (written before parts existed) is that state.
   */
  join(head: unknown, parts: Map<string, unknown>): unknown;
}

/** Context key of a part: `<key>~<name>`, the name percent-encoded so any device name is one plain key. */
export function partKey(key: string, name: string): string {
  return `${key}~${encodeURIComponent(name).replace(/[.!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** The part name of a context key of `key`'s parts; undefined for any other key. */
export function partName(key: string, contextKey: string): string | undefined {
  const head = `${key}~`;
  if (!contextKey.startsWith(head)) return undefined;
  try {
    return decodeURIComponent(contextKey.slice(head.length));
  } catch {
    return undefined;
  }
}

/** Keys asked of a store in one get or set. */
export const KEYS_PER_CALL = 500;

function contextGet(context: ContextLike, keys: string[], store: string | undefined): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    try {
      context.get(keys, store, (err, ...values) => (err ? reject(err) : resolve(values)));
    } catch (err) {
      reject(err);
    }
  });
}

function contextSet(context: ContextLike, keys: string[], values: unknown[], store: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      context.set(keys, values, store, (err) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}

function contextKeys(context: ContextLike, store: string | undefined): Promise<string[]> {
  return new Promise((resolve, reject) => {
    if (!context.keys) return resolve([]);
    try {
      context.keys(store, (err, keys) => (err ? reject(err) : resolve(keys ?? [])));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * Reads a parted state: the head and every part of `key`, several keys per call. Throws
 * the store's error (the caller tells an unreachable store from a broken one).
 * @returns the joined state and the names of the parts found
 */
export async function loadParted<S>(context: ContextLike, key: string, store: string | undefined, layout: StateLayout<S>): Promise<{ raw: unknown; names: string[] }> {
  const names: string[] = [];
  const keys: string[] = [];
  // both at once: one round trip to a remote store
  const [all, [head]] = await Promise.all([contextKeys(context, store), contextGet(context, [key], store)]);
  for (const k of all) {
    const name = partName(key, k);
    if (name === undefined) continue;
    names.push(name);
    keys.push(k);
  }
  const parts = new Map<string, unknown>();
  for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
    const values = await contextGet(context, keys.slice(i, i + KEYS_PER_CALL), store);
    values.forEach((v, j) => {
      if (v !== undefined && v !== null) parts.set(names[i + j], v);
    });
  }
  return { raw: layout.join(head, parts), names };
}

/** Longest wait before a failed write is tried again, ms. */
export const MAX_RETRY_MS = 30000;

export interface PartedSaverOptions<S> {
  context: ContextLike;
  key: string;
  store: string | undefined;
  layout: StateLayout<S>;
  /** The live state; undefined = nothing to write yet. */
  state(): S | undefined;
  /** The parts changed since the last call (the engine's report); the call empties it. */
  changedParts(): Iterable<string>;
  /** The store failed a write (called on each failed attempt). */
  onFailure(err: Error): void;
  /** A write succeeded after failures: everything was written again. */
  onRecovery(): void;
  delayMs?: number;
}

/**
 * Writes a parted state: at most once per `delayMs`, only the parts that changed (and
 * the head when its JSON changed), several keys per set, one write in flight. Parts
 * that appeared or vanished since the last write are found by their names even if no
 * one reported them. A failed write keeps its parts for the next attempt, tried again
 * with back-off up to {@link MAX_RETRY_MS}; the first success after failures writes
 * every part again, since a store that was away (a Redis restarted without its data)
 * may have lost them. {@link PartedStateSaver.flush} writes at once, as
 * {@link StateSaver.flush} does for a whole state.
 */
export class PartedStateSaver<S> {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** Parts the store holds (as far as we know). */
  private readonly stored = new Set<string>();
  /** Parts to write next time (failed writes, full writes). */
  private readonly pending = new Set<string>();
  private lastHead: string | undefined;
  /** A head of this layout is in the store (written by this saver). */
  private headWritten = false;
  private failures = 0;
  private everything = false;
  private readonly delayMs: number;

  constructor(private readonly o: PartedSaverOptions<S>) {
    this.delayMs = o.delayMs ?? SAVE_DELAY_MS;
  }

  /** A part the store holds already (found at load): not written again unless it changes. */
  markStored(name: string): void {
    this.stored.add(name);
  }

  /** True while the last write failed. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** The state changed: written within `delayMs` (or after the write in flight, or the back-off). */
  markDirty(): void {
    this.dirty = true;
    this.schedule(this.delayMs);
  }

  /** Writes every part at the next write (after a restore from another layout, say). */
  markAll(): void {
    this.everything = true;
    this.markDirty();
  }

  /** Stops the timer and writes what changed a last time, waiting at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const last = (async () => {
      while (this.writing) await this.writing;
      await this.write();
    })();
    await withTimeout(last, timeoutMs);
  }

  /**
   * Writes what changed now — after the write in flight, if any, since that one may
   * predate the latest change — and resolves once the store has answered (a failure is
   * reported and retried as for any write; it does not reject). For a write-ahead: what
   * is about to be announced is in the store first. The head is written last, so a
   * change kept in the head (threshold-alert's outbox) is stored once this resolves.
   */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.startWrite();
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.startWrite();
    }, ms);
  }

  /** Runs one write as the write in flight, then schedules the next (back-off after a failure). */
  private startWrite(): Promise<void> {
    const writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.closed) return;
      if (this.failures > 0) this.schedule(Math.min(MAX_RETRY_MS, this.delayMs * 2 ** Math.min(this.failures, 5)));
      else if (this.dirty) this.schedule(this.delayMs);
    });
    this.writing = writing;
    return writing;
  }

  /** One write of what changed; never rejects. */
  private async write(): Promise<void> {
    const state = this.o.state();
    if (state === undefined) return;
    const { layout } = this.o;
    this.dirty = false;
    const names = new Set(this.pending);
    this.pending.clear();
    for (const n of this.o.changedParts()) names.add(n);
    const current = layout.names(state);
    if (this.everything) {
      for (const n of current) names.add(n);
      this.lastHead = undefined;
    }
    this.everything = false;
    const present = new Set(current);
    for (const n of current) if (!this.stored.has(n)) names.add(n);
    for (const n of this.stored) if (!present.has(n)) names.add(n);
    const headJson = JSON.stringify(layout.head(state));
    const headChanged = headJson !== this.lastHead;
    if (names.size === 0 && !headChanged) return;
    const list = [...names];
    const values = layout.parts(state, list);
    const keys = list.map((n) => partKey(this.o.key, n));
    // parts in sets of KEYS_PER_CALL; the head rides in one of them (one key more)
    const batches: Array<{ keys: string[]; values: unknown[] }> = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_CALL) batches.push({ keys: keys.slice(i, i + KEYS_PER_CALL), values: values.slice(i, i + KEYS_PER_CALL) });
    if (headChanged) {
      // With the head in a set of parts, a write of up to KEYS_PER_CALL devices is one set:
      // one file write in a file store, one transaction in the Redis store. Until this
      // saver has written a head, the store may hold a whole state of an earlier release
      // as its head: the head goes in the last set, so a reader never finds a parted head
      // without its parts. After that it goes in the first: threshold-alert's outbox (in
      // the head) is stored no later than the alerts whose announcement it holds, so a
      // crash between two sets of a large write may repeat a notification but never loses one.
      if (batches.length === 0) batches.push({ keys: [], values: [] });
      const batch = this.headWritten ? batches[0] : batches[batches.length - 1];
      const at = this.headWritten ? 0 : batch.keys.length;
      batch.keys.splice(at, 0, this.o.key);
      batch.values.splice(at, 0, JSON.parse(headJson));
    }
    try {
      for (const batch of batches) await contextSet(this.o.context, batch.keys, batch.values, this.o.store);
    } catch (err) {
      for (const n of list) this.pending.add(n);
      this.failures++;
      this.o.onFailure(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.lastHead = headJson;
    if (headChanged) this.headWritten = true;
    list.forEach((n, i) => {
      if (values[i] === undefined) this.stored.delete(n);
      else this.stored.add(n);
    });
    if (this.failures > 0) {
      this.failures = 0;
      this.everything = true;
      this.dirty = true;
      this.o.onRecovery();
    }
  }
}
