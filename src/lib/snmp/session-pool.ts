/**
 * Long-lived net-snmp sessions, one per device of a profile, reused across polls.
 *
 * All sessions of a pool send through one shared UDP socket (udp-mux.ts). The pool is
 * bounded: past `maxSessions` the least recently used idle session is closed, and a
 * sweep closes sessions idle for `idleMs`. `close()` ends everything (redeploy).
 * This is the only module that maps our flat profile onto net-snmp's options and
 * user object, and the only one that reads secrets out of the profile.
 */
import * as dns from 'dns';
import * as net from 'net';
import * as os from 'os';
import * as snmp from 'net-snmp';
import './des';
import './key-cache';
import { PollError } from '../common/errors';
import { LeanRequests } from './lean-request';
import { receiveLean } from './lean-response';
import { limitReportResends } from './report-limit';
import { DEFAULT_AGING_MS, UdpMux, routeKey } from './udp-mux';
import { toNetSnmpUser } from './v3-user';
import type { Device, SnmpProfile, V3User } from '../common/types';

export interface PoolOptions {
  maxSessions?: number;
  idleMs?: number;
  now?: () => number;
}

export interface PoolStats {
  created: number;
  closed: number;
  /** Datagrams from a polled agent that net-snmp could not parse (dropped, counted). */
  malformed: number;
  /** Datagrams from a polled agent that matched no pending request (dropped, counted). */
  stray: number;
}

/** The poll's callback behind a callback this module handed net-snmp in its place. */
const ownerOf = new WeakMap<object, object>();

/** A session handed out by the pool; `release()` it when the poll ends. */
export class PooledSession {
  /** net-snmp Session (untyped); set once by the pool right after construction. */
  session: any;
  lastUsed: number;
  busy = 0;
  /** Every host|port spelling that resolved to this agent (e.g. "localhost" and "127.0.0.1"). */
  readonly aliases = new Set<string>();
  /** Datagrams from this agent since it was taken that net-snmp could not parse. */
  malformedSinceTake = 0;
  /** Datagrams from this agent since it was taken that answered no pending request. */
  straySinceTake = 0;
  closed = false;
  /** The pool's lean GET (v1/v2c; lean-request.ts), or undefined for net-snmp's own. */
  lean: LeanRequests | undefined;
  /** Callbacks of requests their poll gave up on: never registered or re-sent again. */
  private readonly cancelled = new WeakSet<object>();

  constructor(readonly key: string, readonly address: string, readonly device: Device, now: number) {
    this.lastUsed = now;
  }

  /**
   * Ends the request whose callback is `responseCb` now: its timer is cleared and it is
   * not retried or re-sent. A poll past its deadline calls this, so no request outlives
   * the deadline, whatever the agent answers. The callback is not called.
   */
  cancel(responseCb: object): void {
    this.cancelled.add(responseCb);
    const reqs = this.session?.reqs as Record<string, { responseCb?: unknown }> | undefined;
    if (!reqs) return;
    for (const id of Object.keys(reqs)) {
      const cb = reqs[id].responseCb;
      if (cb === responseCb || (cb !== undefined && ownerOf.get(cb as object) === responseCb)) this.session.unregisterRequest(id);
    }
  }

  /** GETs exact OIDs; `cb(err, varbinds)` as net-snmp's `session.get` calls it. */
  get(oids: string[], cb: (err: unknown, varbinds?: unknown[]) => void): void {
    if (this.lean && !this.closed && this.lean.get(this.session, this.device.port, oids, cb)) return;
    this.session.get(oids, cb);
  }

  /**
   * GETBULKs `oids`; `cb(err, varbinds)` with the answer's flat varbind list: the
   * non-repeaters, then the repeaters row by row (varbind i past the non-repeaters
   * belongs to repeater (i - nonRepeaters) % repeaters). net-snmp's own getBulk (SNMPv3)
   * groups them per repeater; its answer is flattened back into the same order.
   */
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: unknown, varbinds?: unknown[]) => void): void {
    if (this.lean && !this.closed && this.lean.getBulk(this.session, this.device.port, oids, nonRepeaters, maxRepetitions, cb)) return;
    const flatten = (err: unknown, res?: unknown[]) => {
      if (err) cb(err);
      else cb(null, flattenBulk(res ?? [], nonRepeaters));
    };
    // net-snmp holds `flatten` as the request's callback: cancel(cb) and isCancelled must
    // know it for cb's, or a poll's deadline could not end the request
    ownerOf.set(flatten, cb);
    this.session.getBulk(oids, nonRepeaters, maxRepetitions, flatten);
  }

  isCancelled(responseCb: unknown): boolean {
    if (typeof responseCb !== 'object' && typeof responseCb !== 'function') return false;
    const cb = responseCb as object;
    if (this.cancelled.has(cb)) return true;
    const owner = ownerOf.get(cb);
    return owner !== undefined && this.cancelled.has(owner);
  }

  get routeKey(): string {
    return routeKey(this.address, this.device.port);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }
}

