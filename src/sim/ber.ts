/**
 * Minimal BER codec for the simulator's SNMPv1/v2c agents (RFC 3416 PDUs over the
 * RFC 1157/1901 community message). It decodes only what an agent receives (Get,
 * GetNext, GetBulk, Set) and encodes only what it sends (Response, traps), writing into
 * caller-owned buffers so the hot path allocates one Buffer per answer.
 *
 * Deliberately not net-snmp's codec: this one must serve thousands of GETBULKs a
 * second on one core, and it must also be able to write wrong bytes on purpose (the
 * malformed modes), which a correct encoder cannot.
 */

/** ASN.1 / SMI / PDU tags used on the wire: the receiver's table, one for the project. */
import { Tag } from '../lib/common/ber';
export { Tag };

/** RFC 3416 §3 error-status values (v1 uses 0..5). */
export const ErrorStatus = {
  noError: 0,
  tooBig: 1,
  noSuchName: 2,
  badValue: 3,
  readOnly: 4,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  noCreation: 11,
  notWritable: 17,
} as const;

/** Thrown on a datagram the agent cannot decode; the agent drops it and counts it. */
export class BerError extends Error {}

/** A decoded community-based request. Buffers are views into the datagram (no copy). */
export interface CommunityRequest {
  /** 0 = SNMPv1, 1 = SNMPv2c. */
  version: number;
  community: Buffer;
  pduType: number;
  /** Content bytes of the request-id INTEGER, echoed verbatim in the answer. */
  requestId: Buffer;
  /** error-status of Get/GetNext/Set, non-repeaters of GetBulk (clamped to >= 0). */
  nonRepeaters: number;
  /** error-index of Get/GetNext/Set, max-repetitions of GetBulk (clamped to >= 0). */
  maxRepetitions: number;
  oids: number[][];
  /** Content bytes of the request's variable-bindings SEQUENCE (v1 errors echo them). */
  varbindList: Buffer;
}

// ---------------------------------------------------------------------------
// Decoding

