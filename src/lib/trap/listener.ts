/**
 * The trap listener: one UDP socket, our own receive path (no net-snmp Receiver, which
 * throws from its socket handler on some malformed packets, accepts replayed v3
 * messages and keeps a single user list).
 *
 * Every datagram is handled synchronously inside one try/catch and ends in exactly one
 * counter: accepted, rejected, malformed, rateLimited or discovery (a v3 engine-ID
 * probe answered). Nothing thrown by a datagram, a subscriber or the socket leaves
 * the 'message' handler.
 *
 * Several subscribers (trap-in nodes) share a listener; each brings its communities and
 * v3 users, and receives the notifications authenticated by its own credentials that
 * pass its filter. Rejections go to every subscriber.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import type { SnmpVersion, V3User } from '../common/types';
import { AllowList, normalizeAddress } from './allow-list';
import { MalformedPacket, Tag } from '../common/ber';
import {
  MsgFlags, readPdu, readScopedPdu, readV3Message, readVersion,
  type NotificationPdu, type ScopedPdu, type V3Message,
} from './message';
import { buildNotification, type MibProvider, type Notification, type RejectReason, type Rejection, type Source, type TrapFilter } from './notification';
import { OidNames } from './oid-names';
import { SourceRateLimiter, type SourceCut } from './rate-limit';
import { communityMessage, encodeV3Message, reportPdu, responsePdu, scopedPdu, type UsmStatName } from './respond';
import { LocalEngine, RemoteClocks, ReplayCache, UsmUser } from './usm';

/** What must agree between nodes sharing a port. */
export interface ListenerSettings {
  /** Listen address; '' = 0.0.0.0. '::' listens on IPv6 and IPv4 (dual stack). */
  address: string;
  port: number;
  /** SO_RCVBUF in bytes. */
  rcvbuf: number;
  allow: AllowList;
  /** Datagrams per source per second (a token bucket's rate); 0 = no limit. */
  rateLimit: number;
  /** Datagrams a source may send at once (the bucket's size); default the rate. */
  burst?: number;
  /** Varbinds decoded per notification; the rest are counted and dropped. Default 256. */
  maxVarbinds?: number;
}

/** DESIGN.md: a bounded decode cost per datagram, well below the 3,400 varbinds of a 64 KiB trap. */
export const DEFAULT_MAX_VARBINDS = 256;

export interface ListenerOptions {
  /** Our engine (authoritative for informs): a stable ID and the boot count. */
  engineId: Buffer;
  engineBoots: number;
  mib?: MibProvider;
  now?: () => number;
  /** For tests: a socket factory instead of dgram.createSocket. */
  createSocket?: (type: 'udp4' | 'udp6') => dgram.Socket;
  /**
   * The remote engines' clocks and the digests seen, shared by the process's listeners
   * (registry.ts) so that a redeploy, which replaces the listener, forgets neither.
   * Default: the listener's own.
   */
  clocks?: RemoteClocks;
  replays?: ReplayCache;
}

export type ListenerStatus =
  | { state: 'binding' }
  | { state: 'listening'; address: string; port: number; rcvbuf: number }
  | { state: 'failed'; code: string; message: string }
  | { state: 'closed' };

/** Counters of one listener. received = accepted + rejected + malformed + rateLimited + discovery. */
export interface TrapStats {
  received: number;
  accepted: number;
  rejected: number;
  malformed: number;
  rateLimited: number;
  discovery: number;
  /** Informs acknowledged. */
  informs: number;
  /** v3 Report PDUs sent. */
  reports: number;
  sendErrors: number;
  /** Exceptions other than MalformedPacket while handling a datagram (bugs; counted as malformed). */
  internalErrors: number;
  /** Accepted notifications whose varbinds past the cap were dropped. */
  truncated: number;
  /** Varbinds dropped past the cap, in all. */
  varbindsDropped: number;
}

