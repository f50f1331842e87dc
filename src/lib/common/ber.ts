/**
 * A small, lenient and bounded BER reader and writer for the SNMP message subset a trap
 * receiver meets (X.690 definite lengths only, single-octet tags).
 *
 * Every read is checked against the bounds of the enclosing TLV, so a hostile datagram
 * can at worst produce a MalformedPacket; nothing reads past its buffer, allocates in
 * proportion to a length field, or recurses. Values are returned as views (subarray)
 * of the datagram, never copies.
 */

/** Tags of the SNMP message grammar (RFC 3416, RFC 1157, RFC 2578). */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  NsapAddress: 0x45,
  Counter64: 0x46,
  UInteger32: 0x47,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  TrapV1: 0xa4,
  GetBulkRequest: 0xa5,
  InformRequest: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;

/** A datagram that does not follow the grammar. Thrown without a stack trace (cheap under a flood). */
export class MalformedPacket extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'MalformedPacket';
  }
}

/** Throws a MalformedPacket; `never` keeps the control flow readable. */
export function malformed(message: string): never {
  throw new MalformedPacket(message);
}

/** RFC 2578 §3.5: at most 128 sub-identifiers of at most 2^32-1. */
const MAX_OID_ARCS = 128;

/**
 * Reads TLVs from `buf` between `pos` and `end`. A reader of a constructed value is
 * another BerReader over its contents, so every read is bounded by its parent.
 */
export class BerReader {
  pos: number;
  /** Tag, value start and value end of the last header read. */
  tag = 0;
  valueStart = 0;
  valueEnd = 0;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peekTag(): number {
    if (this.pos >= this.end) malformed('unexpected end of data');
    return this.buf[this.pos];
  }

  /** Reads a tag and definite length; leaves `pos` at the start of the value. */
  header(): number {
    const buf = this.buf;
    let p = this.pos;
    if (p + 2 > this.end) malformed('truncated header');
    const tag = buf[p++];
    if ((tag & 0x1f) === 0x1f) malformed('multi-octet tags are not used by SNMP');
    let len = buf[p++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) malformed('indefinite length');
      if (n > 4) malformed('length field too long');
      if (p + n > this.end) malformed('truncated length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
    }
    if (len > this.end - p) malformed('length beyond the enclosing value');
    this.tag = tag;
    this.valueStart = p;
    this.valueEnd = p + len;
    this.pos = p;
    return tag;
  }

  /** Reads a header and checks its tag. */
  expect(tag: number, what: string): void {
    if (this.header() !== tag) malformed(`${what}: expected tag 0x${tag.toString(16)}, got 0x${this.tag.toString(16)}`);
  }

  /** Skips the value of the header just read. */
  skipValue(): void {
    this.pos = this.valueEnd;
  }

  /** Reads a constructed value of `tag` and returns a reader over its contents. */
  sequence(tag: number = Tag.Sequence, what = 'sequence'): BerReader {
    this.expect(tag, what);
    const sub = new BerReader(this.buf, this.valueStart, this.valueEnd);
    this.pos = this.valueEnd;
    return sub;
  }

  /** Signed INTEGER of at most 6 octets (exact in a double). */
  integer(what = 'integer', tag: number = Tag.Integer): number {
    this.expect(tag, what);
    return this.signedValue(what);
  }

  /** The value of the header just read as a signed integer (at most 6 octets). */
  signedValue(what: string): number {
    const len = this.valueEnd - this.valueStart;
    if (len === 0 || len > 6) malformed(`${what}: ${len}-octet integer`);
    const buf = this.buf;
    let p = this.valueStart;
    let n = buf[p] & 0x80 ? buf[p] - 256 : buf[p];
    for (p++; p < this.valueEnd; p++) n = n * 256 + buf[p];
    this.pos = this.valueEnd;
    return n;
  }

