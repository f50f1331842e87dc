/**
 * snmp-get and snmp-bulkwalk as Node-RED nodes: each input chooses its devices and
 * OIDs, runs one poll cycle through the profile's shared scheduler and sends one
 * message per device (answers on output 1, failures on output 2); a device's fall and
 * recovery are logged once; the status shows the cycle; close waits, bounded, for
 * polls in flight so nothing is sent after it.
 */
import type { Device, MibLookup, SnmpProfile } from '../common/types';
import { RESULT_FORM_VERSION } from '../common/result-form';
import { runPollCycle, type PollRequest, type ResultFields } from '../poll/cycle';
import type { FleetEngine } from '../poll/fleet-engine';
import { DeviceHealth } from '../poll/health';
import { deviceField, errorField } from '../poll/messages';
import { PollStats } from '../poll/stats';
import { withLabels } from '../common/health';
import { InFlightGuard, type CycleSummary } from '../poll/scheduler';
import { chooseTargets, expandWalkOids, resolveOids, splitOidList } from '../poll/targets';
import { ConfigError } from '../common/inventory';
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
  profile: SnmpProfile | undefined;
  configError: string | undefined;
  engine(): FleetEngine;
  mib(): MibLookup | undefined;
}

/** snmp-config as the runtime hands it out: the facade plus its users map. */
export type SnmpConfigLike = ConfigFacade & { register(n: unknown): void; deregister(n: unknown, done?: () => void): void };

export interface PollNodeSettings {
  kind: 'get' | 'walk';
  oidText: string;
  walk?: WalkOptions & { output: 'rows' | 'varbinds' };
  /** 'json': results in the JSON form for MQTT (common/result-form.ts); default 'message'. */
  form?: 'message' | 'json';
}

