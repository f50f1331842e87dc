/**
 * A lean decoder for the SNMPv1/v2c GetResponse, the hot path of every poll.
 *
 * net-snmp decodes a reply through a generic BER reader (a Buffer slice and an array
 * of arcs per OID, a Message, a Pdu and closures per reply): a fifth of a walk's CPU.
 * This reads the datagram in one pass, straight into what net-snmp's request callbacks
 * take (the PDU's request id, error status and index, and `{oid, type, value}` varbinds
 * with exactly the values net-snmp's reader gives: Buffers over the datagram for
 * OctetString and Opaque, numbers, dotted strings; a Counter64 below 2^53 as a number,
 * which the codec reads as it reads net-snmp's bytes, beyond that the bytes).
 *
 * It is strict: anything but a well-formed v1/v2c GetResponse of the types it knows
 * (other PDUs, SNMPv3, lengths that do not add up, a zero-length or overlong integer,
 * a BIT STRING, a truncated OID) returns undefined, and the caller hands the datagram
 * to net-snmp unchanged, which then answers or fails exactly as it always did. So
 * the answers for accepted datagrams are net-snmp's by construction of the reader, and
 * every error is net-snmp's own (test/unit/lean-response.test.ts checks both against
 * net-snmp on random and malformed packets).
 */

/** A decoded GetResponse PDU in the shape net-snmp's session callbacks read. */
export interface LeanPdu {
  type: number;
  id: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: Array<{ oid: string; type: number; value: unknown }>;
}

export interface LeanMessage {
  version: number;
  community: string;
  pdu: LeanPdu;
}

const GET_RESPONSE = 0xa2;

/** Where the current element's content starts; set by readHeader. */
let contentStart = 0;

/**
 * Reads a tag's length at `at` (the byte after the tag): short form or 1-4 length
 * bytes. Returns the content's length and leaves its start in contentStart, or -1.
 */
function readLength(buf: Buffer, at: number, end: number): number {
  if (at >= end) return -1;
  const first = buf[at];
  if (first < 0x80) {
    contentStart = at + 1;
    return contentStart + first <= end ? first : -1;
  }
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > end) return -1;
  let len = 0;
  for (let i = 1; i <= n; i++) len = len * 256 + buf[at + i];
  contentStart = at + 1 + n;
  return contentStart + len <= end ? len : -1;
}

/** A BER INTEGER's content as net-snmp's reader reads it (signed, big-endian). */
function readSigned(buf: Buffer, start: number, len: number): number {
  let value = (buf[start] << 24) >> 24;
  for (let i = 1; i < len; i++) value = value * 256 + buf[start + i];
  return value;
}

/**
 * An OID's content as asn1-ber's readOID spells it (the same arithmetic, so the same
 * string for every input, overlong arcs included), or undefined for an empty or
 * truncated one (net-snmp then reads it itself).
 */
function spellOid(buf: Buffer, start: number, end: number): string {
  let value = 0;
  let i = start;
  // the first subidentifier holds the first two arcs
  for (; i < end; i++) {
    const b = buf[i];
    value <<= 7;
    value += b & 0x7f;
    if ((b & 0x80) === 0) break;
  }
  i++;
  const first = value >>> 0;
  let oid = `${(first / 40) >> 0}.${first % 40}`;
  value = 0;
  for (; i < end; i++) {
    const b = buf[i];
    value <<= 7;
    value += b & 0x7f;
    if ((b & 0x80) === 0) {
      oid += `.${value >>> 0}`;
      value = 0;
    }
  }
  return oid;
}

/**
 * The OIDs a fleet's replies carry are the same few thousand in every reply of every
 * device (ifTable's columns times its rows): their spelled strings are kept in a
 * direct-mapped cache keyed by their encoded bytes, so a walk spells each OID once per
 * process instead of once per varbind, and every row of every device shares one string.
 * A hit compares the bytes in full; a miss spells the OID and takes the slot.
 */
const OID_CACHE_SLOTS = 1 << 14;
const OID_CACHE_MAX_BYTES = 48;
const cacheBytes = new Uint8Array(OID_CACHE_SLOTS * OID_CACHE_MAX_BYTES);
const cacheLengths = new Uint8Array(OID_CACHE_SLOTS);
const cacheStrings: Array<string | undefined> = new Array(OID_CACHE_SLOTS).fill(undefined);

/** The cache slot of the OID bytes buf[start, end) (at most OID_CACHE_MAX_BYTES of them). */
function slotOf(buf: Buffer, start: number, end: number): number {
  let h = end - start;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x9e3779b1);
  return (h ^ (h >>> 15)) & (OID_CACHE_SLOTS - 1);
}

