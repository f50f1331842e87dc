/**
 * The skeleton of a node that keeps state in a Node-RED context store (counter-rate,
 * threshold-alert, trap-in's engine ID and boots): load the state, then run; hold
 * what arrives while loading (bounded); write at most once a second and on close;
 * report a store failure once; warn once and count repeated oddities; keep the status
 * to one update a second. The node supplies its engine and what to do with a message.
 *
 * With a `layout`, the state is kept as a head and one part per device, and only the
 * parts the engine reports changed are written (common/state-store.ts, StateLayout).
 * A store that cannot be reached for now (Redis down: STORE_UNAVAILABLE) is waited for
 * at start, with input held, rather than taken for an empty store, and its outages show
 * in the status; the state is written again in full once it is back.
 */
import {
  isStoreUnavailable,
  loadParted,
  MAX_RETRY_MS,
  PartedStateSaver,
  StateSaver,
  StateStore,
  type StateLayout,
} from '../common/state-store';
import { CountedWarnings } from './counted-warnings';
import type { Msg, NodeFacade } from './node-facade';
import { statusThrottle, type StatusObject, type StatusThrottle } from './status';

export type Send = (msgs: any) => void;
export type Done = (err?: Error) => void;

export interface StatefulNodeOptions<E> {
  /** Context key of the state. */
  key: string;
  /** Context store name; '' = the default store. */
  store: string;
  /** Builds the engine from what the store held (undefined when nothing); may warn through `warnings`. */
  restore(raw: unknown, warnings: CountedWarnings): E;
  /** The live state object to write (stores may keep it by reference). */
  state(engine: E): unknown;
  /** Runs once the engine exists, before the held messages (timers, first writes). */
  ready?(engine: E): void;
  /** Handles one message; must call `done` once. Exceptions are caught and end in done(err). */
  handle?(engine: E, msg: Msg, send: Send, done: Done): void;
  /** The status for the current state (undefined engine = still loading); omitted = the node keeps its own. */
  status?(engine: E | undefined): StatusObject;
  /** Writes and status updates wait at most this long (ms). */
  saveDelayMs?: number;
  /** Keeps the state as a head and a part per device (see StateLayout); absent = one value. */
  layout?: StateLayout<any>;
  /** With `layout`: the parts the engine changed since the last call; the call empties the report. */
  changedParts?(engine: E): Iterable<string>;
}

/** Messages held while the state loads from a slow store; more are refused. */
export const MAX_QUEUED = 10000;
/** A close waits this long for the last write of the state. */
export const CLOSE_SAVE_MS = 2000;

/** Empties a set of reported changes, returning what it held (a `changedParts` for engines that keep a Set). */
export function takeAll<T>(set: Set<T>): T[] {
  const out = [...set];
  set.clear();
  return out;
}

/** First wait before loading again from a store that cannot be reached, ms. */
export const LOAD_RETRY_MS = 1000;

export class StatefulNode<E> {
  /** Oddities warned once and counted; the repeats are reported on close. */
  readonly warnings: CountedWarnings;
  private current: E | undefined;
  private readonly saver: StateSaver | PartedStateSaver<unknown>;
  private readonly statusUpdates: StatusThrottle | undefined;
  private readonly queue: Array<[Msg, Send, Done]> = [];
  private isClosed = false;
  /** The store cannot be reached (loading or writing): shown in the status. */
  private storeDown = false;
  private storeWarned = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  /** Settles once the state is loaded (or the node closed first). */
  readonly loaded: Promise<void>;

  constructor(private readonly facade: NodeFacade, private readonly opts: StatefulNodeOptions<E>) {
    this.warnings = new CountedWarnings((text) => facade.warn(text));
    const status = opts.status;
    this.statusUpdates = status ? statusThrottle(() => this.currentStatus(status), (s) => facade.status(s)) : undefined;
    this.statusUpdates?.flush();
    if (opts.layout) {
      const layout = opts.layout;
      const parted = new PartedStateSaver<unknown>({
        context: facade.context,
        key: opts.key,
        store: opts.store || undefined,
        layout,
        state: () => (this.current === undefined ? undefined : opts.state(this.current)),
        changedParts: () => (this.current === undefined || !opts.changedParts ? [] : opts.changedParts(this.current)),
        onFailure: (err) => this.storeFailed(err),
        onRecovery: () => this.storeBack(),
        delayMs: opts.saveDelayMs,
      });
      this.saver = parted;
      this.loaded = this.loadParted(layout, parted);
    } else {
      const store = new StateStore(facade.context, opts.key, opts.store, (err) => this.reportStoreError(err));
      this.saver = new StateSaver(store, () => (this.current === undefined ? undefined : opts.state(this.current)), opts.saveDelayMs);
      this.loaded = store.load().then((raw) => this.start(raw));
    }
  }

