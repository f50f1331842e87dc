/**
 * threshold-alert's engine: evaluates the rules on every series of each message, keeps
 * the alerts that are pending or firing, tracks when devices and series report (for
 * the no-data policy) and holds silences. Its state is one JSON-serialisable object
 * that the node keeps in a context store, so a restart resumes firing alerts without
 * announcing them again.
 */
import {
  NODATA_ALERTNAME,
  NODATA_SUMMARY,
  ORPHAN_SUMMARY,
  isActive,
  isHeld,
  type AlertRule,
} from './rules';
import { observe, owed, resolve, type AlertState, type Notify, type Step } from './machine';
import type { AlertNotification } from './notification';
import { sameMatchers, silenceMatches, type AlertLabels, type Silence } from './silences';
import { cleanText, templateNames, valueText } from '../common/templates';
import { MAX_DATE_MS, isLateSample, isRestorableTime } from '../common/state-store';

/** Failure codes of the poll nodes that are about the configuration, not the device. */
const CONFIGURATION_ERRORS = new Set(['bad-target', 'profile']);

export type NodataPolicy = 'resolve' | 'keep' | 'alert';

export interface AlertEngineOptions {
  rules: AlertRule[];
  /** Re-notify firing alerts this often (ms); 0 = never. */
  repeatMs: number;
  nodata: NodataPolicy;
  /** A series is missing after this many of its usual intervals without a report. */
  nodataAfter: number;
  /**
   * The row column that names an instance; '' = the first of ifName, ifDescr, ifAlias
   * the row has (else the index).
   */
  instanceLabel?: string;
}

/** Columns that name an interface, in order of preference, when the node names none. */
export const INSTANCE_COLUMNS = ['ifName', 'ifDescr', 'ifAlias'];
/** Longest readable instance name kept. */
const MAX_INSTANCE_CHARS = 128;

/** One message, taken apart by the node. */
export interface AlertInput {
  topic: string;
  /** Poll time, ms. */
  time: number;
  payload: unknown;
  /** The whole message, for `msg.<path>` fields. */
  msg: Record<string, unknown>;
  /** Set for a failure of snmp-get / snmp-bulkwalk (their output 2). */
  failure?: { code: string; message: string };
  labels?: Record<string, string>;
}

export type { Silence };

/** A silence of release 0.1 (state v1/v2 and `engine.silence` callers): matchers beside the time. */
export interface LegacySilence {
  device?: string;
  alertname?: string;
  instance?: string;
  until: number;
  comment?: string;
}

/** A stored alert: its machine state plus what its notifications need. */
export interface AlertRecord extends AlertState {
  /** The rule's name, or NoData for the no-data policy's alerts. */
  alertname: string;
  /** The device: the message topic. */
  device: string;
  /** The series: row index or instance; '' for the device as a whole. */
  instance: string;
  /** The readable name of the series (ifName …) when the row had one. */
  instanceName?: string;
  /** The incident (PagerDuty dedup_key) its firing was announced under; see {@link AlertNotification.incident}. */
  incident?: string;
  /** Template values captured at the last notification. */
  vars: Record<string, string>;
}

/** When one series (row index or instance) of a device last reported. */
export interface InstanceTrack {
  /** Latest poll time, ms. */
  lastPoll: number;
  /** Usual poll interval, ms (smoothed); 0 = not known yet (seen once). */
  interval: number;
}

/** The cadence of each live device and instance track, beside the stored state, not in it. */
const cadences = new WeakMap<object, Cadence>();

/** Whether a track's interval rests on more than one gap (a restored one does). */
function settled(track: object): boolean {
  return cadences.get(track)?.samples !== 1;
}

/**
 * How far an interval estimate can be trusted, kept in memory only: the gaps it was
 * learned from, and the last gap too long to be a sample (an outage, or a new cadence if
 * the next one is as long).
 */
interface Cadence {
  samples: number;
  outlier?: number;
}

/** When a device and its series last reported. */
export interface DeviceTrack {
  /** Arrival (engine clock, ms) of the latest message. */
  lastArrival: number;
  /** Usual arrival interval, ms (smoothed); undefined until a second message. */
  interval?: number;
  /** Declared silent by the no-data check. */
  quiet?: boolean;
  labels?: Record<string, string>;
  /** Series by row index / instance. */
  instances: Record<string, InstanceTrack>;
}

/** Version of the stored layout; see {@link restoreAlertState} for the older ones. */
export const ALERT_STATE_VERSION = 3;

/** A notification decided but not yet sent (grouping waits, inhibition holds it). */
export interface OutboxEntry {
  /** Order of arrival, unique within the state. */
  seq: number;
  /** The alert's key ({@link alertKey}). */
  key: string;
  /** When it was decided, ms (engine clock). */
  at: number;
  /** Held back because its device is down: merged with the alert's next change. */
  held?: boolean;
  notification: AlertNotification;
}

/** Timing of one notification group (grouping by labels). */
export interface GroupTrack {
  /** When its oldest unsent notification arrived, ms. */
  since?: number;
  /** When it was last sent, ms. */
  lastSent?: number;
}

