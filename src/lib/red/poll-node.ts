/**
 * snmp-get and snmp-bulkwalk as Node-RED nodes. On `schedule: "input"` each input
 * chooses its devices and OIDs and runs one poll cycle; on `schedule: "interval"` the
 * node polls each device of its inventory (snmp-config's, or the last msg.targets) at
 * the device's own interval, spread over time (poll/schedule.ts), and an input polls at
 * once what it names. Either way a device is polled with the profile it names
 * (`profile`, an snmp-config node found by name in profile-registry.ts) or the node's
 * own, each profile's shared scheduler bounds the devices in flight, and one message goes
 * out per device (answers on output 1, failures and inventory entries that cannot be
 * polled on output 2, in the message or the JSON form); a device's fall and recovery are
 * logged once; close waits, bounded, for polls in flight so nothing is sent after it.
 */
import type { Device, MibLookup, SnmpProfile } from '../common/types';
import { runPollCycle, type PollRequest, type ResultFields } from '../poll/cycle';
import type { FleetEngine } from '../poll/fleet-engine';
import { DeviceHealth } from '../poll/health';
import { RESULT_FORM_VERSION } from '../common/result-form';
import { deviceField, errorField } from '../poll/messages';
import { LastMinute, PollSchedule } from '../poll/schedule';
import { PollStats } from '../poll/stats';
import { withLabels } from '../common/health';
import { InFlightGuard, type CycleSummary } from '../poll/scheduler';
import { chooseTargets, describeDevice, expandWalkOids, MAX_TARGETS, readTargets, resolveOids, splitOidList, type RejectedTarget } from '../poll/targets';
import { ConfigError, parseInterval } from '../common/inventory';
import { PropertyError, clip, oneOf, text } from '../common/properties';
import type { PollResult } from '../poll/device-poll';
import type { WalkOptions } from '../poll/walker';
import { CountedWarnings } from './counted-warnings';
import { registerHealth } from './health-registry';
import { nodeLabels } from './health-sources';
import type { Msg, NodeFacade, RuntimeLike } from './node-facade';
import { findProfile } from './profile-registry';
import { startNode } from './start-node';
import { formatSeconds, statusThrottle, type StatusObject, type StatusThrottle } from './status';

/** What a poll node uses of its snmp-config node. */
export interface ConfigFacade {
  /** The config node's name: a device whose `profile` is this name is polled with it, whatever other node shares the name. */
  name?: string;
  profile: SnmpProfile | undefined;
  configError: string | undefined;
  engine(): FleetEngine;
  mib(): MibLookup | undefined;
}

/** snmp-config as the runtime hands it out: the facade plus its users map. */
export type SnmpConfigLike = ConfigFacade & { register(n: unknown): void; deregister(n: unknown, done?: () => void): void };

/** When the node polls: at each input message, or each device at its own interval. */
export type PollSchedulingMode = 'input' | 'interval';

export interface PollNodeSettings {
  kind: 'get' | 'walk';
  oidText: string;
  walk?: WalkOptions & { output: 'rows' | 'varbinds' };
  /** Absent: 'input', as in flows written before the node could schedule itself. */
  schedule?: PollSchedulingMode;
  /** Seconds between two polls of a device without an interval of its own ('interval' only). */
  interval?: number;
  /** 'json': results in the JSON form for MQTT (common/result-form.ts); default 'message'. */
  form?: 'message' | 'json';
}

/** Profile lookup by name (the registry of snmp-config nodes); replaceable in tests. */
export type ProfileFinder = (name: string) => { config: ConfigFacade } | { problem: 'unknown' | 'ambiguous' | 'invalid'; detail?: string };

/** The default `interval` property, seconds: what the examples' inject nodes repeat. */
export const DEFAULT_INTERVAL_S = 60;

/**
 * The `schedule` and `interval` properties of snmp-get / snmp-bulkwalk, checked. Throws a
 * PropertyError naming the property.
 */
