/**
 * The input/close behaviour shared by snmp-get and snmp-bulkwalk, behind a narrow
 * interface of the Node-RED node (so it stays testable and free of node-red imports).
 */
import { ConfigError } from '../common/inventory';
import { chooseTargets, formatSeconds, PollRunner, resolveOids, splitOidList, type FleetEngine, type PollRequest, type ResultFields } from '../poll/targets';
import type { CycleSummary } from '../poll/scheduler';
import type { MibLookup, SnmpProfile } from '../common/types';
import type { WalkOptions } from '../poll/device-poll';
import { tableColumns } from './mib-access';

export interface StatusObject {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** What the engine needs of a Node-RED node and its runtime. */
export interface NodeFacade {
  id: string;
  type: string;
  name?: string;
  status(s: StatusObject): void;
  warn(text: string): void;
  log(text: string): void;
  /** RED._ with this node type's locale keys. */
  t(key: string, vars?: Record<string, unknown>): string;
  cloneMessage<T>(msg: T): T;
}

export interface ConfigFacade {
  profile: SnmpProfile | undefined;
  configError: string | undefined;
  engine(): FleetEngine;
  mib(): MibLookup | undefined;
}

export interface PollNodeSettings {
  kind: 'get' | 'walk';
  oidText: string;
  walk?: WalkOptions & { output: 'rows' | 'varbinds' };
}

type Msg = Record<string, unknown> & { targets?: unknown; target?: unknown; oids?: unknown };
type Send = (msgs: Array<Msg | null>) => void;

/** Minimum time between two status updates while a cycle runs. */
const STATUS_INTERVAL_MS = 1000;

/** One snmp-get / snmp-bulkwalk node instance. */
export class PollNode {
  private runner: PollRunner | undefined;
  private warnedOverride = false;
  private closed = false;
  private readonly active = new Set<Promise<unknown>>();
  private cycles = 0;
  private nodeOids: string[] | undefined;

  constructor(private readonly node: NodeFacade, private readonly config: ConfigFacade | undefined, private readonly settings: PollNodeSettings) {
    if (!config) {
      node.status({ fill: 'red', shape: 'ring', text: node.t('status.no-config') });
    } else if (!config.profile) {
      node.status({ fill: 'red', shape: 'ring', text: node.t('status.bad-config') });
    } else {
      node.status({});
    }
  }

  private getRunner(config: ConfigFacade): PollRunner {
    if (!this.runner) this.runner = new PollRunner(config.engine(), config.mib(), this.node.name ? { id: this.node.id, type: this.node.type, name: this.node.name } : { id: this.node.id, type: this.node.type });
    return this.runner;
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

  /** Walks: tables become their columns (after the non-repeaters), walked in lock-step. */
  private expand(oids: string[], mib: MibLookup | undefined): string[] {
    if (this.settings.kind !== 'walk') return oids;
    const nonRepeaters = this.settings.walk?.nonRepeaters ?? 0;
    // a non-repeater is a GETNEXT: ask for `sysUpTime` to get `sysUpTime.0`, so a user
    // who writes the instance gets that instance, not the next object
    const scalars = oids.slice(0, nonRepeaters).map((oid) => {
      const info = mib?.describe(oid);
      return info && info.instance === '0' ? info.oid : oid;
    });
    const walked = oids.slice(nonRepeaters).flatMap((oid) => tableColumns(oid));
    return [...scalars, ...new Set(walked)];
  }

  /** Handles one input message; calls done once, with an error only for unusable input. */
  input(msg: Msg, send: Send, done: (err?: Error) => void): void {
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
    let runner: PollRunner;
    try {
      const mib = config.mib();
      const choice = chooseTargets(config.profile.inventory, msg, config.profile.port);
      if (choice.ignoredOverride && !this.warnedOverride) {
        this.warnedOverride = true;
        this.node.warn(this.node.t('warn.inventory-wins'));
      }
      request = { kind: this.settings.kind, devices: choice.devices, oids: this.oidsFor(msg, mib), walk: this.settings.walk };
      runner = this.getRunner(config);
    } catch (err) {
      const e = err as Error;
      this.node.status({ fill: 'red', shape: 'ring', text: this.node.t('status.bad-input') });
      done(e instanceof ConfigError ? new Error(e.message) : e);
      return;
    }

    const total = request.devices.length;
    const failureCodes = new Map<string, number>();
    let finished = 0;
    let lastStatus = 0;
    const progress = () => {
      const now = Date.now();
      if (now - lastStatus < STATUS_INTERVAL_MS) return;
      lastStatus = now;
      this.node.status({ fill: 'blue', shape: 'dot', text: this.node.t('status.polling', { done: finished, total }) });
    };
    progress();

    const copyInput = inputCopier(msg, (m) => this.node.cloneMessage(m));
    const cycle = runner.run(request, (port: 0 | 1, fields: ResultFields, result) => {
      finished++;
      if (this.closed) return;
      const out = copyInput();
      Object.assign(out, fields);
      if (!result.ok) failureCodes.set(result.failure.code, (failureCodes.get(result.failure.code) ?? 0) + 1);
      const transition = runner.health.update(result);
      if (transition) {
        if (transition.state === 'down') this.node.warn(this.node.t('log.device-down', { device: describe(transition.device), reason: transition.reason }));
        else this.node.log(this.node.t('log.device-up', { device: describe(transition.device) }));
      }
      send(port === 0 ? [out, null] : [null, out]);
      progress();
    });
    this.active.add(cycle);
    cycle.then(
      (summary) => {
        this.active.delete(cycle);
        if (this.closed) return done();
        this.cycles++;
        this.node.status(this.summaryStatus(summary, failureCodes));
        if (summary.deliveryErrors) this.node.warn(`${summary.deliveryErrors} results could not be sent: ${summary.lastDeliveryError}`);
        done();
      },
      (err: Error) => {
        this.active.delete(cycle);
        done(err);
      },
    );
  }

  private summaryStatus(s: CycleSummary, failureCodes: Map<string, number>): StatusObject {
    const polled = s.ok + s.failed;
    const parts = [this.node.t('status.summary', { ok: s.ok, total: polled, time: formatSeconds(s.elapsedMs) })];
    if (s.skipped > 0) parts.push(this.node.t('status.skipped', { n: s.skipped }));
    // the reason at a glance: the most frequent failure code of the cycle
    const worst = [...failureCodes].sort((a, b) => b[1] - a[1])[0];
    if (worst) parts.push(worst[0]);
    const text = parts.join(' · ');
    if (polled === 0) return { fill: 'yellow', shape: 'ring', text };
    if (s.failed === 0) return { fill: 'green', shape: 'dot', text };
    if (s.ok === 0) return { fill: 'red', shape: 'ring', text };
    return { fill: 'yellow', shape: 'dot', text };
  }

  /** Stops sending; waits (bounded) for polls in flight so no callback fires after close. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.active];
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((r) => { timer = setTimeout(r, 2000); });
      await Promise.race([Promise.allSettled(pending), bound]);
      clearTimeout(timer);
    }
    this.node.status({});
  }
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
  return device.name && device.name !== device.host ? `${device.name} (${addr})` : addr;
}