export interface AlertEngineState {
  v: typeof ALERT_STATE_VERSION;
  /** Pending and firing alerts by {@link alertKey}. */
  alerts: Record<string, AlertRecord>;
  devices: Record<string, DeviceTrack>;
  silences: Silence[];
  /**
   * Notifications not sent yet, kept in the state so that what the store holds always
   * says which changes still have to go out (sent after a restart if need be).
   */
  outbox: OutboxEntry[];
  /** Group timers by group key. */
  groups: Record<string, GroupTrack>;
  /** Last outbox sequence number used. */
  seq: number;
}

export interface ProcessResult {
  notifications: AlertNotification[];
  /** Rules whose field held a value they cannot compare (for a one-time warning). */
  skipped: Array<{ rule: string; value: string }>;
}

/** Messages closer than this belong to one poll cycle: not an interval sample. */
const MIN_INTERVAL_MS = 1000;
/** A gap this many times the usual interval is an outage, not a new cadence. */
const OUTLIER_FACTOR = 10;
/** Active silences at most. */
export const MAX_SILENCES = 1000;
/**
 * Devices and series (row indexes, instances) silent this long with no alert are
 * forgotten, including those seen only once (ad-hoc msg.targets, changing row
 * indexes), whose usual interval is unknown and which the no-data rule never judges.
 */
export const FORGET_MS = 24 * 3600 * 1000;
const RESERVED = new Set(['alertname', 'severity', 'device', 'instance', 'index', 'value', 'threshold', 'op', 'field', 'error', 'status']);

/** An empty state (null prototypes: device names like "__proto__" stay plain keys). */
export function emptyAlertState(): AlertEngineState {
  return { v: ALERT_STATE_VERSION, alerts: Object.create(null), devices: Object.create(null), silences: [], outbox: [], groups: Object.create(null), seq: 0 };
}

/**
 * The key of one alert: alertname, device, instance. The device's length makes the
 * join unambiguous whatever characters a device name holds.
 */
export function alertKey(alertname: string, device: string, instance: string): string {
  return `${alertname}|${device.length}|${device}|${instance}`;
}

export class AlertEngine {
  readonly state: AlertEngineState;
  /**
   * Devices whose track or alerts changed since the node last wrote the state: the node
   * writes those only, and empties the set.
   */
  readonly changedDevices = new Set<string>();
  private readonly rulesByName = new Map<string, AlertRule>();
  private readonly varNames = new Map<string, string[]>();

  /**
   * @param opts rules and policies
   * @param clock wall clock (ms) for arrival tracking and silences; poll times come with messages
   * @param state a restored state (see {@link restoreAlertState})
   */
  constructor(private readonly opts: AlertEngineOptions, private readonly clock: () => number = Date.now, state?: AlertEngineState) {
    this.state = state ?? emptyAlertState();
    for (const rule of opts.rules) {
      this.rulesByName.set(rule.name, rule);
      this.varNames.set(rule.name, templateNames(rule.summary).filter((n) => !RESERVED.has(n) && !n.startsWith('labels.')));
    }
    // After a restart the devices get a fresh grace period: Node-RED's own downtime
    // is not the devices' silence.
    const now = this.clock();
    for (const dev of Object.values(this.state.devices)) dev.lastArrival = now;
  }

  /**
   * Resolves stored alerts whose rule no longer exists (renamed or deleted on redeploy),
   * so their receivers are not left with an open incident.
   */
  dropOrphans(): AlertNotification[] {
    const out: AlertNotification[] = [];
    const now = this.clock();
    for (const [key, rec] of Object.entries(this.state.alerts)) {
      if (rec.alertname === NODATA_ALERTNAME || this.rulesByName.has(rec.alertname)) continue;
      const step = resolve(rec);
      if (step.notify) out.push(this.notification(rec, 'resolved', now));
      delete this.state.alerts[key];
      this.changedDevices.add(rec.device);
    }
    return out;
  }

  /** Evaluates every rule on one message. */
  process(input: AlertInput): ProcessResult {
    const out: AlertNotification[] = [];
    const skipped: ProcessResult['skipped'] = [];
    const { topic, time } = input;
    // The node checks message times against its clock; this keeps any other caller from
    // storing a time no Date can format (it would throw at every later notification).
    if (!Number.isFinite(time) || Math.abs(time) > MAX_DATE_MS) throw new RangeError(`time must be ms since 1970 (got ${time})`);
    const dev = this.track(input);
    if (dev.quiet) {
      dev.quiet = false;
      this.resolveNodata(topic, '', time, out);
    }
    const seen = new Set<string>();
    for (const rule of this.opts.rules) {
      if (rule.kind === 'device-down') {
        // a configuration error (an inventory entry that cannot be polled, a profile it names
        // wrongly) says nothing of whether the device answers: neither fires nor resolves
        if (input.failure && CONFIGURATION_ERRORS.has(input.failure.code)) continue;
        const failing = input.failure !== undefined;
        const key = alertKey(rule.name, topic, '');
        if (!failing && !this.state.alerts[key]) continue;
        // the resolution keeps the error it fired with: "RESOLVED: ... does not answer: timeout"
        const vars = (): Record<string, string> => (input.failure ? { error: valueText(input.failure.message || input.failure.code) } : {});
        this.apply(rule, topic, '', { time, active: failing, held: failing, value: input.failure?.code ?? null }, vars, out);
        continue;
      }
      if (input.failure) continue;
      for (const [instance, raw, source] of extract(rule.field, input)) {
        const value = comparable(raw, rule.threshold);
        if (value === undefined) {
          if (raw !== null && raw !== undefined) skipped.push({ rule: rule.name, value: valueText(raw).slice(0, 64) });
          continue;
        }
        seen.add(instance);
        const active = isActive(rule, value);
        const held = active || isHeld(rule, value);
        const name = Array.isArray(input.payload) ? instanceNameOf(source, this.opts.instanceLabel ?? '') : undefined;
        this.apply(rule, topic, instance, { time, active, held, value }, () => this.varsOf(rule, source), out, name);
      }
    }
    if (!input.failure) this.sightings(dev, topic, time, seen, out);
    return { notifications: out, skipped };
  }

