/**
 * Decoding of the messages a notification receiver accepts: SNMPv1/v2c community
 * messages (RFC 1157, RFC 1901) and the SNMPv3 message frame with its USM security
 * parameters (RFC 3412 §6, RFC 3414 §2.4), plus the PDUs inside them (RFC 1157 §4.1.6
 * Trap-PDU, RFC 3416 SNMPv2-Trap-PDU and InformRequest-PDU).
 *
 * Decoding is lenient where real agents are sloppy (unsigned counters without their
 * leading zero, trailing bytes after the message) and strict where a wrong guess would
 * invent data (integer sizes, OID arcs, IpAddress length, a notification without
 * snmpTrapOID.0): such a datagram is a MalformedPacket.
 */
import { BerReader, malformed, Tag } from '../common/ber';
import type { RawVarbind } from '../common/codec';
import { OidNames, type NamedOid } from './oid-names';

/** snmpTrapOID.0 and sysUpTime.0 (RFC 3416 §4.2.6: the first two varbinds of a notification). */
export const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
/** snmpTrapEnterprise.0 (RFC 3584 §3.1). */
export const SNMP_TRAP_ENTERPRISE = '1.3.6.1.6.3.1.1.4.3.0';

/** msgVersion values on the wire. */
export const WireVersion = { v1: 0, v2c: 1, v3: 3 } as const;

/** A community message before its PDU is read (the community is checked first). */
export interface CommunityMessage {
  version: 0 | 1;
  community: Buffer;
  /** Reader positioned at the PDU. */
  pduReader: BerReader;
}

/** A varbind as read: net-snmp's raw shape, plus the names of its OID. */
export interface TrapVarbind extends RawVarbind {
  named: NamedOid;
  /** An OBJECT IDENTIFIER value's names (the trap OID's become the topic). */
  valueNamed?: NamedOid;
}

/** How a PDU is read. */
export interface PduOptions {
  /**
   * Varbinds decoded at most; the rest are stepped over, counted in `droppedVarbinds`
   * (snmpTrapOID.0 and sysUpTime.0 are still found among them). Bounds the work one
   * datagram can cause: a 64 KiB trap holds about 3,400 varbinds.
   */
  maxVarbinds?: number;
  /** Names OIDs (a cache shared by a listener); default: numeric names, no cache. */
  names?: OidNames;
}

/** The PDU of a notification, decoded. */
export interface NotificationPdu {
  type: number;
  /** Request-id (v2 PDUs). */
  requestId: number;
  /** Its wire octets, echoed in an inform's Response (a view of the datagram). */
  readonly requestIdBytes: Buffer;
  varbinds: TrapVarbind[];
  /** Varbinds past `maxVarbinds`, stepped over undecoded. */
  droppedVarbinds: number;
  /** The encoded VarBindList (tag included), echoed in an inform's Response (a view). */
  readonly varbindListBytes: Buffer;
  /** Trap-PDU (v1) fields. */
  enterprise?: string;
  agentAddress?: string;
  generic?: number;
  specific?: number;
  timestamp?: number;
}

/**
 * A NotificationPdu whose echo octets are cut from the datagram only when asked for:
 * only informs need them, and a view costs an allocation per trap.
 */
class ReadPdu implements NotificationPdu {
  requestId = 0;
  varbinds: TrapVarbind[] = [];
  droppedVarbinds = 0;
  enterprise?: string;
  agentAddress?: string;
  generic?: number;
  specific?: number;
  timestamp?: number;
  requestIdStart = 0;
  requestIdEnd = 0;
  listStart = 0;
  listEnd = 0;

  constructor(readonly type: number, private readonly buf: Buffer) {}

  get requestIdBytes(): Buffer {
    return this.buf.subarray(this.requestIdStart, this.requestIdEnd);
  }

  get varbindListBytes(): Buffer {
    return this.buf.subarray(this.listStart, this.listEnd);
  }
}

/** The SNMPv3 message frame with its USM parameters (RFC 3414 §2.4). */
export interface V3Message {
  msgId: number;
  msgMaxSize: number;
  flags: number;
  securityModel: number;
  engineId: Buffer;
  engineBoots: number;
  engineTime: number;
  userName: Buffer;
  authParams: Buffer;
  /** Offset of msgAuthenticationParameters' value in the datagram (zeroed to compute the digest). */
  authParamsOffset: number;
  privParams: Buffer;
  /** msgData: the plaintext ScopedPDU (tag included) or the encryptedPDU octets. */
  data: Buffer;
  encrypted: boolean;
}

