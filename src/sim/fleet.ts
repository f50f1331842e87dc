/**
 * A fleet of simulated SNMP devices in one process, each an agent on its own UDP socket
 * on a loopback port: what tests, the demo and the benchmark poll.
 *
 *     const fleet = await startFleet({ count: 200, labels: { site: ['par', 'lon'] } });
 *     fs.writeFileSync('inventory.txt', fleet.inventoryText());
 *     fleet.device(3).linkDown(7);
 *     await fleet.close();
 */
import * as dgram from 'dgram';
import type { V3User } from '../lib/common/types';
import { decodeCommunityRequest, parseOid, peekVersion } from './ber';
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_UDP_PAYLOAD, answerCommunity } from './agent';
import {
  DeviceBehaviour, DeviceModel, DeviceStats, MALFORMED_KINDS, MalformedKind, SimValue,
} from './device';
import { TrapKind, TRAP_KINDS, encodeTrapV1, encodeTrapV2, sendTrapV3 } from './traps';
import { findExact, treeFor } from './tree';
import { V3Responder, createV3Responder, deviceEngineId } from './v3';

export type { DeviceBehaviour, DeviceStats, MalformedKind, SimValue } from './device';
export type { TrapKind } from './traps';
export { MALFORMED_KINDS } from './device';
export { TRAP_KINDS, trapOid } from './traps';

/** '1' answers SNMPv1 only; '2c' answers v1 and v2c (as snmpd's rocommunity does); '3' answers v3 only. */
export type SimVersion = '1' | '2c' | '3';

/** Devices on one 127.0.x.0/24 before the next: .2 to .251 (.0, .1 and .255 stay clear). */
const HOSTS_PER_SUBNET = 250;

/**
 * The loopback address of device `index` in a 'per-device' fleet: 127.0.0.2 upwards,
 * then 127.0.1.2 and so on. Linux answers on all of 127.0.0.0/8 without configuration.
 */
export function loopbackAddress(index: number): string {
  return `127.0.${Math.floor(index / HOSTS_PER_SUBNET)}.${2 + (index % HOSTS_PER_SUBNET)}`;
}

export interface FleetOptions {
  /** Number of devices (>= 1). */
  count: number;
  /**
   * Loopback address to bind: '127.0.0.1' (default) or '::1' for every device, or
   * 'per-device': device i answers on its own address, loopbackAddress(i) (127.0.0.2,
   * 127.0.0.3, ...), so a receiver that knows devices by address (trap-in) tells them apart.
   */
  host?: string;
  /** Device i binds basePort + i; 0 or absent: each device binds an ephemeral port. */
  basePort?: number;
  /** Interfaces per device (default 48). */
  interfaces?: number;
  /** Community of v1/v2c devices (default 'public'). */
  community?: string;
  /** Version per device (default '2c'). */
  version?: SimVersion | ((index: number) => SimVersion);
  /** USM users of v3 devices. */
  v3Users?: V3User[] | ((index: number) => V3User[]);
  /** Seed of every seeded value (rates, uptimes, engine IDs). Default 1. */
  seed?: number;
  /** Device names are `${namePrefix}-0000`, `-0001`, ... (default 'sim'). */
  namePrefix?: string;
  /** Labels: each key's values assigned round-robin ({ site: ['par', 'lon'] }), or a function. */
  labels?: Record<string, readonly string[]> | ((index: number) => Record<string, string>);
  /** Behaviours by device index, applied at start. */
  behaviours?: Record<number, DeviceBehaviour>;
  /** The clock (ms epoch); injectable for tests. Default Date.now. */
  now?: () => number;
  /** In-direction bytes/s of an interface (out is half of it); default seeded, 1-9 Mbit/s (uplinks 20-200). */
  rate?: number | ((deviceIndex: number, ifIndex: number) => number);
  /** Largest answer in bytes (default 1472); GETBULK answers are cut to fit, GET/GETNEXT get tooBig. */
  maxMessageSize?: number;
  sysDescr?: string;
  sysContact?: string;
  /** Default: the device's `site` label, else 'lab'. */
  sysLocation?: string | ((index: number) => string);
}