  /**
   * Periodic work on the engine clock: silences that ended (their owed firings are
   * announced now), devices that went quiet (the no-data policy), forgotten devices.
   */
  tick(): AlertNotification[] {
    const now = this.clock();
    const out: AlertNotification[] = [];
    const before = this.state.silences.length;
    this.state.silences = this.state.silences.filter((s) => s.until > now);
    if (this.state.silences.length !== before) this.announceOwed(now, out);
    for (const [topic, dev] of Object.entries(this.state.devices)) {
      // A device with a usual interval is judged by the no-data rule first (it goes quiet
      // long before a day passes); one seen once has no interval and is only forgotten.
      if (dev.quiet || dev.interval === undefined || !settled(dev)) {
        if (now - dev.lastArrival > FORGET_MS) {
          // Pending alerts were never announced: a device silent for a day takes them along
          // (a one-off forged or mistyped target left "12 pending" for ever). One never judged
          // by an interval (seen once, or too irregular) has its firing alerts resolved too
          // when no data means "resolve" (a target removed while its alert fired, as Prometheus
          // resolves one whose series went away); with "keep" or "alert" they stay and keep
          // the device.
          this.dropPending(topic);
          if (!dev.quiet && this.opts.nodata === 'resolve') this.resolveAlerts(topic, undefined, now, out);
          if (!this.hasAlerts(topic)) {
            delete this.state.devices[topic];
            this.changedDevices.add(topic);
          }
        }
        continue;
      }
      if (now - dev.lastArrival > this.opts.nodataAfter * Math.max(dev.interval, MIN_INTERVAL_MS)) {
        this.changedDevices.add(topic);
        dev.quiet = true;
        dev.instances = Object.create(null);
        this.missing(topic, undefined, now, out);
      }
    }
    return out;
  }

  /**
   * Adds a silence; one with the same matchers is replaced (its id kept). Throws past
   * {@link MAX_SILENCES} active silences.
   */
  addSilence(s: Silence): Silence {
    const now = this.clock();
    this.state.silences = this.state.silences.filter((x) => x.until > now);
    const same = this.state.silences.findIndex((x) => sameMatchers(x.match, s.match));
    if (same >= 0) {
      const replaced: Silence = { ...s, id: this.state.silences[same].id };
      this.state.silences[same] = replaced;
      return replaced;
    }
    // Silences come from messages: bound what a runaway flow can pile up in the state.
    if (this.state.silences.length >= MAX_SILENCES) throw new Error(`more than ${MAX_SILENCES} silences`);
    this.state.silences.push(s);
    return s;
  }

  /**
   * Expires the silence with this id, or those with exactly these matchers. Returns
   * the firings they held back (announced now) and how many silences ended.
   */
  expireSilences(which: { id?: string; match?: Record<string, string> }): { notifications: AlertNotification[]; expired: number } {
    const now = this.clock();
    const before = this.state.silences.length;
    this.state.silences = this.state.silences.filter((x) => x.until > now
      && !(which.id !== undefined ? x.id === which.id : which.match !== undefined && sameMatchers(x.match, which.match)));
    const out: AlertNotification[] = [];
    this.announceOwed(now, out);
    return { notifications: out, expired: before - this.state.silences.length };
  }

  /** Active silences, oldest first. */
  activeSilences(): Silence[] {
    const now = this.clock();
    return this.state.silences.filter((s) => s.until > now);
  }

  /**
   * The 0.1 API: adds a silence by device/alertname/instance, or with `until` in the
   * past removes those with the same matchers. Returns the notifications owed.
   */
  silence(s: LegacySilence): AlertNotification[] {
    const match = legacyMatch(s);
    if (s.until > this.clock()) {
      this.addSilence({ id: `legacy-${this.state.silences.length}-${s.until}`, match, until: s.until, createdAt: this.clock(), ...(s.comment ? { comment: s.comment } : {}) });
      return [];
    }
    return this.expireSilences({ match }).notifications;
  }