export function scheduleSettings(def: { schedule?: unknown; interval?: unknown; oids?: unknown }): Pick<PollNodeSettings, 'schedule' | 'interval'> {
  const schedule = oneOf<PollSchedulingMode>('schedule', def.schedule, ['input', 'interval'], 'input');
  let interval = DEFAULT_INTERVAL_S;
  if (text(def.interval) !== '') {
    try {
      interval = parseInterval(text(def.interval));
    } catch (err) {
      throw new PropertyError('interval', (err as Error).message);
    }
  }
  if (schedule === 'interval' && splitOidList(def.oids).length === 0) {
    // a scheduled turn has no message to take msg.oids from
    throw new PropertyError('oids', 'a node that polls on its own schedule needs its own OID list');
  }
  return { schedule, interval };
}

type Send = (msgs: Array<Msg | null>) => void;
type Done = (err?: Error) => void;

/** A close waits this long for polls in flight. */
const CLOSE_WAIT_MS = 2000;

/** One snmp-get / snmp-bulkwalk node instance. */
export class PollNode {
  private readonly guard = new InFlightGuard();
  private readonly health = new DeviceHealth();
  /** Published for snmp-metrics through the health registry. */
  readonly stats = new PollStats();
  private readonly unregisterHealth: () => void;
  private readonly warnings: CountedWarnings;
  private readonly status: StatusThrottle;
  private closed = false;
  private readonly active = new Set<Promise<unknown>>();
  private nodeOids: string[] | undefined;
  /** The cycle the status shows while it runs. */
  private progress: { done: number; total: number } | undefined;
  /** The node's own schedule ('interval'); undefined on 'input' or without a usable config. */
  private schedule: PollSchedule | undefined;
  /** Polls done in the last minute, with their failures by code ('interval'). */
  private readonly recent = new LastMinute();
  /** Entries of the last inventory that cannot be polled, as their error texts (which name the entry). */
  private badTargets = new Set<string>();
  /** How many entries of the last inventory cannot be polled. */
  private badCount = 0;
  /** Turns skipped because an input's immediate poll found the device busy ('interval'). */
  private skippedByInput = 0;
  /** The OIDs of scheduled turns, resolved once; the error's text when they cannot be. */
  private scheduledOids: string[] | string | undefined;
  /**
   * Devices not polled because their deadline passed first: an input's msg.deadline (a
   * job that came late, or waited past it), or a scheduled turn still waiting for the
   * fleet scheduler when the device's next turn came.
   */
  private expiredTotal = 0;

  constructor(
    private readonly node: NodeFacade,
    private readonly config: ConfigFacade | undefined,
    private readonly settings: PollNodeSettings,
    private readonly profileNamed: ProfileFinder = findProfile,
  ) {
    this.warnings = new CountedWarnings((text) => node.warn(text));
    const scheduled = settings.schedule === 'interval';
    this.status = statusThrottle(() => (scheduled ? this.scheduleStatus() : this.progressStatus()), (s) => node.status(s), scheduled ? 100 : 0);
    if (!config) this.status.set({ fill: 'red', shape: 'ring', text: node.t('status.no-config') });
    else if (!config.profile) this.status.set({ fill: 'red', shape: 'ring', text: node.t('status.bad-config') });
    else if (scheduled) this.startSchedule(config, config.profile);
    else node.status({});
    this.unregisterHealth = registerHealth(node.id, () => withLabels(this.stats.families(), nodeLabels(node)));
  }

  /** The OIDs of this trigger: the node's list wins; msg.oids only when it is empty. */
  private oidsFor(msg: Msg, mib: MibLookup | undefined): string[] {
    const configured = splitOidList(this.settings.oidText);
    if (configured.length > 0) {
      if (!this.nodeOids) this.nodeOids = this.expand(resolveOids(configured, mib), mib);
      return this.nodeOids;
    }
    const fromMsg = splitOidList(msg.oids);
    if (fromMsg.length === 0) throw new ConfigError(this.node.t('errors.no-oids'));
    if (fromMsg.length > 10000) throw new ConfigError('msg.oids has more than 10000 entries');
    return this.expand(resolveOids(fromMsg, mib), mib);
  }

  private expand(oids: string[], mib: MibLookup | undefined): string[] {
    return this.settings.kind === 'walk' ? expandWalkOids(oids, this.settings.walk?.nonRepeaters ?? 0, mib) : oids;
  }

