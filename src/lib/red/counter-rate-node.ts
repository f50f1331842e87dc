/**
 * counter-rate's node behaviour, free of Node-RED: configuration checking, message
 * validation, state persistence through a context store, expiry timer and status.
 * src/counter-rate.ts only wires this to the runtime.
 */
import { CountedWarnings } from './counted-warnings';
import { CounterRateEngine, restoreCounterState, type CounterRateOptions, type CounterRestoreReport } from '../counter-rate/engine';
import { StateSaver, StateStore, isPlausibleTime, type ContextLike } from '../common/state-store';
import { statusThrottle, type StatusShape, type StatusThrottle } from './status';

/** What the node needs of its Node-RED node. */
export interface CounterRateFacade {
  /** Locale text of `counter-rate.<key>`. */
  t(key: string, vars?: Record<string, unknown>): string;
  status(s: StatusShape): void;
  warn(text: string): void;
  context: ContextLike;
}

/** The node's properties as the editor stores them (strings, maybe blank). */
export interface CounterRateProps {
  width?: unknown;
  mode?: unknown;
  scale?: unknown;
  maxRate?: unknown;
  expire?: unknown;
  store?: unknown;
}

type Msg = Record<string, any>;
type Send = (msg: Msg) => void;
type Done = (err?: Error) => void;

/** Context key of the state. */
export const COUNTER_STATE_KEY = 'counterRate';
/** Messages held while the state loads from a slow store; more are refused. */
const MAX_QUEUED = 10000;
const DEFAULT_EXPIRE_S = 3600;
/** A close waits this long for the last write of the state. */
const CLOSE_SAVE_MS = 2000;

/**
 * Converts and checks the editor's properties once. Throws an Error whose message
 * names the property.
 */
export function counterRateOptions(p: CounterRateProps): CounterRateOptions & { store: string } {
  const width = p.width === undefined || p.width === '' ? 'auto' : String(p.width);
  if (width !== 'auto' && width !== '32' && width !== '64') throw new Error(`width must be auto, 32 or 64 (got "${width}")`);
  const mode = p.mode === undefined || p.mode === '' ? 'rate' : String(p.mode);
  if (mode !== 'rate' && mode !== 'delta') throw new Error(`mode must be rate or delta (got "${mode}")`);
  const scale = positiveNumber('scale', p.scale, 1);
  const maxRate = blank(p.maxRate) ? undefined : positiveNumber('maxRate', p.maxRate, 0);
  const expire = positiveNumber('expire', p.expire, DEFAULT_EXPIRE_S);
  return {
    width: width === 'auto' ? 'auto' : (Number(width) as 32 | 64),
    mode,
    scale,
    maxRate,
    expireMs: expire * 1000,
    store: typeof p.store === 'string' ? p.store.trim() : '',
  };
}

function blank(v: unknown): boolean {
  return v === undefined || v === null || String(v).trim() === '';
}