  /** The rule of an alert (undefined for NoData and removed rules). */
  ruleOf(alertname: string): AlertRule | undefined {
    return this.rulesByName.get(alertname);
  }

  /** Alerts by phase, for the status. */
  counts(): { firing: number; pending: number } {
    let firing = 0;
    let pending = 0;
    for (const rec of Object.values(this.state.alerts)) {
      if (rec.phase === 'firing') firing++;
      else pending++;
    }
    return { firing, pending };
  }

  private track(input: AlertInput): DeviceTrack {
    const now = this.clock();
    this.changedDevices.add(input.topic);
    let dev = this.state.devices[input.topic];
    if (!dev) {
      dev = { lastArrival: now, instances: Object.create(null) };
      this.state.devices[input.topic] = dev;
    } else {
      const gap = now - dev.lastArrival;
      if (gap >= MIN_INTERVAL_MS) dev.interval = learnInterval(dev, dev.interval ?? 0, gap) || undefined;
      dev.lastArrival = now;
    }
    if (input.labels) dev.labels = input.labels;
    return dev;
  }

  /** Records which instances reported and applies the no-data policy to those that stopped. */
  private sightings(dev: DeviceTrack, topic: string, time: number, seen: Set<string>, out: AlertNotification[]): void {
    for (const instance of seen) {
      const track = dev.instances[instance];
      if (!track) {
        dev.instances[instance] = { lastPoll: time, interval: 0 };
        this.resolveNodata(topic, instance, time, out);
        continue;
      }
      const gap = time - track.lastPoll;
      if (gap >= MIN_INTERVAL_MS) track.interval = learnInterval(track, track.interval, gap);
      if (time > track.lastPoll) track.lastPoll = time;
    }
    let alerted: Set<string> | undefined;
    for (const [instance, track] of Object.entries(dev.instances)) {
      if (seen.has(instance)) continue;
      if (track.interval === 0 || !settled(track)) {
        // Seen once (or its cadence rests on one gap): no interval to judge it by yet, so
        // it is only forgotten (quietly).
        if (time - track.lastPoll <= FORGET_MS) continue;
        alerted ??= this.alertedInstances(topic);
        if (!alerted.has(instance)) delete dev.instances[instance];
        continue;
      }
      if (time - track.lastPoll > this.opts.nodataAfter * Math.max(track.interval, MIN_INTERVAL_MS)) {
        delete dev.instances[instance];
        this.missing(topic, instance, time, out);
      }
    }
  }

  /** Instances of a device that hold an alert. */
  private alertedInstances(topic: string): Set<string> {
    const out = new Set<string>();
    for (const rec of Object.values(this.state.alerts)) if (rec.device === topic) out.add(rec.instance);
    return out;
  }

  /** The no-data policy for a device (instance undefined) or one of its series. */
  private missing(topic: string, instance: string | undefined, time: number, out: AlertNotification[]): void {
    if (this.opts.nodata === 'keep') return;
    if (this.opts.nodata === 'resolve') {
      this.resolveAlerts(topic, instance, time, out);
      return;
    }
    const inst = instance ?? '';
    const key = alertKey(NODATA_ALERTNAME, topic, inst);
    if (this.state.alerts[key]) return;
    const muted = this.muted(NODATA_ALERTNAME, topic, inst);
    const rec: AlertRecord = { phase: 'firing', activeAt: time, firedAt: time, seen: time, value: null, alertname: NODATA_ALERTNAME, device: topic, instance: inst, vars: {} };
    if (!muted) rec.notifiedAt = time;
    this.state.alerts[key] = rec;
    if (!muted) out.push(this.notification(rec, 'firing', time));
  }

  private resolveNodata(topic: string, instance: string, time: number, out: AlertNotification[]): void {
    const key = alertKey(NODATA_ALERTNAME, topic, instance);
    const rec = this.state.alerts[key];
    if (!rec) return;
    if (resolve(rec).notify) out.push(this.notification(rec, 'resolved', time));
    delete this.state.alerts[key];
  }

  private apply(rule: AlertRule, topic: string, instance: string, obs: Parameters<typeof observe>[1], vars: () => Record<string, string>, out: AlertNotification[], instanceName?: string): void {
    const key = alertKey(rule.name, topic, instance);
    const prev = this.state.alerts[key];
    if (!prev && !obs.active) return;
    // A message older than what this series already reported (an MQTT backlog, a retried
    // delivery) is left out: it re-fired an alert that had resolved since, or resolved one
    // still firing. Only when the newer time lies ahead of this machine's clock (the clock
    // was set back) is it taken, as the state machine then moves its timers back with it.
    const newest = Math.max(prev?.seen ?? -Infinity, this.state.devices[topic]?.instances[instance]?.lastPoll ?? -Infinity);
    if (isLateSample(obs.time, newest, this.clock())) return;
    const name = instanceName ?? prev?.instanceName;
    const muted = this.state.silences.length > 0 && this.muted(rule.name, topic, instance, name);
    const step: Step = observe(prev, obs, { forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs, repeatMs: this.opts.repeatMs }, muted);
    if (step.stale) return;
    if (!step.next) {
      delete this.state.alerts[key];
      // new values merge over the fired ones, so a resolution without new values (a
      // device answering again) still carries what the alert fired with
      if (step.notify && prev) out.push(this.notification({ ...prev, instanceName: name, seen: obs.time, value: obs.value, vars: { ...prev.vars, ...vars() } }, step.notify, obs.time));
      return;
    }
    const rec: AlertRecord = { ...step.next, alertname: rule.name, device: topic, instance, vars: prev?.vars ?? {} };
    if (name !== undefined) rec.instanceName = name;
    if (prev?.incident !== undefined) rec.incident = prev.incident;
    if (step.notify) rec.vars = { ...rec.vars, ...vars() };
    this.state.alerts[key] = rec;
    if (step.notify) out.push(this.notification(rec, step.notify, obs.time));
  }

