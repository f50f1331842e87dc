/**
 * The engine of the trap-in node, free of Node-RED: reads the node's properties and
 * its snmp-config nodes' credentials, keeps the node's engine ID and boots in its
 * context, joins the shared listener of its port, names senders from the inventories,
 * turns notifications and rejections into messages, and keeps the status to one update
 * a second at most.
 */
import * as crypto from 'crypto';
import * as net from 'net';
import type { MibLookup, SnmpProfile } from '../common/types';
import { AllowList } from '../trap/allow-list';
import { DeviceIndex, type HostLookup } from '../trap/device-index';
import { bootEngine, deriveEngineId, parseEngineId } from '../trap/engine-id';
import type { ClockRecord } from '../trap/usm';
import type { ListenerStatus, TrapCredentials, TrapListener, TrapSubscriber, TrapUser } from '../trap/listener';
import { parseFilter, rejectionPayload, trapMessage, type Notification, type Rejection, type TrapFilter } from '../trap/notification';
import { ReportLimiter } from '../trap/rate-limit';
import { joinListener } from '../trap/registry';
import { registerHealth } from './health-registry';
import { trapHealth } from './health-sources';
import { DEFAULT_MAX_VARBINDS } from '../trap/listener';
import type { NodeFacade } from './node-facade';
import { integer, PropertyError, text } from '../common/properties';
import { StatefulNode } from './stateful-node';
import { statusThrottle, type StatusObject, type StatusThrottle } from './status';

export const DEFAULT_PORT = 162;
/** DESIGN.md: with the kernel default a burst of 2,000 traps loses most of them. */
export const DEFAULT_RCVBUF = 4 * 1024 * 1024;
/**
 * Per source: a sustained 1,000 traps a second, and a burst of 2,000 (a router's link
 * flap) at once. A blank burst is two seconds at the rate, so a flow that raised the
 * rate limit before the burst existed still lets through at least what it did.
 */
export const DEFAULT_RATE_LIMIT = 1000;
export const DEFAULT_BURST = 2 * DEFAULT_RATE_LIMIT;
export { DEFAULT_MAX_VARBINDS };

/** trap-in's properties as stored in the flow. */
export interface TrapInDef {
  port?: unknown;
  address?: unknown;
  snmp?: unknown;
  snmp2?: unknown;
  snmp3?: unknown;
  snmp4?: unknown;
  allow?: unknown;
  rateLimit?: unknown;
  burst?: unknown;
  maxVarbinds?: unknown;
  rcvbuf?: unknown;
  filter?: unknown;
}

/** What trap-in uses of an snmp-config node. */
export interface TrapConfigLike {
  id: string;
  name?: string;
  profile?: SnmpProfile;
  configError?: string;
  mib?(): MibLookup | undefined;
}

/** What trap-in needs beyond the node itself. */
export interface TrapEnvironment {
  /** The shared MIB service when no config node offers one. */
  fallbackMib(): MibLookup | undefined;
  /** False when the context store forgets on restart (Node-RED's memory store); undefined when unknown. */
  contextPersistent?: boolean;
  /** Resolves inventory host names (default: dns.lookup). */
  lookupHost?: HostLookup;
}

export interface TrapInSettings {
  port: number;
  address: string;
  rcvbuf: number;
  rateLimit: number;
  burst: number;
  maxVarbinds: number;
  allow: AllowList;
  filterText: string;
}

/** Checks the node's own properties; throws a PropertyError naming the property. */
export function readTrapSettings(def: TrapInDef): TrapInSettings {
  const address = text(def.address);
  if (address && !net.isIP(address)) throw new PropertyError('address', 'address must be an IP address (e.g. 0.0.0.0, ::, 127.0.0.1)');
  let allow: AllowList;
  try {
    allow = new AllowList(text(def.allow));
  } catch (err) {
    throw new PropertyError('allow', (err as Error).message);
  }
  const rateLimit = integer('rateLimit', def.rateLimit, DEFAULT_RATE_LIMIT, 0, 10_000_000);
  return {
    port: integer('port', def.port, DEFAULT_PORT, 1, 65535),
    address,
    rcvbuf: integer('rcvbuf', def.rcvbuf, DEFAULT_RCVBUF, 8192, 1024 * 1024 * 1024),
    rateLimit,
    burst: integer('burst', def.burst, rateLimit > 0 ? 2 * rateLimit : DEFAULT_BURST, 1, 20_000_000),
    maxVarbinds: integer('maxVarbinds', def.maxVarbinds, DEFAULT_MAX_VARBINDS, 1, 10_000),
    allow,
    filterText: typeof def.filter === 'string' ? def.filter : '',
  };
}