  /** Handles one input message; calls done once, with an error only for unusable input. */
  input(msg: Msg, send: Send, done: Done): void {
    const config = this.config;
    if (!config) {
      done(new Error(this.node.t('errors.no-config')));
      return;
    }
    if (!config.profile) {
      done(new Error(this.node.t('errors.bad-config', { error: config.configError ?? '' })));
      return;
    }
    if (this.schedule) {
      this.scheduledInput(config, config.profile, this.schedule, msg, send, done);
      return;
    }
    let request: PollRequest;
    let mib: MibLookup | undefined;
    let rejected: RejectedTarget[];
    try {
      mib = config.mib();
      const choice = chooseTargets(config.profile.inventory, msg, config.profile.port);
      if (choice.ignoredOverride) this.warnings.note('inventory-wins', this.node.t('warn.inventory-wins'));
      rejected = choice.rejected;
      request = { kind: this.settings.kind, devices: choice.devices, oids: this.oidsFor(msg, mib), walk: this.settings.walk, form: this.settings.form, deadline: deadlineOf(msg) };
    } catch (err) {
      const e = err as Error;
      this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
      done(e instanceof ConfigError ? new Error(e.message) : e);
      return;
    }
    if (this.lateJob(request, done)) return;
    const copyInput = inputCopier(msg, (m) => this.node.cloneMessage(m));
    this.reportRejected(rejected, (fields) => send([null, Object.assign(copyInput(), fields)]));
    this.runCycle(config, request, mib, msg, send, done, copyInput, rejected.length);
  }

  /**
   * A job from a backlog (a broker or worker that was away) whose msg.deadline has
   * passed: polled late, its results would land in the next cycle's place. Its devices
   * are counted, not polled; true when done was called.
   */
  private lateJob(request: PollRequest, done: Done): boolean {
    if (request.deadline === undefined || Date.now() <= request.deadline) return false;
    this.expiredTotal += request.devices.length;
    this.warnings.note('expired', this.node.t('warn.expired'));
    if (this.schedule) this.status.set(this.scheduleStatus());
    else this.status.set({ fill: 'yellow', shape: 'ring', text: this.node.t('status.expired', { n: this.expiredTotal }) });
    done();
    return true;
  }

  /**
   * The devices by the profile that polls them: the node's own, or the snmp-config node
   * a device names (`profile`; the node's own name is the node's own). A device whose
   * profile is unknown, named twice or invalid is refused, with the reason for its
   * failure message (code `profile`).
   */
  private byProfile(own: ConfigFacade, devices: Device[]): { groups: Array<[ConfigFacade, Device[]]>; refused: Array<[Device, string]> } {
    const groups = new Map<ConfigFacade, Device[]>();
    const refused: Array<[Device, string]> = [];
    const found = new Map<string, ReturnType<ProfileFinder>>();
    const ownName = own.name?.trim();
    for (const d of devices) {
      let cfg = own;
      if (d.profile !== undefined && d.profile !== ownName) {
        let lookup = found.get(d.profile);
        if (!lookup) found.set(d.profile, (lookup = this.profileNamed(d.profile)));
        if ('problem' in lookup) {
          const text = this.node.t(`errors.profile-${lookup.problem}`, { profile: d.profile.slice(0, 128), error: lookup.detail ?? '' });
          this.warnings.note(`profile:${d.profile.slice(0, 128)}`, text);
          refused.push([d, text]);
          continue;
        }
        cfg = lookup.config;
      }
      let list = groups.get(cfg);
      if (!list) groups.set(cfg, (list = []));
      list.push(d);
    }
    return { groups: [...groups], refused };
  }

  /** Output 2 for a device whose profile cannot be used, in the node's form. */
  private profileFailure(device: Device, message: string, version: SnmpProfile['version'], form: PollRequest['form']): ResultFields {
    const base = { topic: device.name, device: deviceField(device), snmp: { time: Date.now(), elapsedMs: 0, version, requests: 0 } };
    const error = errorField({ code: 'profile', message }, this.source());
    return form === 'json'
      ? { topic: base.topic, device: base.device, payload: { snmpResult: RESULT_FORM_VERSION, ...base, payload: null, error } }
      : { ...base, payload: null, error };
  }