  private announceOwed(now: number, out: AlertNotification[]): void {
    for (const [key, rec] of Object.entries(this.state.alerts)) {
      const step = owed(rec, now, this.muted(rec.alertname, rec.device, rec.instance, rec.instanceName));
      if (!step.notify) continue;
      const next: AlertRecord = { ...rec, ...step.next! };
      this.state.alerts[key] = next;
      out.push(this.notification(next, step.notify, now));
    }
  }

  private muted(alertname: string, device: string, index: string, instanceName?: string): boolean {
    const now = this.clock();
    if (!this.state.silences.some((s) => s.until > now)) return false;
    const a: AlertLabels = {
      alertname,
      device,
      index,
      instance: instanceName ?? index,
      severity: this.rulesByName.get(alertname)?.severity ?? 'warning',
      labels: this.state.devices[device]?.labels ?? {},
    };
    return this.state.silences.some((s) => s.until > now && silenceMatches(s, a));
  }

  /** The labels silences and grouping see for one stored alert. */
  labelsOf(rec: Pick<AlertRecord, 'alertname' | 'device' | 'instance' | 'instanceName'>): AlertLabels {
    return {
      alertname: rec.alertname,
      device: rec.device,
      index: rec.instance,
      instance: rec.instanceName ?? rec.instance,
      severity: this.rulesByName.get(rec.alertname)?.severity ?? 'warning',
      labels: this.state.devices[rec.device]?.labels ?? {},
    };
  }

  /** Resolves the alerts of a device (of one instance when given), NoData alerts aside. */
  private resolveAlerts(topic: string, instance: string | undefined, time: number, out: AlertNotification[]): void {
    for (const [key, rec] of Object.entries(this.state.alerts)) {
      if (rec.device !== topic || rec.alertname === NODATA_ALERTNAME || (instance !== undefined && rec.instance !== instance)) continue;
      // A device-down alert is about the device answering, not about its data.
      if (this.rulesByName.get(rec.alertname)?.kind === 'device-down' && instance !== undefined) continue;
      if (resolve(rec).notify) out.push(this.notification(rec, 'resolved', time));
      delete this.state.alerts[key];
    }
  }

  private dropPending(topic: string): void {
    for (const [key, rec] of Object.entries(this.state.alerts)) {
      if (rec.device === topic && rec.phase === 'pending') {
        delete this.state.alerts[key];
        this.changedDevices.add(topic);
      }
    }
  }

  private hasAlerts(topic: string): boolean {
    for (const rec of Object.values(this.state.alerts)) if (rec.device === topic) return true;
    return false;
  }

  private varsOf(rule: AlertRule, source: unknown): Record<string, string> {
    const vars: Record<string, string> = {};
    if (typeof source !== 'object' || source === null) return vars;
    for (const name of this.varNames.get(rule.name) ?? []) {
      if (Object.prototype.hasOwnProperty.call(source, name)) vars[name] = valueText((source as Record<string, unknown>)[name]);
    }
    return vars;
  }

  private notification(rec: AlertRecord, notify: Notify, time: number): AlertNotification {
    // every notification comes with a change of its alert (announced, repeated, resolved)
    this.changedDevices.add(rec.device);
    const rule = this.rulesByName.get(rec.alertname);
    const labels = this.state.devices[rec.device]?.labels ?? {};
    const status = notify === 'resolved' ? 'resolved' : 'firing';
    const threshold = rule && rule.kind === 'threshold' ? rule.threshold : null;
    const n: AlertNotification = {
      status,
      repeat: notify === 'repeat',
      alertname: rec.alertname,
      severity: rule?.severity ?? 'warning',
      device: rec.device,
      key: alertKey(rec.alertname, rec.device, rec.instance),
      index: rec.instance,
      instance: rec.instanceName ?? rec.instance,
      value: rec.value,
      threshold,
      startsAt: rec.firedAt ?? rec.activeAt,
      template: rule?.summary ?? (rec.alertname === NODATA_ALERTNAME ? NODATA_SUMMARY : ORPHAN_SUMMARY),
      vars: {},
      labels: { ...labels },
    };
    if (rec.incident !== undefined) n.incident = rec.incident;
    if (rule?.kind === 'threshold') {
      n.op = rule.op;
      n.field = rule.field;
    }
    // never before it started: a NoData alert starts at the node's clock, and a poll made just
    // before that moment may arrive after it and resolve the alert with its own time
    if (status === 'resolved') n.endsAt = Math.max(time, n.startsAt);
    n.vars = {
      ...rec.vars,
      alertname: rec.alertname,
      severity: n.severity,
      device: valueText(rec.device),
      instance: valueText(n.instance),
      index: valueText(rec.instance),
      value: valueText(rec.value),
      threshold: valueText(threshold),
      op: n.op ?? '',
      field: n.field ?? '',
      status,
      error: rec.vars.error ?? '',
    };
    for (const [k, v] of Object.entries(labels)) n.vars[`labels.${k}`] = valueText(v);
    return n;
  }
}