/** Communities (v1/v2c profiles) and users (v3 profiles, with their pinned engines) of the linked configs. */
export function credentialsOf(profiles: SnmpProfile[]): TrapCredentials {
  const communities: string[] = [];
  const users: TrapUser[] = [];
  for (const p of profiles) {
    if (p.version === '3') {
      if (p.user) users.push(p.trapEngineIds ? { ...p.user, engineIds: p.trapEngineIds } : p.user);
    } else if (p.community && !communities.includes(p.community)) {
      communities.push(p.community);
    }
  }
  return { communities, users };
}

/** Sender address → device of the linked inventories (first config wins); host names once resolved. */
export function inventoryIndex(profiles: SnmpProfile[]): DeviceIndex {
  return new DeviceIndex(profiles);
}

/**
 * What the node keeps in its context: its own SNMP engine (a stable ID, boots growing
 * per start) and the clocks of the remote engines its v3 users' traps came from, so a
 * trap captured before a restart is as untimely after it as before.
 */
interface StoredEngine {
  id: string;
  boots: number;
  clocks: ClockRecord[];
}

const CONTEXT_KEY = 'engine';

/**
 * Message ids for traps. Node-RED gives a message without one 16 random hex digits
 * (util.generateId: eight Math.random() calls and a join, half a microsecond, a tenth
 * of a trap's whole cost at 50,000 a second); a random prefix and a counter are as
 * unique within a process and across restarts, for a fraction of it.
 */
let idPrefix = crypto.randomBytes(4).toString('hex');
let idCounter = 0;

function nextMessageId(): string {
  idCounter = (idCounter + 1) >>> 0;
  if (idCounter === 0) idPrefix = crypto.randomBytes(4).toString('hex');
  return idPrefix + idCounter.toString(16).padStart(8, '0');
}

/** The labels of a sender outside the inventories (trapMessage copies them). */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Unresolved host names named in the warning. */
const NAMES_SHOWN = 5;

/** Nodes already warned in this process that their context store is not persistent. */
const warnedVolatile = new Set<string>();

export class TrapInNode implements TrapSubscriber {
  credentials: TrapCredentials = { communities: [], users: [] };
  filter?: TrapFilter;
  private profiles: SnmpProfile[] = [];
  private devices = new DeviceIndex([]);
  private readonly resolving = new AbortController();
  private resolved: Promise<void> = Promise.resolve();
  private mib: MibLookup | undefined;
  private listener: TrapListener | undefined;
  private leave: (() => Promise<void>) | undefined;
  private unregisterHealth: (() => void) | undefined;
  private readonly reports = new ReportLimiter();
  private readonly status: StatusThrottle;
  private state: StatefulNode<StoredEngine> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listenerStatus: ListenerStatus = { state: 'binding' };
  private closed = false;
  private failureLogged = false;
  /** The v3 user names of the linked profiles, whose remote clocks this node saves. */
  private userNames: ReadonlySet<string> = new Set();
  /** The listener whose clocks are saved; kept after leaving it, for the last write. */
  private clockSource: TrapListener | undefined;
  private clocksChanged = false;
  /** Rate-limit cuts when the status was last computed. */
  private cutShown = 0;

  constructor(
    private readonly node: NodeFacade,
    private readonly settings: TrapInSettings,
    private readonly configs: Array<TrapConfigLike | null | undefined>,
    private readonly env: TrapEnvironment,
  ) {
    this.status = statusThrottle(() => this.currentStatus(), (s) => node.status(s), 0);
  }