  /**
   * Polls `request.devices`, each with its profile, calling `emit` once per device (the
   * refused ones first, as failures of code `profile`). Resolves with one summary for all.
   */
  private pollByProfile(
    config: ConfigFacade,
    request: PollRequest,
    mib: MibLookup | undefined,
    emit: (port: 0 | 1, fields: ResultFields, result: PollResult) => void,
  ): Promise<CycleSummary> {
    const version = config.profile!.version;
    const { groups, refused } = this.byProfile(config, request.devices);
    for (const [device, message] of refused) {
      // counted for snmp-metrics as a failed poll of code 'profile' (the device is down for it)
      const result: PollResult = { ok: false, device, failure: { code: 'profile', message }, time: Date.now(), elapsedMs: 0, requests: 0 };
      emit(1, this.profileFailure(device, message, version, request.form), result);
    }
    const source = this.source();
    const cycles = groups.map(([cfg, devices]) => runPollCycle({ engine: cfg.engine(), mib, guard: this.guard, source }, { ...request, devices }, emit));
    return Promise.all(cycles).then((summaries) => mergeSummaries(summaries, refused.length));
  }

  /** The error source of this node's failure messages. */
  private source(): { id: string; type: string; name?: string } {
    return this.node.name ? { id: this.node.id, type: this.node.type, name: this.node.name } : { id: this.node.id, type: this.node.type };
  }

  /** Logs a device's fall and recovery, once each. */
  private noteHealth(result: Parameters<DeviceHealth['update']>[0]): void {
    const transition = this.health.update(result);
    if (!transition) return;
    if (transition.state === 'down') this.node.warn(this.node.t('log.device-down', { device: deviceInLog(transition.device), reason: transition.reason }));
    else this.node.log(this.node.t('log.device-up', { device: deviceInLog(transition.device) }));
  }

  /**
   * Sends one output-2 message per rejected entry of an inventory (a trigger's list, or
   * the schedule's) and logs an entry only when it was not bad, or bad otherwise, in the
   * inventory before: a refresh every minute repeats the messages, not the log.
   */
  private reportRejected(rejected: RejectedTarget[], sendFields: (fields: Msg) => void): void {
    const now = new Set<string>();
    for (const r of rejected) {
      if (!this.badTargets.has(r.error)) this.node.warn(this.node.t('log.bad-target', { error: r.error }));
      now.add(r.error);
      if (this.closed) continue;
      const error = { code: 'bad-target', message: r.error, ...(r.index === undefined ? {} : { index: r.index }), source: this.source() };
      const topic = r.name ?? r.key;
      const device = r.device ? { device: deviceField(r.device) } : {};
      if (this.settings.form === 'json') {
        // in the JSON form, as the poll results are, so an aggregator reading them from MQTT
        // gets a failure (its device only when the entry's host and port parsed)
        const snmp = { time: Date.now(), elapsedMs: 0, version: this.config?.profile?.version, requests: 0 };
        sendFields({ topic, ...device, payload: { snmpResult: RESULT_FORM_VERSION, topic, ...device, snmp, payload: null, target: r.entry, error } });
      } else {
        sendFields({ topic, ...device, payload: null, target: r.entry, error });
      }
    }
    this.badTargets = now;
    this.badCount = rejected.length;
  }