export interface SimDeviceInfo {
  index: number;
  host: string;
  port: number;
  name: string;
  labels: Record<string, string>;
  version: SimVersion;
}

export interface TrapOptions {
  /** Default: '3' for v3 devices, '1' for v1 devices, else '2c'. */
  version?: '1' | '2c' | '3';
  /** Default: the fleet's community. */
  community?: string;
  /** Interface of linkDown/linkUp (default 1). */
  ifIndex?: number;
  /** v3 sender; default the device's first v3 user. */
  user?: V3User;
}

/** Run-time control of one device. Times are ms epoch on the fleet's clock. */
export interface DeviceHandle {
  readonly info: SimDeviceInfo;
  setSilent(silent: boolean): void;
  setSlow(ms: number): void;
  /** sysUpTime restarts at 0; counters restart at 0 once interfaces come up (1 s later). */
  reboot(): void;
  /** Counters restart at 0 without a reboot; ifCounterDiscontinuityTime = sysUpTime now. */
  resetCounters(): void;
  /** Counter32 octet counters wrap `seconds` from now (default 10); false restores them. */
  setWrapSoon(seconds?: number | false): void;
  /** ifIndex runs at ~100% of its speed for durationMs (default 60,000), then back. */
  saturate(ifIndex: number, durationMs?: number): void;
  linkDown(ifIndex: number): void;
  linkUp(ifIndex: number): void;
  setMalformed(kind: MalformedKind | null): void;
  /** ifHC*Octets start at this value from now on (mod 2^64). */
  setCounter64Start(value: bigint): void;
  behaviour(): { silent: boolean; slowMs: number; malformed: MalformedKind | null };
  stats(): DeviceStats;
  uptimeTicks(at?: number): number;
  /** What the device answers for an OID at a time (default now); undefined when absent. */
  value(oid: string, at?: number): SimValue | undefined;
}

export interface FleetStats {
  devices: number;
  requests: number;
  responses: number;
  dropped: number;
  badRequests: number;
  errors: number;
  perDevice: DeviceStats[];
}

export interface Fleet {
  /** The address every device binds, or 'per-device' (see FleetOptions.host). */
  readonly host: string;
  readonly devices: readonly SimDeviceInfo[];
  /** DESIGN.md inventory: one `host:port name key=value ...` line per device. */
  inventoryText(): string;
  device(index: number): DeviceHandle;
  stats(): FleetStats;
  /** Sends a trap from the device's own socket (so the receiver sees its address and port). */
  sendTrap(deviceIndex: number, target: { host: string; port: number }, kind: TrapKind, options?: TrapOptions): Promise<void>;
  /** Closes every socket and timer; idempotent. */
  close(): Promise<void>;
}

interface FleetContext {
  now: () => number;
  community: Buffer;
  communityText: string;
  maxMessageSize: number;
  seed: number;
  transport: 'udp4' | 'udp6';
}

class SimDevice implements DeviceHandle {
  readonly info: SimDeviceInfo;
  readonly model: DeviceModel;
  socket: dgram.Socket | null = null;
  silent = false;
  slowMs = 0;
  malformed: MalformedKind | null = null;
  readonly timers = new Set<NodeJS.Timeout>();
  v3: V3Responder | null = null;
  readonly engineID: Buffer;
  closed = false;

  constructor(info: SimDeviceInfo, model: DeviceModel, readonly users: V3User[], private readonly ctx: FleetContext) {
    this.info = info;
    this.model = model;
    this.engineID = deviceEngineId(ctx.seed, info.index);
  }

