/**
 * One UDP socket shared by many net-snmp sessions.
 *
 * net-snmp opens one socket per session, matches replies by request-id only, and
 * throws from its 'message' handler on some malformed datagrams. We hand each session
 * a virtual socket (through net-snmp's `dgramModule` option) that sends through one
 * real socket; replies are routed by their source address and port, so a datagram
 * from anywhere but the polled agent never reaches a session, and every delivery runs
 * inside try/catch so a hostile reply is counted instead of killing the process.
 *
 * A fleet of 5,000 devices thus holds one socket per profile instead of 5,000.
 */
import * as dgram from 'dgram';
import * as dns from 'dns';
import { isIP } from 'net';
import { EventEmitter } from 'events';
import { performance } from 'perf_hooks';
import { Fifo } from '../common/fifo';
import type { Transport } from '../common/types';

/**
 * Longest the shared socket's replies run in one turn of the event loop, ms. libuv reads
 * up to 32 datagrams per socket each turn, and a GETBULK reply of a 41-column table (a
 * thousand varbinds, about 40 KB) costs several ms to decode and walk on: 32 of them held
 * the loop 100-300 ms at a time, long enough for trap-in's socket buffer to overflow.
 * Replies past the budget wait in arrival order for the next turn, after the other
 * sockets, timers and Node-RED's deliveries have run. At most one reply per request in
 * flight can wait, so the queue is bounded by the scheduler's concurrency.
 */
export const DELIVERY_BUDGET_MS = 8;
/**
 * Most bytes of replies waiting for a later turn. An agent flooding us with replies
 * (hostile, or many retransmissions) must not grow the queue without end: past this,
 * newer datagrams are dropped and counted, as a full socket buffer would drop them.
 */
export const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** Most queued replies one turn may deliver (libuv reads at most 32 per socket and turn). */
const MAX_STEPS = 64;
/**
 * How fast the budget grows for replies that wait (ms, default): a turn's budget is
 * DELIVERY_BUDGET_MS times the age of the oldest waiting reply over this, at least once,
 * so a reply 375 ms old gets one and a half budgets; one that has waited twice this long
 * goes whatever the budget. Other sockets' work (a trap flood decoding every varbind)
 * can fill every turn; replies must still reach their requests well within the request
 * timeout, or the walk times out and retransmits into the same queue. Growing with the
 * wait, the share the walk gets of each turn settles where it keeps up.
 */
export const DEFAULT_AGING_MS = 250;

type Queued = [buf: Buffer, rinfo: dgram.RemoteInfo, arrived: number, key: string];

/** Counters of what the shared socket saw. */
export interface MuxStats {
  received: number;
  /** Datagrams from an address/port no session polls (dropped on purpose). */
  unmatched: number;
  /** Datagrams whose delivery threw inside net-snmp (dropped and counted). */
  malformed: number;
  sendErrors: number;
  /** Datagrams dropped because too many bytes waited for a later turn (MAX_BACKLOG_BYTES). */
  overflow: number;
}

/** Called with the route key when a datagram from that agent could not be handled. */
export type MalformedListener = (key: string, error: unknown) => void;

/**
 * dgram's `lookup` for a socket that sends to addresses: an IP literal answers itself,
 * synchronously; anything else goes to dns.lookup as dgram's own would.
 */
function literalLookup(host: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  const f = isIP(host);
  if (f !== 0) {
    cb(null, host, f);
    return;
  }
  dns.lookup(host, family as dns.LookupOneOptions, cb as (err: NodeJS.ErrnoException | null, address: string, family: number) => void);
}

export function routeKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/**
 * The socket a net-snmp Session believes it owns. Supports what Session uses:
 * on/once (message, close, error), send, close, ref, unref, bind, address.
 */
export class VirtualSocket extends EventEmitter {
  private closed = false;
  readonly routes = new Set<string>();
  /**
   * Takes the socket's datagrams in place of its 'message' listeners when set: the
   * session pool's reader, called directly for every reply (no event dispatch).
   */
  onDatagram: ((buf: Buffer, rinfo: dgram.RemoteInfo) => void) | undefined;

  constructor(private readonly mux: UdpMux) {
    super();
  }

