/**
 * threshold-alert's node: its properties checked once, message handling (data,
 * failures, silences), the output format, the engine's state kept through the
 * stateful-node skeleton, the no-data timer and the status. src/threshold-alert.ts
 * only creates it.
 */
import { AlertEngine, restoreAlertState, type NodataPolicy, type RestoreReport } from '../alert/engine';
import { formatAlert, genericAlert, type AlertFormat } from '../alert/format';
import type { AlertNotification } from '../alert/notification';
import { parseRules, type AlertRule } from '../alert/rules';
import { parseSilences } from '../alert/silences';
import { isPlausibleTime } from '../common/state-store';
import type { Msg, NodeFacade } from './node-facade';
import { bool, decimal, duration, oneOf, PropertyError, text } from '../common/properties';
import { alertStateLayout } from '../alert/state-layout';
import { unwrapResult } from './result-input';
import { StatefulNode, takeAll, type Done, type Send } from './stateful-node';
import type { StatusObject } from './status';

/** The node's properties as the editor stores them. */
export interface AlertProps {
  rules?: unknown;
  repeat?: unknown;
  nodata?: unknown;
  nodataAfter?: unknown;
  format?: unknown;
  store?: unknown;
  routingKeyInBody?: unknown;
}

export interface AlertNodeOptions {
  rules: AlertRule[];
  repeatMs: number;
  nodata: NodataPolicy;
  nodataAfter: number;
  format: AlertFormat;
  store: string;
  /** PagerDuty routing key, from the node's credential; never from the flow. */
  routingKey?: string;
  /**
   * Put the routing key into the PagerDuty body (msg.payload.routing_key), where Debug
   * and every node on the wire can read it; false leaves it to a node just before the
   * http request (e.g. a change node reading an environment variable).
   */
  routingKeyInBody: boolean;
}

export const ALERT_STATE_KEY = 'thresholdAlert';
const TICK_MS = 1000;

/** Converts and checks the editor's properties once; throws a PropertyError naming the property. */
export function alertOptions(p: AlertProps, routingKey?: string): AlertNodeOptions {
  let rules: AlertRule[];
  try {
    rules = parseRules(p.rules ?? []);
  } catch (err) {
    throw new PropertyError('rules', (err as Error).message);
  }
  if (rules.length === 0) throw new PropertyError('rules', 'no rules');
  return {
    rules,
    repeatMs: duration('repeat', p.repeat, 0) * 1000,
    nodata: oneOf('nodata', p.nodata, ['resolve', 'keep', 'alert'] as const, 'resolve'),
    nodataAfter: decimal('nodataAfter', p.nodataAfter, 3, 1, 1000),
    format: oneOf('format', p.format, ['alert', 'slack', 'pagerduty'] as const, 'alert'),
    store: text(p.store),
    routingKey: routingKey || undefined,
    // Flows saved before the option existed have no property: they keep the key in the body.
    routingKeyInBody: bool('routingKeyInBody', p.routingKeyInBody, true),
  };
}

/**
 * The routing key credential; `${NAME}` names an environment variable (Node-RED
 * substitutes those in properties, not in credentials).
 */
export function resolveSecret(value: unknown, env: Record<string, string | undefined> = process.env): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value.trim());
  if (m) return env[m[1]] || undefined;
  return value.trim();
}