/** Reads the SNMP message version without decoding further; -1 when it is not SNMP. */
export function peekVersion(buf: Buffer): number {
  try {
    if (buf.length < 5 || buf[0] !== Tag.Sequence) return -1;
    let pos = 1;
    const first = buf[pos++];
    if (first & 0x80) pos += first & 0x7f;
    if (buf[pos] !== Tag.Integer) return -1;
    const len = buf[pos + 1];
    if (len < 1 || len > 4 || pos + 2 + len > buf.length) return -1;
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + buf[pos + 2 + i];
    return v;
  } catch {
    return -1;
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end: number) {}

  /** Reads a tag and a definite length; returns the length, leaves pos at the content. */
  header(expected: number): number {
    const tag = this.byte();
    if (tag !== expected) throw new BerError(`expected tag 0x${expected.toString(16)}, got 0x${tag.toString(16)}`);
    return this.length();
  }

  anyHeader(): { tag: number; len: number } {
    const tag = this.byte();
    return { tag, len: this.length() };
  }

  byte(): number {
    if (this.pos >= this.end) throw new BerError('unexpected end of data');
    return this.buf[this.pos++];
  }

  length(): number {
    const first = this.byte();
    if (first < 0x80) return this.check(first);
    const n = first & 0x7f;
    // 0x80 is the indefinite form, which SNMP forbids (RFC 3417 §8).
    if (n === 0 || n > 4) throw new BerError('unsupported length form');
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + this.byte();
    return this.check(len);
  }

  private check(len: number): number {
    if (this.pos + len > this.end) throw new BerError('length runs past the end');
    return len;
  }

  integer(): number {
    const len = this.header(Tag.Integer);
    if (len < 1 || len > 4) throw new BerError('integer length out of range');
    let v = this.buf[this.pos] & 0x80 ? -1 : 0;
    for (let i = 0; i < len; i++) v = v * 256 + this.buf[this.pos + i];
    if (len === 4 && v > 0x7fffffff) v -= 0x100000000;
    this.pos += len;
    return v;
  }

  slice(len: number): Buffer {
    const s = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

/** Decodes the content bytes of an OBJECT IDENTIFIER into arcs. */
export function decodeOidContent(buf: Buffer, start: number, end: number): number[] {
  if (end <= start) throw new BerError('empty OID');
  const arcs: number[] = [];
  let v = 0;
  let first = true;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    v = v * 128 + (b & 0x7f);
    if (v > 0xffffffff + 80) throw new BerError('OID arc too large');
    if (b & 0x80) continue;
    if (first) {
      // X.690 §8.19.4: the first subidentifier packs the first two arcs.
      if (v < 40) arcs.push(0, v);
      else if (v < 80) arcs.push(1, v - 40);
      else arcs.push(2, v - 80);
      first = false;
    } else {
      arcs.push(v);
    }
    v = 0;
  }
  if (buf[end - 1] & 0x80) throw new BerError('OID ends inside a subidentifier');
  if (arcs.length > 128) throw new BerError('OID longer than 128 arcs');
  return arcs;
}

/**
 * Decodes a v1/v2c request datagram. Throws BerError on anything malformed; the
 * version must already be known to be 0 or 1 (see peekVersion).
 */
export function decodeCommunityRequest(buf: Buffer): CommunityRequest {
  const r = new Reader(buf, buf.length);
  const msgLen = r.header(Tag.Sequence);
  const msgEnd = r.pos + msgLen;
  const version = r.integer();
  const community = r.slice(r.header(Tag.OctetString));
  const pdu = r.anyHeader();
  const pduType = pdu.tag;
  const pduEnd = r.pos + pdu.len;
  if (pduEnd > msgEnd) throw new BerError('PDU longer than the message');
  const idLen = r.header(Tag.Integer);
  if (idLen < 1 || idLen > 4) throw new BerError('request-id length out of range');
  const requestId = r.slice(idLen);
  const a = r.integer();
  const b = r.integer();
  const vblLen = r.header(Tag.Sequence);
  const varbindList = buf.subarray(r.pos, r.pos + vblLen);
  const vblEnd = r.pos + vblLen;
  const oids: number[][] = [];
  while (r.pos < vblEnd) {
    const vbLen = r.header(Tag.Sequence);
    const vbEnd = r.pos + vbLen;
    const oidLen = r.header(Tag.Oid);
    oids.push(decodeOidContent(buf, r.pos, r.pos + oidLen));
    r.pos = vbEnd; // the value (NULL, or a Set's value) is not needed
  }
  if (r.pos !== vblEnd) throw new BerError('varbind list length mismatch');
  return {
    version,
    community,
    pduType,
    requestId,
    nonRepeaters: a < 0 ? 0 : a,
    maxRepetitions: b < 0 ? 0 : b,
    oids,
    varbindList,
  };
}

// ---------------------------------------------------------------------------
// Encoding: all writers take (buffer, position) and return the new position.

/** Bytes needed for a definite length. */
export function lengthSize(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
}

export function writeLength(buf: Buffer, pos: number, len: number): number {
  if (len < 0x80) {
    buf[pos] = len;
    return pos + 1;
  }
  if (len < 0x100) {
    buf[pos] = 0x81;
    buf[pos + 1] = len;
    return pos + 2;
  }
  if (len < 0x10000) {
    buf[pos] = 0x82;
    buf[pos + 1] = len >>> 8;
    buf[pos + 2] = len & 0xff;
    return pos + 3;
  }
  buf[pos] = 0x83;
  buf[pos + 1] = (len >>> 16) & 0xff;
  buf[pos + 2] = (len >>> 8) & 0xff;
  buf[pos + 3] = len & 0xff;
  return pos + 4;
}

/** Content size of an unsigned 32-bit value as a (two's complement) BER integer. */
export function unsignedSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x8000 ? 2 : v < 0x800000 ? 3 : v < 0x80000000 ? 4 : 5;
}