/**
 * Values of a rule's field in one message: [instance, value, template source].
 * - `msg.<path>`: a message property, instance ''.
 * - rows: the column of every row, instance = row.index.
 * - object payload: the key itself (instance ''), or every `field.<instance>` key.
 * - `payload`: a scalar payload, instance ''.
 */
export function extract(field: string, input: AlertInput): Array<[string, unknown, unknown]> {
  const { payload } = input;
  if (field.startsWith('msg.')) return [['', getPath(input.msg, field.slice(4)), payload]];
  if (field === 'payload' && (typeof payload !== 'object' || payload === null)) return [['', payload, undefined]];
  if (Array.isArray(payload)) {
    const out: Array<[string, unknown, unknown]> = [];
    payload.forEach((row, position) => {
      if (typeof row !== 'object' || row === null || !Object.prototype.hasOwnProperty.call(row, field)) return;
      const index = (row as Record<string, unknown>).index;
      out.push([index === undefined || index === null ? String(position) : String(index), (row as Record<string, unknown>)[field], row]);
    });
    return out;
  }
  if (typeof payload === 'object' && payload !== null) {
    const obj = payload as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(obj, field)) return [['', obj[field], obj]];
    const prefix = field + '.';
    const out: Array<[string, unknown, unknown]> = [];
    for (const key of Object.keys(obj)) if (key.startsWith(prefix)) out.push([key.slice(prefix.length), obj[key], obj]);
    return out;
  }
  return [];
}

/**
 * The readable name of a row: the chosen column, else the first of ifName, ifDescr,
 * ifAlias that holds text; undefined when none does (the index names it then).
 */
export function instanceNameOf(row: unknown, column: string): string | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as Record<string, unknown>;
  for (const c of column ? [column] : INSTANCE_COLUMNS) {
    if (!Object.prototype.hasOwnProperty.call(r, c)) continue;
    const v = r[c];
    if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return cleanText(String(v).trim(), MAX_INSTANCE_CHARS);
  }
  return undefined;
}

/** Matchers of a 0.1 silence: its non-empty device, alertname and instance. */
export function legacyMatch(s: Partial<LegacySilence>): Record<string, string> {
  const match: Record<string, string> = {};
  for (const k of ['device', 'alertname', 'instance'] as const) if (typeof s[k] === 'string' && s[k] !== '') match[k] = s[k]!;
  return match;
}