/** A v3 user a subscriber accepts. */
export interface TrapUser extends V3User {
  /**
   * The authoritative engine IDs (hex) its messages may come from, as snmptrapd's
   * `createUser -e`: a trap names its sender's engine, an inform ours. Absent or
   * empty: any engine.
   */
  engineIds?: readonly string[];
}

/** The credentials a subscriber accepts. */
export interface TrapCredentials {
  communities: string[];
  users: TrapUser[];
}

export interface TrapSubscriber {
  readonly credentials: TrapCredentials;
  readonly filter?: TrapFilter;
  /** `owned`: no other subscriber gets `n` after this one, which may keep its objects. */
  onNotification(n: Notification, owned?: boolean): void;
  onRejected(r: Rejection): void;
  onStatus(status: ListenerStatus): void;
}

interface CommunityEntry {
  bytes: Buffer;
  subscribers: TrapSubscriber[];
}

interface UserEntry {
  user: UsmUser;
  identity: string;
  /** Allowed authoritative engine IDs (hex); undefined = any. */
  engines: ReadonlySet<string> | undefined;
  subscribers: TrapSubscriber[];
}

type Outcome = 'accepted' | 'rejected' | 'malformed' | 'rateLimited' | 'discovery';

function securityLevel(flags: number): V3User['level'] {
  return flags & MsgFlags.priv ? 'authPriv' : flags & MsgFlags.auth ? 'authNoPriv' : 'noAuthNoPriv';
}

/** A user name from the wire, safe to show (no control characters, at most 32 characters). */
function printableName(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?').slice(0, 32);
}

export class TrapListener {
  readonly stats: TrapStats = {
    received: 0, accepted: 0, rejected: 0, malformed: 0, rateLimited: 0, discovery: 0,
    informs: 0, reports: 0, sendErrors: 0, internalErrors: 0, truncated: 0, varbindsDropped: 0,
  };
  status: ListenerStatus = { state: 'binding' };
  readonly engine: LocalEngine;

  private socket: dgram.Socket | undefined;
  private readonly subscribers: TrapSubscriber[] = [];
  /** The accepted communities as octets, compared in place with the datagram's. */
  private communities: CommunityEntry[] = [];
  private users = new Map<string, UserEntry[]>();
  private readonly userCache = new Map<string, UsmUser>();
  private readonly limiter: SourceRateLimiter;
  private readonly names: OidNames;
  private readonly maxVarbinds: number;
  /** The remote engines' clocks learned from authenticated traps (saved by the nodes). */
  readonly clocks: RemoteClocks;
  /** Rejections by reason, since the listener opened. */
  readonly rejections: Partial<Record<RejectReason, number>> = {};
  private readonly replays: ReplayCache;
  private readonly usmCounters: Record<UsmStatName, number> = {
    unsupportedSecLevels: 0, notInTimeWindows: 0, unknownUserNames: 0, unknownEngineIDs: 0, wrongDigests: 0, decryptionErrors: 0,
  };
  private readonly now: () => number;
  private readonly mib: MibProvider;
  private closePromise: Promise<void> | undefined;

  constructor(readonly settings: ListenerSettings, private readonly options: ListenerOptions) {
    this.now = options.now ?? Date.now;
    this.mib = options.mib ?? (() => undefined);
    this.engine = new LocalEngine(options.engineId, options.engineBoots, this.now);
    this.limiter = new SourceRateLimiter(settings.rateLimit, settings.burst ?? settings.rateLimit, this.now);
    this.names = new OidNames(this.mib, undefined, this.now);
    this.maxVarbinds = settings.maxVarbinds ?? DEFAULT_MAX_VARBINDS;
    this.clocks = options.clocks ?? new RemoteClocks(this.now);
    this.replays = options.replays ?? new ReplayCache(this.now);
  }

  get transport(): 'udp4' | 'udp6' {
    return net.isIPv6(this.settings.address) ? 'udp6' : 'udp4';
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }

