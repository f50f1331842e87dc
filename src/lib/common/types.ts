/**
 * The shared vocabulary of the engine: the message contract of DESIGN.md and the
 * interfaces between src/lib modules. Nothing here imports Node-RED.
 */

export type SnmpVersion = '1' | '2c' | '3';
export type SecurityLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
export type AuthProtocol = 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** aes = AES-128 (RFC 3826); aes256b = AES-256 Blumenthal key extension; aes256r = Reeder. */
export type PrivProtocol = 'des' | 'aes' | 'aes256b' | 'aes256r';
export type Transport = 'udp4' | 'udp6';

/** An SNMPv3 USM user with its secrets (only ever held in memory, from credentials). */
export interface V3User {
  name: string;
  level: SecurityLevel;
  authProtocol?: AuthProtocol;
  authKey?: string;
  privProtocol?: PrivProtocol;
  privKey?: string;
}

/** A device to talk to, as parsed from an inventory line or a msg.targets entry. */
export interface Device {
  host: string;
  port: number;
  /** Inventory name; the host when unnamed. */
  name: string;
  /** key=value pairs of the inventory line: tags on every message about the device. */
  labels: Record<string, string>;
  /**
   * Seconds between two polls of the device when its poll node runs on its own schedule
   * (`interval=300` in an inventory line); absent: the node's interval.
   */
  interval?: number;
  /**
   * The snmp-config profile to poll it with, by the config node's name (`profile=core-v3`
   * in a line, `profile` in a target object); absent = the polling node's own profile.
   * A worker of a scaled-out fleet serves mixed credentials this way; no secret travels.
   */
  profile?: string;
}

/**
 * A credential and transport profile: what snmp-config resolves its properties and
 * credentials into. Secrets live in `community` and `user`; never log this object.
 */
export interface SnmpProfile {
  version: SnmpVersion;
  community: string;
  user?: V3User;
  port: number;
  /** Per-request timeout in ms. */
  timeout: number;
  retries: number;
  /** Multiplier of the timeout on each retry (>= 1). */
  backoff: number;
  maxRepetitions: number;
  /** Devices in flight at once. */
  concurrency: number;
  /** Per-device deadline of one poll in ms (all requests of that device). */
  deadline: number;
  transport: Transport;
  sourceAddress?: string;
  context: string;
  contextEngineId?: string;
  /**
   * v3: the authoritative engine IDs (lower-case hex) the user's traps may come from,
   * as snmptrapd's `createUser -e`; absent = any engine.
   */
  trapEngineIds?: string[];
  inventory: Device[];
  mibDirs: string[];
}

/** SMI type names as they appear in `varbind.type` and `msg.types`. */
export type SmiType =
  | 'Boolean' | 'Integer' | 'OctetString' | 'Null' | 'OID' | 'IpAddress'
  | 'Counter32' | 'Gauge32' | 'TimeTicks' | 'Opaque' | 'Integer32' | 'Counter64'
  | 'NoSuchObject' | 'NoSuchInstance' | 'EndOfMibView' | 'Unsigned32';

/** A decoded varbind as carried in `msg.varbinds` (JSON-serialisable). */
export interface Varbind {
  oid: string;
  /** Module-qualified name with instance (`IF-MIB::ifDescr.3`), or the numeric OID. */
  name: string;
  type: SmiType;
  /** number | string | null (exceptions); never a Buffer or BigInt. */
  value: number | string | boolean | null;
  /** Counter64 only: the exact decimal value. */
  exact?: string;
  /** Enumerated INTEGER label, e.g. "up". */
  enum?: string;
  /** MIB display-hint rendering, when it differs from `value` (e.g. MAC address). */
  display?: string;
}

/**
 * How a device failed. `profile`: the device names an snmp-config profile the node cannot
 * use (none of that name, two of it, or one that is not a usable profile), on a
 * msg.targets poll or on the node's own schedule alike. `bad-target` is not a poll: an
 * inventory entry (a msg.targets entry, a database row) that cannot be read as written,
 * reported on output 2 with the others.
 */
export type ErrorCode = 'timeout' | 'unreachable' | 'auth' | 'snmp-error' | 'bad-response' | 'bad-target' | 'profile';

/** A per-device failure as classified by errors.ts. */
export interface PollFailure {
  code: ErrorCode;
  message: string;
  /** snmp-error: the error-status name (e.g. "noSuchName", "tooBig"). */
  status?: string;
  /** snmp-error: the 1-based error-index. */
  index?: number;
}

/** `msg.snmp` of a result. */
export interface SnmpMeta {
  /** ms epoch of the (last) response. */
  time: number;
  elapsedMs: number;
  version: SnmpVersion;
  /** Number of request/response round trips the poll took. */
  requests?: number;
  /**
   * snmp-bulkwalk with "keep a partial walk": why the walk stopped before its end
   * (an OID not increasing, the varbind cap); the payload holds what came before.
   */
  incomplete?: { code: ErrorCode; message: string };
}

/**
 * What the MIB service tells about an OID (longest-prefix match): the object it falls
 * under and the instance suffix. See src/lib/mib.
 */
export interface OidInfo {
  /** Numeric OID of the matched object (no instance). */
  oid: string;
  module: string;
  /** Object descriptor, e.g. "ifDescr". */
  name: string;
  /** Instance suffix after the object OID, e.g. "3", "0" or "" when exact. */
  instance: string;
  /** Base SMI syntax or textual convention name (e.g. "DisplayString", "Counter64"). */
  syntax?: string;
  /** Enumeration labels of an INTEGER (or TC based on one). */
  enums?: Record<number, string>;
  /** DISPLAY-HINT of the textual convention, when there is one. */
  hint?: string;
  /**
   * What the matched object is (the MIB service says): "column" and "scalar" are objects
   * with values; "table", "row" and "node" only contain them, so an OID below one of those
   * is an object the loaded MIBs do not know.
   */
  kind?: string;
}

/** The subset of the MIB service (src/lib/mib) the codec and nodes need. */
export interface MibLookup {
  /**
   * Longest-prefix description of a numeric OID; undefined outside every loaded MIB and
   * for anything that is not a numeric OID of 32-bit arcs (the codec relies on that).
   */
  describe(oid: string): OidInfo | undefined;
  /**
   * Numeric OID (no leading dot) for any form a user types: `sysDescr.0`,
   * `SNMPv2-MIB::sysDescr.0`, `ifDescr`, `IF-MIB::ifXTable`, `.1.3.6.1...`.
   * Throws an Error whose message names the unknown name.
   */
  resolve(name: string): string;
  /**
   * Renders an OctetString by its textual convention / DISPLAY-HINT (PhysAddress as
   * aa:bb:.., DateAndTime as ISO 8601, InetAddress...). undefined = nothing to render.
   */
  formatOctets?(info: OidInfo, raw: Buffer): string | undefined;
  /** Renders an integer by its DISPLAY-HINT ("d-1": 235 as "23.5"); undefined without one. */
  formatInteger?(info: OidInfo, value: number): string | undefined;
  /** Decodes a column instance suffix into the table's INDEX objects, by name. */
  decodeIndex?(columnOid: string, instance: string): Record<string, string | number> | undefined;
  /**
   * The readable columns of a table (or row) OID, in OID order; `[oid]` when the OID
   * is anything else or unknown. A walk asks for all columns in lock-step, which takes
   * rows/maxRepetitions round trips instead of columns × rows/maxRepetitions. The
   * array may be shared between calls: do not modify it.
   */
  tableColumns?(oid: string): string[];
}
