/**
 * The state and values of one simulated device. Every value is a pure function of the
 * device's seed, its behaviour changes and the time asked about, so repeated reads at one
 * instant agree and tests can compute what a poll must return.
 *
 * Counters: each interface moves bytes at a steady per-interface rate (in; out is half of
 * it). An interface keeps `acc` bytes counted up to `tBase`; a behaviour change folds the
 * bytes so far into `acc`, so counters never jump backwards except on reboot or reset.
 * Packet, discard and error counters are derived from the byte counts.
 */
import type { SmiType } from '../lib/common/types';
import { Tag, writeBytes, writeCounter64, writeUnsigned, encodeOid } from './ber';
import { Kind, type Tree, type TreeEntry } from './tree';

export type MalformedKind =
  | 'truncated' | 'bad-length' | 'wrong-type' | 'reqid5' | 'random' | 'wrong-reqid' | 'wrong-community';

export const MALFORMED_KINDS: readonly MalformedKind[] = [
  'truncated', 'bad-length', 'wrong-type', 'reqid5', 'random', 'wrong-reqid', 'wrong-community',
];

/** Per-device behaviours, settable at start (FleetOptions.behaviours) and at run time. */
export interface DeviceBehaviour {
  /** Never answers (a dead device). */
  silent?: boolean;
  /** Answers after this many ms. */
  slowMs?: number;
  /** Counter32 octet counters start just below 2^32 and wrap in this many seconds (true = 10). */
  wrapSoon?: boolean | number;
  /** Puts this ifIndex at ~100% of its speed for `durationMs` (default 60 s) from start. */
  saturate?: number | { ifIndex: number; durationMs?: number };
  /** ifIndex(es) whose ifOperStatus is down(2) from start. */
  linkDown?: number | number[];
  /** Answers every request with a broken datagram of this kind. */
  malformed?: MalformedKind | null;
  /** Start value of the ifHC*Octets counters (e.g. 2n ** 63n + 5n to test the top bit). */
  counter64Start?: bigint | number | string;
  /** Seconds the device has been up when the fleet starts (default: seeded, 1 to 30 days). */
  uptime?: number;
}

/** A value as the device would answer it: OctetString as Buffer, OID dotted, Counter64 as BigInt. */
export interface SimValue {
  type: SmiType;
  value: number | bigint | string | Buffer;
}

export interface DeviceStats {
  /** Datagrams received. */
  requests: number;
  /** Datagrams sent in answer (malformed ones included). */
  responses: number;
  /** Requests not answered: silent, wrong community, unknown version or user. */
  dropped: number;
  /** Requests that could not be decoded. */
  badRequests: number;
  /** Requests answered with an error-status other than noError. */
  errors: number;
}

/** ifSpecific and similar null OIDs (RFC 2863: zeroDotZero). */
const ZERO_DOT_ZERO = encodeOid([0, 0]);
export const SYS_OBJECT_ID = [1, 3, 6, 1, 4, 1, 8072, 3, 2, 10];
const SYS_OBJECT_ID_TLV = encodeOid(SYS_OBJECT_ID);

const TWO32 = 4294967296;
const MAX32 = 4294967295;
/** Bytes per packet of each kind, to derive packet counters from byte counters. */
const UCAST_BYTES = 800;
const MCAST_BYTES = 90_000;
const BCAST_BYTES = 250_000;
const DISCARD_BYTES = 80_000_000;
const IN_ERROR_BYTES = 800_000_000;
const OUT_ERROR_BYTES = 1_600_000_000;
const UNKNOWN_PROTO_BYTES = 400_000_000;
/** Interfaces start counting this long after a reboot (so ifCounterDiscontinuityTime moves). */
export const INTERFACE_INIT_MS = 1000;
/** How full a saturated link runs. */
const SATURATION = 0.99;

/** Deterministic hash of four integers to [0, 1) (murmur3 finaliser). */
export function unitHash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x3c6ef372, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= Math.imul(c ^ 0x165667b1, 0xc2b2ae3d) ^ Math.imul(d + 0x27d4eb2f, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / TWO32;
}

function displayString(text: string): Buffer {
  const bytes = Buffer.from(text);
  return bytes.length > 255 ? bytes.subarray(0, 255) : bytes;
}