  /** Adds a subscriber; it hears the current status at once. Throws on an unusable v3 user. */
  subscribe(sub: TrapSubscriber): void {
    this.subscribers.push(sub);
    try {
      this.rebuildCredentials();
    } catch (err) {
      this.subscribers.pop();
      this.rebuildCredentials();
      throw err;
    }
    this.notifyStatus(sub);
  }

  /** Removes a subscriber; returns how many remain. */
  unsubscribe(sub: TrapSubscriber): number {
    const i = this.subscribers.indexOf(sub);
    if (i >= 0) this.subscribers.splice(i, 1);
    this.rebuildCredentials();
    return this.subscribers.length;
  }

  private rebuildCredentials(): void {
    const communities: CommunityEntry[] = [];
    const users = new Map<string, UserEntry[]>();
    const used = new Set<string>();
    for (const sub of this.subscribers) {
      for (const c of sub.credentials.communities) {
        const bytes = Buffer.from(c, 'utf8');
        const entry = communities.find((e) => e.bytes.equals(bytes));
        if (!entry) communities.push({ bytes, subscribers: [sub] });
        else if (!entry.subscribers.includes(sub)) entry.subscribers.push(sub);
      }
      for (const u of sub.credentials.users) {
        const keys = UsmUser.identity(u);
        let user = this.userCache.get(keys);
        if (!user) {
          user = new UsmUser(u);
          this.userCache.set(keys, user);
        }
        used.add(keys);
        const pins = u.engineIds && u.engineIds.length > 0 ? [...new Set(u.engineIds.map((e) => e.toLowerCase()))].sort() : undefined;
        const identity = pins ? `${keys}|${pins.join(',')}` : keys;
        const key = user.nameBytes.toString('latin1');
        let list = users.get(key);
        if (!list) {
          list = [];
          users.set(key, list);
        }
        let entry = list.find((e) => e.identity === identity);
        if (!entry) {
          entry = { user, identity, engines: pins && new Set(pins), subscribers: [] };
          list.push(entry);
        }
        if (!entry.subscribers.includes(sub)) entry.subscribers.push(sub);
      }
    }
    for (const identity of [...this.userCache.keys()]) if (!used.has(identity)) this.userCache.delete(identity);
    this.communities = communities;
    this.users = users;
  }

  // ------------------------------------------------------------------ socket