/** Writes tag + length + content of an unsigned 32-bit value (Counter32, Gauge32, TimeTicks, INTEGER >= 0). */
export function writeUnsigned(buf: Buffer, pos: number, tag: number, v: number): number {
  buf[pos++] = tag;
  if (v < 0x80) {
    buf[pos++] = 1;
    buf[pos++] = v;
  } else if (v < 0x8000) {
    buf[pos++] = 2;
    buf[pos++] = v >>> 8;
    buf[pos++] = v & 0xff;
  } else if (v < 0x800000) {
    buf[pos++] = 3;
    buf[pos++] = v >>> 16;
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = v & 0xff;
  } else if (v < 0x80000000) {
    buf[pos++] = 4;
    buf[pos++] = v >>> 24;
    buf[pos++] = (v >>> 16) & 0xff;
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = v & 0xff;
  } else {
    buf[pos++] = 5;
    buf[pos++] = 0;
    buf[pos++] = v >>> 24;
    buf[pos++] = (v >>> 16) & 0xff;
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = v & 0xff;
  }
  return pos;
}

/** Writes a signed 32-bit INTEGER. */
export function writeInteger(buf: Buffer, pos: number, tag: number, v: number): number {
  if (v >= 0) return writeUnsigned(buf, pos, tag, v);
  let n = 4;
  while (n > 1 && v >= -(2 ** (8 * (n - 1) - 1))) n--;
  buf[pos++] = tag;
  buf[pos++] = n;
  const u = v + 0x100000000;
  for (let i = n - 1; i >= 0; i--) buf[pos++] = Math.floor(u / 2 ** (8 * i)) & 0xff;
  return pos;
}

/**
 * Writes a Counter64 given as two 32-bit halves. Minimal unsigned encoding: up to 8
 * content bytes, 9 when the top bit is set (a leading 0x00 keeps it non-negative).
 */
export function writeCounter64(buf: Buffer, pos: number, hi: number, lo: number): number {
  // Content size: significant bytes of hi:lo, plus a 0x00 when the top bit of the first is set.
  let size: number;
  if (hi === 0) {
    size = lo < 0x80 ? 1 : lo < 0x8000 ? 2 : lo < 0x800000 ? 3 : lo < 0x80000000 ? 4 : 5;
  } else {
    size = 4 + (hi < 0x80 ? 1 : hi < 0x8000 ? 2 : hi < 0x800000 ? 3 : hi < 0x80000000 ? 4 : 5);
  }
  buf[pos++] = Tag.Counter64;
  buf[pos++] = size;
  const end = pos + size;
  let p = end - 1;
  let v = lo;
  for (let i = 0; i < 4 && p >= pos; i++) {
    buf[p--] = v & 0xff;
    v >>>= 8;
  }
  v = hi;
  while (p >= pos) {
    buf[p--] = v & 0xff;
    v >>>= 8;
  }
  return end;
}

/** Content bytes of a Counter64 value (what net-snmp carries as the varbind value). */
export function counter64Content(value: bigint): Buffer {
  const out = Buffer.alloc(11); // tag, length, up to 9 content bytes
  const hi = Number((value >> 32n) & 0xffffffffn);
  const lo = Number(value & 0xffffffffn);
  const end = writeCounter64(out, 0, hi, lo);
  return out.subarray(2, end);
}

/** Writes tag, length and bytes (OCTET STRING, IpAddress, Opaque). */
export function writeBytes(buf: Buffer, pos: number, tag: number, bytes: Buffer | Uint8Array): number {
  buf[pos++] = tag;
  pos = writeLength(buf, pos, bytes.length);
  for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i];
  return pos;
}

/** Content bytes of an OID given as arcs (at least two arcs). */
export function oidContent(arcs: readonly number[]): Buffer {
  if (arcs.length < 2) throw new Error('an OID needs at least two arcs');
  const bytes: number[] = [];
  const push = (v: number) => {
    const tmp: number[] = [v % 128];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    for (let i = tmp.length - 1; i >= 0; i--) bytes.push(tmp[i]);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]);
  return Buffer.from(bytes);
}

/** Full TLV of an OID, precomputed once per OID of the simulated tree. */
export function encodeOid(arcs: readonly number[]): Buffer {
  const content = oidContent(arcs);
  const out = Buffer.allocUnsafe(1 + lengthSize(content.length) + content.length);
  out[0] = Tag.Oid;
  const pos = writeLength(out, 1, content.length);
  content.copy(out, pos);
  return out;
}

