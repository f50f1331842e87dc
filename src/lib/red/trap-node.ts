/**
 * The engine of the trap-in node, free of Node-RED: reads the node's properties and
 * its snmp-config nodes' credentials, keeps the node's engine ID and boots in its
 * context, joins the shared listener of its port, names senders from the inventories,
 * turns notifications and rejections into messages, and keeps the status to one update
 * a second at most.
 */
import * as net from 'net';
import type { MibLookup, SnmpProfile, V3User } from '../common/types';
import { AllowList } from '../trap/allow-list';
import { DeviceIndex, type HostLookup } from '../trap/device-index';
import { bootEngine, deriveEngineId, parseEngineId } from '../trap/engine-id';
import type { ListenerStatus, TrapCredentials, TrapListener, TrapSubscriber } from '../trap/listener';
import { parseFilter, rejectionPayload, trapMessage, type Notification, type Rejection, type TrapFilter } from '../trap/notification';
import { ReportLimiter } from '../trap/rate-limit';
import { joinListener } from '../trap/registry';

export const DEFAULT_PORT = 162;
/** DESIGN.md: with the kernel default a burst of 2,000 traps loses most of them. */
export const DEFAULT_RCVBUF = 4 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = 1000;

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

export interface StatusObject {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** What the engine needs of the Node-RED node. */
export interface TrapNodeFacade {
  id: string;
  status(s: StatusObject): void;
  error(text: string): void;
  warn(text: string): void;
  /** RED._ with trap-in's locale keys. */
  t(key: string, vars?: Record<string, unknown>): string;
  send(msgs: [Record<string, unknown> | null, Record<string, unknown> | null]): void;
  contextGet(key: string, cb: (err: unknown, value: unknown) => void): void;
  contextSet(key: string, value: unknown, cb: (err: unknown) => void): void;
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
  allow: AllowList;
  filterText: string;
}

function text(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

function integer(name: string, v: unknown, def: number, min: number, max: number): number {
  const s = text(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** Checks the node's own properties; throws an Error naming the property. */
export function readTrapSettings(def: TrapInDef): TrapInSettings {
  const address = text(def.address);
  if (address && !net.isIP(address)) throw new Error('address must be an IP address (e.g. 0.0.0.0, ::, 127.0.0.1)');
  return {
    port: integer('port', def.port, DEFAULT_PORT, 1, 65535),
    address,
    rcvbuf: integer('rcvbuf', def.rcvbuf, DEFAULT_RCVBUF, 8192, 1024 * 1024 * 1024),
    rateLimit: integer('rateLimit', def.rateLimit, DEFAULT_RATE_LIMIT, 0, 10_000_000),
    allow: new AllowList(text(def.allow)),
    filterText: typeof def.filter === 'string' ? def.filter : '',
  };
}

/** Communities (v1/v2c profiles) and users (v3 profiles) of the linked configs. */
export function credentialsOf(profiles: SnmpProfile[]): TrapCredentials {
  const communities: string[] = [];
  const users: V3User[] = [];
  for (const p of profiles) {
    if (p.version === '3') {
      if (p.user) users.push(p.user);
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

interface StoredEngine {
  id?: unknown;
  boots?: unknown;
}

const CONTEXT_KEY = 'engine';

/** Unresolved host names named in the warning. */
const NAMES_SHOWN = 5;

/** Nodes already warned in this process that their context store is not persistent. */
const warnedVolatile = new Set<string>();

export class TrapInNode implements TrapSubscriber {
  credentials: TrapCredentials = { communities: [], users: [] };
  filter?: TrapFilter;
  private settings: TrapInSettings | undefined;
  private profiles: SnmpProfile[] = [];
  private devices = new DeviceIndex([]);
  private readonly resolving = new AbortController();
  private resolved: Promise<void> = Promise.resolve();
  private mib: MibLookup | undefined;
  private listener: TrapListener | undefined;
  private leave: (() => Promise<void>) | undefined;
  private readonly reports = new ReportLimiter();
  private timer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private listenerStatus: ListenerStatus = { state: 'binding' };
  private closed = false;
  private failureLogged = false;

  constructor(private readonly node: TrapNodeFacade, private readonly def: TrapInDef, private readonly configs: Array<TrapConfigLike | null | undefined>) {}

  /** Reads the configuration and, when usable, starts listening. Never throws. */
  start(): void {
    try {
      this.settings = readTrapSettings(this.def);
    } catch (err) {
      return this.configFailed('bad-property', (err as Error).message);
    }
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
    this.devices = inventoryIndex(this.profiles);
    const withMib = linked.find((c) => typeof c.mib === 'function');
    try {
      this.mib = withMib ? withMib.mib?.() : this.node.fallbackMib();
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
    this.node.status({ fill: 'yellow', shape: 'ring', text: 'trap-in.status.binding' });
    this.node.contextGet(CONTEXT_KEY, (_err, value) => this.withEngine(value as StoredEngine | undefined));
  }

  /** Indexes the addresses of inventory host names; one warning for those that fail. */
  private async resolveHostNames(): Promise<void> {
    if (this.devices.hostNames.length === 0) return;
    const unresolved = await this.devices.resolveNames(this.node.lookupHost, { signal: this.resolving.signal });
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
    this.node.status({ fill: 'red', shape: 'ring', text: `trap-in.status.${key}` });
  }

  private withEngine(stored: StoredEngine | undefined): void {
    if (this.closed || !this.settings) return;
    const id = parseEngineId(stored?.id) ?? deriveEngineId(this.node.id);
    const boots = bootEngine(id, stored?.boots);
    this.node.contextSet(CONTEXT_KEY, { id: id.toString('hex'), boots }, () => { /* boots also grows with the clock */ });
    if (this.node.contextPersistent === false && this.credentials.users.length > 0 && !warnedVolatile.has(this.node.id)) {
      // only v3 informs make us authoritative; boots then rests on the clock alone
      warnedVolatile.add(this.node.id);
      this.node.warn(this.node.t('errors.context-not-persistent'));
    }
    const { address, port, rcvbuf, allow, rateLimit } = this.settings;
    let joined;
    try {
      const mib = this.mib;
      joined = joinListener({ address, port, rcvbuf, allow, rateLimit }, this, { engineId: id, engineBoots: boots, mib: () => mib });
    } catch (err) {
      return this.configFailed('bad-user', (err as Error).message);
    }
    if (!joined.ok) {
      const settings = joined.conflict.join(', ');
      this.node.error(this.node.t('errors.conflict', { port, settings }));
      this.node.status({ fill: 'red', shape: 'ring', text: this.node.t('status.conflict', { port, settings }) });
      return;
    }
    this.listener = joined.listener;
    this.leave = joined.leave;
    this.timer = setInterval(() => this.refreshStatus(), 1000);
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
      const port = this.settings?.port;
      const key = status.code === 'EACCES' ? 'eacces' : status.code === 'EADDRINUSE' ? 'eaddrinuse' : 'bind-failed';
      this.node.error(this.node.t(`errors.${key}`, { port, code: status.code, error: status.message }));
    }
    if (status.state === 'listening' && this.settings && status.rcvbuf > 0 && status.rcvbuf < this.settings.rcvbuf) {
      this.node.warn(this.node.t('errors.rcvbuf-capped', { requested: this.settings.rcvbuf, got: status.rcvbuf }));
    }
    if (this.listener || status.state === 'failed') this.refreshStatus();
  }

  onNotification(n: Notification): void {
    if (this.closed) return;
    const host = n.source.address;
    const device = this.devices.get(host) ?? { host, port: n.source.port, name: host, labels: {} };
    this.node.send([trapMessage(n, device) as unknown as Record<string, unknown>, null]);
  }

  onRejected(r: Rejection): void {
    if (this.closed) return;
    const held = this.reports.admit(r.source.address);
    if (held === undefined) return;
    this.node.send([null, { topic: r.reason, payload: rejectionPayload(r, held) }]);
  }

  /** The status for the current listener state; set only when it changed. */
  refreshStatus(): void {
    if (this.closed) return;
    const s = this.listenerStatus;
    const port = this.settings?.port;
    let status: StatusObject;
    if (s.state === 'failed') {
      const key = s.code === 'EACCES' ? 'eacces' : s.code === 'EADDRINUSE' ? 'eaddrinuse' : 'bind-failed';
      status = { fill: 'red', shape: 'ring', text: this.node.t(`status.${key}`, { port, code: s.code }) };
    } else if (s.state === 'listening' && this.listener) {
      const st = this.listener.stats;
      status = st.received === 0
        ? { fill: 'green', shape: 'dot', text: this.node.t('status.listening', { port: s.port }) }
        : { fill: 'green', shape: 'dot', text: this.node.t('status.counts', { received: st.received, rejected: st.rejected + st.rateLimited, malformed: st.malformed }) };
    } else {
      status = { fill: 'yellow', shape: 'ring', text: 'trap-in.status.binding' };
    }
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.node.status(status);
  }

  /** The listener this node is on (tests read its counters). */
  get shared(): TrapListener | undefined {
    return this.listener;
  }

  /** Leaves the listener (closing it when this node was the last) and clears the status. */
  async close(): Promise<void> {
    this.closed = true;
    this.resolving.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const leave = this.leave;
    this.leave = undefined;
    this.listener = undefined;
    try {
      if (leave) await leave();
    } finally {
      this.node.status({});
    }
  }
}
