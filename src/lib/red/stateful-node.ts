/**
 * The skeleton of a node that keeps state in a Node-RED context store (counter-rate,
 * threshold-alert, trap-in's engine ID and boots): load the state, then run; hold
 * what arrives while loading (bounded); write at most once a second and on close;
 * report a store failure once; warn once and count repeated oddities; keep the status
 * to one update a second. The node supplies its engine and what to do with a message.
 */
import { StateSaver, StateStore } from '../common/state-store';
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
}

/** Messages held while the state loads from a slow store; more are refused. */
export const MAX_QUEUED = 10000;
/** A close waits this long for the last write of the state. */
export const CLOSE_SAVE_MS = 2000;

export class StatefulNode<E> {
  /** Oddities warned once and counted; the repeats are reported on close. */
  readonly warnings: CountedWarnings;
  private current: E | undefined;
  private readonly saver: StateSaver;
  private readonly statusUpdates: StatusThrottle | undefined;
  private readonly queue: Array<[Msg, Send, Done]> = [];
  private isClosed = false;
  /** Settles once the state is loaded (or the node closed first). */
  readonly loaded: Promise<void>;

  constructor(private readonly facade: NodeFacade, private readonly opts: StatefulNodeOptions<E>) {
    this.warnings = new CountedWarnings((text) => facade.warn(text));
    const store = new StateStore(facade.context, opts.key, opts.store, (err) => {
      facade.warn(facade.t('errors.store', { error: err.message }));
    });
    this.saver = new StateSaver(store, () => (this.current === undefined ? undefined : opts.state(this.current)), opts.saveDelayMs);
    const status = opts.status;
    this.statusUpdates = status ? statusThrottle(() => status(this.current), (s) => facade.status(s)) : undefined;
    this.statusUpdates?.flush();
    this.loaded = store.load().then((raw) => {
      if (this.isClosed) return;
      this.current = opts.restore(raw, this.warnings);
      this.statusUpdates?.flush();
      opts.ready?.(this.current);
      for (const [msg, send, done] of this.queue.splice(0)) this.run(msg, send, done);
    });
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