export const MsgFlags = { auth: 1, priv: 2, reportable: 4 } as const;

/** The ScopedPDU of a v3 message (RFC 3412 §6). */
export interface ScopedPdu {
  contextEngineId: Buffer;
  contextName: Buffer;
  pduType: number;
  pduReader: BerReader;
}

/** The version of a datagram: 0, 1 or 3 (anything else is malformed). */
export function readVersion(buf: Buffer): { version: number; body: BerReader } {
  const outer = new BerReader(buf);
  const body = outer.sequence(Tag.Sequence, 'message');
  const version = body.integer('msgVersion');
  if (version !== 0 && version !== 1 && version !== 3) malformed(`unknown version ${version}`);
  return { version, body };
}

/** The community and the position of the PDU of a v1/v2c message. */
export function readCommunityMessage(version: 0 | 1, body: BerReader): CommunityMessage {
  const community = body.octets('community');
  return { version, community, pduReader: body };
}

const PLAIN_NAMES = new OidNames(() => undefined, 0);

/** snmpTrapOID.0 and sysUpTime.0 as encoded on the wire (the OID's content octets). */
const TRAP_OID_OCTETS = Buffer.from('2b060106030101040100', 'hex');
const UPTIME_OCTETS = Buffer.from('2b06010201010300', 'hex');

function isOidValue(r: BerReader, octets: Buffer): boolean {
  const len = r.valueEnd - r.valueStart;
  if (len !== octets.length) return false;
  for (let i = 0; i < len; i++) if (r.buf[r.valueStart + i] !== octets[i]) return false;
  return true;
}

/** Reads the VarBindList at the reader's position into `pdu`. */
function readVarbindList(r: BerReader, pdu: ReadPdu, options: PduOptions | undefined): void {
  const names = options?.names ?? PLAIN_NAMES;
  const max = options?.maxVarbinds ?? Infinity;
  pdu.listStart = r.pos;
  r.expect(Tag.Sequence, 'variable-bindings');
  pdu.listEnd = r.valueEnd;
  // One reader walks the whole list (a reader per varbind costs an allocation per
  // varbind); each part is checked to end within its varbind instead.
  const list = new BerReader(r.buf, r.valueStart, r.valueEnd);
  r.pos = r.valueEnd;
  const out = pdu.varbinds;
  while (!list.atEnd()) {
    list.expect(Tag.Sequence, 'varbind');
    const end = list.valueEnd;
    list.expect(Tag.Oid, 'varbind name');
    if (list.valueEnd > end) malformed('varbind name: length beyond the varbind');
    if (out.length >= max) {
      // past the cap: only what every notification needs is still read
      if (!isOidValue(list, TRAP_OID_OCTETS) && !isOidValue(list, UPTIME_OCTETS)) {
        pdu.droppedVarbinds++;
        list.pos = end;
        continue;
      }
    }
    const named = names.read(list, 'varbind name');
    if (list.pos >= end) malformed('varbind without a value');
    out.push(readValue(list, named, names));
    if (list.pos > end) malformed('varbind value: length beyond the varbind');
    // octets after the value, inside the varbind, are ignored as before
    list.pos = end;
  }
}