/** The cached spelling of buf[start, end) in `slot`, or undefined. */
function cachedAt(slot: number, buf: Buffer, start: number, end: number): string | undefined {
  const n = end - start;
  if (cacheLengths[slot] !== n) return undefined;
  const base = slot * OID_CACHE_MAX_BYTES;
  let k = 0;
  while (k < n && cacheBytes[base + k] === buf[start + k]) k++;
  return k === n ? cacheStrings[slot] : undefined;
}

function cacheAt(slot: number, buf: Buffer, start: number, end: number, oid: string): void {
  const n = end - start;
  const base = slot * OID_CACHE_MAX_BYTES;
  for (let k = 0; k < n; k++) cacheBytes[base + k] = buf[start + k];
  cacheLengths[slot] = n;
  cacheStrings[slot] = oid;
}

function readOid(buf: Buffer, start: number, end: number): string | undefined {
  if (start >= end || buf[end - 1] & 0x80) return undefined;
  if (end - start > OID_CACHE_MAX_BYTES) return spellOid(buf, start, end);
  const slot = slotOf(buf, start, end);
  const hit = cachedAt(slot, buf, start, end);
  if (hit !== undefined) return hit;
  // A miss is mostly a row not seen before (a device with its own ifIndex values): its
  // column, all but the last subidentifier, is cached as a prefix of its own, so only
  // the last arc is spelled.
  let last = end - 1;
  while (last > start && (buf[last - 1] & 0x80) !== 0) last--;
  let oid: string;
  if (last === start) {
    oid = spellOid(buf, start, end);
  } else {
    const prefixSlot = slotOf(buf, start, last);
    let prefix = cachedAt(prefixSlot, buf, start, last);
    if (prefix === undefined) {
      prefix = spellOid(buf, start, last);
      cacheAt(prefixSlot, buf, start, last, prefix);
    }
    // the same arithmetic as spellOid's for an arc after the first
    let value = 0;
    for (let i = last; i < end; i++) {
      value <<= 7;
      value += buf[i] & 0x7f;
    }
    oid = `${prefix}.${value >>> 0}`;
  }
  cacheAt(slot, buf, start, end, oid);
  return oid;
}

/**
 * A Counter64's content: its value as a number when below 2^53 (the codec reads a number
 * and net-snmp's bytes the same way, common/codec.ts), else the bytes, as net-snmp hands
 * them over (the codec then takes the exact BigInt path).
 */
function counter64(buf: Buffer, start: number, len: number): unknown {
  let i = start;
  const end = start + len;
  while (i < end && buf[i] === 0) i++;
  const significant = end - i;
  if (significant <= 6) {
    let v = 0;
    for (; i < end; i++) v = v * 256 + buf[i];
    return v;
  }
  if (significant === 7 && buf[i] < 0x20) {
    let v = 0;
    for (; i < end; i++) v = v * 256 + buf[i];
    return v;
  }
  return len === 0 ? Buffer.alloc(0) : buf.subarray(start, end);
}

/**
 * One of the PDU's INTEGERs of 1-4 bytes at `at`: its value, with where the next element
 * starts left in contentStart; NaN when there is none.
 */
function readHeaderInt(buf: Buffer, at: number, end: number): number {
  if (buf[at] !== 0x02) return NaN;
  const len = readLength(buf, at + 1, end);
  if (len < 1 || len > 4) return NaN;
  const value = readSigned(buf, contentStart, len);
  contentStart += len;
  return value;
}

/** The last community read, as bytes and as text: a fleet's replies all carry the same one or two. */
let lastCommunityBytes = Buffer.alloc(0);
let lastCommunity = '';

/** The community's text (UTF-8, as net-snmp reads it), without decoding the same bytes again. */
function communityOf(buf: Buffer, start: number, len: number): string {
  if (len === 0) return '';
  if (len === lastCommunityBytes.length && buf.compare(lastCommunityBytes, 0, len, start, start + len) === 0) return lastCommunity;
  lastCommunity = buf.toString('utf8', start, start + len);
  lastCommunityBytes = Buffer.from(buf.subarray(start, start + len));
  return lastCommunity;
}

/**
 * Decodes a v1/v2c GetResponse, or returns undefined for anything else (see above).
 * Never throws.
 */