  /** One triggered cycle (input mode, or an input of a scheduled node): one message per device. */
  private runCycle(config: ConfigFacade, request: PollRequest, mib: MibLookup | undefined, msg: Msg, send: Send, done: Done, copyInput: () => Msg, rejectedCount = 0): void {
    const failureCodes = new Map<string, number>();
    let incomplete = 0;
    const progress = { done: 0, total: request.devices.length };
    const scheduled = this.schedule !== undefined;
    if (!scheduled) this.progress = progress;
    this.status.request();
    let cycle: Promise<CycleSummary>;
    try {
      cycle = this.pollByProfile(config, request, mib, (port: 0 | 1, fields: ResultFields, result) => {
        progress.done++;
        this.stats.record(result);
        if (this.closed) return;
        const out = copyInput();
        Object.assign(out, fields);
        if (!result.ok) failureCodes.set(result.failure.code, (failureCodes.get(result.failure.code) ?? 0) + 1);
        else if (result.incomplete) incomplete++;
        if (scheduled) this.recent.add(result.ok ? undefined : result.failure.code, result.ok && result.incomplete !== undefined);
        // a refused profile is no poll: the device's health is not its agent's
        if (result.ok || result.failure.code !== 'profile') this.noteHealth(result);
        send(port === 0 ? [out, null] : [null, out]);
        this.status.request();
      });
    } catch (err) {
      if (this.progress === progress) this.progress = undefined;
      done(err as Error);
      return;
    }
    this.active.add(cycle);
    cycle.then(
      (summary) => {
        this.active.delete(cycle);
        if (this.progress === progress) this.progress = undefined;
        // a scheduled node has turns, not cycles: its stats read the skips from the schedule
        if (scheduled) this.skippedByInput += summary.skipped;
        else {
          this.stats.endCycle(summary);
          this.health.endCycle();
        }
        if (this.closed) return done();
        if (summary.expired) {
          this.expiredTotal += summary.expired;
          this.warnings.note('expired', this.node.t('warn.expired'));
        }
        this.status.set(scheduled ? this.scheduleStatus() : this.summaryStatus(summary, failureCodes, rejectedCount, incomplete));
        if (summary.deliveryErrors) this.node.warn(`${summary.deliveryErrors} results could not be sent: ${summary.lastDeliveryError}`);
        done();
      },
      (err: Error) => {
        this.active.delete(cycle);
        if (this.progress === progress) this.progress = undefined;
        done(err);
      },
    );
  }

  /** Blue while a cycle runs: devices answered so far of the cycle's total. */
  private progressStatus(): StatusObject {
    const p = this.progress;
    if (!p) return {};
    return { fill: 'blue', shape: 'dot', text: this.node.t('status.polling', { done: p.done, total: p.total }) };
  }

  private summaryStatus(s: CycleSummary, failureCodes: Map<string, number>, rejected = 0, incomplete = 0): StatusObject {
    const polled = s.ok + s.failed;
    const parts = [this.node.t('status.summary', { ok: s.ok, total: polled, time: formatSeconds(s.elapsedMs) })];
    if (s.skipped > 0) parts.push(this.node.t('status.skipped', { n: s.skipped }));
    if (this.expiredTotal > 0) parts.push(this.node.t('status.expired', { n: this.expiredTotal }));
    if (rejected > 0) parts.push(this.node.t('status.bad-targets', { n: rejected }));
    // walks kept in part (snmp-bulkwalk's keepPartial): answers, but not whole ones
    if (incomplete > 0) parts.push(this.node.t('status.incomplete', { n: incomplete }));
    // the reason at a glance: the most frequent failure code of the cycle
    const worst = [...failureCodes].sort((a, b) => b[1] - a[1])[0];
    if (worst) parts.push(worst[0]);
    const text = parts.join(' · ');
    if (polled === 0) return { fill: 'yellow', shape: 'ring', text };
    if (s.failed === 0) return { fill: rejected > 0 || incomplete > 0 ? 'yellow' : 'green', shape: 'dot', text };
    if (s.ok === 0) return { fill: 'red', shape: 'ring', text };
    return { fill: 'yellow', shape: 'dot', text };
  }

  // ---------------------------------------------------------------- own schedule

  private startSchedule(config: ConfigFacade, profile: SnmpProfile): void {
    this.schedule = new PollSchedule({
      defaultInterval: this.settings.interval ?? DEFAULT_INTERVAL_S,
      isBusy: (key) => this.guard.has(key),
      poll: (devices) => this.pollScheduled(config, devices),
    });
    const schedule = this.schedule;
    this.stats.scheduled(() => schedule.skipped + this.skippedByInput);
    // snmp-config's inventory was checked whole; a device naming an unknown profile fails each turn (code profile)
    if (profile.inventory.length > 0) this.schedule.update(profile.inventory);
    this.status.set(this.scheduleStatus());
  }