/** `a.b[2].c` on an object; undefined when absent. */
function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (typeof cur !== 'object' || cur === null || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * The value in a form the rule can compare: a finite number for numeric thresholds
 * (numeric strings accepted), text or number for textual ones; undefined = not comparable.
 */
function comparable(v: unknown, threshold: number | string): number | string | undefined {
  if (typeof threshold === 'number') {
    if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      return Number.isFinite(n) ? n : undefined;
    }
    return undefined;
  }
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** What {@link restoreAlertState} had to repair. */
export interface RestoreReport {
  /** Times that were not plausible: set to now (alerts) or dropped with their entry. */
  repaired: number;
}

/**
 * A state read back from a context store, checked and copied into null-prototype
 * objects; anything malformed is dropped, and so is a state of an unknown version.
 * Times after `now` + a day (a bad message time saved by an older version, a clock that
 * was far ahead) are set to `now` on alerts, so a firing alert still resolves under its
 * fingerprint, and dropped elsewhere: they would freeze the alert or make every later
 * notification throw.
 *
 * Layouts read:
 * - v3 (this one): see {@link AlertRecord}, {@link DeviceTrack}, {@link Silence} (matchers
 *   under `match`, an id, createdAt, by) and the outbox of unsent notifications.
 * - v2: as v3 without outbox and groups; silences kept device/alertname/instance beside
 *   `until` (converted to matchers; the next save writes v3).
 * - v1 (release 0.1.0): one-letter keys, converted on the way in (the next save writes
 *   v2). Alerts: `r` → `alertname`, `d` → `device`, `i` → `instance` (the machine
 *   state's fields and the alert keys are unchanged). Devices: `arr` → `lastArrival`,
 *   `iv` → `interval`, `inst: {instance: [pollTime, interval]}` →
 *   `instances: {instance: {lastPoll, interval}}`. Silences are unchanged.
 * @param raw what the store held
 * @param now the node's clock, ms
 * @param report counts the repairs, for a warning
 */
export function restoreAlertState(raw: unknown, now: number = Date.now(), report?: RestoreReport): AlertEngineState {
  const state = emptyAlertState();
  if (!isObject(raw)) return state;
  const layout = raw.v === ALERT_STATE_VERSION || raw.v === 2 ? CURRENT_LAYOUT : raw.v === 1 ? V1_LAYOUT : undefined;
  if (!layout) return state;
  const repair = (): number => {
    if (report) report.repaired++;
    return now;
  };
  if (isObject(raw.alerts)) {
    for (const [key, stored] of Object.entries(raw.alerts)) {
      const rec = isObject(stored) ? layout.alert(stored) : undefined;
      if (!isObject(rec) || (rec.phase !== 'pending' && rec.phase !== 'firing')) continue;
      if (typeof rec.alertname !== 'string' || typeof rec.device !== 'string' || typeof rec.instance !== 'string') continue;
      if (!Number.isFinite(rec.activeAt) || !Number.isFinite(rec.seen)) continue;
      if (key !== alertKey(rec.alertname, rec.device, rec.instance)) continue;
      const out: AlertRecord = {
        phase: rec.phase,
        activeAt: isRestorableTime(rec.activeAt, now) ? rec.activeAt : repair(),
        seen: isRestorableTime(rec.seen, now) ? rec.seen : repair(),
        alertname: rec.alertname,
        device: rec.device,
        instance: rec.instance,
        value: typeof rec.value === 'number' || typeof rec.value === 'string' ? rec.value : null,
        vars: {},
      };
      for (const k of ['firedAt', 'clearSince', 'notifiedAt'] as const) {
        if (Number.isFinite(rec[k])) out[k] = isRestorableTime(rec[k], now) ? rec[k] : repair();
      }
      if (isObject(rec.vars)) for (const [k, v] of Object.entries(rec.vars)) if (typeof v === 'string') out.vars[k] = v;
      if (typeof rec.instanceName === 'string') out.instanceName = rec.instanceName.slice(0, MAX_INSTANCE_CHARS);
      if (typeof rec.incident === 'string' && rec.incident !== '') out.incident = rec.incident.slice(0, 255);
      state.alerts[key] = out;
    }
  }
  if (isObject(raw.devices)) {
    for (const [topic, stored] of Object.entries(raw.devices)) {
      const dev = isObject(stored) ? layout.device(stored) : undefined;
      if (!isObject(dev) || !Number.isFinite(dev.lastArrival)) continue;
      // lastArrival is restarted by the engine anyway (a grace period after the restart).
      const d: DeviceTrack = { lastArrival: isRestorableTime(dev.lastArrival, now) ? dev.lastArrival : repair(), instances: Object.create(null) };
      if (validInterval(dev.interval) && dev.interval > 0) d.interval = dev.interval;
      if (dev.quiet === true) d.quiet = true;
      if (isObject(dev.labels)) {
        d.labels = {};
        for (const [k, v] of Object.entries(dev.labels)) if (typeof v === 'string') d.labels[k] = v;
      }
      if (isObject(dev.instances)) {
        for (const [k, v] of Object.entries(dev.instances)) {
          if (!isObject(v) || !Number.isFinite(v.lastPoll) || !Number.isFinite(v.interval)) continue;
          if (isRestorableTime(v.lastPoll, now) && validInterval(v.interval)) d.instances[k] = { lastPoll: v.lastPoll, interval: v.interval };
          else repair();
        }
      }
      state.devices[topic] = d;
    }
  }
  if (Array.isArray(raw.silences)) {
    raw.silences.forEach((s: unknown, i: number) => {
      if (!isObject(s) || !Number.isFinite(s.until)) return;
      if (Math.abs(s.until) > MAX_DATE_MS) {
        repair();
        return;
      }
      // v3 keeps matchers under `match`; v1 and v2 kept device/alertname/instance beside the time.
      const match: Record<string, string> = {};
      if (raw.v === ALERT_STATE_VERSION) {
        if (!isObject(s.match)) return;
        for (const [k, v] of Object.entries(s.match)) if (typeof v === 'string') match[k] = v;
      } else Object.assign(match, legacyMatch(s));
      const out: Silence = {
        id: typeof s.id === 'string' && s.id !== '' ? s.id.slice(0, 64) : `restored-${i}`,
        match,
        until: s.until,
        createdAt: Number.isFinite(s.createdAt) && isRestorableTime(s.createdAt, now) ? s.createdAt : now,
      };
      if (typeof s.comment === 'string') out.comment = s.comment;
      if (typeof s.by === 'string') out.by = s.by;
      state.silences.push(out);
    });
  }
  if (raw.v === ALERT_STATE_VERSION) restoreOutbox(raw, state, now, repair);
  return state;
}

/** The unsent notifications and group timers of a v3 state, checked. */
function restoreOutbox(raw: Record<string, any>, state: AlertEngineState, now: number, repair: () => number): void {
  if (Array.isArray(raw.outbox)) {
    for (const e of raw.outbox) {
      if (!isObject(e) || !Number.isSafeInteger(e.seq) || typeof e.key !== 'string' || !Number.isFinite(e.at)) continue;
      const n = restoreNotification(e.notification, now);
      if (!n) continue;
      const entry: OutboxEntry = { seq: e.seq, key: e.key, at: isRestorableTime(e.at, now) ? e.at : repair(), notification: n };
      if (e.held === true) entry.held = true;
      state.outbox.push(entry);
      if (e.seq > state.seq) state.seq = e.seq;
    }
  }
  if (Number.isSafeInteger(raw.seq) && raw.seq > state.seq) state.seq = raw.seq;
  if (isObject(raw.groups)) {
    for (const [k, g] of Object.entries(raw.groups)) {
      if (!isObject(g)) continue;
      const t: GroupTrack = {};
      if (Number.isFinite(g.since)) t.since = isRestorableTime(g.since, now) ? g.since : repair();
      if (Number.isFinite(g.lastSent)) t.lastSent = isRestorableTime(g.lastSent, now) ? g.lastSent : repair();
      state.groups[k] = t;
    }
  }
}

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** A stored notification, or undefined when any field a format reads is missing or odd. */
function restoreNotification(v: unknown, now: number): AlertNotification | undefined {
  if (!isObject(v) || (v.status !== 'firing' && v.status !== 'resolved')) return undefined;
  for (const k of ['alertname', 'severity', 'device', 'key', 'index', 'instance', 'template']) if (typeof v[k] !== 'string') return undefined;
  if (!isRestorableTime(v.startsAt, now) || (v.endsAt !== undefined && !isRestorableTime(v.endsAt, now))) return undefined;
  const scalar = (x: unknown): x is number | string | null => x === null || typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x));
  if (!scalar(v.value) || !scalar(v.threshold)) return undefined;
  const vars = stringRecord(v.vars);
  const labels = stringRecord(v.labels);
  if (!vars || !labels) return undefined;
  const n: AlertNotification = {
    status: v.status, repeat: v.repeat === true, alertname: v.alertname, severity: v.severity, device: v.device,
    key: v.key, index: v.index, instance: v.instance, value: v.value, threshold: v.threshold,
    startsAt: v.startsAt, template: v.template, vars, labels,
  };
  if (v.endsAt !== undefined) n.endsAt = v.endsAt;
  if (typeof v.op === 'string') n.op = v.op;
  if (typeof v.field === 'string') n.field = v.field;
  if (typeof v.incident === 'string') n.incident = v.incident;
  return n;
}

