/**
 * threshold-alert's node: its properties checked once, message handling (data,
 * failures, silence commands), grouping and delivery of notifications, the output
 * format, the engine's state kept through the stateful-node skeleton, the timer and
 * the status. src/threshold-alert.ts only creates it.
 *
 * Delivery is write-ahead: a change waits in the state's outbox, the state is written,
 * then the notification leaves and the outbox entry goes. With a store that writes on
 * set (a file store without cache), a crash at any moment sends each change at least
 * once, and at most once more after the restart.
 */
import { AlertEngine, restoreAlertState, type NodataPolicy, type RestoreReport } from '../alert/engine';
import { Dispatcher, type AlertGroup, type Grouping } from '../alert/dispatch';
import { formatGroup, genericAlert, genericGroup, type AlertFormat } from '../alert/format';
import type { AlertNotification } from '../alert/notification';
import { parseRules, type AlertRule } from '../alert/rules';
import { parseSilenceCommands, silenceView } from '../alert/silences';
import { isPlausibleTime } from '../common/state-store';
import { registerHealth } from './health-registry';
import { alertHealth, nodeLabels } from './health-sources';
import { withLabels } from '../common/health';
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
  grouping?: unknown;
  groupBy?: unknown;
  groupWait?: unknown;
  groupInterval?: unknown;
  instanceLabel?: unknown;
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
  grouping: Grouping;
  /** Label names of `labels` grouping. */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  /** The row column naming an instance; '' = ifName, ifDescr, ifAlias. */
  instanceLabel: string;
}

export const ALERT_STATE_KEY = 'thresholdAlert';
const TICK_MS = 1000;
const LABEL_NAME = /^[A-Za-z_][\w.:-]{0,99}$/;