  private start(raw: unknown): void {
    if (this.isClosed) return;
    this.current = this.opts.restore(raw, this.warnings);
    this.statusUpdates?.flush();
    this.opts.ready?.(this.current);
    for (const [msg, send, done] of this.queue.splice(0)) this.run(msg, send, done);
  }

  /**
   * Loads a parted state. A store that cannot be reached is asked again with back-off
   * (input held, status saying so): starting empty would announce firing alerts again
   * and overwrite good state. Any other failure is reported once and the node starts
   * empty, as with a single value.
   */
  private async loadParted(layout: StateLayout<unknown>, saver: PartedStateSaver<unknown>): Promise<void> {
    for (let attempt = 0; !this.isClosed; attempt++) {
      try {
        const { raw, names } = await loadParted(this.facade.context, this.opts.key, this.opts.store || undefined, layout);
        if (this.isClosed) return;
        if (this.storeDown) this.storeBack();
        for (const n of names) saver.markStored(n);
        this.start(raw);
        return;
      } catch (err) {
        if (!isStoreUnavailable(err)) {
          this.reportStoreError(err as Error);
          this.start(undefined);
          return;
        }
        this.storeFailed(err as Error);
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          this.retryTimer = setTimeout(resolve, Math.min(MAX_RETRY_MS, LOAD_RETRY_MS * 2 ** Math.min(attempt, 5)));
        });
      }
    }
  }

  private reportStoreError(err: Error): void {
    if (this.storeWarned) return;
    this.storeWarned = true;
    this.facade.warn(this.facade.t('errors.store', { error: err.message }));
  }

  /** A write or load failed: warned once per outage, and the status says so. */
  private storeFailed(err: Error): void {
    this.reportStoreError(err);
    if (!this.storeDown) {
      this.storeDown = true;
      this.statusUpdates?.request();
    }
  }

  private storeBack(): void {
    this.storeDown = false;
    this.storeWarned = false;
    this.facade.log(this.facade.t('log.store-back'));
    this.statusUpdates?.request();
  }

  private currentStatus(status: (engine: E | undefined) => StatusObject): StatusObject {
    if (this.storeDown) return { fill: 'yellow', shape: 'ring', text: this.facade.t('status.store-down') };
    return status(this.current);
  }

  /** The engine; undefined while the state loads. */
  get engine(): E | undefined {
    return this.current;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The Node-RED input handler: runs now, or once the state has loaded. */
  input(msg: Msg, send: Send, done: Done): void {
    if (this.current === undefined) {
      if (this.queue.length >= MAX_QUEUED) {
        done(new Error(this.facade.t('errors.loading')));
        return;
      }
      this.queue.push([msg, send, done]);
      return;
    }
    this.run(msg, send, done);
  }

  /** The state changed: write it within a second, and refresh the status. */
  changed(): void {
    this.saver.markDirty();
    this.statusUpdates?.request();
  }

  /** Writes the state now and resolves once the store answered (see StateSaver.flush). */
  saveNow(): Promise<void> {
    return this.saver.flush();
  }

  /** Refreshes the status (throttled) without a state change. */
  requestStatus(): void {
    this.statusUpdates?.request();
  }

  /** Stops the node: held messages end, repeats are reported, the state is written a last time. */
  async close(): Promise<void> {
    this.isClosed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    this.statusUpdates?.cancel();
    for (const [, , done] of this.queue.splice(0)) done();
    this.warnings.report((count, text) => this.facade.t('warn.repeated', { count, warning: text }));
    await this.saver.close(CLOSE_SAVE_MS);
    if (this.statusUpdates) this.facade.status({});
  }

  private run(msg: Msg, send: Send, done: Done): void {
    const handle = this.opts.handle;
    if (!handle) return done();
    let called = false;
    const once: Done = (err) => {
      if (called) return;
      called = true;
      done(err);
    };
    try {
      handle(this.current as E, msg, send, once);
    } catch (err) {
      once(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
