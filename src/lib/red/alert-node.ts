/**
 * threshold-alert's node behaviour, free of Node-RED: configuration checking, message
 * handling (data, failures, silences), the output format, persistence through a
 * context store, the no-data timer and the status. src/threshold-alert.ts only wires
 * this to the runtime.
 */
import { CountedWarnings } from './counted-warnings';
import { AlertEngine, restoreAlertState, type NodataPolicy, type RestoreReport, type Silence } from '../alert/engine';
import { formatAlert, genericAlert, type AlertFormat } from '../alert/format';
import type { AlertNotification } from '../alert/notification';
import { parseDuration, parseRules, type AlertRule } from '../alert/rules';
import { MAX_DATE_MS, StateSaver, StateStore, isPlausibleTime, type ContextLike } from '../common/state-store';
import { statusThrottle, type StatusShape, type StatusThrottle } from './status';

export interface AlertFacade {
  /** Locale text of `threshold-alert.<key>`. */
  t(key: string, vars?: Record<string, unknown>): string;
  status(s: StatusShape): void;
  warn(text: string): void;
  /** Sends messages outside an input handler (timer-driven notifications). */
  send(msgs: Msg[]): void;
  context: ContextLike;
}

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

type Msg = Record<string, any>;
type Send = (msgs: Msg[] | Msg[][]) => void;
type Done = (err?: Error) => void;

export const ALERT_STATE_KEY = 'thresholdAlert';
const MAX_QUEUED = 10000;
const TICK_MS = 1000;
const MAX_SILENCE_TEXT = 256;
/** A close waits this long for the last write of the state. */
const CLOSE_SAVE_MS = 2000;

