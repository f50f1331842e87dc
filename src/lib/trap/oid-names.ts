/**
 * OIDs read from the wire, with their names, cached by their encoded octets: a trap
 * receiver sees the same few dozen OIDs (snmpTrapOID.0, sysUpTime.0, ifIndex.N, the
 * trap OIDs) over and over, and building the dotted string, asking the MIB for its
 * description and forming `IF-MIB::ifOperStatus.3` and `ifOperStatus.3` cost more than
 * the rest of a trap's decoding together. A hit costs a hash of the octets and one
 * comparison.
 *
 * Bounded in entries (a flood naming distinct instances empties it rather than growing
 * it), and forgotten every minute, so names follow MIBs loaded later.
 */
import { BerReader } from '../common/ber';
import { qualifiedName, shortName } from '../common/codec';
import type { MibLookup, OidInfo } from '../common/types';

/** An OID with its names, shared by every message that carries it (never modified). */
export interface NamedOid {
  /** Dotted numeric OID. */
  readonly oid: string;
  readonly info: OidInfo | undefined;
  /** `IF-MIB::ifOperStatus.3`, or the numeric OID when no MIB knows it. */
  readonly name: string;
  /** `ifOperStatus.3` (a payload key), or the numeric OID. */
  readonly key: string;
}

interface Entry extends NamedOid {
  readonly bytes: Uint8Array;
  next: Entry | undefined;
}

/** Entries kept; each is about 200 bytes. */
export const OID_NAMES_MAX = 8192;
/** Names are built afresh after this long, so a MIB loaded meanwhile is used. */
export const OID_NAMES_TTL_MS = 60_000;

/** How OIDs are named: from the MIB service, or numerically when there is none. */
export type MibSource = () => MibLookup | undefined;

function describe(mib: MibLookup | undefined, oid: string): OidInfo | undefined {
  if (!mib) return undefined;
  try {
    return mib.describe(oid);
  } catch {
    // a MIB that fails to load must not cost the trap
    return undefined;
  }
}

/** The names of a dotted OID (not cached: v1 trap OIDs are computed, not read). */
export function nameOid(oid: string, mib: MibLookup | undefined): NamedOid {
  const info = describe(mib, oid);
  return { oid, info, name: qualifiedName(oid, info), key: shortName(oid, info) };
}

export class OidNames {
  private readonly buckets = new Map<number, Entry>();
  private count = 0;
  private expires = 0;

  constructor(
    private readonly mib: MibSource = () => undefined,
    private readonly max = OID_NAMES_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Forgets every name once the TTL has passed; called once per datagram, not per OID. */
  expire(now = this.now()): void {
    if (now < this.expires) return;
    this.clear();
    this.expires = now + OID_NAMES_TTL_MS;
  }

  clear(): void {
    this.buckets.clear();
    this.count = 0;
  }

  /**
   * The OID whose header `r` has just read (tag 0x06), with its names; leaves `r` after
   * it. Throws MalformedPacket as BerReader.oidValue does.
   */
  read(r: BerReader, what: string): NamedOid {
    const buf = r.buf;
    const start = r.valueStart;
    const end = r.valueEnd;
    // FNV-1a over the octets
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const first = this.buckets.get(h);
    for (let e = first; e !== undefined; e = e.next) {
      const b = e.bytes;
      if (b.length !== end - start) continue;
      let same = true;
      for (let i = 0; i < b.length; i++) {
        if (b[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        r.pos = end;
        return e;
      }
    }
    const oid = r.oidValue(what);
    const named = nameOid(oid, this.mib());
    // a copy: a view would keep the whole datagram alive
    const bytes = new Uint8Array(end - start);
    bytes.set(buf.subarray(start, end));
    if (this.count >= this.max) this.clear();
    this.buckets.set(h, { ...named, bytes, next: this.count === 0 ? undefined : first });
    this.count++;
    return named;
  }
}