  /** The node's OIDs for a turn of the schedule; undefined (reported once) when they cannot be resolved. */
  private oidsForSchedule(mib: MibLookup | undefined): string[] | undefined {
    if (this.scheduledOids === undefined) {
      try {
        this.scheduledOids = this.oidsFor({}, mib);
      } catch (err) {
        this.scheduledOids = (err as Error).message;
        this.node.error(this.node.t('errors.bad-property', { error: this.scheduledOids }));
      }
    }
    return typeof this.scheduledOids === 'string' ? undefined : this.scheduledOids;
  }

  /**
   * A turn of the schedule: polls `devices` (none busy), each with its profile, and sends
   * one fresh message per device. The turn's deadline is the next turn of its devices (the
   * shortest interval among them): a poll still waiting for the fleet scheduler then is
   * dropped and counted as expired, as the next turn takes its place.
   */
  private pollScheduled(config: ConfigFacade, devices: Device[]): void {
    if (this.closed) return;
    let mib: MibLookup | undefined;
    try {
      mib = config.mib();
    } catch (err) {
      this.warnings.note('schedule', this.node.t('warn.schedule-failed', { error: (err as Error).message }));
      return;
    }
    const oids = this.oidsForSchedule(mib);
    if (!oids) {
      this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
      return;
    }
    const nodeInterval = this.settings.interval ?? DEFAULT_INTERVAL_S;
    const shortest = devices.reduce((min, d) => Math.min(min, d.interval ?? nodeInterval), Infinity);
    const request: PollRequest = { kind: this.settings.kind, devices, oids, walk: this.settings.walk, form: this.settings.form, deadline: Date.now() + shortest * 1000 };
    let cycle: Promise<CycleSummary>;
    try {
      cycle = this.pollByProfile(config, request, mib, (port: 0 | 1, fields: ResultFields, result) => {
        this.stats.record(result);
        if (this.closed) return;
        this.recent.add(result.ok ? undefined : result.failure.code, result.ok && result.incomplete !== undefined);
        if (result.ok || result.failure.code !== 'profile') this.noteHealth(result);
        // a turn has no input message: each result is a message of its own
        this.node.send(port === 0 ? [fields, null] : [null, fields]);
        this.status.request();
      });
    } catch (err) {
      this.warnings.note('schedule', this.node.t('warn.schedule-failed', { error: (err as Error).message }));
      return;
    }
    this.active.add(cycle);
    cycle.then(
      (summary) => {
        this.active.delete(cycle);
        if (summary.expired) this.expiredTotal += summary.expired;
        if (summary.deliveryErrors) this.warnings.note('delivery', `${summary.deliveryErrors} results could not be sent: ${summary.lastDeliveryError}`);
      },
      (err: Error) => {
        this.active.delete(cycle);
        this.warnings.note('schedule', this.node.t('warn.schedule-failed', { error: err.message }));
      },
    );
  }