/**
 * net-snmp's getBulk answer (the non-repeaters, then one array per repeater) as the
 * PDU's flat list: row by row, each row in repeater order. net-snmp fills repeater
 * (i - nonRepeaters) % repeaters from varbind i, so only the last row can be short, and
 * only at its end: reading row r of every repeater in turn gives back the PDU's order.
 */
export function flattenBulk(res: unknown[], nonRepeaters: number): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  for (; i < nonRepeaters && i < res.length; i++) out.push(res[i]);
  let rows = 0;
  for (let j = i; j < res.length; j++) {
    const list = res[j];
    if (Array.isArray(list) && list.length > rows) rows = list.length;
  }
  for (let r = 0; r < rows; r++) {
    for (let j = i; j < res.length; j++) {
      const list = res[j];
      if (Array.isArray(list) && r < list.length) out.push(list[r]);
    }
  }
  return out;
}

/** net-snmp's version constant for ours. */
export function netSnmpVersion(version: SnmpProfile['version']): number {
  return version === '1' ? snmp.Version1 : version === '2c' ? snmp.Version2c : snmp.Version3;
}

/**
 * The form rinfo.address takes for a reply from `address`: compressed lower-case IPv6
 * ("0:0::1" → "::1"), keeping a link-local zone ("fe80::1%eth0"), which
 * net.SocketAddress would drop. A zone written as the interface's index ("%4") becomes its
 * name, as Node writes it in rinfo: the replies would otherwise match no session.
 */
export function canonicalAddress(address: string): string {
  const zoneAt = address.indexOf('%');
  const base = zoneAt >= 0 ? address.slice(0, zoneAt) : address;
  if (net.isIPv6(base)) {
    const canonical = new net.SocketAddress({ address: base, family: 'ipv6' }).address;
    return zoneAt >= 0 ? `${canonical}%${zoneName(address.slice(zoneAt + 1))}` : canonical;
  }
  return address;
}

/** An IPv6 zone given as an interface index: the interface's name, when one has it as its scope id. */
function zoneName(zone: string): string {
  if (!/^\d+$/.test(zone)) return zone;
  const index = Number(zone);
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    if (addresses?.some((a) => a.family === 'IPv6' && a.scopeid === index)) return name;
  }
  return zone;
}

export class SessionPool {
  readonly mux: UdpMux;
  private readonly sessions = new Map<string, PooledSession>();
  /** The same sessions by the address|port their replies come from. */
  private readonly byRoute = new Map<string, PooledSession>();
  /** The same sessions by the device objects that took them (a cache of `sessions`). */
  private byDevice = new WeakMap<Device, PooledSession>();
  private readonly resolving = new Map<string, Promise<string>>();
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: PoolStats = { created: 0, closed: 0, malformed: 0, stray: 0 };
  /** v1/v2c GETs built and timed here, not by net-snmp (lean-request.ts). */
  private readonly lean: LeanRequests | undefined;