/** Converts and checks the editor's properties once; throws an Error naming the problem. */
export function alertOptions(p: AlertProps, routingKey?: string): AlertNodeOptions {
  const rules = parseRules(p.rules ?? []);
  if (rules.length === 0) throw new Error('no rules');
  const repeat = parseDuration(p.repeat, 0);
  const nodata = p.nodata === undefined || p.nodata === '' ? 'resolve' : String(p.nodata);
  if (nodata !== 'resolve' && nodata !== 'keep' && nodata !== 'alert') throw new Error(`nodata must be resolve, keep or alert (got "${nodata}")`);
  const after = p.nodataAfter === undefined || p.nodataAfter === '' ? 3 : Number(p.nodataAfter);
  if (!Number.isFinite(after) || after < 1 || after > 1000) throw new Error('nodataAfter must be a number of intervals from 1 to 1000');
  const format = p.format === undefined || p.format === '' ? 'alert' : String(p.format);
  if (format !== 'alert' && format !== 'slack' && format !== 'pagerduty') throw new Error(`format must be alert, slack or pagerduty (got "${format}")`);
  // Flows saved before the option existed have no property: they keep the key in the body.
  const inBody = p.routingKeyInBody;
  if (inBody !== undefined && inBody !== '' && typeof inBody !== 'boolean' && inBody !== 'true' && inBody !== 'false') {
    throw new Error(`routingKeyInBody must be true or false (got "${String(inBody)}")`);
  }
  return {
    rules,
    repeatMs: repeat * 1000,
    nodata,
    nodataAfter: after,
    format,
    store: typeof p.store === 'string' ? p.store.trim() : '',
    routingKey: routingKey || undefined,
    routingKeyInBody: inBody !== false && inBody !== 'false',
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

/**
 * `msg.silence`: one silence or an array. Each is `{device?, alertname?, instance?,
 * until? (ms epoch or ISO text), duration? (s or "2h"), comment?}`; an `until` in the
 * past or a `duration` of 0 lifts the silences with the same matchers.
 */
export function parseSilences(v: unknown, now: number): Silence[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > 100) throw new Error('msg.silence must be a silence object or an array of 1 to 100');
  return list.map((s, i) => {
    const where = list.length > 1 ? `silence ${i + 1}` : 'msg.silence';
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${where} must be an object`);
    const o = s as Record<string, unknown>;
    const out: Silence = { until: 0 };
    for (const k of ['device', 'alertname', 'instance', 'comment'] as const) {
      if (o[k] === undefined || o[k] === null || o[k] === '') continue;
      if (typeof o[k] !== 'string' && typeof o[k] !== 'number') throw new Error(`${where}.${k} must be text`);
      out[k] = String(o[k]).slice(0, MAX_SILENCE_TEXT);
    }
    if (o.until !== undefined && o.until !== null && o.until !== '') {
      const until = typeof o.until === 'number' ? o.until : Date.parse(String(o.until));
      if (!Number.isFinite(until) || Math.abs(until) > MAX_DATE_MS) throw new Error(`${where}.until must be a time (ms since 1970 or ISO 8601)`);
      out.until = until;
    } else if (o.duration !== undefined && o.duration !== null && o.duration !== '') {
      let seconds: number;
      try {
        seconds = parseDuration(o.duration);
      } catch (err) {
        throw new Error(`${where}.duration: ${(err as Error).message}`);
      }
      out.until = seconds > 0 ? now + seconds * 1000 : 0;
    } else {
      throw new Error(`${where} needs until or duration`);
    }
    return out;
  });
}

export class AlertNode {
  private engine: AlertEngine | undefined;
  private readonly store: StateStore;
  private readonly saver: StateSaver;
  private readonly queue: Array<[Msg, Send, Done]> = [];
  private readonly status: StatusThrottle;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly warned = new Set<string>();
  /** Oddities warned once and counted (bad times, internal errors in timers). */
  private readonly oddities = new CountedWarnings((text) => this.facade.warn(text));

  constructor(private readonly facade: AlertFacade, private readonly opts: AlertNodeOptions, private readonly clock: () => number = Date.now) {
    this.store = new StateStore(facade.context, ALERT_STATE_KEY, opts.store, (err) => {
      facade.warn(facade.t('errors.store', { error: err.message }));
    });
    this.saver = new StateSaver(this.store, () => this.engine?.state);
    this.status = statusThrottle(() => this.currentStatus(), (s) => facade.status(s));
    facade.status({ fill: 'grey', shape: 'ring', text: 'threshold-alert.status.loading' });
    if (opts.format === 'pagerduty' && opts.routingKeyInBody && !opts.routingKey) facade.warn(facade.t('warn.no-routing-key'));
    void this.store.load().then((raw) => {
      if (this.closed) return;
      const report: RestoreReport = { repaired: 0 };
      const engine = new AlertEngine(
        { rules: opts.rules, repeatMs: opts.repeatMs, nodata: opts.nodata, nodataAfter: opts.nodataAfter },
        clock,
        restoreAlertState(raw, clock(), report),
      );
      if (report.repaired > 0) facade.warn(facade.t('warn.bad-stored-time', { count: report.repaired }));
      this.engine = engine;
      this.emit(engine.dropOrphans(), (m) => facade.send(m));
      this.saver.markDirty();
      this.status.flush();
      this.timer = setInterval(() => this.tick(), TICK_MS);
      for (const [msg, send, done] of this.queue.splice(0)) this.handle(msg, send, done);
    });
  }

  /** How often each once-warned oddity happened since the start (`bad-time`, `emit`, `tick`). */
  oddityCounts(): Record<string, number> {
    return this.oddities.counts();
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

  /** Stops the timer and writes the state a last time. */
  async close(): Promise<void> {
    this.closed = true;
    this.status.cancel();
    if (this.timer) clearInterval(this.timer);
    for (const [, , done] of this.queue.splice(0)) done();
    this.oddities.report((count, text) => this.facade.t('warn.repeated', { count, warning: text }));
    await this.saver.close(CLOSE_SAVE_MS);
    this.facade.status({});
  }

  private handle(msg: Msg, send: Send, done: Done): void {
    const engine = this.engine!;
    let notifications: AlertNotification[];
    try {
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
          this.oddities.note('bad-time', this.facade.t('warn.bad-time', { time: String(time).slice(0, 40) }));
          time = now;
        }
        const failure = failureOf(msg);
        const labels = msg.device && typeof msg.device === 'object' && isStringRecord(msg.device.labels) ? msg.device.labels : undefined;
        const result = engine.process({ topic, time, payload: msg.payload, msg, failure, labels });
        for (const s of result.skipped) this.warnOnce(`skip:${s.rule}`, this.facade.t('warn.not-comparable', { rule: s.rule, value: s.value }));
        notifications = result.notifications;
      }
    } catch (err) {
      done(err as Error);
      return;
    }
    try {
      this.emit(notifications, (m) => send([m]));
    } finally {
      done();
    }
    this.saver.markDirty();
    this.status.request();
  }

  /** Runs from setInterval: an exception here would be uncaught and end the process. */
  private tick(): void {
    if (!this.engine || this.closed) return;
    try {
      const engine = this.engine;
      // Forgotten devices change the state without changing the counts.
      const shape = (): string => `${JSON.stringify(engine.counts())}|${engine.state.silences.length}|${Object.keys(engine.state.devices).length}`;
      const before = shape();
      const out = engine.tick();
      this.emit(out, (m) => this.facade.send(m));
      if (out.length > 0 || before !== shape()) {
        this.saver.markDirty();
        this.status.request();
      }
    } catch (err) {
      this.oddities.note('tick', this.facade.t('warn.internal', { error: errorText(err) }));
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
        this.oddities.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
      }
    }
    if (msgs.length === 0) return;
    try {
      send(msgs);
    } catch (err) {
      this.oddities.note('emit', this.facade.t('warn.internal', { error: errorText(err) }));
    }
  }

  private warnOnce(key: string, text: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.facade.warn(text);
  }

  private currentStatus(): StatusShape {
    if (!this.engine) return { fill: 'grey', shape: 'ring', text: 'threshold-alert.status.loading' };
    const { firing, pending } = this.engine.counts();
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