function positiveNumber(name: string, v: unknown, def: number): number {
  if (blank(v)) return def;
  const n = Number(String(v).trim());
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number above 0 (got "${String(v)}")`);
  return n;
}

export class CounterRateNode {
  private engine: CounterRateEngine | undefined;
  private readonly store: StateStore;
  private readonly saver: StateSaver;
  private readonly queue: Array<[Msg, Send, Done]> = [];
  private readonly status: StatusThrottle;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private warnedNoTime = false;
  /** Oddities warned once and counted (bad times, internal errors in timers). */
  private readonly oddities = new CountedWarnings((text) => this.facade.warn(text));

  /**
   * @param facade the Node-RED node, narrowed
   * @param opts checked options ({@link counterRateOptions})
   * @param clock this machine's clock (ms): arrival time, expiry, and the check of msg.snmp.time
   */
  constructor(
    private readonly facade: CounterRateFacade,
    private readonly opts: CounterRateOptions & { store: string },
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new StateStore(facade.context, COUNTER_STATE_KEY, opts.store, (err) => {
      facade.warn(facade.t('errors.store', { error: err.message }));
    });
    this.saver = new StateSaver(this.store, () => this.engine?.state);
    this.status = statusThrottle(() => this.currentStatus(), (s) => facade.status(s));
    facade.status({ fill: 'grey', shape: 'ring', text: 'counter-rate.status.loading' });
    void this.store.load().then((raw) => {
      if (this.closed) return;
      const report: CounterRestoreReport = { repaired: 0 };
      this.engine = new CounterRateEngine(opts, restoreCounterState(raw, clock(), report));
      if (report.repaired > 0) {
        facade.warn(facade.t('warn.bad-stored-time', { count: report.repaired }));
        this.saver.markDirty();
      }
      this.status.flush();
      const interval = Math.min(opts.expireMs, 60000);
      this.sweepTimer = setInterval(() => this.sweep(), interval);
      for (const [msg, send, done] of this.queue.splice(0)) this.handle(msg, send, done);
    });
  }

  /** The Node-RED input handler. */
  input(msg: Msg, send: Send, done: Done): void {
    if (!this.engine) {
      if (this.queue.length >= MAX_QUEUED) {
        done(new Error(this.facade.t('errors.loading')));
        return;
      }
      this.queue.push([msg, send, done]);
      return;
    }
    this.handle(msg, send, done);
  }

  /** How often each once-warned oddity happened since the start (`bad-time`, `sweep`). */
  oddityCounts(): Record<string, number> {
    return this.oddities.counts();
  }

  /** Stops the timer and writes the state a last time (a file store flushes it on close). */
  async close(): Promise<void> {
    this.closed = true;
    this.status.cancel();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const [, , done] of this.queue.splice(0)) done();
    this.oddities.report((count, text) => this.facade.t('warn.repeated', { count, warning: text }));
    await this.saver.close(CLOSE_SAVE_MS);
    this.facade.status({});
  }

  private handle(msg: Msg, send: Send, done: Done): void {
    const engine = this.engine!;
    // Failures of snmp-get / snmp-bulkwalk (output 2) pass through untouched, so one
    // wire can carry both outputs on to threshold-alert's device-down rule.
    if ((msg.payload === null || msg.payload === undefined) && msg.error && typeof msg.error === 'object') {
      send(msg);
      done();
      return;
    }
    const topic = topicOf(msg);
    if (!topic) {
      done(new Error(this.facade.t('errors.no-topic')));
      return;
    }
    const payload = msg.payload;
    if (typeof payload !== 'object' || payload === null) {
      done(new Error(this.facade.t('errors.bad-payload', { type: payload === null ? 'null' : typeof payload })));
      return;
    }
    const now = this.clock();
    let time = msg.snmp && typeof msg.snmp === 'object' ? msg.snmp.time : undefined;
    if (time === undefined || time === null) {
      if (!this.warnedNoTime) {
        this.warnedNoTime = true;
        this.facade.warn(this.facade.t('warn.no-time'));
      }
      time = now;
    } else if (!isPlausibleTime(time, now)) {
      // Kept, such a time would be every series' baseline: later polls would all look
      // older (no rate ever again) and the device would never expire.
      this.oddities.note('bad-time', this.facade.t('warn.bad-time', { time: String(time).slice(0, 40) }));
      time = now;
    }
    try {
      const result = engine.process({ topic, payload, varbinds: msg.varbinds, types: msg.types, time });
      if (result.events.length > 0) msg.counterEvents = result.events;
    } catch (err) {
      done(err as Error);
      return;
    }
    try {
      send(msg);
    } finally {
      done();
    }
    this.saver.markDirty();
    this.status.request();
  }

  /** Runs from setInterval: an exception here would be uncaught and end the process. */
  private sweep(): void {
    if (!this.engine || this.closed) return;
    try {
      if (this.engine.sweep(this.clock()) > 0) {
        this.saver.markDirty();
        this.status.request();
      }
    } catch (err) {
      this.oddities.note('sweep', this.facade.t('warn.internal', { error: (err instanceof Error ? err.message : String(err)).slice(0, 200) }));
    }
  }

  private currentStatus(): StatusShape {
    if (!this.engine) return { fill: 'grey', shape: 'ring', text: 'counter-rate.status.loading' };
    const n = this.engine.series.toLocaleString('en-US');
    const resets = this.engine.resets;
    return {
      fill: 'green',
      shape: 'dot',
      text: resets > 0
        ? this.facade.t('status.series-resets', { n, resets: resets.toLocaleString('en-US') })
        : this.facade.t('status.series', { n }),
    };
  }
}

/** msg.topic, else the device name: the device part of every series name. */
function topicOf(msg: Msg): string | undefined {
  if (typeof msg.topic === 'string' && msg.topic !== '') return msg.topic;
  if (typeof msg.topic === 'number') return String(msg.topic);
  const d = msg.device;
  if (d && typeof d === 'object' && typeof d.name === 'string' && d.name !== '') return d.name;
  return undefined;
}
