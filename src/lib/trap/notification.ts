/**
 * A received notification in the terms of DESIGN.md: SNMPv2 trap OID (v1 traps mapped
 * per RFC 3584 §3.1, so one filter serves both), varbinds decoded by the same codec as
 * polled values, and the message fields trap-in sends.
 */
import { BadValueError, decodeVarbind } from '../common/codec';
import type { Device, MibLookup, SnmpVersion, Varbind } from '../common/types';
import { isNumericOid, normalizeOid } from '../common/oid';
import { malformed, Tag } from '../common/ber';
import { findTrapOid, SNMP_TRAP_ENTERPRISE, SYS_UPTIME, type NotificationPdu } from './message';
import { nameOid, type NamedOid } from './oid-names';

/** snmpTraps (RFC 3418): coldStart .1 … egpNeighborLoss .6. */
export const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';

export type NotificationPduName = 'trap' | 'inform' | 'trapv1';

/** Where a datagram came from. */
export interface Source {
  address: string;
  port: number;
}

/** One accepted notification, shared by the nodes it is delivered to (read-only). */
export interface Notification {
  version: SnmpVersion;
  pdu: NotificationPduName;
  /** snmpTrapOID, numeric. */
  oid: string;
  /** `IF-MIB::linkDown`, or the numeric OID when no MIB knows it. */
  name: string;
  enterprise: string;
  generic: number;
  specific: number;
  /** sysUpTime.0 (v2) or time-stamp (v1), in hundredths of a second. */
  uptime?: number;
  /** v1 agent-addr. */
  agentAddress?: string;
  user?: string;
  /** Hex engine ID of the sender (v3). */
  engine?: string;
  context?: string;
  varbinds: Varbind[];
  /** Payload key of each varbind; undefined for sysUpTime.0 / snmpTrapOID.0. */
  keys: Array<string | undefined>;
  /** Varbinds past the listener's cap, not decoded (absent when none). */
  droppedVarbinds?: number;
  source: Source;
  /** ms epoch of receipt. */
  time: number;
}

/** Security facts of the message a notification came in. */
export interface Envelope {
  version: SnmpVersion;
  source: Source;
  time: number;
  user?: string;
  engine?: string;
  context?: string;
}

/** RFC 3584 §3.1 (2): the SNMPv2 trap OID of an SNMPv1 trap. */
export function v1TrapOid(enterprise: string, generic: number, specific: number): string {
  return generic === 6 ? `${enterprise}.0.${specific}` : `${SNMP_TRAPS}.${generic + 1}`;
}

/** RFC 3584 §3.2: the SNMPv1 enterprise/generic/specific of an SNMPv2 trap OID. */
export function v1Parameters(trapOid: string, enterpriseVarbind: string | undefined): { enterprise: string; generic: number; specific: number } {
  if (trapOid.startsWith(`${SNMP_TRAPS}.`)) {
    const n = Number(trapOid.slice(SNMP_TRAPS.length + 1));
    if (Number.isInteger(n) && n >= 1 && n <= 6) return { enterprise: enterpriseVarbind ?? SNMP_TRAPS, generic: n - 1, specific: 0 };
  }
  const dot = trapOid.lastIndexOf('.');
  const specific = Number(trapOid.slice(dot + 1));
  let enterprise = trapOid.slice(0, dot);
  // enterprise.0.specific: drop the 0 (RFC 3584 §3.2 (3))
  if (enterprise.endsWith('.0')) enterprise = enterprise.slice(0, -2);
  return { enterprise, generic: 6, specific };
}

/** v1Parameters of the trap OIDs the name cache holds, worked out once per OID. */
const v1ParameterCache = new WeakMap<NamedOid, ReturnType<typeof v1Parameters>>();

function v1ParametersOf(trapOid: NamedOid): ReturnType<typeof v1Parameters> {
  let p = v1ParameterCache.get(trapOid);
  if (p === undefined) {
    p = v1Parameters(trapOid.oid, undefined);
    v1ParameterCache.set(trapOid, p);
  }
  return p;
}

/** How names are found: the MIB service or nothing (numeric OIDs then). */
export type MibProvider = () => MibLookup | undefined;

/**
 * Decodes a notification PDU into a Notification. Throws MalformedPacket when a varbind
 * value contradicts its type.
 */
export function buildNotification(pdu: NotificationPdu, env: Envelope, mib: MibLookup | undefined): Notification {
  const raw = pdu.varbinds;
  const varbinds: Varbind[] = new Array(raw.length);
  const keys: Array<string | undefined> = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const named = raw[i].named;
    try {
      varbinds[i] = decodeVarbind(raw[i], named.info, mib);
    } catch (err) {
      if (err instanceof BadValueError) malformed(err.message);
      throw err;
    }
    keys[i] = named.key;
  }
  let trapOid: NamedOid;
  let enterprise: string;
  let generic: number;
  let specific: number;
  let uptime: number | undefined;
  let pduName: NotificationPduName;
  if (pdu.type === Tag.TrapV1) {
    pduName = 'trapv1';
    enterprise = pdu.enterprise as string;
    generic = pdu.generic as number;
    specific = pdu.specific as number;
    uptime = pdu.timestamp;
    trapOid = nameOid(v1TrapOid(enterprise, generic, specific), mib);
  } else {
    pduName = pdu.type === Tag.InformRequest ? 'inform' : 'trap';
    const at = findTrapOid(raw) as number;
    trapOid = raw[at].valueNamed ?? nameOid(raw[at].value as string, mib);
    keys[at] = undefined;
    let enterpriseVarbind: string | undefined;
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i];
      if (r.oid === SYS_UPTIME && r.type === Tag.TimeTicks && uptime === undefined) {
        uptime = r.value as number;
        keys[i] = undefined;
      } else if (r.oid === SNMP_TRAP_ENTERPRISE && r.type === Tag.Oid) {
        enterpriseVarbind = r.value as string;
      }
    }
    ({ enterprise, generic, specific } = enterpriseVarbind === undefined ? v1ParametersOf(trapOid) : v1Parameters(trapOid.oid, enterpriseVarbind));
  }
  const n: Notification = {
    version: env.version,
    pdu: pduName,
    oid: trapOid.oid,
    name: trapOid.name,
    enterprise,
    generic,
    specific,
    varbinds,
    keys,
    source: env.source,
    time: env.time,
  };
  if (uptime !== undefined) n.uptime = uptime;
  if (pdu.agentAddress !== undefined) n.agentAddress = pdu.agentAddress;
  if (env.user !== undefined) n.user = env.user;
  if (env.engine !== undefined) n.engine = env.engine;
  if (env.context) n.context = env.context;
  if (pdu.droppedVarbinds > 0) n.droppedVarbinds = pdu.droppedVarbinds;
  return n;
}