export function decodeResponse(buf: Buffer): LeanMessage | undefined {
  const end = buf.length;
  if (end < 2 || buf[0] !== 0x30) return undefined;
  let len = readLength(buf, 1, end);
  if (len < 0 || contentStart + len !== end) return undefined;
  let at = contentStart;
  // version: 0 (v1) or 1 (v2c)
  if (buf[at] !== 0x02) return undefined;
  len = readLength(buf, at + 1, end);
  if (len !== 1) return undefined;
  const version = buf[contentStart];
  if (version > 1) return undefined;
  at = contentStart + 1;
  // community
  if (buf[at] !== 0x04) return undefined;
  len = readLength(buf, at + 1, end);
  if (len < 0) return undefined;
  const community = communityOf(buf, contentStart, len);
  at = contentStart + len;
  // the PDU runs to the end of the datagram
  if (buf[at] !== GET_RESPONSE) return undefined;
  len = readLength(buf, at + 1, end);
  if (len < 0 || contentStart + len !== end) return undefined;
  at = contentStart;
  // request id, error status, error index
  const id = readHeaderInt(buf, at, end);
  if (Number.isNaN(id)) return undefined;
  const errorStatus = readHeaderInt(buf, contentStart, end);
  if (Number.isNaN(errorStatus)) return undefined;
  const errorIndex = readHeaderInt(buf, contentStart, end);
  if (Number.isNaN(errorIndex)) return undefined;
  at = contentStart;
  // the varbind list runs to the end too
  if (buf[at] !== 0x30) return undefined;
  len = readLength(buf, at + 1, end);
  if (len < 0 || contentStart + len !== end) return undefined;
  at = contentStart;
  const varbinds: LeanPdu['varbinds'] = [];
  while (at < end) {
    if (buf[at] !== 0x30) return undefined;
    len = readLength(buf, at + 1, end);
    if (len < 0) return undefined;
    const vbEnd = contentStart + len;
    at = contentStart;
    if (at >= vbEnd || buf[at] !== 0x06) return undefined;
    len = readLength(buf, at + 1, vbEnd);
    if (len < 0) return undefined;
    const oid = readOid(buf, contentStart, contentStart + len);
    if (oid === undefined) return undefined;
    at = contentStart + len;
    if (at >= vbEnd) return undefined;
    const type = buf[at];
    len = readLength(buf, at + 1, vbEnd);
    if (len < 0 || contentStart + len !== vbEnd) return undefined;
    const s = contentStart;
    let value: unknown;
    switch (type) {
      case 0x02: // Integer
        if (len < 1 || len > 4) return undefined;
        value = readSigned(buf, s, len);
        break;
      case 0x41: // Counter32
      case 0x42: // Gauge32
      case 0x43: // TimeTicks: net-snmp reads them signed, then as unsigned 32 bits
        if (len < 1 || len > 5) return undefined;
        value = readSigned(buf, s, len) >>> 0;
        break;
      case 0x46: // Counter64: a number below 2^53 (no Buffer to make), else the bytes as net-snmp gives them
        value = counter64(buf, s, len);
        break;
      case 0x04: // OctetString
      case 0x44: // Opaque: net-snmp hands over the bytes
        value = len === 0 ? Buffer.alloc(0) : buf.subarray(s, s + len);
        break;
      case 0x06: // OID
        value = readOid(buf, s, s + len);
        if (value === undefined) return undefined;
        break;
      case 0x40: // IpAddress
        if (len !== 4) return undefined;
        value = `${buf[s]}.${buf[s + 1]}.${buf[s + 2]}.${buf[s + 3]}`;
        break;
      case 0x05: // Null
      case 0x80: // noSuchObject
      case 0x81: // noSuchInstance
      case 0x82: // endOfMibView: net-snmp skips a tag and one length byte, so only 0x00
        if (len !== 0 || buf[at + 1] !== 0) return undefined;
        value = null;
        break;
      case 0x01: // Boolean
        if (len !== 1) return undefined;
        value = buf[s] !== 0;
        break;
      default:
        return undefined;
    }
    varbinds.push({ oid, type, value });
    at = vbEnd;
  }
  return { version, community, pdu: { type: GET_RESPONSE, id, errorStatus, errorIndex, varbinds } };
}

/** The part of a net-snmp Session this path uses (untyped in net-snmp). */
interface SessionLike {
  version: number;
  proxy?: unknown;
  reqs: Record<number, { message: { version: number; community?: string }; onResponse: (req: unknown, message: unknown) => void } | undefined>;
  unregisterRequest(id: number): unknown;
}

/**
 * Hands a reply to a v1/v2c net-snmp session the way its own onMsg does, decoded by
 * decodeResponse. Returns false when the datagram is not for this path (undecodable
 * here, or answering nothing this path can answer: a version or community that does
 * not match the request, a proxy session); the caller then gives it to net-snmp, which
 * reads it again and answers or fails as it always has.
 */
export function receiveLean(session: SessionLike, buf: Buffer): boolean {
  if (session.version === 3 || session.proxy) return false;
  const message = decodeResponse(buf);
  if (!message) return false;
  const req = session.reqs[message.pdu.id];
  // no such request: net-snmp drops the reply without a word, as here
  if (!req) return true;
  if (req.message.version !== message.version || req.message.community !== message.community) return false;
  session.unregisterRequest(message.pdu.id);
  req.onResponse(req, message);
  return true;
}