  /**
   * The value of the header just read as an unsigned 32-bit integer. Agents often omit
   * the leading zero octet of large Counter32/Gauge32/TimeTicks values, so the octets
   * are read as unsigned (what net-snmp and Net-SNMP do too).
   */
  unsignedValue(what: string): number {
    let p = this.valueStart;
    const end = this.valueEnd;
    if (end === p) malformed(`${what}: empty integer`);
    while (p < end - 1 && this.buf[p] === 0) p++;
    if (end - p > 4) malformed(`${what}: does not fit 32 bits`);
    let n = 0;
    for (; p < end; p++) n = n * 256 + this.buf[p];
    this.pos = this.valueEnd;
    return n;
  }

  /** OCTET STRING (or another primitive of `tag`) as a view of the datagram. */
  octets(what = 'octet string', tag: number = Tag.OctetString): Buffer {
    this.expect(tag, what);
    this.pos = this.valueEnd;
    return this.buf.subarray(this.valueStart, this.valueEnd);
  }

  /** OBJECT IDENTIFIER as a dotted string without leading dot. */
  oid(what = 'object identifier'): string {
    this.expect(Tag.Oid, what);
    return this.oidValue(what);
  }

  /** The value of the OBJECT IDENTIFIER header just read. */
  oidValue(what: string): string {
    const buf = this.buf;
    const end = this.valueEnd;
    let p = this.valueStart;
    if (p === end) malformed(`${what}: empty OID`);
    let out = '';
    let arcs = 0;
    let first = true;
    while (p < end) {
      let n = 0;
      let octets = 0;
      let b: number;
      do {
        if (p >= end) malformed(`${what}: truncated sub-identifier`);
        b = buf[p++];
        n = n * 128 + (b & 0x7f);
        if (++octets > 5) malformed(`${what}: sub-identifier too long`);
      } while (b & 0x80);
      if (first) {
        // X.690 §8.19.4: the first sub-identifier packs two arcs
        first = false;
        const a = n < 40 ? 0 : n < 80 ? 1 : 2;
        if (n - a * 40 > 0xffffffff) malformed(`${what}: arc out of range`);
        out = `${a}.${n - a * 40}`;
        arcs = 2;
      } else {
        if (n > 0xffffffff) malformed(`${what}: arc out of range`);
        out += `.${n}`;
        if (++arcs > MAX_OID_ARCS) malformed(`${what}: more than ${MAX_OID_ARCS} arcs`);
      }
    }
    this.pos = end;
    return out;
  }
}

// ------------------------------------------------------------------------- writer

/** Length octets of a definite length. */
export function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  if (len < 0x100) return Buffer.from([0x81, len]);
  if (len < 0x10000) return Buffer.from([0x82, len >> 8, len & 0xff]);
  return Buffer.from([0x83, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]);
}

/** Octets a header of a value of `len` octets takes. */
export function headerLength(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

/** One TLV. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const value = contents.length === 1 ? contents[0] : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

/** Minimal two's complement INTEGER (or another integer type of `tag`). */
export function encodeInteger(n: number, tag: number = Tag.Integer): Buffer {
  if (!Number.isSafeInteger(n)) throw new RangeError('integer out of range');
  const bytes: number[] = [];
  let v = n;
  // emit least significant first until the remaining value is the sign extension
  do {
    bytes.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  } while (!(v === 0 && (bytes[0] & 0x80) === 0) && !(v === -1 && (bytes[0] & 0x80) !== 0));
  return tlv(tag, Buffer.from(bytes));
}

/** OCTET STRING. */
export function encodeOctets(value: Buffer | string): Buffer {
  return tlv(Tag.OctetString, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
}

/**
 * An OBJECT IDENTIFIER's content bytes from its arcs (at least two, already checked): the
 * first two arcs in one subidentifier, each subidentifier base 128, high bit on all but its last byte.
 */
export function oidContentBytes(arcs: readonly number[]): number[] {
  const out: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]);
  return out;
}

/** OBJECT IDENTIFIER from a dotted string. */
export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0 || a > 0xffffffff)) {
    throw new RangeError(`bad OID ${oid}`);
  }
  return tlv(Tag.Oid, Buffer.from(oidContentBytes(arcs)));
}