  constructor(private readonly profile: SnmpProfile, options: PoolOptions = {}) {
    this.maxSessions = options.maxSessions ?? 10000;
    this.idleMs = options.idleMs ?? 10 * 60 * 1000;
    this.now = options.now ?? Date.now;
    // a reply held back for a later turn must still come well within the request timeout
    const agingMs = Math.max(1, Math.min(DEFAULT_AGING_MS, Math.floor(profile.timeout / 4)));
    this.mux = new UdpMux({ transport: profile.transport, sourceAddress: profile.sourceAddress, agingMs });
    this.mux.onMalformed = (key) => {
      this.stats.malformed++;
      const s = this.byRoute.get(key);
      if (s) s.malformedSinceTake++;
    };
    if (profile.version !== '3') this.lean = new LeanRequests({ timeout: profile.timeout, retries: profile.retries, backoff: profile.backoff });
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(60000, Math.max(1000, this.idleMs / 2)));
    this.sweepTimer.unref();
  }

  /** Open sessions (an agent reached under two spellings counts once). */
  get size(): number {
    return this.byRoute.size;
  }

  /** The device's IP address: literal as is, a host name looked up once per session. */
  private resolve(host: string): Promise<string> {
    if (net.isIP(host)) return Promise.resolve(canonicalAddress(host));
    const cached = this.resolving.get(host);
    if (cached) return cached;
    const family = this.profile.transport === 'udp6' ? 6 : 4;
    const p = new Promise<string>((resolve, reject) => {
      dns.lookup(host, { family }, (err, address) => {
        this.resolving.delete(host);
        if (err) reject(new PollError('unreachable', `host name ${host} does not resolve (${err.code ?? 'lookup failed'})`));
        else resolve(canonicalAddress(address));
      });
    });
    this.resolving.set(host, p);
    return p;
  }

  /**
   * The device's open session, taken as acquire() takes it, or undefined when there is
   * none yet (then call acquire). Synchronous: a fleet cycle takes every device's
   * session, and all but the first cycle find it open, so this spares each poll a
   * promise and a turn of the microtask queue.
   */
  acquireExisting(device: Device): PooledSession | undefined {
    if (this.closed) return undefined;
    // the same device object comes back every cycle: find its session without a key
    let s = this.byDevice.get(device);
    if (!s || s.closed || s.device.host !== device.host || s.device.port !== device.port) {
      s = this.sessions.get(`${device.host}|${device.port}`);
      if (!s || s.closed) return undefined;
      this.byDevice.set(device, s);
    }
    s.busy++;
    s.lastUsed = this.now();
    s.malformedSinceTake = 0;
    s.straySinceTake = 0;
    return s;
  }

  /** A session for the device, created on first use. Rejects with PollError('unreachable'). */
  async acquire(device: Device): Promise<PooledSession> {
    if (this.closed) throw new PollError('unreachable', 'the configuration is being closed');
    const existing = this.acquireExisting(device);
    if (existing) return existing;
    const key = `${device.host}|${device.port}`;
    let s: PooledSession | undefined;
    if (!net.isIP(device.host) && net.isIP(device.host.replace(/^\[|\]$/g, ''))) {
      device = { ...device, host: device.host.replace(/^\[|\]$/g, '') };
    }
    const family = net.isIP(device.host);
    if (family && (family === 6) !== (this.profile.transport === 'udp6')) {
      throw new PollError('unreachable', `${device.host} is an IPv${family} address but the transport is ${this.profile.transport}`);
    }
    const address = await this.resolve(device.host);
    if (this.closed) throw new PollError('unreachable', 'the configuration is being closed');
    s = this.sessions.get(key);
    if (s && !s.closed) {
      s.busy++;
      s.lastUsed = this.now();
      return s;
    }
    // Two spellings of one agent (a name and its address, two DNS aliases) must share a
    // session: replies are routed by source address, so two sessions would steal each
    // other's answers.
    const same = this.byRoute.get(routeKey(address, device.port));
    if (same && !same.closed) {
      same.aliases.add(key);
      this.sessions.set(key, same);
      same.busy++;
      same.lastUsed = this.now();
      return same;
    }
    s = new PooledSession(key, address, device, this.now());
    s.aliases.add(key);
    s.session = this.createSession(s);
    s.lean = this.lean;
    this.sessions.set(key, s);
    this.byRoute.set(s.routeKey, s);
    this.stats.created++;
    s.busy++;
    this.evictOverflow();
    return s;
  }

  release(s: PooledSession): void {
    s.busy = Math.max(0, s.busy - 1);
    s.lastUsed = this.now();
  }

  private createSession(ps: PooledSession): any {
    const p = this.profile;
    const address = ps.address;
    const port = ps.device.port;
    const options: Record<string, unknown> = {
      port,
      retries: p.retries,
      timeout: p.timeout,
      backoff: p.backoff,
      transport: p.transport,
      version: netSnmpVersion(p.version),
      idBitsSize: 32,
      dgramModule: this.mux.dgramModule,
    };
    let session: any;
    if (p.version === '3') {
      if (!p.user) throw new PollError('auth', 'SNMPv3 profile without a user');
      options.context = p.context;
      session = snmp.createV3Session(address, toNetSnmpUser(p.user), options);
      const engine = p.contextEngineId ? Buffer.from(p.contextEngineId, 'hex') : undefined;
      limitReportResends(session, {
        // net-snmp has no option for contextEngineID (RFC 3412 §6.1): set it on every PDU it sends
        onSend: engine ? (pdu) => { pdu.contextEngineID = engine; } : undefined,
        refused: (responseCb) => ps.isCancelled(responseCb),
      });
    } else {
      session = snmp.createSession(address, p.community, options);
    }
    // A retry (or a send whose callback comes after the poll gave up) registers the
    // request again: a cancelled one stays out, so its timer and retries end with it.
    const registerRequest = session.registerRequest;
    session.registerRequest = function (req: { responseCb?: unknown }) {
      if (ps.isCancelled(req.responseCb)) return;
      return registerRequest.call(this, req);
    };
    // net-snmp emits 'error' for datagrams it cannot parse; without a listener that throws
    session.on('error', () => {
      this.stats.malformed++;
      ps.malformedSinceTake++;
    });
    // A reply that parses but answers no pending request (wrong request-id, a late
    // answer) is dropped by net-snmp without a trace: count it, so a poll that only
    // ever gets such replies reports bad-response rather than a bare timeout.
    const socket = session.dgram;
    const deliver = socket.listeners('message');
    socket.removeAllListeners('message');
    // The request a reply takes out of the session's table while it is delivered: a
    // reply that takes none is stray. (The count of pending requests cannot tell: an
    // answer's callback may send the poll's next request before the count is read.)
    let taken: { responseCb?: unknown } | undefined;
    let delivering = false;
    const unregisterRequest = session.unregisterRequest;
    session.unregisterRequest = function (id: unknown) {
      const req = unregisterRequest.call(this, id);
      if (req && delivering && taken === undefined) taken = req;
      return req;
    };
    // v1/v2c replies go through our lean decoder (lean-response.ts) when it can read
    // them; anything else goes to net-snmp as before
    const lean = p.version !== '3';
    socket.onDatagram = (buf: Buffer, rinfo: unknown) => {
      const malformed = ps.malformedSinceTake;
      taken = undefined;
      delivering = true;
      try {
        if (!lean || !receiveLean(session, buf)) for (const fn of deliver) fn.call(socket, buf, rinfo);
      } catch (err) {
        // net-snmp's reader throws on some replies after it took their request out (a
        // Report PDU on v1/v2c): end that request, which would otherwise wait for the
        // poll's deadline with no retry; the shared socket counts the reply as malformed
        // (set by unregisterRequest above, which the compiler cannot follow)
        const req = taken as { responseCb?: unknown } | undefined;
        taken = undefined;
        delivering = false;
        if (req && typeof req.responseCb === 'function') {
          req.responseCb(new snmp.ResponseInvalidError(`Response not handled (${(err as Error)?.message ?? err})`, snmp.ResponseInvalidCode.EResponseNotHandled));
        }
        throw err;
      } finally {
        delivering = false;
      }
      if (taken === undefined && ps.malformedSinceTake === malformed) {
        this.stats.stray++;
        ps.straySinceTake++;
      }
      taken = undefined;
    };
    return session;
  }

  private evictOverflow(): void {
    if (this.byRoute.size <= this.maxSessions) return;
    const idle = [...this.byRoute.values()].filter((s) => s.busy === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of idle) {
      if (this.byRoute.size <= this.maxSessions) break;
      this.remove(s);
    }
  }

  private remove(s: PooledSession): void {
    for (const alias of s.aliases) if (this.sessions.get(alias) === s) this.sessions.delete(alias);
    if (this.byRoute.get(s.routeKey) === s) this.byRoute.delete(s.routeKey);
    s.close();
    this.stats.closed++;
  }

  /** Closes sessions idle for longer than idleMs; returns how many. */
  sweep(): number {
    const cutoff = this.now() - this.idleMs;
    let n = 0;
    for (const s of [...this.byRoute.values()]) {
      if (s.busy === 0 && s.lastUsed < cutoff) {
        this.remove(s);
        n++;
      }
    }
    return n;
  }

  /** Closes every session and the shared socket. Polls in flight fail as unreachable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.lean?.close();
    for (const s of [...this.byRoute.values()]) this.remove(s);
    this.mux.close();
  }
}
