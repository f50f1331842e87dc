/**
 * What a notification receiver sends back: the Response that acknowledges an inform
 * (RFC 3416 §4.2.7) and, for SNMPv3, the Report PDUs of RFC 3414 §3.2 (engine
 * discovery via usmStatsUnknownEngineIDs, wrong digest, not in time window...).
 */
import { encodeInteger, encodeOctets, encodeOid, headerLength, tlv, Tag } from '../common/ber';
import type { LocalEngine, UsmUser } from './usm';
import { MsgFlags } from './message';

/** usmStats counters (RFC 3414 §5, 1.3.6.1.6.3.15.1.1.N.0). */
export const UsmStat = {
  unsupportedSecLevels: 1,
  notInTimeWindows: 2,
  unknownUserNames: 3,
  unknownEngineIDs: 4,
  wrongDigests: 5,
  decryptionErrors: 6,
} as const;
export type UsmStatName = keyof typeof UsmStat;

const USM_STATS = '1.3.6.1.6.3.15.1.1';
const MAX_MESSAGE_SIZE = 65507;

/** The Response PDU: the request's request-id octets and VarBindList echoed back. */
export function responsePdu(requestIdBytes: Buffer, varbindListBytes: Buffer): Buffer {
  return tlv(Tag.Response, tlv(Tag.Integer, requestIdBytes), encodeInteger(0), encodeInteger(0), varbindListBytes);
}

/** A v1/v2c message (RFC 1157 §4, RFC 1901). */
export function communityMessage(version: 0 | 1, community: Buffer, pdu: Buffer): Buffer {
  return tlv(Tag.Sequence, encodeInteger(version), encodeOctets(community), pdu);
}

/** A Report PDU carrying one usmStats counter. */
export function reportPdu(requestId: number, stat: UsmStatName, count: number): Buffer {
  const varbind = tlv(Tag.Sequence, encodeOid(`${USM_STATS}.${UsmStat[stat]}.0`), encodeInteger(count >>> 0, Tag.Counter32));
  return tlv(Tag.Report, encodeInteger(requestId), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, varbind));
}

/** A ScopedPDU (RFC 3412 §6). */
export function scopedPdu(contextEngineId: Buffer, contextName: Buffer, pdu: Buffer): Buffer {
  return tlv(Tag.Sequence, encodeOctets(contextEngineId), encodeOctets(contextName), pdu);
}

export interface V3Outgoing {
  msgId: number;
  /** auth/priv bits; the reportable bit is never set on a response or report. */
  flags: number;
  engine: LocalEngine;
  userName: Buffer;
  /** Needed when flags ask for authentication or privacy. */
  user?: UsmUser;
  scopedPdu: Buffer;
}

/**
 * Encodes an SNMPv3 message from our (authoritative) engine: encrypts and signs as
 * its flags say (RFC 3414 §3.1).
 */
export function encodeV3Message(out: V3Outgoing): Buffer {
  const flags = out.flags & (MsgFlags.auth | MsgFlags.priv);
  const engineId = out.engine.id;
  const boots = out.engine.boots;
  const time = out.engine.time;
  let data: Buffer = out.scopedPdu;
  let privParams: Buffer = Buffer.alloc(0);
  if (flags & MsgFlags.priv) {
    const enc = (out.user as UsmUser).encrypt(out.scopedPdu, engineId, boots, time);
    data = tlv(Tag.OctetString, enc.data);
    privParams = enc.privParams;
  }
  const macLength = flags & MsgFlags.auth ? (out.user as UsmUser).macLength : 0;
  const leading = Buffer.concat([encodeOctets(engineId), encodeInteger(boots), encodeInteger(time), encodeOctets(out.userName)]);
  const secContent = Buffer.concat([leading, tlv(Tag.OctetString, Buffer.alloc(macLength)), encodeOctets(privParams)]);
  const secSequence = tlv(Tag.Sequence, secContent);
  const secOctets = tlv(Tag.OctetString, secSequence);
  const version = encodeInteger(3);
  const global = tlv(Tag.Sequence, encodeInteger(out.msgId), encodeInteger(MAX_MESSAGE_SIZE), tlv(Tag.OctetString, Buffer.from([flags])), encodeInteger(3));
  const body = Buffer.concat([version, global, secOctets, data]);
  const message = tlv(Tag.Sequence, body);
  if (macLength > 0) {
    const offset = headerLength(body.length) + version.length + global.length
      + headerLength(secSequence.length) + headerLength(secContent.length)
      + leading.length + headerLength(macLength);
    (out.user as UsmUser).digest(message, offset, engineId).copy(message, offset);
  }
  return message;
}