/** Profile lookup by name (the registry of snmp-config nodes); replaceable in tests. */
export type ProfileFinder = (name: string) => { config: ConfigFacade } | { problem: 'unknown' | 'ambiguous' | 'invalid'; detail?: string };

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

  /** Devices of jobs that came after their deadline, or waited past it: dropped, never polled late. */
  private expiredTotal = 0;

  constructor(
    private readonly node: NodeFacade,
    private readonly config: ConfigFacade | undefined,
    private readonly settings: PollNodeSettings,
    private readonly profileNamed: ProfileFinder = findProfile,
  ) {
    this.warnings = new CountedWarnings((text) => node.warn(text));
    this.status = statusThrottle(() => this.progressStatus(), (s) => node.status(s), 0);
    if (!config) this.status.set({ fill: 'red', shape: 'ring', text: node.t('status.no-config') });
    else if (!config.profile) this.status.set({ fill: 'red', shape: 'ring', text: node.t('status.bad-config') });
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
    let request: PollRequest;
    let mib: MibLookup | undefined;
    try {
      mib = config.mib();
      const choice = chooseTargets(config.profile.inventory, msg, config.profile.port);
      if (choice.ignoredOverride) this.warnings.note('inventory-wins', this.node.t('warn.inventory-wins'));
      request = { kind: this.settings.kind, devices: choice.devices, oids: this.oidsFor(msg, mib), walk: this.settings.walk, form: this.settings.form, deadline: deadlineOf(msg) };
    } catch (err) {
      const e = err as Error;
      this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
      done(e instanceof ConfigError ? new Error(e.message) : e);
      return;
    }
    if (request.deadline !== undefined && Date.now() > request.deadline) {
      // a job from a backlog (a broker or worker that was away): polled late, its results
      // would land in the next cycle's place
      this.expiredTotal += request.devices.length;
      this.warnings.note('expired', this.node.t('warn.expired'));
      this.status.set({ fill: 'yellow', shape: 'ring', text: this.node.t('status.expired', { n: this.expiredTotal }) });
      done();
      return;
    }

    const failureCodes = new Map<string, number>();
    let incomplete = 0;
    const progress = { done: 0, total: request.devices.length };
    this.progress = progress;
    this.status.request();
    const source = this.node.name ? { id: this.node.id, type: this.node.type, name: this.node.name } : { id: this.node.id, type: this.node.type };
    const copyInput = inputCopier(msg, (m) => this.node.cloneMessage(m));
    const emit = (port: 0 | 1, fields: ResultFields): void => {
      progress.done++;
      if (this.closed) return;
      const out = copyInput();
      Object.assign(out, fields);
      send(port === 0 ? [out, null] : [null, out]);
      this.status.request();
    };
    const { groups, refused } = this.byProfile(config, request.devices);
    for (const [device, message] of refused) {
      failureCodes.set('profile', (failureCodes.get('profile') ?? 0) + 1);
      // counted for snmp-metrics as a failed poll of code 'profile' (the device is down for it)
      this.stats.record({ ok: false, device, failure: { code: 'profile', message }, time: Date.now(), elapsedMs: 0, requests: 0 });
      emit(1, this.profileFailure(device, message, config.profile.version, source, request.form));
    }
    const cycles = groups.map(([cfg, devices]) => runPollCycle({ engine: cfg.engine(), mib, guard: this.guard, source }, { ...request, devices }, (port, fields, result) => {
      this.stats.record(result);
      if (!result.ok) failureCodes.set(result.failure.code, (failureCodes.get(result.failure.code) ?? 0) + 1);
      else if (result.incomplete) incomplete++;
      const transition = this.health.update(result);
      if (transition) {
        if (transition.state === 'down') this.node.warn(this.node.t('log.device-down', { device: describe(transition.device), reason: transition.reason }));
        else this.node.log(this.node.t('log.device-up', { device: describe(transition.device) }));
      }
      emit(port, fields);
    }));
    const cycle = Promise.all(cycles).then((summaries) => mergeSummaries(summaries, refused.length));
    this.active.add(cycle);
    cycle.then(
      (summary) => {
        this.active.delete(cycle);
        if (this.progress === progress) this.progress = undefined;
        this.stats.endCycle(summary);
        if (this.closed) return done();
        if (summary.expired) {
          this.expiredTotal += summary.expired;
          this.warnings.note('expired', this.node.t('warn.expired'));
        }
        this.status.set(this.summaryStatus(summary, failureCodes, incomplete));
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

  /**
   * The devices by the profile that polls them: the node's own, or the snmp-config node
   * a device names (`profile`). A device whose profile is unknown, named twice or
   * invalid is refused, with the reason for its failure message.
   */
  private byProfile(own: ConfigFacade, devices: Device[]): { groups: Array<[ConfigFacade, Device[]]>; refused: Array<[Device, string]> } {
    const groups = new Map<ConfigFacade, Device[]>();
    const refused: Array<[Device, string]> = [];
    const found = new Map<string, ReturnType<ProfileFinder>>();
    for (const d of devices) {
      let cfg = own;
      if (d.profile !== undefined) {
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
  private profileFailure(device: Device, message: string, version: SnmpProfile['version'], source: { id: string; type: string; name?: string }, form: PollRequest['form']): ResultFields {
    const base = { topic: device.name, device: deviceField(device), snmp: { time: Date.now(), elapsedMs: 0, version, requests: 0 } };
    const error = errorField({ code: 'profile', message }, source);
    return form === 'json'
      ? { topic: base.topic, device: base.device, payload: { snmpResult: RESULT_FORM_VERSION, ...base, payload: null, error } }
      : { ...base, payload: null, error };
  }

  /** Blue while a cycle runs: devices answered so far of the cycle's total. */
  private progressStatus(): StatusObject {
    const p = this.progress;
    if (!p) return {};
    return { fill: 'blue', shape: 'dot', text: this.node.t('status.polling', { done: p.done, total: p.total }) };
  }

  private summaryStatus(s: CycleSummary, failureCodes: Map<string, number>, incomplete: number): StatusObject {
    const polled = s.ok + s.failed;
    const parts = [this.node.t('status.summary', { ok: s.ok, total: polled, time: formatSeconds(s.elapsedMs) })];
    if (s.skipped > 0) parts.push(this.node.t('status.skipped', { n: s.skipped }));
    if (this.expiredTotal > 0) parts.push(this.node.t('status.expired', { n: this.expiredTotal }));
    // walks kept in part (snmp-bulkwalk's keepPartial): answers, but not whole ones
    if (incomplete > 0) parts.push(this.node.t('status.incomplete', { n: incomplete }));
    // the reason at a glance: the most frequent failure code of the cycle
    const worst = [...failureCodes].sort((a, b) => b[1] - a[1])[0];
    if (worst) parts.push(worst[0]);
    const text = parts.join(' · ');
    if (polled === 0) return { fill: 'yellow', shape: 'ring', text };
    if (s.failed === 0) return { fill: incomplete > 0 ? 'yellow' : 'green', shape: 'dot', text };
    if (s.ok === 0) return { fill: 'red', shape: 'ring', text };
    return { fill: 'yellow', shape: 'dot', text };
  }

  /** Stops sending; waits (bounded) for polls in flight so no callback fires after close. */
  async close(): Promise<void> {
    this.closed = true;
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
    const template: Msg = { ...msg };
    for (const k of REQUEST_FIELDS) delete template[k];
    return () => ({ ...template });
  }
  return () => {
    const out = clone(msg);
    for (const k of REQUEST_FIELDS) delete out[k];
    return out;
  };
}

function describe(device: { host: string; port: number; name: string }): string {
  const addr = device.host.includes(':') ? `[${device.host}]:${device.port}` : `${device.host}:${device.port}`;
  return device.name && device.name !== device.host && device.name !== addr ? `${device.name} (${addr})` : addr;
}