  /**
   * An input of a scheduled node: msg.targets becomes the schedule's inventory (no poll
   * now: new devices come at their phase, within one interval; msg.deadline is not read,
   * an inventory does not expire); msg.target is polled now; any other message polls
   * every scheduled device now. Those polls now honour msg.deadline like an input node's.
   */
  private scheduledInput(config: ConfigFacade, profile: SnmpProfile, schedule: PollSchedule, msg: Msg, send: Send, done: Done): void {
    const fromConfig = profile.inventory.length > 0;
    if (msg.targets !== undefined) {
      if (fromConfig) {
        this.warnings.note('inventory-wins', this.node.t('warn.inventory-wins'));
        done();
        return;
      }
      if (!Array.isArray(msg.targets)) {
        this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
        done(new Error('msg.targets must be an array of "host[:port]" strings or {host, port} objects'));
        return;
      }
      if (msg.targets.length > MAX_TARGETS) {
        done(new Error(`msg.targets has more than ${MAX_TARGETS} entries`));
        return;
      }
      const read = readTargets(msg.targets, profile.port);
      // a list's entries are read in full before anything is sent: a fresh message per bad entry
      this.reportRejected(read.rejected, (fields) => send([null, fields]));
      const change = schedule.update(read.devices);
      // the health numbers follow the inventory: a device that left it is no longer reported
      this.stats.retain((key) => schedule.has(key));
      this.health.retain((key) => schedule.has(key));
      if (change.added + change.removed + change.moved > 0) {
        this.node.log(this.node.t('log.inventory', { devices: schedule.size, added: change.added, removed: change.removed, moved: change.moved, bad: read.rejected.length }));
      }
      this.status.set(this.scheduleStatus());
      done();
      return;
    }
    let request: PollRequest;
    let mib: MibLookup | undefined;
    try {
      mib = config.mib();
      let devices: Device[];
      if (msg.target !== undefined) {
        devices = chooseTargets([], { target: msg.target }, profile.port).devices;
      } else {
        devices = schedule.devices();
        if (devices.length === 0) throw new ConfigError(this.node.t('errors.nothing-scheduled'));
      }
      const oids = this.oidsForSchedule(mib);
      if (!oids) throw new ConfigError(typeof this.scheduledOids === 'string' ? this.scheduledOids : 'no OIDs');
      request = { kind: this.settings.kind, devices, oids, walk: this.settings.walk, form: this.settings.form, deadline: deadlineOf(msg) };
    } catch (err) {
      const e = err as Error;
      done(e instanceof ConfigError ? new Error(e.message) : e);
      return;
    }
    if (this.lateJob(request, done)) return;
    this.runCycle(config, request, mib, msg, send, done, inputCopier(msg, (m) => this.node.cloneMessage(m)));
  }

  /** Devices scheduled, polled in the last minute, skipped, bad entries, the commonest failure. */
  private scheduleStatus(): StatusObject {
    const schedule = this.schedule;
    if (!schedule) return {};
    const bad = this.badCount;
    if (schedule.size === 0 && bad === 0) return { fill: 'grey', shape: 'ring', text: this.node.t('status.waiting') };
    const { count, codes, partial } = this.recent.total();
    const parts = [this.node.t('status.scheduled', { n: schedule.size.toLocaleString('en-US'), rate: count.toLocaleString('en-US') })];
    const skipped = schedule.skipped + this.skippedByInput;
    if (skipped > 0) parts.push(this.node.t('status.skipped', { n: skipped.toLocaleString('en-US') }));
    if (this.expiredTotal > 0) parts.push(this.node.t('status.expired', { n: this.expiredTotal.toLocaleString('en-US') }));
    if (bad > 0) parts.push(this.node.t('status.bad-targets', { n: bad }));
    // walks kept in part (snmp-bulkwalk's keepPartial) in the last minute
    if (partial > 0) parts.push(this.node.t('status.incomplete', { n: partial.toLocaleString('en-US') }));
    let failed = 0;
    for (const n of codes.values()) failed += n;
    const worst = [...codes].sort((a, b) => b[1] - a[1])[0];
    if (worst) parts.push(worst[0]);
    const text = parts.join(' · ');
    if (count > 0 && failed === count) return { fill: 'red', shape: 'ring', text };
    if (failed > 0 || bad > 0 || partial > 0 || schedule.size === 0) return { fill: 'yellow', shape: 'dot', text };
    return { fill: 'green', shape: 'dot', text };
  }

  /** Stops sending; waits (bounded) for polls in flight so no callback fires after close. */
  async close(): Promise<void> {
    this.closed = true;
    this.schedule?.close();
    this.status.cancel();
    this.unregisterHealth();
    const pending = [...this.active];
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((r) => { timer = setTimeout(r, CLOSE_WAIT_MS); });
      await Promise.race([Promise.allSettled(pending), bound]);
      clearTimeout(timer);
    }
    this.warnings.report((count, text) => this.node.t('warn.repeated', { count, warning: text }));
    this.node.status({});
  }
}

/**
 * Wires a polling node to the runtime: finds its snmp-config node, registers with it,
 * forwards input, and on close stops sending, waits (bounded) and deregisters.
 * `settings` may throw a PropertyError: the node then follows the pack's
 * bad-configuration rule.
 */