  send(buf: Buffer, offset: number, length: number, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void): void {
    if (this.closed) {
      const err = Object.assign(new Error('socket is closed'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
      if (cb) process.nextTick(cb, err);
      return;
    }
    const key = routeKey(address, port);
    if (!this.routes.has(key)) {
      this.routes.add(key);
      this.mux.route(key, this);
    }
    this.mux.send(buf.subarray(offset, offset + length), port, address, cb);
  }

  close(cb?: () => void): this {
    if (this.closed) return this;
    this.closed = true;
    for (const key of this.routes) this.mux.unroute(key, this);
    this.routes.clear();
    // net-snmp's onClose cancels pending requests; deliver it asynchronously as dgram does
    process.nextTick(() => {
      this.emit('close');
      this.removeAllListeners();
      this.onDatagram = undefined;
      if (cb) cb();
    });
    return this;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  ref(): this { return this; }
  unref(): this { return this; }
  bind(): this { return this; }
  address(): { address: string; family: string; port: number } {
    return this.mux.address();
  }
}

export interface UdpMuxOptions {
  transport: Transport;
  sourceAddress?: string;
  /** SO_RCVBUF in bytes; a fleet's replies arrive in bursts. */
  recvBufferSize?: number;
  /** The wait that makes the budget grow, ms (DEFAULT_AGING_MS). */
  agingMs?: number;
  /** Most bytes waiting for a later turn (MAX_BACKLOG_BYTES). */
  maxBacklogBytes?: number;
  /** The clock of the delivery budget, ms (performance.now); tests give their own. */
  now?: () => number;
}

export class UdpMux {
  private socket: dgram.Socket | undefined;
  private readonly routes = new Map<string, VirtualSocket>();
  private pending: Array<() => void> | undefined;
  private bound = false;
  /** Why the last socket could not be bound, for the sends that meet it. */
  private bindError: NodeJS.ErrnoException | undefined;
  private closed = false;
  /**
   * Replies that arrived past this turn's budget, delivered in order on later turns (a
   * backlog that never quite empties drops its delivered front past 64 entries).
   */
  private readonly backlog = new Fifo<Queued>(64);
  /** When this turn's deliveries began (performance.now()); undefined between turns. */
  private turnStart: number | undefined;
  /** Steps (setImmediate callbacks) scheduled and not yet run. */
  private steps = 0;
  private backlogBytes = 0;
  private readonly agingMs: number;
  private readonly maxBacklogBytes: number;
  private readonly now: () => number;
  readonly stats: MuxStats = { received: 0, unmatched: 0, malformed: 0, sendErrors: 0, overflow: 0 };
  onMalformed: MalformedListener | undefined;

  constructor(private readonly options: UdpMuxOptions) {
    this.agingMs = options.agingMs ?? DEFAULT_AGING_MS;
    this.maxBacklogBytes = options.maxBacklogBytes ?? MAX_BACKLOG_BYTES;
    this.now = options.now ?? (() => performance.now());
  }

  /** net-snmp's `dgramModule` option: every Session gets a virtual socket. */
  get dgramModule(): { createSocket: () => VirtualSocket } {
    return { createSocket: () => new VirtualSocket(this) };
  }

  get routeCount(): number {
    return this.routes.size;
  }

  route(key: string, vs: VirtualSocket): void {
    this.routes.set(key, vs);
  }

  unroute(key: string, vs: VirtualSocket): void {
    if (this.routes.get(key) === vs) this.routes.delete(key);
  }

  address(): { address: string; family: string; port: number } {
    if (this.socket && this.bound) {
      const a = this.socket.address();
      return { address: a.address, family: a.family, port: a.port };
    }
    return { address: '', family: '', port: 0 };
  }

  private open(): dgram.Socket {
    if (this.socket) return this.socket;
    // Sessions send to IP addresses only (the pool resolves names first): those are their
    // own answer, given at once. dgram's default lookup defers every send by a tick.
    const socket = dgram.createSocket({ type: this.options.transport, lookup: literalLookup });
    this.socket = socket;
    this.pending = [];
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A socket-level error (e.g. EADDRNOTAVAIL on bind) ends this socket; requests in
      // flight time out and are classified there. A new socket is opened on next send.
      this.stats.sendErrors++;
      if (!this.bound) this.bindError = err;
      this.dropSocket();
    });
    socket.bind({ port: 0, address: this.options.sourceAddress, exclusive: true }, () => {
      this.bound = true;
      try {
        socket.setRecvBufferSize(this.options.recvBufferSize ?? 4 * 1024 * 1024);
      } catch {
        // the kernel caps it at net.core.rmem_max; a smaller buffer still works
      }
      socket.unref();
      const queued = this.pending ?? [];
      this.pending = undefined;
      for (const fn of queued) fn();
    });
    return socket;
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = undefined;
    this.bound = false;
    const queued = this.pending ?? [];
    this.pending = undefined;
    for (const fn of queued) fn();
    if (s) {
      try { s.close(); } catch { /* already closed */ }
    }
  }

  send(buf: Buffer, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void): void {
    if (this.closed) {
      if (cb) process.nextTick(cb, new Error('socket is closed'));
      return;
    }
    const socket = this.open();
    if (this.socket !== socket) {
      // the bind failed at once (dgram reports a source address this host does not have
      // while bind() runs): the send fails with why, not on a socket that is not running
      if (cb) process.nextTick(cb, this.bindFailure());
      return;
    }
    if (!this.pending) {
      // bound: send now
      this.sendOn(socket, buf, port, address, cb);
      return;
    }
    this.pending.push(() => {
      if (this.socket === socket) this.sendOn(socket, buf, port, address, cb);
      // the socket failed before it was bound
      else if (cb) cb(this.bindFailure());
    });
  }

  /** The error a send gets when the socket could not be bound: its code, and the source address. */
  private bindFailure(): Error {
    const code = this.bindError?.code ?? 'EADDRNOTAVAIL';
    const where = this.options.sourceAddress ? `source address ${this.options.sourceAddress}` : 'a local port';
    return Object.assign(new Error(`cannot bind the SNMP socket to ${where} (${code})`), { name: 'SocketBindError', code });
  }

  private sendOn(socket: dgram.Socket, buf: Buffer, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void): void {
    socket.send(buf, port, address, cb ? (err, bytes) => this.sent(err, bytes, cb) : this.countSendError);
  }

  private sent(err: Error | null, bytes: number | undefined, cb: (err: Error | null, bytes?: number) => void): void {
    if (err) this.stats.sendErrors++;
    cb(err, bytes);
  }

  private readonly countSendError = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
  };