  /** Opens and binds the socket; the outcome arrives as a status. */
  start(): void {
    if (this.socket || this.status.state === 'closed') return;
    const { address, port, rcvbuf } = this.settings;
    const create = this.options.createSocket ?? ((type: 'udp4' | 'udp6') => dgram.createSocket({ type }));
    let socket: dgram.Socket;
    try {
      socket = create(this.transport);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.socket = socket;
    socket.on('message', (buf: Buffer, rinfo: dgram.RemoteInfo) => this.handle(buf, rinfo));
    socket.on('error', (err) => {
      if (this.status.state === 'listening') {
        // after bind only sends can fail, and they report through their callback
        this.stats.sendErrors++;
        return;
      }
      this.fail(err);
    });
    socket.on('listening', () => {
      let effective = 0;
      try {
        socket.setRecvBufferSize(rcvbuf);
        // Linux reports the doubled bookkeeping size (socket(7)); halve it to compare with the request
        effective = Math.floor(socket.getRecvBufferSize() / 2);
      } catch {
        // capped or refused by the kernel: keep the default and report it
        try { effective = Math.floor(socket.getRecvBufferSize() / 2); } catch { effective = 0; }
      }
      const a = socket.address();
      this.setStatus({ state: 'listening', address: a.address, port: a.port, rcvbuf: effective });
    });
    try {
      socket.bind({ port, address: address || (this.transport === 'udp6' ? '::' : '0.0.0.0'), exclusive: true });
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    this.setStatus({ state: 'failed', code: e?.code ?? 'ERROR', message: e?.message ?? String(err) });
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      try { s.close(); } catch { /* never bound */ }
    }
  }

  private setStatus(status: ListenerStatus): void {
    this.status = status;
    for (const sub of [...this.subscribers]) this.notifyStatus(sub);
  }

  private notifyStatus(sub: TrapSubscriber): void {
    try {
      sub.onStatus(this.status);
    } catch {
      // a subscriber's status handler must not break the listener
    }
  }

  /** Closes the socket now (the port is free when the promise resolves, bounded to 2 s). */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    const s = this.socket;
    this.socket = undefined;
    this.status = { state: 'closed' };
    this.closePromise = new Promise<void>((resolve) => {
      if (!s) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, 2000);
      try {
        s.close(() => {
          clearTimeout(timer);
          resolve();
        });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
    return this.closePromise;
  }

  private send(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const s = this.socket;
    if (!s) return;
    try {
      s.send(buf, rinfo.port, rinfo.address, (err) => {
        if (err) this.stats.sendErrors++;
      });
    } catch {
      this.stats.sendErrors++;
    }
  }

  // --------------------------------------------------------------- datagrams

  /** Handles one datagram. Never throws. */
  handle(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    let outcome: Outcome;
    try {
      outcome = this.process(buf, rinfo);
    } catch (err) {
      if (!(err instanceof MalformedPacket)) this.stats.internalErrors++;
      outcome = 'malformed';
    }
    this.stats[outcome]++;
  }

  private process(buf: Buffer, rinfo: dgram.RemoteInfo): Outcome {
    const now = this.now();
    const source: Source = { address: normalizeAddress(rinfo.address), port: rinfo.port };
    if (!this.settings.allow.allows(source.address)) return this.reject(source, 'not-allowed');
    const rate = this.limiter.take(source.address, now);
    if (rate !== 'ok') {
      if (rate === 'first-drop') this.reject(source, 'rate-limited');
      return 'rateLimited';
    }
    this.names.expire(now);
    const { version, body } = readVersion(buf);
    if (version === 3) return this.processV3(buf, body, source, rinfo, now);
    const wireVersion = version as 0 | 1;
    const snmpVersion: SnmpVersion = wireVersion === 0 ? '1' : '2c';
    body.expect(Tag.OctetString, 'community');
    const community = this.findCommunity(buf, body.valueStart, body.valueEnd);
    body.skipValue();
    if (!community) return this.reject(source, 'unknown-community', snmpVersion);
    const pdu = readPdu(body, { maxVarbinds: this.maxVarbinds, names: this.names });
    const expected = wireVersion === 0 ? pdu.type === Tag.TrapV1 : pdu.type === Tag.TrapV2 || pdu.type === Tag.InformRequest;
    if (!expected) return this.reject(source, 'unexpected-pdu', snmpVersion);
    const n = buildNotification(pdu, { version: snmpVersion, source, time: now }, this.mib());
    if (pdu.type === Tag.InformRequest) {
      this.send(communityMessage(wireVersion, community.bytes, responsePdu(pdu.requestIdBytes, pdu.varbindListBytes)), rinfo);
      this.stats.informs++;
    }
    this.deliver(n, community.subscribers);
    return 'accepted';
  }

  /** The accepted community equal to the datagram's octets `start`..`end`. */
  private findCommunity(buf: Buffer, start: number, end: number): CommunityEntry | undefined {
    const len = end - start;
    for (const c of this.communities) {
      const bytes = c.bytes;
      if (bytes.length !== len) continue;
      let i = 0;
      while (i < len && bytes[i] === buf[start + i]) i++;
      if (i === len) return c;
    }
    return undefined;
  }

  /** RFC 3412 §7.2 and RFC 3414 §3.2, in that order; reports only for reportable messages. */
  private processV3(buf: Buffer, body: ReturnType<typeof readVersion>['body'], source: Source, rinfo: dgram.RemoteInfo, now: number): Outcome {
    const m = readV3Message(body);
    const reportable = (m.flags & MsgFlags.reportable) !== 0;
    const userName = printableName(m.userName);
    if (m.securityModel !== 3) return this.reject(source, 'unsupported-security-model', '3', userName);
    let scoped: ScopedPdu | undefined;
    let pdu: NotificationPdu | undefined;
    if (!m.encrypted) {
      scoped = readScopedPdu(m.data);
      pdu = readPdu(scoped.pduReader, { maxVarbinds: this.maxVarbinds, names: this.names });
    }
    const requestId = pdu ? pdu.requestId : 0;
    const report = (stat: UsmStatName, user?: UsmUser) => {
      if (reportable) this.sendReport(m, rinfo, stat, requestId, user);
    };

    if (m.engineId.length === 0) {
      // RFC 3414 §4: engine-ID discovery; answer with ours
      if (!reportable) return this.reject(source, 'unknown-engine-id', '3', userName);
      this.usmCounters.unknownEngineIDs++;
      this.sendReport(m, rinfo, 'unknownEngineIDs', requestId);
      return 'discovery';
    }
    const ours = m.engineId.equals(this.engine.id);
    // a plaintext trap flagged reportable (some senders do) still has its sender as authority
    if (!ours && reportable && !(pdu && pdu.type === Tag.TrapV2)) {
      // a confirmed-class message (inform) must name us as its authoritative engine
      this.usmCounters.unknownEngineIDs++;
      report('unknownEngineIDs');
      return this.reject(source, 'unknown-engine-id', '3', userName);
    }
    const entries = this.users.get(m.userName.toString('latin1'));
    if (!entries) {
      this.usmCounters.unknownUserNames++;
      report('unknownUserNames');
      return this.reject(source, 'unknown-user', '3', userName);
    }
    const level = securityLevel(m.flags);
    let entry: UserEntry | undefined;
    let levelMatched = false;
    let candidates = 0;
    let engineHex: string | undefined;
    for (const e of entries) {
      if (e.user.level !== level) continue;
      levelMatched = true;
      if (e.engines) {
        engineHex ??= m.engineId.toString('hex');
        if (!e.engines.has(engineHex)) continue;
      }
      candidates++;
      if (level === 'noAuthNoPriv' || e.user.isAuthentic(buf, m.authParams, m.authParamsOffset, m.engineId)) {
        entry = e;
        break;
      }
    }
    if (!levelMatched) {
      this.usmCounters.unsupportedSecLevels++;
      report('unsupportedSecLevels');
      return this.reject(source, 'unsupported-security-level', '3', userName);
    }
    if (candidates === 0) {
      // every user of that name is pinned to other engines: for USM it does not exist
      // at this one (RFC 3414 §3.2 step 4, as snmptrapd answers a createUser -e user)
      this.usmCounters.unknownUserNames++;
      report('unknownUserNames');
      return this.reject(source, 'engine-not-allowed', '3', userName);
    }
    if (!entry) {
      this.usmCounters.wrongDigests++;
      report('wrongDigests');
      return this.reject(source, 'wrong-digest', '3', userName);
    }
    const user = entry.user;
    if (level !== 'noAuthNoPriv') {
      const timely = ours
        ? this.engine.isTimely(m.engineBoots, m.engineTime)
        : this.clocks.check(m.engineId, m.userName, m.engineBoots, m.engineTime);
      if (!timely) {
        this.usmCounters.notInTimeWindows++;
        // RFC 3414 §3.2 step 7a: authenticated so the sender can trust our boots/time
        report('notInTimeWindows', user);
        return this.reject(source, 'not-in-time-window', '3', userName);
      }
      const replayKey = `${m.engineId.toString('latin1')}\0${m.userName.toString('latin1')}\0${m.msgId}\0${m.authParams.toString('latin1')}`;
      if (this.replays.isReplay(replayKey)) return this.reject(source, 'replay', '3', userName);
    }
    if (m.encrypted) {
      try {
        const plain = user.decrypt(m.data, m.privParams, m.engineId, m.engineBoots, m.engineTime);
        scoped = readScopedPdu(plain);
      } catch {
        this.usmCounters.decryptionErrors++;
        report('decryptionErrors');
        return this.reject(source, 'decryption-error', '3', userName);
      }
      pdu = readPdu(scoped.pduReader, { maxVarbinds: this.maxVarbinds, names: this.names });
    }
    const s = scoped as ScopedPdu;
    const p = pdu as NotificationPdu;
    if (p.type !== Tag.TrapV2 && p.type !== Tag.InformRequest) return this.reject(source, 'unexpected-pdu', '3', userName);
    if (p.type === Tag.InformRequest && !ours) return this.reject(source, 'unknown-engine-id', '3', userName);
    const contextEngine = s.contextEngineId.length > 0 ? s.contextEngineId : m.engineId;
    const n = buildNotification(p, {
      version: '3',
      source,
      time: now,
      user: userName,
      // the sender's engine: authoritative for a trap; for an inform we are, so its context engine
      engine: (p.type === Tag.InformRequest ? contextEngine : m.engineId).toString('hex'),
      context: s.contextName.toString('utf8'),
    }, this.mib());
    if (p.type === Tag.InformRequest) {
      const response = scopedPdu(s.contextEngineId, s.contextName, responsePdu(p.requestIdBytes, p.varbindListBytes));
      this.send(encodeV3Message({ msgId: m.msgId, flags: m.flags, engine: this.engine, userName: m.userName, user, scopedPdu: response }), rinfo);
      this.stats.informs++;
    }
    this.deliver(n, entry.subscribers);
    return 'accepted';
  }

  private sendReport(m: V3Message, rinfo: dgram.RemoteInfo, stat: UsmStatName, requestId: number, user?: UsmUser): void {
    try {
      const pdu = reportPdu(requestId, stat, this.usmCounters[stat]);
      const message = encodeV3Message({
        msgId: m.msgId,
        flags: user ? MsgFlags.auth : 0,
        engine: this.engine,
        userName: m.userName,
        user,
        scopedPdu: scopedPdu(this.engine.id, Buffer.alloc(0), pdu),
      });
      this.send(message, rinfo);
      this.stats.reports++;
    } catch {
      this.stats.sendErrors++;
    }
  }

  private reject(source: Source, reason: RejectReason, version?: SnmpVersion, user?: string): 'rejected' {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
    const r: Rejection = { source, reason, time: this.now() };
    if (version) r.version = version;
    if (user !== undefined) r.user = user;
    for (const sub of this.subscribers) {
      try {
        sub.onRejected(r);
      } catch {
        this.stats.internalErrors++;
      }
    }
    return 'rejected';
  }

  private deliver(n: Notification, subs: TrapSubscriber[]): void {
    if (n.droppedVarbinds !== undefined) {
      this.stats.truncated++;
      this.stats.varbindsDropped += n.droppedVarbinds;
    }
    let last = -1;
    for (let i = 0; i < subs.length; i++) if (!subs[i].filter || subs[i].filter?.matches(n.oid)) last = i;
    for (let i = 0; i <= last; i++) {
      const sub = subs[i];
      if (sub.filter && !sub.filter.matches(n.oid)) continue;
      try {
        // the last one takes the notification's objects; the others copy them first
        sub.onNotification(n, i === last);
      } catch {
        this.stats.internalErrors++;
      }
    }
  }

  /** Datagrams cut by the per-source rate limit: in all, and the sources cut most. */
  get rateLimitCuts(): { total: number; top: SourceCut | undefined; bySource: (limit?: number) => SourceCut[] } {
    const limiter = this.limiter;
    return { total: limiter.cut, top: limiter.mostCut, bySource: (limit) => limiter.cutBySource(limit) };
  }
}
