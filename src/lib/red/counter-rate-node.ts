/**
 * counter-rate's node: its properties checked once, message validation, the engine's
 * state kept through the stateful-node skeleton, the expiry timer and the status.
 * src/counter-rate.ts only creates it.
 */
import { CounterRateEngine, restoreCounterState, type CounterRateOptions, type CounterRestoreReport } from '../counter-rate/engine';
import { isPlausibleTime } from '../common/state-store';
import { deviceIdentity } from '../common/inventory';
import type { Msg, NodeFacade } from './node-facade';
import { isBlank, oneOf, positive, text } from '../common/properties';
import { counterStateLayout } from '../counter-rate/state-layout';
import { unwrapResult } from './result-input';
import { StatefulNode, takeAll, type Done, type Send } from './stateful-node';
import type { StatusObject } from './status';

/** The node's properties as the editor stores them (strings, maybe blank). */
export interface CounterRateProps {
  width?: unknown;
  mode?: unknown;
  scale?: unknown;
  maxRate?: unknown;
  expire?: unknown;
  store?: unknown;
}

/** Context key of the state. */
export const COUNTER_STATE_KEY = 'counterRate';
const DEFAULT_EXPIRE_S = 3600;

/**
 * Converts and checks the editor's properties once. Throws a PropertyError naming the
 * property.
 */
export function counterRateOptions(p: CounterRateProps): CounterRateOptions & { store: string } {
  const width = oneOf('width', p.width, ['auto', '32', '64'] as const, 'auto');
  return {
    width: width === 'auto' ? 'auto' : (Number(width) as 32 | 64),
    mode: oneOf('mode', p.mode, ['rate', 'delta'] as const, 'rate'),
    scale: positive('scale', p.scale, 1),
    maxRate: isBlank(p.maxRate) ? undefined : positive('maxRate', p.maxRate, 0),
    expireMs: positive('expire', p.expire, DEFAULT_EXPIRE_S) * 1000,
    store: text(p.store),
  };
}

export class CounterRateNode {
  private readonly stateful: StatefulNode<CounterRateEngine>;
  private sweepTimer: NodeJS.Timeout | undefined;

  /**
   * @param facade the Node-RED node, narrowed
   * @param opts checked options ({@link counterRateOptions})
   * @param clock this machine's clock (ms): arrival time, expiry, and the check of msg.snmp.time
   */
  constructor(
    private readonly facade: NodeFacade,
    private readonly opts: CounterRateOptions & { store: string },
    private readonly clock: () => number = Date.now,
  ) {
    this.stateful = new StatefulNode<CounterRateEngine>(facade, {
      key: COUNTER_STATE_KEY,
      store: opts.store,
      restore: (raw) => {
        const report: CounterRestoreReport = { repaired: 0 };
        const engine = new CounterRateEngine(opts, restoreCounterState(raw, clock(), report));
        if (report.repaired > 0) facade.warn(facade.t('warn.bad-stored-time', { count: report.repaired }));
        return engine;
      },
      state: (engine) => engine.state,
      // one part per device: a cycle writes the devices it saw
      layout: counterStateLayout,
      changedParts: (engine) => takeAll(engine.changedDevices),
      ready: () => {
        // a state restored from an older layout (or repaired) is written back in the current one
        this.stateful.changed();
        this.sweepTimer = setInterval(() => this.sweep(), Math.min(opts.expireMs, 60000));
      },
      handle: (engine, msg, send, done) => this.handle(engine, msg, send, done),
      status: (engine) => this.currentStatus(engine),
    });
  }

  /** The engine; undefined while the stored state loads. */
  get engine(): CounterRateEngine | undefined {
    return this.stateful.engine;
  }

  /** Settles once the stored state is loaded. */
  get loaded(): Promise<void> {
    return this.stateful.loaded;
  }

  /** The Node-RED input handler. */
  input(msg: Msg, send: Send, done: Done): void {
    this.stateful.input(msg, send, done);
  }

  /** How often each once-warned oddity happened since the start (`bad-time`, `sweep`). */
  oddityCounts(): Record<string, number> {
    return this.stateful.warnings.counts();
  }

  /** Stops the timer and writes the state a last time (a file store flushes it on close). */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.stateful.close();
  }

  private handle(engine: CounterRateEngine, msg: Msg, send: Send, done: Done): void {
    try {
      unwrapResult(msg); // a worker's result from MQTT, in its JSON form
    } catch (err) {
      done(err as Error);
      return;
    }
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
      this.stateful.warnings.note('no-time', this.facade.t('warn.no-time'));
      time = now;
    } else if (!isPlausibleTime(time, now)) {
      // Kept, such a time would be every series' baseline: later polls would all look
      // older (no rate ever again) and the device would never expire.
      this.stateful.warnings.note('bad-time', this.facade.t('warn.bad-time', { time: String(time).slice(0, 40) }));
      time = now;
    }
    const result = engine.process({ topic, key: seriesKeyOf(msg, topic), payload, varbinds: msg.varbinds, types: msg.types, time, now });
    if (result.events.length > 0) msg.counterEvents = result.events;
    // msg.types still says Counter64: this tells readers (snmp-metrics) the values are rates now
    msg.counterRate = { mode: this.opts.mode, scale: this.opts.scale };
    try {
      send(msg);
    } finally {
      done();
    }
    this.stateful.changed();
  }

  /** Runs from setInterval: an exception here would be uncaught and end the process. */
  private sweep(): void {
    const engine = this.stateful.engine;
    if (!engine || this.stateful.closed) return;
    try {
      if (engine.sweep(this.clock()) > 0) this.stateful.changed();
    } catch (err) {
      this.stateful.warnings.note('sweep', this.facade.t('warn.internal', { error: (err instanceof Error ? err.message : String(err)).slice(0, 200) }));
    }
  }

  private currentStatus(engine: CounterRateEngine | undefined): StatusObject {
    if (!engine) return { fill: 'grey', shape: 'ring', text: 'counter-rate.status.loading' };
    const n = engine.series.toLocaleString('en-US');
    const resets = engine.resets;
    return {
      fill: 'green',
      shape: 'dot',
      text: resets === 0 ? this.facade.t('status.series', { n })
        : resets === 1 ? this.facade.t('status.series-reset', { n })
        : this.facade.t('status.series-resets', { n, resets: resets.toLocaleString('en-US') }),
    };
  }
}

/**
 * The device its series are kept under: msg.device's identity (host and port) when the
 * message has one, else the topic. Two agents behind one address, or two devices given
 * one name, must never feed one series (issue 14, defect 9).
 */
function seriesKeyOf(msg: Msg, topic: string): string {
  const d = msg.device;
  if (d && typeof d === 'object' && typeof d.host === 'string' && d.host !== '' && Number.isInteger(d.port) && d.port >= 1 && d.port <= 65535) {
    return deviceIdentity(d.host, d.port);
  }
  return topic;
}

/** msg.topic, else the device name: how events name the device. */
function topicOf(msg: Msg): string | undefined {
  if (typeof msg.topic === 'string' && msg.topic !== '') return msg.topic;
  if (typeof msg.topic === 'number') return String(msg.topic);
  const d = msg.device;
  if (d && typeof d === 'object' && typeof d.name === 'string' && d.name !== '') return d.name;
  return undefined;
}