  attach(socket: dgram.Socket): void {
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    if (this.info.version === '3') {
      this.v3 = createV3Responder({
        dev: this.model,
        users: this.users,
        engineID: this.engineID,
        maxMessageSize: this.ctx.maxMessageSize,
        now: this.ctx.now,
        send: (buf, port, address) => this.send(buf, port, address, true),
        onReject: () => { this.model.stats.dropped++; },
      });
    }
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const stats = this.model.stats;
    stats.requests++;
    if (this.silent || this.closed) {
      stats.dropped++;
      return;
    }
    if (this.slowMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) this.process(msg, rinfo);
      }, this.slowMs);
      this.timers.add(timer);
      return;
    }
    this.process(msg, rinfo);
  }

  private process(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const stats = this.model.stats;
    try {
      const version = peekVersion(msg);
      if (version === 3) {
        if (this.v3) this.v3.handle(msg, rinfo);
        else stats.dropped++;
        return;
      }
      if (version !== 0 && version !== 1) {
        stats.badRequests++;
        return;
      }
      const v = this.info.version;
      if (v === '3' || (v === '1' && version !== 0)) {
        stats.dropped++;
        return;
      }
      const req = decodeCommunityRequest(msg);
      // A wrong community gets no answer at all: RFC 1157 §4.1 discards unauthentic messages.
      if (!req.community.equals(this.ctx.community)) {
        stats.dropped++;
        return;
      }
      const answer = answerCommunity(this.model, req, {
        maxMessageSize: this.ctx.maxMessageSize, now: this.ctx.now(), malformed: this.malformed, seed: this.ctx.seed,
      });
      if (!answer) {
        stats.dropped++;
        return;
      }
      this.send(answer, rinfo.port, rinfo.address, false);
    } catch {
      // BerError on a datagram we cannot decode; anything else is a simulator bug, but a
      // socket handler must not take the whole fleet down with it.
      stats.badRequests++;
    }
  }

  /** Sends an answer; v3 answers get the malformed treatment here (v1/v2c got it when encoded). */
  private send(buf: Buffer, port: number, address: string, v3: boolean): void {
    if (this.closed || !this.socket) return;
    let datagram = buf;
    if (v3 && this.malformed) {
      // net-snmp encoded it; the simple corruptions apply to any message.
      datagram = this.malformed === 'random'
        ? Buffer.from(buf.map((b, i) => (b * 31 + i * 17) & 0xff))
        : Buffer.from(buf.subarray(0, Math.max(2, Math.floor(buf.length * 0.6))));
    }
    this.model.stats.responses++;
    this.socket.send(datagram, port, address);
  }

  // --- DeviceHandle

  setSilent(silent: boolean): void { this.silent = !!silent; }

  setSlow(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs must be >= 0, got ${ms}`);
    this.slowMs = ms;
  }

  reboot(): void { this.model.reboot(this.ctx.now()); }

  resetCounters(): void { this.model.resetCounters(this.ctx.now()); }

  setWrapSoon(seconds: number | false = 10): void {
    if (seconds !== false && (!Number.isFinite(seconds) || seconds <= 0)) throw new RangeError(`wrapSoon seconds must be > 0, got ${seconds}`);
    this.model.setWrapSoon(seconds, this.ctx.now());
  }

  saturate(ifIndex: number, durationMs = 60_000): void { this.model.saturate(ifIndex, durationMs, this.ctx.now()); }

  linkDown(ifIndex: number): void { this.model.setLink(ifIndex, false, this.ctx.now()); }

  linkUp(ifIndex: number): void { this.model.setLink(ifIndex, true, this.ctx.now()); }

  setMalformed(kind: MalformedKind | null): void {
    if (kind !== null && !MALFORMED_KINDS.includes(kind)) throw new RangeError(`unknown malformed kind: ${kind}`);
    this.malformed = kind;
  }

  setCounter64Start(value: bigint): void { this.model.setCounter64Start(BigInt(value)); }

  behaviour() { return { silent: this.silent, slowMs: this.slowMs, malformed: this.malformed }; }

  stats(): DeviceStats { return { ...this.model.stats }; }

  uptimeTicks(at?: number): number { return this.model.uptimeTicks(at ?? this.ctx.now()); }

  value(oid: string, at?: number): SimValue | undefined {
    const idx = findExact(this.model.tree, parseOid(oid));
    if (idx < 0) return undefined;
    return this.model.valueOf(this.model.tree.entries[idx], at ?? this.ctx.now());
  }

  applyBehaviour(b: DeviceBehaviour): void {
    if (b.silent !== undefined) this.setSilent(b.silent);
    if (b.slowMs !== undefined) this.setSlow(b.slowMs);
    if (b.malformed !== undefined) this.setMalformed(b.malformed);
    if (b.counter64Start !== undefined) this.setCounter64Start(BigInt(b.counter64Start));
    if (b.wrapSoon) this.setWrapSoon(b.wrapSoon === true ? 10 : b.wrapSoon);
    if (b.linkDown !== undefined) for (const i of ([] as number[]).concat(b.linkDown)) this.linkDown(i);
    if (b.saturate !== undefined) {
      const s = typeof b.saturate === 'number' ? { ifIndex: b.saturate } : b.saturate;
      this.saturate(s.ifIndex, s.durationMs);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

/**
 * dgram calls back before libuv has released the handle (that happens in the loop's
 * close phase); two turns of the check phase later every handle is gone, so a caller
 * counting handles after close() sees none of ours.
 */
function handlesReleased(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

function bindSocket(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address: host, exclusive: true });
  });
}

function bindError(err: NodeJS.ErrnoException, host: string, port: number, name: string): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'EADDRINUSE') {
    return new Error(`simulator: port ${port} on ${host} is already in use (device ${name}); choose another basePort, or 0 for ephemeral ports`);
  }
  if (err.code === 'EACCES') return new Error(`simulator: no permission to bind ${where} (device ${name}); use a port above 1023`);
  if (err.code === 'EADDRNOTAVAIL') return new Error(`simulator: address ${host} is not available on this machine`);
  return new Error(`simulator: cannot bind ${where} (device ${name}): ${err.code ?? err.message}`);
}

function checkInteger(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`simulator: ${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

function labelsFor(labels: FleetOptions['labels'], index: number): Record<string, string> {
  if (!labels) return {};
  if (typeof labels === 'function') return { ...labels(index) };
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(labels)) {
    if (values.length > 0) out[key] = values[index % values.length];
  }
  return out;
}

/** Starts `options.count` simulated devices; rejects (with every socket closed) when one cannot bind. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const count = checkInteger('count', options.count, 1, 60000);
  const host = options.host ?? '127.0.0.1';
  const perDevice = host === 'per-device';
  const hostOf = (i: number) => (perDevice ? loopbackAddress(i) : host);
  const basePort = checkInteger('basePort', options.basePort ?? 0, 0, 65535);
  if (basePort > 0 && basePort + count - 1 > 65535) {
    throw new RangeError(`simulator: ports ${basePort}..${basePort + count - 1} run past 65535`);
  }
  const interfaces = checkInteger('interfaces', options.interfaces ?? 48, 1, 10000);
  const maxMessageSize = checkInteger('maxMessageSize', options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, 484, MAX_UDP_PAYLOAD);
  const seed = (options.seed ?? 1) >>> 0;
  const now = options.now ?? Date.now;
  const communityText = options.community ?? 'public';
  const transport: 'udp4' | 'udp6' = host.includes(':') ? 'udp6' : 'udp4';
  const ctx: FleetContext = { now, community: Buffer.from(communityText), communityText, maxMessageSize, seed, transport };
  const tree = treeFor(interfaces);
  const prefix = options.namePrefix ?? 'sim';
  const width = Math.max(4, String(count - 1).length);
  const rate = options.rate;
  const start = now();

  const devices: SimDevice[] = [];
  for (let i = 0; i < count; i++) {
    const version = typeof options.version === 'function' ? options.version(i) : options.version ?? '2c';
    if (version !== '1' && version !== '2c' && version !== '3') throw new RangeError(`simulator: unknown version ${String(version)}`);
    const users = typeof options.v3Users === 'function' ? options.v3Users(i) : options.v3Users ?? [];
    if (version === '3' && users.length === 0) throw new RangeError(`simulator: v3 device ${i} has no v3Users`);
    const labels = labelsFor(options.labels, i);
    const name = `${prefix}-${String(i).padStart(width, '0')}`;
    const location = typeof options.sysLocation === 'function' ? options.sysLocation(i) : options.sysLocation ?? labels.site ?? 'lab';
    const model = new DeviceModel({
      index: i,
      name,
      seed,
      tree,
      now: start,
      sysDescr: options.sysDescr ?? `snmp-fleet simulated switch, ${interfaces} ports`,
      sysContact: options.sysContact ?? 'noc@example.net',
      sysLocation: location,
      rate: rate === undefined ? undefined : typeof rate === 'number' ? () => rate : (ifIndex) => rate(i, ifIndex),
      uptimeSeconds: options.behaviours?.[i]?.uptime,
    });
    devices.push(new SimDevice({ index: i, host: hostOf(i), port: 0, name, labels, version }, model, users, ctx));
  }

  const sockets: dgram.Socket[] = [];
  try {
    await Promise.all(devices.map(async (dev, i) => {
      const socket = dgram.createSocket({ type: transport });
      sockets.push(socket);
      const port = basePort > 0 ? basePort + i : 0;
      try {
        await bindSocket(socket, port, dev.info.host);
      } catch (err) {
        throw bindError(err as NodeJS.ErrnoException, dev.info.host, port, dev.info.name);
      }
      // Send failures (e.g. the poller's port went away) must not crash the simulator.
      socket.on('error', () => { dev.model.stats.dropped++; });
      dev.info.port = socket.address().port;
      dev.attach(socket);
    }));
  } catch (err) {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      try { s.close(() => resolve()); } catch { resolve(); }
    })));
    await handlesReleased();
    throw err;
  }

  for (const [key, behaviour] of Object.entries(options.behaviours ?? {})) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`simulator: behaviour for unknown device ${key}`);
    devices[i].applyBehaviour(behaviour);
  }

  let requestId = 1;
  let closing: Promise<void> | null = null;
  const infos = devices.map((d) => d.info);
  const byIndex = (i: number): SimDevice => {
    const dev = devices[i];
    if (!dev) throw new RangeError(`simulator: no device ${i} (fleet of ${count})`);
    return dev;
  };

  return {
    host,
    devices: infos,
    inventoryText() {
      return infos.map((d) => {
        const addr = d.host.includes(':') ? `[${d.host}]` : d.host;
        const labels = Object.entries(d.labels).map(([k, v]) => ` ${k}=${v}`).join('');
        return `${addr}:${d.port} ${d.name}${labels}\n`;
      }).join('');
    },
    device: byIndex,
    stats() {
      const perDevice = devices.map((d) => ({ ...d.model.stats }));
      const sum = (k: keyof DeviceStats) => perDevice.reduce((a, s) => a + s[k], 0);
      return {
        devices: count, requests: sum('requests'), responses: sum('responses'), dropped: sum('dropped'),
        badRequests: sum('badRequests'), errors: sum('errors'), perDevice,
      };
    },
    async sendTrap(deviceIndex, target, kind, o = {}) {
      const dev = byIndex(deviceIndex);
      if (!TRAP_KINDS.includes(kind)) throw new RangeError(`unknown trap kind: ${kind}`);
      const socket = dev.socket;
      if (!socket) throw new Error('simulator: fleet is closed');
      const version = o.version ?? (dev.info.version === '3' ? '3' : dev.info.version === '1' ? '1' : '2c');
      const ifIndex = o.ifIndex ?? 1;
      const at = now();
      if (version === '3') {
        const user = o.user ?? dev.users[0];
        if (!user) throw new Error(`simulator: device ${deviceIndex} has no v3 user to send a trap with`);
        await sendTrapV3(dev.model, socket, target, transport, user, dev.engineID, kind, ifIndex, at);
        return;
      }
      const community = Buffer.from(o.community ?? communityText);
      requestId = (requestId % 0x7fffffff) + 1;
      const datagram = version === '1'
        ? encodeTrapV1(dev.model, community, kind, ifIndex, at, dev.info.host)
        : encodeTrapV2(dev.model, community, kind, ifIndex, at, requestId);
      await new Promise<void>((resolve, reject) => {
        socket.send(datagram, target.port, target.host, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      if (!closing) {
        closing = Promise.all(devices.map((d) => d.close())).then(handlesReleased);
      }
      return closing;
    },
  };
}

/** The OIDs every device answers, in order (for tests and tools). */
export function simOids(interfaces = 48): string[] {
  return treeFor(interfaces).entries.map((e) => e.oid);
}