/** Trap OIDs a node wants: exact OIDs or whole subtrees (an enterprise's traps). */
export class TrapFilter {
  constructor(readonly oids: readonly string[]) {}

  get isEmpty(): boolean {
    return this.oids.length === 0;
  }

  /** True for a listed OID or anything under one. */
  matches(oid: string): boolean {
    if (this.oids.length === 0) return true;
    for (const f of this.oids) {
      if (oid === f || (oid.length > f.length && oid.charCodeAt(f.length) === 46 && oid.startsWith(f))) return true;
    }
    return false;
  }
}

/**
 * Parses the `filter` property: one trap name or OID a line (`IF-MIB::linkDown`,
 * `linkDown`, `1.3.6.1.6.3.1.1.5.3`, `.1.3.6.1.4.1.9`). Throws an Error naming the
 * entry the MIB service does not know.
 */
export function parseFilter(text: string, mib: MibLookup | undefined): TrapFilter {
  const oids: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const word of line.replace(/#.*$/, '').split(/[\s,]+/)) {
      if (!word) continue;
      if (isNumericOid(word)) {
        oids.push(normalizeOid(word));
        continue;
      }
      if (!mib) throw new Error(`filter "${word.slice(0, 60)}" is a name, but no MIB service is available: use the numeric OID`);
      oids.push(normalizeOid(mib.resolve(word)));
    }
  }
  return new TrapFilter(oids);
}

/** `msg.trap` of DESIGN.md: the notification's own fields, plus when it arrived. */
export type TrapField = Pick<Notification, 'version' | 'pdu' | 'oid' | 'enterprise' | 'generic' | 'specific' | 'uptime' | 'agentAddress' | 'user' | 'engine' | 'context' | 'droppedVarbinds'> & {
  /** ms epoch of receipt. */
  time: number;
  /** Present (true) when varbinds past the cap were dropped. */
  truncated?: boolean;
};

/**
 * The fields of an output-1 message, as fresh objects (downstream nodes may change
 * them). `owned`: the notification goes to no one else after this, so its varbind
 * objects are handed over rather than copied.
 */
export function trapMessage(n: Notification, device: Device, owned = false): {
  topic: string;
  payload: Record<string, Varbind['value']>;
  varbinds: Varbind[];
  trap: TrapField;
  device: Device;
} {
  const payload: Record<string, Varbind['value']> = {};
  const source = n.varbinds;
  const varbinds: Varbind[] = owned ? source : new Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const vb = source[i];
    if (!owned) varbinds[i] = { ...vb };
    const key = n.keys[i];
    if (key !== undefined) payload[key] = vb.value;
  }
  const trap: TrapField = {
    version: n.version, pdu: n.pdu, oid: n.oid, enterprise: n.enterprise, generic: n.generic, specific: n.specific, time: n.time,
  };
  if (n.uptime !== undefined) trap.uptime = n.uptime;
  if (n.agentAddress !== undefined) trap.agentAddress = n.agentAddress;
  if (n.user !== undefined) trap.user = n.user;
  if (n.engine !== undefined) trap.engine = n.engine;
  if (n.context !== undefined) trap.context = n.context;
  if (n.droppedVarbinds !== undefined) {
    trap.truncated = true;
    trap.droppedVarbinds = n.droppedVarbinds;
  }
  return {
    topic: n.name,
    payload,
    varbinds,
    trap,
    device: { host: device.host, port: device.port, name: device.name, labels: { ...device.labels } },
  };
}

/** Why a datagram was turned away (output 2's `reason`). */
export type RejectReason =
  | 'not-allowed'
  | 'rate-limited'
  | 'unknown-community'
  | 'unknown-user'
  | 'unknown-engine-id'
  | 'unsupported-security-level'
  | 'unsupported-security-model'
  | 'wrong-digest'
  | 'decryption-error'
  | 'not-in-time-window'
  | 'replay'
  | 'engine-not-allowed'
  | 'unexpected-pdu';

/** A rejected datagram; never holds a community or key. */
export interface Rejection {
  source: Source;
  reason: RejectReason;
  version?: SnmpVersion;
  /** v3 user name as sent (user names are not secret in USM; communities are). */
  user?: string;
  time: number;
}

/** `msg.payload` of an output-2 message. */
export function rejectionPayload(r: Rejection, held: number): Record<string, string | number> {
  const out: Record<string, string | number> = { from: r.source.address, port: r.source.port, reason: r.reason };
  if (r.version) out.version = r.version;
  if (r.user !== undefined) out.user = r.user;
  if (held > 0) out.suppressed = held;
  out.time = r.time;
  return out;
}