  /** Links the configs and, when usable, starts listening. Never throws. */
  start(): void {
    const linked = this.configs.filter((c): c is TrapConfigLike => Boolean(c));
    if (linked.length === 0) {
      this.node.error(this.node.t('errors.no-config'));
      this.node.status({ fill: 'red', shape: 'ring', text: 'trap-in.status.no-config' });
      return;
    }
    for (const c of linked) {
      if (c.profile) this.profiles.push(c.profile);
      else this.node.error(this.node.t('errors.bad-config', { name: c.name || c.id, error: c.configError ?? '' }));
    }
    if (this.profiles.length === 0) {
      this.node.status({ fill: 'red', shape: 'ring', text: 'trap-in.status.bad-config' });
      return;
    }
    this.credentials = credentialsOf(this.profiles);
    this.userNames = new Set(this.credentials.users.map((u) => u.name));
    this.devices = inventoryIndex(this.profiles);
    const withMib = linked.find((c) => typeof c.mib === 'function');
    try {
      this.mib = withMib ? withMib.mib?.() : this.env.fallbackMib();
    } catch {
      this.mib = undefined;
    }
    try {
      const filter = parseFilter(this.settings.filterText, this.mib);
      if (!filter.isEmpty) this.filter = filter;
    } catch (err) {
      return this.configFailed('bad-filter', (err as Error).message);
    }
    // listen meanwhile: a trap before its sender's name is known still arrives, by address
    this.resolved = this.resolveHostNames().catch(() => undefined);
    this.status.set({ fill: 'yellow', shape: 'ring', text: 'trap-in.status.binding' });
    // The engine ID and boots, kept in the node's default context store; written at
    // once, since boots must have grown before any inform is acknowledged.
    this.state = new StatefulNode<StoredEngine>(this.node, {
      key: CONTEXT_KEY,
      store: '',
      saveDelayMs: 0,
      restore: (raw) => {
        const stored = (raw && typeof raw === 'object' ? raw : {}) as { id?: unknown; boots?: unknown; clocks?: unknown };
        const id = parseEngineId(stored.id) ?? deriveEngineId(this.node.id);
        return { id: id.toString('hex'), boots: bootEngine(id, stored.boots), clocks: Array.isArray(stored.clocks) ? stored.clocks : [] };
      },
      state: (engine) => ({ id: engine.id, boots: engine.boots, clocks: this.clocksToSave(engine) }),
      ready: (engine) => {
        this.state?.changed();
        this.withEngine(engine);
      },
    });
  }

  /** Indexes the addresses of inventory host names; one warning for those that fail. */
  private async resolveHostNames(): Promise<void> {
    if (this.devices.hostNames.length === 0) return;
    const unresolved = await this.devices.resolveNames(this.env.lookupHost, { signal: this.resolving.signal });
    if (this.closed || unresolved.length === 0) return;
    const names = unresolved.slice(0, NAMES_SHOWN).join(', ') + (unresolved.length > NAMES_SHOWN ? ', ...' : '');
    this.node.warn(this.node.t('errors.unresolved', { count: unresolved.length, names }));
  }

  /** Settles once inventory host names are resolved (or given up on). */
  get namesResolved(): Promise<void> {
    return this.resolved;
  }

  private configFailed(key: string, message: string): void {
    this.node.error(this.node.t(`errors.${key}`, { error: message }));
    this.status.set({ fill: 'red', shape: 'ring', text: `trap-in.status.${key}` });
  }

  private withEngine(stored: StoredEngine): void {
    if (this.closed) return;
    const id = Buffer.from(stored.id, 'hex');
    const boots = stored.boots;
    if (this.env.contextPersistent === false && this.credentials.users.length > 0 && !warnedVolatile.has(this.node.id)) {
      // only v3 informs make us authoritative; boots then rests on the clock alone
      warnedVolatile.add(this.node.id);
      this.node.warn(this.node.t('errors.context-not-persistent'));
    }
    const { address, port, rcvbuf, allow, rateLimit, burst, maxVarbinds } = this.settings;
    let joined;
    try {
      const mib = this.mib;
      joined = joinListener({ address, port, rcvbuf, allow, rateLimit, burst, maxVarbinds }, this, { engineId: id, engineBoots: boots, mib: () => mib });
    } catch (err) {
      return this.configFailed('bad-user', (err as Error).message);
    }
    if (!joined.ok) {
      const settings = joined.conflict.join(', ');
      this.node.error(this.node.t('errors.conflict', { port, settings }));
      this.status.set({ fill: 'red', shape: 'ring', text: this.node.t('status.conflict', { port, settings }) });
      return;
    }
    this.listener = joined.listener;
    this.clockSource = joined.listener;
    this.leave = joined.leave;
    // one report per shared listener, whichever of its nodes holds it
    const listener = joined.listener;
    const name = `${address || '0.0.0.0'}:${port}`;
    this.unregisterHealth = registerHealth(`trap-listener ${name}`, () => trapHealth(name, listener.stats));
    if (this.userNames.size > 0) joined.listener.clocks.restore(stored.clocks);
    // the listener's counters change with every datagram: shown once a second at most;
    // the learned clocks are written as often
    this.timer = setInterval(() => {
      this.status.request();
      if (this.clocksChanged) {
        this.clocksChanged = false;
        this.state?.changed();
      }
    }, 1000);
    this.timer.unref?.();
    this.refreshStatus();
    if (this.mib) {
      // load the MIBs now rather than on the first trap of a burst
      const mib = this.mib;
      setImmediate(() => {
        if (this.closed) return;
        try { mib.describe('1.3.6.1.6.3.1.1.5.1'); } catch { /* names fall back to OIDs */ }
      });
    }
  }