/** Scratch output of DeviceModel.compute (one per process: the simulator is single-threaded). */
interface Computed {
  tag: number;
  num: number;
  hi: number;
  lo: number;
  bytes: Buffer | null;
  /** A precomputed TLV (OID values). */
  raw: Buffer | null;
}

const out: Computed = { tag: 0, num: 0, hi: 0, lo: 0, bytes: null, raw: null };
const macScratch = Buffer.alloc(6);

export interface DeviceModelOptions {
  index: number;
  name: string;
  seed: number;
  tree: Tree;
  now: number;
  sysDescr: string;
  sysContact: string;
  sysLocation: string;
  /** In-direction bytes/s of each interface (out is half), or undefined for the seeded default. */
  rate?: (ifIndex: number) => number;
  uptimeSeconds?: number;
}

export class DeviceModel {
  readonly index: number;
  readonly name: string;
  readonly tree: Tree;
  readonly sysDescr: string;
  readonly sysContact: string;
  readonly sysLocation: string;
  // DisplayString values as bytes, at most 255 (RFC 2579 DisplayString SIZE (0..255)).
  private readonly sysDescrBytes: Buffer;
  private readonly sysContactBytes: Buffer;
  private readonly sysLocationBytes: Buffer;
  private readonly nameBytes: Buffer;
  /** ms epoch of the last boot. */
  bootTime: number;
  /** sysUpTime-relative TimeStamp of the last counter discontinuity (0 = never since boot). */
  discontinuityTicks = 0;
  readonly rateIn: Float64Array;
  readonly rateOut: Float64Array;
  readonly accIn: Float64Array;
  readonly accOut: Float64Array;
  readonly tBase: Float64Array;
  readonly satFrom: Float64Array;
  readonly satUntil: Float64Array;
  readonly lastChange: Float64Array;
  readonly oper: Uint8Array;
  /** Extra offset of the Counter32 octet counters (wrapSoon), null when unused. */
  c32In: Float64Array | null = null;
  c32Out: Float64Array | null = null;
  start64Hi = 0;
  start64Lo = 0;
  readonly stats: DeviceStats = { requests: 0, responses: 0, dropped: 0, badRequests: 0, errors: 0 };

