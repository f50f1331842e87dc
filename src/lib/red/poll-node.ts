/**
 * snmp-get and snmp-bulkwalk as Node-RED nodes: each input chooses its devices and
 * OIDs, runs one poll cycle through the profile's shared scheduler and sends one
 * message per device (answers on output 1, failures on output 2); a device's fall and
 * recovery are logged once; the status shows the cycle; close waits, bounded, for
 * polls in flight so nothing is sent after it.
 */
import type { MibLookup, SnmpProfile } from '../common/types';
import { runPollCycle, type PollRequest, type ResultFields } from '../poll/cycle';
import type { FleetEngine } from '../poll/fleet-engine';
import { DeviceHealth } from '../poll/health';
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

  constructor(private readonly node: NodeFacade, private readonly config: ConfigFacade | undefined, private readonly settings: PollNodeSettings) {
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
      request = { kind: this.settings.kind, devices: choice.devices, oids: this.oidsFor(msg, mib), walk: this.settings.walk };
    } catch (err) {
      const e = err as Error;
      this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
      done(e instanceof ConfigError ? new Error(e.message) : e);
      return;
    }

    const failureCodes = new Map<string, number>();
    let incomplete = 0;
    const progress = { done: 0, total: request.devices.length };
    this.progress = progress;
    this.status.request();
    const source = this.node.name ? { id: this.node.id, type: this.node.type, name: this.node.name } : { id: this.node.id, type: this.node.type };
    const copyInput = inputCopier(msg, (m) => this.node.cloneMessage(m));
    const cycle = runPollCycle({ engine: config.engine(), mib, guard: this.guard, source }, request, (port: 0 | 1, fields: ResultFields, result) => {
      progress.done++;
      this.stats.record(result);
      if (this.closed) return;
      const out = copyInput();
      Object.assign(out, fields);
      if (!result.ok) failureCodes.set(result.failure.code, (failureCodes.get(result.failure.code) ?? 0) + 1);
      else if (result.incomplete) incomplete++;
      const transition = this.health.update(result);
      if (transition) {
        if (transition.state === 'down') this.node.warn(this.node.t('log.device-down', { device: describe(transition.device), reason: transition.reason }));
        else this.node.log(this.node.t('log.device-up', { device: describe(transition.device) }));
      }
      send(port === 0 ? [out, null] : [null, out]);
      this.status.request();
    });
    this.active.add(cycle);
    cycle.then(
      (summary) => {
        this.active.delete(cycle);
        if (this.progress === progress) this.progress = undefined;
        this.stats.endCycle(summary);
        if (this.closed) return done();
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

/** Input fields that choose the work; the per-device messages do not carry them on. */
const REQUEST_FIELDS = ['targets', 'target', 'oids'];

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