  /** Replies waiting for a later turn of the event loop (see DELIVERY_BUDGET_MS). */
  get backlogSize(): number {
    return this.backlog.size;
  }

  /**
   * A datagram from the socket: delivered now while this turn's budget lasts and nothing
   * waits before it, else queued for a step (below).
   */
  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    const key = routeKey(rinfo.address, rinfo.port);
    const vs = this.routes.get(key);
    if (!vs) {
      this.stats.unmatched++;
      return;
    }
    const now = this.now();
    if (this.turnStart === undefined) {
      this.turnStart = now;
      // the turn's end, in the check phase after the datagrams this poll phase reads
      this.scheduleSteps(1);
    }
    if (this.backlog.size === 0 && now - this.turnStart < DELIVERY_BUDGET_MS) {
      this.handOver(vs, buf, rinfo, key);
      return;
    }
    if (this.backlogBytes + buf.length > this.maxBacklogBytes) {
      this.stats.overflow++;
      return;
    }
    this.backlogBytes += buf.length;
    this.backlog.push([buf, rinfo, now, key]);
    if (this.steps < MAX_STEPS) this.scheduleSteps(1);
  }

  /**
   * Queued replies are delivered one per setImmediate callback, so the promise
   * continuations each one wakes (the walker's next request, a finished device's
   * message) run before the budget is looked at again, as they do between two
   * 'message' events. Steps scheduled in the poll phase run in this turn's check phase,
   * on what is left of its budget; the last one ends the turn and schedules the next
   * turn's steps for what still waits.
   */
  private scheduleSteps(n: number): void {
    for (let i = 0; i < n; i++) setImmediate(this.step);
    this.steps += n;
  }

  private readonly step = (): void => {
    this.steps--;
    if (this.closed) return;
    const queued = this.backlog.peek();
    if (queued) {
      const now = this.now();
      if (this.turnStart === undefined) this.turnStart = now;
      const [buf, rinfo, arrived, key] = queued;
      const age = now - arrived;
      if (now - this.turnStart < DELIVERY_BUDGET_MS * Math.max(1, age / this.agingMs) || age >= 2 * this.agingMs) {
        this.backlog.shift();
        this.backlogBytes -= buf.length;
        this.deliver(buf, rinfo, key);
      }
    }
    if (this.steps > 0) return;
    this.turnStart = undefined;
    const waiting = this.backlog.size;
    if (waiting > 0) this.scheduleSteps(Math.min(waiting, MAX_STEPS));
  };

  /** A queued datagram: its route looked up again, as its session may have closed meanwhile. */
  private deliver(buf: Buffer, rinfo: dgram.RemoteInfo, key = routeKey(rinfo.address, rinfo.port)): void {
    const vs = this.routes.get(key);
    if (!vs) {
      this.stats.unmatched++;
      return;
    }
    this.handOver(vs, buf, rinfo, key);
  }

  private handOver(vs: VirtualSocket, buf: Buffer, rinfo: dgram.RemoteInfo, key: string): void {
    try {
      if (vs.onDatagram) vs.onDatagram(buf, rinfo);
      else vs.emit('message', buf, rinfo);
    } catch (err) {
      this.stats.malformed++;
      if (this.onMalformed) {
        try { this.onMalformed(key, err); } catch { /* a listener must not break the socket */ }
      }
    }
  }

  /** Closes the real socket; virtual sockets should be closed by their sessions first. */
  close(): void {
    this.closed = true;
    this.turnStart = undefined;
    this.backlog.clear();
    this.backlogBytes = 0;
    for (const vs of new Set(this.routes.values())) vs.close();
    this.routes.clear();
    this.dropSocket();
  }
}