/** One varbind value in net-snmp's raw shape ({oid, type, value}). */
function readValue(r: BerReader, named: NamedOid, names: OidNames): TrapVarbind {
  const tag = r.header();
  const buf = r.buf;
  const oid = named.oid;
  switch (tag) {
    case Tag.Integer:
      return { oid, type: Tag.Integer, value: r.signedValue('Integer value'), named };
    case Tag.OctetString:
    case Tag.BitString:
    case Tag.Opaque:
      r.skipValue();
      return { oid, type: tag, value: buf.subarray(r.valueStart, r.valueEnd), named };
    case Tag.NsapAddress:
      // SMIv1 NsapAddress: octets without a type of their own in SMIv2
      r.skipValue();
      return { oid, type: Tag.Opaque, value: buf.subarray(r.valueStart, r.valueEnd), named };
    case Tag.Oid: {
      const valueNamed = names.read(r, 'OID value');
      return { oid, type: Tag.Oid, value: valueNamed.oid, named, valueNamed };
    }
    case Tag.IpAddress: {
      if (r.valueEnd - r.valueStart !== 4) malformed('IpAddress value is not 4 octets');
      const p = r.valueStart;
      r.skipValue();
      return { oid, type: Tag.IpAddress, value: `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`, named };
    }
    case Tag.Counter32:
    case Tag.Gauge32:
    case Tag.TimeTicks:
      return { oid, type: tag, value: r.unsignedValue('unsigned value'), named };
    case Tag.UInteger32:
      // RFC 1442's UInteger32, the same values as Unsigned32 (= Gauge32)
      return { oid, type: Tag.Gauge32, value: r.unsignedValue('UInteger32 value'), named };
    case Tag.Counter64: {
      let p = r.valueStart;
      const end = r.valueEnd;
      if (end === p) malformed('empty Counter64');
      while (p < end - 1 && buf[p] === 0) p++;
      if (end - p > 8) malformed('Counter64 does not fit 64 bits');
      r.skipValue();
      return { oid, type: Tag.Counter64, value: buf.subarray(p, end), named };
    }
    case Tag.Null:
    case Tag.NoSuchObject:
    case Tag.NoSuchInstance:
    case Tag.EndOfMibView:
      r.skipValue();
      return { oid, type: tag, value: null, named };
    case Tag.Boolean:
      r.skipValue();
      return { oid, type: Tag.Boolean, value: r.valueEnd > r.valueStart && buf[r.valueStart] !== 0, named };
    default:
      return malformed(`unknown value tag 0x${tag.toString(16)}`);
  }
}

/**
 * Reads the PDU at the reader's position. Only notification PDUs are decoded in full;
 * for any other type the returned object has `type` set and no varbinds.
 */
export function readPdu(r: BerReader, options?: PduOptions): NotificationPdu {
  const type = r.peekTag();
  if (type === Tag.TrapV1) return readTrapV1(r, options);
  r.expect(type, 'PDU');
  const pdu = new BerReader(r.buf, r.valueStart, r.valueEnd);
  r.pos = r.valueEnd;
  if (type < Tag.GetRequest || type > Tag.Report) malformed(`unknown PDU tag 0x${type.toString(16)}`);
  const result = new ReadPdu(type, r.buf);
  pdu.expect(Tag.Integer, 'request-id');
  result.requestIdStart = pdu.valueStart;
  result.requestIdEnd = pdu.valueEnd;
  const requestId = pdu.signedValue('request-id');
  // RFC 3416 request-id is Integer32; some agents send it unsigned, which echoing keeps intact
  if (requestId < -0x80000000 || requestId > 0xffffffff) malformed('request-id out of range');
  result.requestId = requestId;
  pdu.integer('error-status');
  pdu.integer('error-index');
  if (type === Tag.TrapV2 || type === Tag.InformRequest) {
    readVarbindList(pdu, result, options);
    if (findTrapOid(result.varbinds) === undefined) malformed('notification without snmpTrapOID.0');
  }
  return result;
}

function readTrapV1(r: BerReader, options: PduOptions | undefined): NotificationPdu {
  const pdu = r.sequence(Tag.TrapV1, 'Trap-PDU');
  const enterprise = pdu.oid('enterprise');
  pdu.expect(Tag.IpAddress, 'agent-addr');
  if (pdu.valueEnd - pdu.valueStart !== 4) malformed('agent-addr is not 4 octets');
  const a = pdu.valueStart;
  const buf = pdu.buf;
  const agentAddress = `${buf[a]}.${buf[a + 1]}.${buf[a + 2]}.${buf[a + 3]}`;
  pdu.skipValue();
  const generic = pdu.integer('generic-trap');
  if (generic < 0 || generic > 6) malformed(`generic-trap ${generic} out of range`);
  const specific = pdu.integer('specific-trap');
  // an enterprise-specific trap's OID ends in its specific-trap (RFC 3584 §3.1), an arc >= 0
  if (generic === 6 && specific < 0) malformed(`specific-trap ${specific} is negative`);
  pdu.expect(Tag.TimeTicks, 'time-stamp');
  const timestamp = pdu.unsignedValue('time-stamp');
  const result = new ReadPdu(Tag.TrapV1, r.buf);
  readVarbindList(pdu, result, options);
  result.enterprise = enterprise;
  result.agentAddress = agentAddress;
  result.generic = generic;
  result.specific = specific;
  result.timestamp = timestamp;
  return result;
}

