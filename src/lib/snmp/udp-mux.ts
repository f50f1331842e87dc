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
import { EventEmitter } from 'events';
import type { Transport } from '../common/types';

/** Counters of what the shared socket saw. */
export interface MuxStats {
  received: number;
  /** Datagrams from an address/port no session polls (dropped on purpose). */
  unmatched: number;
  /** Datagrams whose delivery threw inside net-snmp (dropped and counted). */
  malformed: number;
  sendErrors: number;
}

/** Called with the route key when a datagram from that agent could not be handled. */
export type MalformedListener = (key: string, error: unknown) => void;

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
}

export class UdpMux {
  private socket: dgram.Socket | undefined;
  private readonly routes = new Map<string, VirtualSocket>();
  private pending: Array<() => void> | undefined;
  private bound = false;
  private closed = false;
  readonly stats: MuxStats = { received: 0, unmatched: 0, malformed: 0, sendErrors: 0 };
  onMalformed: MalformedListener | undefined;

  constructor(private readonly options: UdpMuxOptions) {}

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
    const socket = dgram.createSocket({ type: this.options.transport });
    this.socket = socket;
    this.pending = [];
    socket.on('message', (buf, rinfo) => this.deliver(buf, rinfo));
    socket.on('error', () => {
      // A socket-level error (e.g. EADDRNOTAVAIL on bind) ends this socket; requests in
      // flight time out and are classified there. A new socket is opened on next send.
      this.stats.sendErrors++;
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
    const doSend = () => {
      if (this.socket !== socket) {
        // the socket failed before it was bound
        if (cb) cb(Object.assign(new Error('socket failed to bind'), { code: 'EADDRNOTAVAIL' }));
        return;
      }
      socket.send(buf, port, address, (err, bytes) => {
        if (err) this.stats.sendErrors++;
        if (cb) cb(err, bytes);
      });
    };
    if (this.pending) this.pending.push(doSend);
    else doSend();
  }

  private deliver(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    const key = routeKey(rinfo.address, rinfo.port);
    const vs = this.routes.get(key);
    if (!vs) {
      this.stats.unmatched++;
      return;
    }
    try {
      vs.emit('message', buf, rinfo);
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
    for (const vs of new Set(this.routes.values())) vs.close();
    this.routes.clear();
    this.dropSocket();
  }
}