/**
 * How a stored layout's alert records and device tracks become the current shape,
 * unchecked: {@link restoreAlertState} checks the result as it checks a current state.
 */
interface StoredLayout {
  alert(rec: Record<string, any>): Record<string, any>;
  device(dev: Record<string, any>): Record<string, any>;
}

const CURRENT_LAYOUT: StoredLayout = { alert: (rec) => rec, device: (dev) => dev };

/** Release 0.1.0 (v1): one-letter keys, series as [pollTime, interval] tuples. */
const V1_LAYOUT: StoredLayout = {
  alert: (rec) => {
    const { r, d, i, ...machine } = rec;
    return { ...machine, alertname: r, device: d, instance: i };
  },
  device: (dev) => {
    let instances: unknown = dev.inst;
    if (isObject(dev.inst)) {
      // null prototype: an instance named "__proto__" stays a plain key on its way through
      const converted: Record<string, unknown> = Object.create(null);
      for (const [k, v] of Object.entries(dev.inst)) {
        if (Array.isArray(v) && v.length === 2) converted[k] = { lastPoll: v[0], interval: v[1] };
      }
      instances = converted;
    }
    return { lastArrival: dev.arr, interval: dev.iv, quiet: dev.quiet, labels: dev.labels, instances };
  },
};

/** A usual interval moved towards a new gap (exponential smoothing). */
function smoothed(interval: number, gap: number): number {
  return interval * 0.7 + gap * 0.3;
}

/**
 * The usual interval after a gap between two reports (0: unknown). A gap of
 * OUTLIER_FACTOR intervals or more is an outage and teaches nothing, unless the interval
 * rests on a single gap (a poll triggered by hand right after the first) or the gap
 * before was as long (the poll interval was changed): then it is the new cadence. Without
 * that, an interval learned from one quick extra poll stayed for ever, and the no-data
 * rule resolved and fired a still-true alert again every cycle.
 */
function learnInterval(owner: object, interval: number, gap: number): number {
  let c = cadences.get(owner);
  if (!c) {
    c = { samples: interval > 0 ? 2 : 0 };
    cadences.set(owner, c);
  }
  if (interval === 0) {
    c.samples = 1;
    return gap;
  }
  if (gap < interval * OUTLIER_FACTOR) {
    c.samples++;
    c.outlier = undefined;
    return smoothed(interval, gap);
  }
  const again = c.outlier !== undefined && gap < c.outlier * 2 && gap * 2 > c.outlier;
  if (c.samples <= 1 || again) {
    c.samples = 1;
    c.outlier = undefined;
    return gap;
  }
  c.outlier = gap;
  return interval;
}

/** A usual interval worth keeping: 0 (unknown) up to {@link FORGET_MS}. */
function validInterval(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= FORGET_MS;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