export class AlertNode {
  private readonly stateful: StatefulNode<AlertEngine>;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly facade: NodeFacade, private readonly opts: AlertNodeOptions, private readonly clock: () => number = Date.now) {
    if (opts.format === 'pagerduty' && opts.routingKeyInBody && !opts.routingKey) facade.warn(facade.t('warn.no-routing-key'));
    this.stateful = new StatefulNode<AlertEngine>(facade, {
      key: ALERT_STATE_KEY,
      store: opts.store,
      restore: (raw) => {
        const report: RestoreReport = { repaired: 0 };
        const engine = new AlertEngine(
          { rules: opts.rules, repeatMs: opts.repeatMs, nodata: opts.nodata, nodataAfter: opts.nodataAfter },
          clock,
          restoreAlertState(raw, clock(), report),
        );
        if (report.repaired > 0) facade.warn(facade.t('warn.bad-stored-time', { count: report.repaired }));
        return engine;
      },
      state: (engine) => engine.state,
      // one part per device (its track and alerts): a message writes its device only
      layout: alertStateLayout,
      changedParts: (engine) => takeAll(engine.changedDevices),
      ready: (engine) => {
        this.emit(engine.dropOrphans(), (m) => facade.send([m]));
        this.stateful.changed();
        this.timer = setInterval(() => this.tick(), TICK_MS);
      },
      handle: (engine, msg, send, done) => this.handle(engine, msg, send, done),
      status: (engine) => this.currentStatus(engine),
    });
  }

  /** The engine; undefined while the stored state loads. */
  get engine(): AlertEngine | undefined {
    return this.stateful.engine;
  }

  /** Settles once the stored state is loaded. */
  get loaded(): Promise<void> {
    return this.stateful.loaded;
  }

  /** How often each once-warned oddity happened since the start (`bad-time`, `emit`, `tick`). */
  oddityCounts(): Record<string, number> {
    return this.stateful.warnings.counts();
  }

  /** The Node-RED input handler. */
  input(msg: Msg, send: Send, done: Done): void {
    this.stateful.input(msg, send, done);
  }

  /** Stops the timer and writes the state a last time. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.stateful.close();
  }

  private handle(engine: AlertEngine, msg: Msg, send: Send, done: Done): void {
    try {
      unwrapResult(msg); // a worker's result from MQTT, in its JSON form
    } catch (err) {
      done(err as Error);
      return;
    }
    let notifications: AlertNotification[];
    if (msg.silence !== undefined) {
      notifications = [];
      for (const s of parseSilences(msg.silence, this.clock())) notifications.push(...engine.silence(s));
    } else {
      const topic = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic
        : typeof msg.topic === 'number' ? String(msg.topic)
          : typeof msg.device?.name === 'string' && msg.device.name !== '' ? msg.device.name : undefined;
      if (!topic) {
        done(new Error(this.facade.t('errors.no-topic')));
        return;
      }
      const now = this.clock();
      let time = msg.snmp && typeof msg.snmp === 'object' ? msg.snmp.time : undefined;
      if (time === undefined || time === null) time = now;
      else if (!isPlausibleTime(time, now)) {
        this.stateful.warnings.note('bad-time', this.facade.t('warn.bad-time', { time: String(time).slice(0, 40) }));
        time = now;
      }
      const failure = failureOf(msg);
      const labels = msg.device && typeof msg.device === 'object' && isStringRecord(msg.device.labels) ? msg.device.labels : undefined;
      const result = engine.process({ topic, time, payload: msg.payload, msg, failure, labels });
      for (const s of result.skipped) this.stateful.warnings.note(`skip:${s.rule}`, this.facade.t('warn.not-comparable', { rule: s.rule, value: s.value }));
      notifications = result.notifications;
    }
    try {
      this.emit(notifications, (m) => send([m]));
    } finally {
      done();
    }
    this.stateful.changed();
  }

  /** Runs from setInterval: an exception here would be uncaught and end the process. */
  private tick(): void {
    const engine = this.stateful.engine;
    if (!engine || this.stateful.closed) return;
    try {
      // Forgotten devices change the state without changing the counts.
      const shape = (): string => `${JSON.stringify(engine.counts())}|${engine.state.silences.length}|${Object.keys(engine.state.devices).length}`;
      const before = shape();
      const out = engine.tick();
      this.emit(out, (m) => this.facade.send([m]));
      if (out.length > 0 || before !== shape() || engine.changedDevices.size > 0) this.stateful.changed();
    } catch (err) {
      this.stateful.warnings.note('tick', this.facade.t('warn.internal', { error: errorText(err) }));
    }
  }

  /**
   * Formats and sends notifications; never throws. A notification that cannot be
   * formatted is dropped with a warning so the others (and done()) still go out.
   */
  private emit(notifications: AlertNotification[], send: (msgs: Msg[]) => void): void {
    if (notifications.length === 0) return;
    const routingKey = this.opts.routingKeyInBody ? this.opts.routingKey : undefined;
    const msgs: Msg[] = [];
    for (const n of notifications) {
      try {
        msgs.push({ topic: n.alertname, payload: formatAlert(n, this.opts.format, { routingKey }), alert: genericAlert(n) });
      } catch (err) {
        this.stateful.warnings.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
      }
    }
    if (msgs.length === 0) return;
    try {
      send(msgs);
    } catch (err) {
      this.stateful.warnings.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
    }
  }

  private currentStatus(engine: AlertEngine | undefined): StatusObject {
    if (!engine) return { fill: 'grey', shape: 'ring', text: 'threshold-alert.status.loading' };
    const { firing, pending } = engine.counts();
    if (firing > 0) return { fill: 'red', shape: 'ring', text: this.facade.t('status.counts', { firing, pending }) };
    if (pending > 0) return { fill: 'yellow', shape: 'ring', text: this.facade.t('status.pending', { pending }) };
    return { fill: 'green', shape: 'dot', text: 'threshold-alert.status.clear' };
  }
}

/** A failure message of snmp-get / snmp-bulkwalk: payload null and an error object. */
function failureOf(msg: Msg): { code: string; message: string } | undefined {
  if (msg.payload !== null && msg.payload !== undefined) return undefined;
  const e = msg.error;
  if (!e || typeof e !== 'object') return undefined;
  return {
    code: typeof e.code === 'string' ? e.code.slice(0, 64) : 'error',
    message: typeof e.message === 'string' ? e.message : '',
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** An error's message only (a stack has no place in a user's log). */
function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}