/** Parses "1.3.6.1..." (leading dot allowed) into arcs. */
export function parseOid(text: string): number[] {
  const t = text.startsWith('.') ? text.slice(1) : text;
  const arcs = t.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0 || a > 0xffffffff)) {
    throw new Error(`not a numeric OID: ${text}`);
  }
  return arcs;
}

/** The pieces of a community message around a PDU. */
export interface MessageParts {
  version: number;
  community: Buffer;
  pduType: number;
  /** request-id content bytes (1..5 bytes; 5 only for the reqid5 malformed mode). */
  requestId: Buffer;
  errorStatus: number;
  errorIndex: number;
  /** Encoded varbinds (each a SEQUENCE), without the enclosing list header. */
  varbinds: Buffer;
  varbindsLength: number;
  /** Tag used for the request-id (INTEGER unless a malformed mode says otherwise). */
  requestIdTag?: number;
  /** Extra bytes claimed by the PDU length (bad-length mode). */
  pduLengthLie?: number;
}

/**
 * An upper bound of the bytes a Response message adds around its varbinds: every
 * length at its largest form below 64 KiB, error-index up to 5 bytes.
 */
export function messageOverhead(communityLength: number, requestIdLength: number): number {
  return 4 + 3 + (1 + lengthSize(communityLength) + communityLength) + 4 + (2 + requestIdLength) + 3 + 5 + 4;
}

/** Encodes a whole community message (Response, SNMPv2-Trap, ...) into a new Buffer. */
export function encodeMessage(p: MessageParts): Buffer {
  const vblContent = p.varbindsLength;
  const vblSize = 1 + lengthSize(vblContent) + vblContent;
  const errStatusSize = 2 + unsignedSize(p.errorStatus);
  const errIndexSize = 2 + unsignedSize(p.errorIndex);
  const reqIdSize = 1 + lengthSize(p.requestId.length) + p.requestId.length;
  const pduContent = reqIdSize + errStatusSize + errIndexSize + vblSize;
  // A lying PDU length is written in the 3-byte long form so the lie needs no re-layout.
  const pduLenSize = p.pduLengthLie ? 3 : lengthSize(pduContent);
  const pduSize = 1 + pduLenSize + pduContent;
  const commSize = 1 + lengthSize(p.community.length) + p.community.length;
  const msgContent = 3 + commSize + pduSize;
  const total = 1 + lengthSize(msgContent) + msgContent;
  const out = Buffer.allocUnsafe(total);
  out[0] = Tag.Sequence;
  let pos = writeLength(out, 1, msgContent);
  out[pos++] = Tag.Integer;
  out[pos++] = 1;
  out[pos++] = p.version;
  pos = writeBytes(out, pos, Tag.OctetString, p.community);
  out[pos++] = p.pduType;
  if (p.pduLengthLie) {
    const lie = pduContent + p.pduLengthLie;
    out[pos++] = 0x82;
    out[pos++] = (lie >>> 8) & 0xff;
    out[pos++] = lie & 0xff;
  } else {
    pos = writeLength(out, pos, pduContent);
  }
  pos = writeBytes(out, pos, p.requestIdTag ?? Tag.Integer, p.requestId);
  pos = writeUnsigned(out, pos, Tag.Integer, p.errorStatus);
  pos = writeUnsigned(out, pos, Tag.Integer, p.errorIndex);
  out[pos++] = Tag.Sequence;
  pos = writeLength(out, pos, vblContent);
  p.varbinds.copy(out, pos, 0, vblContent);
  return out;
}

/** request-id content bytes for a number (minimal signed 32-bit encoding). */
export function requestIdBytes(id: number): Buffer {
  const tmp = Buffer.allocUnsafe(8);
  const end = writeInteger(tmp, 0, Tag.Integer, id | 0);
  return Buffer.from(tmp.subarray(2, end));
}

/** Signed value of request-id content bytes. */
export function requestIdValue(bytes: Buffer): number {
  let v = bytes[0] & 0x80 ? -1 : 0;
  for (let i = 0; i < bytes.length; i++) v = v * 256 + bytes[i];
  if (bytes.length === 4 && v > 0x7fffffff) v -= 0x100000000;
  return v;
}