  constructor(o: DeviceModelOptions) {
    this.index = o.index;
    this.name = o.name;
    this.tree = o.tree;
    this.sysDescr = o.sysDescr;
    this.sysContact = o.sysContact;
    this.sysLocation = o.sysLocation;
    this.sysDescrBytes = displayString(o.sysDescr);
    this.sysContactBytes = displayString(o.sysContact);
    this.sysLocationBytes = displayString(o.sysLocation);
    this.nameBytes = displayString(o.name);
    const n = o.tree.interfaces;
    const uptime = o.uptimeSeconds ?? Math.floor(86400 * (1 + 29 * unitHash(o.seed, o.index, 0, 1)));
    this.bootTime = o.now - uptime * 1000;
    this.rateIn = new Float64Array(n);
    this.rateOut = new Float64Array(n);
    this.accIn = new Float64Array(n);
    this.accOut = new Float64Array(n);
    this.tBase = new Float64Array(n).fill(this.bootTime);
    this.satFrom = new Float64Array(n);
    this.satUntil = new Float64Array(n);
    this.lastChange = new Float64Array(n).fill(this.bootTime);
    this.oper = new Uint8Array(n).fill(1);
    for (let k = 0; k < n; k++) {
      let rate: number;
      if (o.rate) {
        rate = o.rate(k + 1);
      } else {
        // A few Mbit/s on access ports, tens to hundreds on uplinks.
        const u = unitHash(o.seed, o.index, k + 1, 2);
        rate = o.tree.ifStatic[k].highSpeed > 1000 ? (20 + 180 * u) * 125_000 : (1 + 8 * u) * 125_000;
      }
      if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`rate of ifIndex ${k + 1} must be >= 0 bytes/s, got ${rate}`);
      this.rateIn[k] = rate;
      this.rateOut[k] = rate / 2;
    }
  }

  /** sysUpTime.0 at `now` in TimeTicks (1/100 s), wrapping at 2^32. */
  uptimeTicks(now: number): number {
    const t = Math.floor((now - this.bootTime) / 10);
    return t <= 0 ? 0 : t % TWO32;
  }

  /** Bytes counted since the last counter epoch on interface k (0-based), direction in/out. */
  octets(outDir: boolean, k: number, now: number): number {
    const acc = outDir ? this.accOut[k] : this.accIn[k];
    if (this.oper[k] !== 1) return acc;
    const t0 = this.tBase[k];
    if (now <= t0) return acc;
    const rate = outDir ? this.rateOut[k] : this.rateIn[k];
    let bytes = (rate * (now - t0)) / 1000;
    const sf = this.satFrom[k];
    const su = this.satUntil[k];
    if (su > sf) {
      const overlap = (now < su ? now : su) - (t0 > sf ? t0 : sf);
      if (overlap > 0) {
        const satRate = (this.tree.ifStatic[k].highSpeed * 1e6 * SATURATION) / 8;
        if (satRate > rate) bytes += ((satRate - rate) * overlap) / 1000;
      }
    }
    return acc + Math.floor(bytes);
  }

  /** Folds the bytes counted so far into the accumulators (before any rate or state change). */
  private fold(k: number, now: number): void {
    if (now <= this.tBase[k]) return;
    this.accIn[k] = this.octets(false, k, now);
    this.accOut[k] = this.octets(true, k, now);
    this.tBase[k] = now;
  }

  private checkIfIndex(ifIndex: number): number {
    if (!Number.isInteger(ifIndex) || ifIndex < 1 || ifIndex > this.tree.interfaces) {
      throw new RangeError(`ifIndex ${ifIndex} out of range 1..${this.tree.interfaces}`);
    }
    return ifIndex - 1;
  }

  /** Restarts the device: sysUpTime from 0, counters from 0 once interfaces come up. */
  reboot(now: number): void {
    this.bootTime = now;
    const init = now + INTERFACE_INIT_MS;
    this.accIn.fill(0);
    this.accOut.fill(0);
    this.tBase.fill(init);
    this.satFrom.fill(0);
    this.satUntil.fill(0);
    this.lastChange.fill(init);
    this.c32In = null;
    this.c32Out = null;
    this.start64Hi = 0;
    this.start64Lo = 0;
    this.discontinuityTicks = INTERFACE_INIT_MS / 10;
  }

  /** Clears every interface counter without a reboot (ifCounterDiscontinuityTime = now). */
  resetCounters(now: number): void {
    this.accIn.fill(0);
    this.accOut.fill(0);
    this.tBase.fill(now);
    this.c32In = null;
    this.c32Out = null;
    this.start64Hi = 0;
    this.start64Lo = 0;
    this.discontinuityTicks = this.uptimeTicks(now);
  }

  /** Moves the Counter32 octet counters so they wrap `seconds` from now; false undoes it. */
  setWrapSoon(seconds: number | false, now: number): void {
    if (seconds === false) {
      this.c32In = null;
      this.c32Out = null;
      return;
    }
    const n = this.tree.interfaces;
    const c32In = new Float64Array(n);
    const c32Out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      for (const outDir of [false, true]) {
        const rate = outDir ? this.rateOut[k] : this.rateIn[k];
        const target = Math.max(1, TWO32 - Math.min(TWO32 - 1, Math.ceil(rate * seconds)));
        const current = (this.start64Lo + this.octets(outDir, k, now)) % TWO32;
        (outDir ? c32Out : c32In)[k] = (((target - current) % TWO32) + TWO32) % TWO32;
      }
    }
    this.c32In = c32In;
    this.c32Out = c32Out;
  }

  /** Sets where the ifHC*Octets counters start (mod 2^64), from now on. */
  setCounter64Start(value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.start64Hi = Number(v >> 32n);
    this.start64Lo = Number(v & 0xffffffffn);
  }

  /** Runs interface ifIndex at ~100% of its speed for durationMs. */
  saturate(ifIndex: number, durationMs: number, now: number): void {
    const k = this.checkIfIndex(ifIndex);
    this.fold(k, now);
    this.satFrom[k] = now;
    this.satUntil[k] = now + Math.max(0, durationMs);
  }

  /** Sets ifOperStatus; traffic stops while down. Returns false when nothing changed. */
  setLink(ifIndex: number, up: boolean, now: number): boolean {
    const k = this.checkIfIndex(ifIndex);
    const status = up ? 1 : 2;
    if (this.oper[k] === status) return false;
    this.fold(k, now);
    this.oper[k] = status;
    this.lastChange[k] = now;
    return true;
  }

  private counter32(outDir: boolean, k: number, now: number): number {
    const off = outDir ? this.c32Out : this.c32In;
    const v = this.start64Lo + this.octets(outDir, k, now) + (off ? off[k] : 0);
    return v % TWO32;
  }

  private setCounter64(value: number): void {
    out.tag = Tag.Counter64;
    out.hi = Math.floor(value / TWO32) % TWO32;
    out.lo = value % TWO32;
  }

  private setHcOctets(outDir: boolean, k: number, now: number): void {
    const sum = this.start64Lo + this.octets(outDir, k, now);
    out.tag = Tag.Counter64;
    out.lo = sum % TWO32;
    out.hi = (this.start64Hi + Math.floor(sum / TWO32)) % TWO32;
  }

  private num(tag: number, v: number): void {
    out.tag = tag;
    out.num = v;
  }

  private str(bytes: Buffer): void {
    out.tag = Tag.OctetString;
    out.bytes = bytes;
  }

  /** Computes the value of `entry` at `now` into the module scratch `out`. */
  private compute(entry: TreeEntry, now: number): void {
    out.bytes = null;
    out.raw = null;
    const kind = entry.kind;
    if (kind < Kind.IF_TABLE) {
      switch (kind) {
        case Kind.sysDescr: return this.str(this.sysDescrBytes);
        case Kind.sysObjectID: out.tag = Tag.Oid; out.raw = SYS_OBJECT_ID_TLV; return;
        case Kind.sysUpTime: return this.num(Tag.TimeTicks, this.uptimeTicks(now));
        case Kind.sysContact: return this.str(this.sysContactBytes);
        case Kind.sysName: return this.str(this.nameBytes);
        case Kind.sysLocation: return this.str(this.sysLocationBytes);
        case Kind.sysServices: return this.num(Tag.Integer, 6); // layers 2 and 3: a switch that routes
        default: return this.num(Tag.Integer, this.tree.interfaces); // ifNumber
      }
    }
    const k = entry.ifIndex - 1;
    const st = this.tree.ifStatic[k];
    if (kind < Kind.IF_X_TABLE) {
      switch (kind - Kind.IF_TABLE) {
        case 1: return this.num(Tag.Integer, k + 1);
        case 2: return this.str(st.descr);
        case 3: return this.num(Tag.Integer, 6); // ethernetCsmacd
        case 4: return this.num(Tag.Integer, st.mtu);
        case 5: return this.num(Tag.Gauge32, Math.min(MAX32, st.highSpeed * 1e6));
        case 6: {
          const i = this.index;
          macScratch[0] = 0x02; // locally administered
          macScratch[1] = (i >>> 16) & 0xff;
          macScratch[2] = (i >>> 8) & 0xff;
          macScratch[3] = i & 0xff;
          macScratch[4] = ((k + 1) >>> 8) & 0xff;
          macScratch[5] = (k + 1) & 0xff;
          out.tag = Tag.OctetString;
          out.bytes = macScratch;
          return;
        }
        case 7: return this.num(Tag.Integer, 1);
        case 8: return this.num(Tag.Integer, this.oper[k]);
        case 9: {
          const t = Math.floor((this.lastChange[k] - this.bootTime) / 10);
          return this.num(Tag.TimeTicks, t > 0 && this.lastChange[k] <= now ? t % TWO32 : 0);
        }
        case 10: return this.num(Tag.Counter32, this.counter32(false, k, now));
        case 11: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / UCAST_BYTES) % TWO32);
        case 12: {
          const o = this.octets(false, k, now);
          return this.num(Tag.Counter32, (Math.floor(o / MCAST_BYTES) + Math.floor(o / BCAST_BYTES)) % TWO32);
        }
        case 13: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / DISCARD_BYTES) % TWO32);
        case 14: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / IN_ERROR_BYTES) % TWO32);
        case 15: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / UNKNOWN_PROTO_BYTES) % TWO32);
        case 16: return this.num(Tag.Counter32, this.counter32(true, k, now));
        case 17: return this.num(Tag.Counter32, Math.floor(this.octets(true, k, now) / UCAST_BYTES) % TWO32);
        case 18: {
          const o = this.octets(true, k, now);
          return this.num(Tag.Counter32, (Math.floor(o / MCAST_BYTES) + Math.floor(o / BCAST_BYTES)) % TWO32);
        }
        case 19: return this.num(Tag.Counter32, Math.floor(this.octets(true, k, now) / DISCARD_BYTES) % TWO32);
        case 20: return this.num(Tag.Counter32, Math.floor(this.octets(true, k, now) / OUT_ERROR_BYTES) % TWO32);
        case 21: return this.num(Tag.Gauge32, 0);
        default: out.tag = Tag.Oid; out.raw = ZERO_DOT_ZERO; return; // 22 ifSpecific
      }
    }
    switch (kind - Kind.IF_X_TABLE) {
      case 1: return this.str(st.name);
      case 2: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / MCAST_BYTES) % TWO32);
      case 3: return this.num(Tag.Counter32, Math.floor(this.octets(false, k, now) / BCAST_BYTES) % TWO32);
      case 4: return this.num(Tag.Counter32, Math.floor(this.octets(true, k, now) / MCAST_BYTES) % TWO32);
      case 5: return this.num(Tag.Counter32, Math.floor(this.octets(true, k, now) / BCAST_BYTES) % TWO32);
      case 6: return this.setHcOctets(false, k, now);
      case 7: return this.setCounter64(Math.floor(this.octets(false, k, now) / UCAST_BYTES));
      case 8: return this.setCounter64(Math.floor(this.octets(false, k, now) / MCAST_BYTES));
      case 9: return this.setCounter64(Math.floor(this.octets(false, k, now) / BCAST_BYTES));
      case 10: return this.setHcOctets(true, k, now);
      case 11: return this.setCounter64(Math.floor(this.octets(true, k, now) / UCAST_BYTES));
      case 12: return this.setCounter64(Math.floor(this.octets(true, k, now) / MCAST_BYTES));
      case 13: return this.setCounter64(Math.floor(this.octets(true, k, now) / BCAST_BYTES));
      case 14: return this.num(Tag.Integer, 1); // enabled
      case 15: return this.num(Tag.Gauge32, st.highSpeed);
      case 16: return this.num(Tag.Integer, 2); // false
      case 17: return this.num(Tag.Integer, 1); // true
      case 18: return this.str(st.alias);
      default: return this.num(Tag.TimeTicks, this.discontinuityTicks); // 19
    }
  }

  /** Writes the value TLV of `entry` at `now` into buf at pos; returns the new position. */
  writeValue(entry: TreeEntry, now: number, buf: Buffer, pos: number): number {
    this.compute(entry, now);
    switch (out.tag) {
      case Tag.Counter64: return writeCounter64(buf, pos, out.hi, out.lo);
      case Tag.OctetString:
        return writeBytes(buf, pos, Tag.OctetString, out.bytes!);
      case Tag.Oid: {
        const raw = out.raw!;
        for (let i = 0; i < raw.length; i++) buf[pos + i] = raw[i];
        return pos + raw.length;
      }
      default: return writeUnsigned(buf, pos, out.tag, out.num);
    }
  }

  /** The value of `entry` at `now` as a JS value (tests, the v3 path). */
  valueOf(entry: TreeEntry, now: number): SimValue {
    this.compute(entry, now);
    switch (out.tag) {
      case Tag.Counter64: return { type: 'Counter64', value: (BigInt(out.hi) << 32n) | BigInt(out.lo) };
      case Tag.OctetString:
        return { type: 'OctetString', value: Buffer.from(out.bytes!) };
      case Tag.Oid: return { type: 'OID', value: out.raw === SYS_OBJECT_ID_TLV ? SYS_OBJECT_ID.join('.') : '0.0' };
      case Tag.Counter32: return { type: 'Counter32', value: out.num };
      case Tag.Gauge32: return { type: 'Gauge32', value: out.num };
      case Tag.TimeTicks: return { type: 'TimeTicks', value: out.num };
      default: return { type: 'Integer', value: out.num };
    }
  }
}