/** `groupBy`: label names separated by commas or spaces. */
function labelNames(name: string, v: unknown): string[] {
  const names = text(v).split(/[\s,]+/).filter((n) => n !== '');
  for (const n of names) if (!LABEL_NAME.test(n)) throw new PropertyError(name, `"${n.slice(0, 40)}" is not a label name`);
  if (names.length > 20) throw new PropertyError(name, 'more than 20 labels');
  return names.length > 0 ? [...new Set(names)] : ['device'];
}

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
    // Flows saved before grouping existed get the new default: one notification per poll.
    grouping: oneOf('grouping', p.grouping, ['message', 'labels', 'none'] as const, 'message'),
    groupBy: labelNames('groupBy', p.groupBy),
    groupWaitMs: duration('groupWait', p.groupWait, 30) * 1000,
    groupIntervalMs: duration('groupInterval', p.groupInterval, 300) * 1000,
    instanceLabel: (() => {
      const column = text(p.instanceLabel);
      if (column !== '' && !LABEL_NAME.test(column)) throw new PropertyError('instanceLabel', `"${column.slice(0, 40)}" is not a column name`);
      return column;
    })(),
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
  private dispatcher: Dispatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A write-ahead and its sends are under way; `again` asks for one more round after it. */
  private delivering = false;
  private again = false;
  private readonly unregisterHealth: () => void;

  constructor(private readonly facade: NodeFacade, private readonly opts: AlertNodeOptions, private readonly clock: () => number = Date.now) {
    this.unregisterHealth = registerHealth(facade.id, () => {
      const engine = this.stateful.engine;
      return engine ? withLabels(alertHealth(engine.counts()), nodeLabels(facade)) : [];
    });
    this.stateful = new StatefulNode<AlertEngine>(facade, {
      key: ALERT_STATE_KEY,
      store: opts.store,
      restore: (raw) => {
        const report: RestoreReport = { repaired: 0 };
        const engine = new AlertEngine(
          { rules: opts.rules, repeatMs: opts.repeatMs, nodata: opts.nodata, nodataAfter: opts.nodataAfter, instanceLabel: opts.instanceLabel },
          clock,
          restoreAlertState(raw, clock(), report),
        );
        if (report.repaired > 0) facade.warn(facade.t('warn.bad-stored-time', { count: report.repaired }));
        this.dispatcher = new Dispatcher(engine, {
          grouping: opts.grouping, groupBy: opts.groupBy, groupWaitMs: opts.groupWaitMs, groupIntervalMs: opts.groupIntervalMs, scope: facade.id,
        });
        return engine;
      },
      state: (engine) => engine.state,
      // one part per device (its track and alerts): a message writes its device only
      layout: alertStateLayout,
      changedParts: (engine) => takeAll(engine.changedDevices),
      ready: (engine) => {
        // What the outbox held when the node stopped (or crashed) goes out first.
        this.queue(engine.dropOrphans());
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
    this.unregisterHealth();
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
      notifications = this.silenceCommands(engine, msg, send);
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
    done();
    this.queue(notifications);
    this.stateful.changed();
  }

  /** Adds, expires or lists silences; answers on output 2 with the silences now active. */
  private silenceCommands(engine: AlertEngine, msg: Msg, send: Send): AlertNotification[] {
    const now = this.clock();
    const commands = parseSilenceCommands(msg.silence, now);
    const notifications: AlertNotification[] = [];
    const added: unknown[] = [];
    let expired = 0;
    for (const c of commands) {
      if (c.op === 'add') added.push(silenceView(engine.addSilence(c.silence)));
      else if (c.op === 'expire') {
        const r = engine.expireSilences(c);
        notifications.push(...r.notifications);
        expired += r.expired;
      }
    }
    const silences = engine.activeSilences().map(silenceView);
    send([null, { topic: 'silences', payload: silences, silence: { added, expired } }]);
    return notifications;
  }

  /** Changes go into the outbox, then out (write-ahead); never throws. */
  private queue(notifications: AlertNotification[]): void {
    if (!this.dispatcher) return;
    if (notifications.length > 0) this.dispatcher.enqueue(notifications, this.clock());
    if (this.dispatcher.pending > 0) this.deliver();
  }

  /**
   * Writes the state (with the outbox), then sends the groups that are due and drops
   * them from the outbox. One round at a time; a change during a round asks for another.
   */
  private deliver(): void {
    if (this.delivering) {
      this.again = true;
      return;
    }
    const dispatcher = this.dispatcher;
    if (!dispatcher || this.stateful.closed) return;
    const due = dispatcher.nextDue(this.clock());
    if (due === undefined || due > this.clock()) return;
    this.delivering = true;
    void this.stateful.saveNow().then(() => {
      if (this.stateful.closed) return;
      const groups = dispatcher.take(this.clock());
      this.emit(groups);
      if (groups.length > 0) this.stateful.changed();
    }).catch((err) => {
      this.stateful.warnings.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
    }).finally(() => {
      this.delivering = false;
      if (this.again) {
        this.again = false;
        this.deliver();
      }
    });
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
      this.queue(out);
      if (out.length > 0 || before !== shape() || engine.changedDevices.size > 0) this.stateful.changed();
      // grouping by labels: groups whose wait or interval has passed
      else if (this.dispatcher && this.dispatcher.pending > 0) this.deliver();
    } catch (err) {
      this.stateful.warnings.note('tick', this.facade.t('warn.internal', { error: errorText(err) }));
    }
  }

  /**
   * Formats and sends groups on output 1; never throws. A group that cannot be
   * formatted is dropped with a warning so the others still go out.
   */
  private emit(groups: AlertGroup[]): void {
    if (groups.length === 0) return;
    const routingKey = this.opts.routingKeyInBody ? this.opts.routingKey : undefined;
    const msgs: Msg[] = [];
    for (const g of groups) {
      try {
        const payloads = formatGroup(g, this.opts.format, { routingKey });
        if (g.grouping === 'none') {
          g.notifications.forEach((n, i) => msgs.push({ topic: n.alertname, payload: payloads[i], alert: genericAlert(n) }));
          continue;
        }
        const alert = genericGroup(g);
        const topic = alert.alertname || alert.device || 'alerts';
        for (const payload of payloads) msgs.push({ topic, payload, alert });
      } catch (err) {
        this.stateful.warnings.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
      }
    }
    if (msgs.length === 0) return;
    // Warned when an event really leaves without a key, not at every start of a flow that
    // routes its alerts elsewhere until the key is set (as example 01 does).
    if (this.opts.format === 'pagerduty' && this.opts.routingKeyInBody && !this.opts.routingKey) {
      this.stateful.warnings.note('no-routing-key', this.facade.t('warn.no-routing-key'));
    }
    try {
      this.facade.send([msgs]);
    } catch (err) {
      this.stateful.warnings.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
    }
  }

  private currentStatus(engine: AlertEngine | undefined): StatusObject {
    if (!engine) return { fill: 'grey', shape: 'ring', text: 'threshold-alert.status.loading' };
    const { firing, pending } = engine.counts();
    const silences = engine.activeSilences().length;
    const held = this.dispatcher?.held() ?? 0;
    const extra = (silences > 0 ? ` · ${this.facade.t('status.silences', { count: silences })}` : '')
      + (held > 0 ? ` · ${this.facade.t('status.held', { count: held })}` : '');
    if (firing > 0) return { fill: 'red', shape: 'ring', text: this.facade.t('status.counts', { firing, pending }) + extra };
    if (pending > 0) return { fill: 'yellow', shape: 'ring', text: this.facade.t('status.pending', { pending }) + extra };
    if (extra) return { fill: 'green', shape: 'dot', text: this.facade.t('status.clear') + extra };
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