export function setupPollNode(
  RED: RuntimeLike & { nodes: { getNode(id: string): unknown } },
  node: object,
  configId: string,
  settings: (config: SnmpConfigLike | undefined) => PollNodeSettings,
): void {
  const config = (RED.nodes.getNode(configId) as SnmpConfigLike | null) ?? undefined;
  startNode(RED, node, (facade) => new PollNode(facade, config, settings(config)), {
    started: () => config?.register(node),
    closed: () => config?.deregister(node),
  });
}

/**
 * Input fields that choose the work; the per-device messages do not carry them on. A
 * job's lifetime (its deadline, MQTT 5 message expiry) is not its results' lifetime.
 */
const REQUEST_FIELDS = ['targets', 'target', 'oids', 'deadline', 'messageExpiryInterval'];

/**
 * `msg.deadline`: the end of the job's cycle, ms since 1970 (or an ISO 8601 text);
 * undefined when absent. Throws a ConfigError for anything else.
 */
export function deadlineOf(msg: Msg): number | undefined {
  const v = msg.deadline;
  if (v === undefined || v === null || v === '') return undefined;
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t) || t < 0 || t > 8.64e15) throw new ConfigError('msg.deadline must be a time: ms since 1970 or an ISO 8601 text');
  return t;
}

/** One summary for the cycles of several profiles (and the devices refused before polling). */
function mergeSummaries(summaries: CycleSummary[], refused: number): CycleSummary {
  const out: CycleSummary = { total: refused, ok: 0, failed: refused, skipped: 0, elapsedMs: 0 };
  for (const s of summaries) {
    out.total += s.total;
    out.ok += s.ok;
    out.failed += s.failed;
    out.skipped += s.skipped;
    out.elapsedMs = Math.max(out.elapsedMs, s.elapsedMs);
    if (s.expired) out.expired = (out.expired ?? 0) + s.expired;
    if (s.deliveryErrors) {
      out.deliveryErrors = (out.deliveryErrors ?? 0) + s.deliveryErrors;
      out.lastDeliveryError = s.lastDeliveryError;
    }
  }
  return out;
}

/**
 * Makes the copy of the input message each device's message starts from. A message of
 * plain values (a trigger: payload, topic, _msgid) is copied with a spread, which for it
 * is as deep as RED.util.cloneMessage and far cheaper: a 5,000-device cycle makes 5,000
 * copies. Anything holding an object (other than the request fields) is cloned as before.
 */
export function inputCopier(msg: Msg, clone: (m: Msg) => Msg): () => Msg {
  const keys = Reflect.ownKeys(msg);
  const plain = keys.every((k) => {
    if (typeof k === 'string' && REQUEST_FIELDS.includes(k)) return true;
    const v = (msg as Record<string | symbol, unknown>)[k];
    return v === null || (typeof v !== 'object' && typeof v !== 'function');
  });
  if (plain) {
    // built without `delete`, which would leave the template (and every copy) a slow dictionary object
    const template: Msg = {} as Msg;
    for (const k of keys) {
      if (typeof k === 'string' && REQUEST_FIELDS.includes(k)) continue;
      (template as Record<string | symbol, unknown>)[k] = (msg as Record<string | symbol, unknown>)[k];
    }
    // Object.assign, not a spread: V8 (Node 20) gives an object made by `{...x}` a map
    // without transitions, and each property then added (the result's fields) costs a
    // microsecond; this runs once per device of every cycle
    return () => Object.assign({}, template);
  }
  return () => {
    const out = clone(msg);
    for (const k of REQUEST_FIELDS) delete out[k];
    return out;
  };
}

/**
 * A device as log lines name it. Its name comes from an inventory or a job (msg.targets
 * over MQTT): control characters (a terminal escape) become "?" and a name is cut at 100
 * characters, so that a log stays one readable line a device.
 */
export function deviceInLog(device: { host: string; port: number; name: string }): string {
  const addr = describeDevice(device);
  return device.name && device.name !== device.host && device.name !== addr ? `${clip(device.name, 100)} (${addr})` : addr;
}