  onStatus(status: ListenerStatus): void {
    this.listenerStatus = status;
    if (status.state === 'failed' && !this.failureLogged) {
      this.failureLogged = true;
      const port = this.settings.port;
      const key = status.code === 'EACCES' ? 'eacces' : status.code === 'EADDRINUSE' ? 'eaddrinuse' : 'bind-failed';
      this.node.error(this.node.t(`errors.${key}`, { port, code: status.code, error: status.message }));
    }
    if (status.state === 'listening' && status.rcvbuf > 0 && status.rcvbuf < this.settings.rcvbuf) {
      this.node.warn(this.node.t('errors.rcvbuf-capped', { requested: this.settings.rcvbuf, got: status.rcvbuf }));
    }
    if (this.listener || status.state === 'failed') this.refreshStatus();
  }

  onNotification(n: Notification, owned?: boolean): void {
    if (this.closed) return;
    const host = n.source.address;
    const device = this.devices.get(host) ?? { host, port: n.source.port, name: host, labels: NO_LABELS };
    const msg: Record<string, unknown> = trapMessage(n, device, owned);
    msg._msgid = nextMessageId();
    this.node.send([msg, null]);
    this.status.request();
    // an accepted authenticated trap may have moved its sender's clock
    if (n.version === '3' && n.pdu === 'trap') this.clocksChanged = true;
  }

  /** The clocks of this node's users, as the listener has them now (or as restored, before it joined). */
  private clocksToSave(engine: StoredEngine): ClockRecord[] {
    if (this.userNames.size === 0) return [];
    return this.clockSource ? this.clockSource.clocks.records(this.userNames) : engine.clocks;
  }

  onRejected(r: Rejection): void {
    if (this.closed) return;
    const held = this.reports.admit(r.source.address);
    if (held === undefined) return;
    this.node.send([null, { topic: r.reason, payload: rejectionPayload(r, held) }]);
  }

  /** Shows the status for the current listener state now (set only when it changed). */
  refreshStatus(): void {
    if (!this.closed) this.status.flush();
  }

  private currentStatus(): StatusObject {
    const s = this.listenerStatus;
    const port = this.settings.port;
    if (s.state === 'failed') {
      const key = s.code === 'EACCES' ? 'eacces' : s.code === 'EADDRINUSE' ? 'eaddrinuse' : 'bind-failed';
      return { fill: 'red', shape: 'ring', text: this.node.t(`status.${key}`, { port, code: s.code }) };
    }
    if (s.state === 'listening' && this.listener) {
      const st = this.listener.stats;
      if (st.received === 0) return { fill: 'green', shape: 'dot', text: this.node.t('status.listening', { port: s.port }) };
      const counts = { received: st.received, rejected: st.rejected, malformed: st.malformed };
      const cuts = this.listener.rateLimitCuts;
      if (cuts.total === 0) return { fill: 'green', shape: 'dot', text: this.node.t('status.counts', counts) };
      // yellow while a source is being cut, green again once its flood is over
      const cutting = cuts.total > this.cutShown;
      this.cutShown = cuts.total;
      return {
        fill: cutting ? 'yellow' : 'green',
        shape: 'dot',
        text: this.node.t('status.counts-cut', { ...counts, cut: cuts.total, source: cuts.top?.source ?? '' }),
      };
    }
    return { fill: 'yellow', shape: 'ring', text: 'trap-in.status.binding' };
  }

  /** The listener this node is on (tests read its counters). */
  get shared(): TrapListener | undefined {
    return this.listener;
  }

  /** Leaves the listener (closing it when this node was the last) and clears the status. */
  async close(): Promise<void> {
    this.closed = true;
    this.resolving.abort();
    this.status.cancel();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unregisterHealth?.();
    this.unregisterHealth = undefined;
    const leave = this.leave;
    this.leave = undefined;
    this.listener = undefined;
    try {
      await this.state?.close();
      if (leave) await leave();
    } finally {
      this.node.status({});
    }
  }
}