/** Index of snmpTrapOID.0 (normally 1), or undefined when absent or not an OID. */
export function findTrapOid(varbinds: RawVarbind[]): number | undefined {
  // RFC 3416 puts it second; tolerate senders that put it elsewhere
  if (varbinds.length > 1 && varbinds[1].oid === SNMP_TRAP_OID && varbinds[1].type === Tag.Oid) return 1;
  for (let i = 0; i < varbinds.length; i++) {
    if (varbinds[i].oid === SNMP_TRAP_OID && varbinds[i].type === Tag.Oid) return i;
  }
  return undefined;
}

/** The SNMPv3 message frame (everything but the ScopedPDU's contents). */
export function readV3Message(body: BerReader): V3Message {
  const global = body.sequence(Tag.Sequence, 'msgGlobalData');
  const msgId = global.integer('msgID');
  const msgMaxSize = global.integer('msgMaxSize');
  const flagOctets = global.octets('msgFlags');
  if (flagOctets.length !== 1) malformed('msgFlags is not one octet');
  const flags = flagOctets[0];
  const securityModel = global.integer('msgSecurityModel');
  if (msgId < 0 || msgId > 0x7fffffff) malformed('msgID out of range');
  // RFC 3412 §7.2 step 4: privacy without authentication is an invalid combination
  if ((flags & MsgFlags.priv) && !(flags & MsgFlags.auth)) malformed('msgFlags: privacy without authentication');

  body.expect(Tag.OctetString, 'msgSecurityParameters');
  const paramsEnd = body.valueEnd;
  const sp = new BerReader(body.buf, body.valueStart, paramsEnd).sequence(Tag.Sequence, 'UsmSecurityParameters');
  body.pos = paramsEnd;
  const engineId = sp.octets('msgAuthoritativeEngineID');
  const engineBoots = sp.integer('msgAuthoritativeEngineBoots');
  const engineTime = sp.integer('msgAuthoritativeEngineTime');
  const userName = sp.octets('msgUserName');
  sp.expect(Tag.OctetString, 'msgAuthenticationParameters');
  const authParamsOffset = sp.valueStart;
  const authParams = sp.buf.subarray(sp.valueStart, sp.valueEnd);
  sp.skipValue();
  const privParams = sp.octets('msgPrivacyParameters');
  if (engineId.length > 32) malformed('msgAuthoritativeEngineID longer than 32 octets');
  if (userName.length > 32) malformed('msgUserName longer than 32 octets');
  if (engineBoots < 0 || engineBoots > 0x7fffffff || engineTime < 0 || engineTime > 0x7fffffff) {
    malformed('engine boots/time out of range');
  }

  const dataStart = body.pos;
  const dataTag = body.header();
  body.skipValue();
  let data: Buffer;
  let encrypted: boolean;
  if (dataTag === Tag.OctetString) {
    encrypted = true;
    data = body.buf.subarray(body.valueStart, body.valueEnd);
  } else if (dataTag === Tag.Sequence) {
    encrypted = false;
    data = body.buf.subarray(dataStart, body.valueEnd);
  } else {
    return malformed('msgData is neither a ScopedPDU nor an encryptedPDU');
  }
  if (encrypted !== Boolean(flags & MsgFlags.priv)) malformed('msgData does not match the privacy flag');
  return {
    msgId, msgMaxSize, flags, securityModel, engineId, engineBoots, engineTime, userName,
    authParams, authParamsOffset, privParams, data, encrypted,
  };
}

/** The ScopedPDU (plaintext, tag included). */
export function readScopedPdu(data: Buffer): ScopedPdu {
  const outer = new BerReader(data);
  const scoped = outer.sequence(Tag.Sequence, 'ScopedPDU');
  const contextEngineId = scoped.octets('contextEngineID');
  const contextName = scoped.octets('contextName');
  const pduType = scoped.peekTag();
  return { contextEngineId, contextName, pduType, pduReader: scoped };
}
