/**
 * The value codec: net-snmp's raw varbinds ({oid, type: number, value}) into the
 * JSON-serialisable varbinds of DESIGN.md — no Buffer, no BigInt ever leaves here.
 *
 *  - Integer, Gauge32, TimeTicks, Counter32: numbers.
 *  - Counter64: a number in `value` plus the exact decimal string in `exact`.
 *  - OctetString: text when printable (or when the MIB says DisplayString), else
 *    colon-separated hex; a MIB display hint goes in `display`.
 *  - IpAddress dotted, OID dotted numeric, enumerations keep the number and add `enum`.
 *  - noSuchObject / noSuchInstance / endOfMibView: `value: null` with that type.
 */
import type { MibLookup, OidInfo, SmiType, Varbind } from './types';

/** A varbind as net-snmp's parser hands it over. */
export interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}

/** Thrown for a value that cannot be what its type says (the poll reports bad-response). */
export class BadValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadValueError';
  }
}

/** ASN.1 / SMI tags as net-snmp numbers them (its ObjectType table). */
export const TypeTag = {
  Boolean: 1,
  Integer: 2,
  BitString: 3,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

const TYPE_NAMES: Record<number, SmiType> = {
  1: 'Boolean',
  2: 'Integer',
  3: 'OctetString', // BitString (SMIv1 relic) is carried as octets
  4: 'OctetString',
  5: 'Null',
  6: 'OID',
  64: 'IpAddress',
  65: 'Counter32',
  66: 'Gauge32',
  67: 'TimeTicks',
  68: 'Opaque',
  70: 'Counter64',
  128: 'NoSuchObject',
  129: 'NoSuchInstance',
  130: 'EndOfMibView',
};

/** Textual conventions whose octets are always text (RFC 2579 DisplayString, RFC 3411 SnmpAdminString). */
const TEXT_SYNTAXES = new Set(['DisplayString', 'SnmpAdminString', 'DisplayString255', 'SnmpTagValue', 'SnmpTagList']);

/** True for the exception types that carry no value. */
export function isException(type: number): boolean {
  return type === TypeTag.NoSuchObject || type === TypeTag.NoSuchInstance || type === TypeTag.EndOfMibView;
}

/** The SMI type name of a net-snmp type number, or undefined for an unknown tag. */
export function typeName(type: number): SmiType | undefined {
  return TYPE_NAMES[type];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Colon-separated lower-case hex ("00:1a:2b"); "" for an empty buffer. */
export function toHex(buf: Uint8Array): string {
  let out = '';
  for (let i = 0; i < buf.length; i++) out += (i ? ':' : '') + HEX[buf[i]];
  return out;
}

/**
 * Printable text: valid UTF-8 with no control characters other than tab, CR and LF.
 * Trailing NULs (C strings from some agents) are ignored.
 */
export function printableText(buf: Buffer): string | undefined {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  let ascii = true;
  // trailing NULs are C-string padding only after a visible character: all zeros, or a line
  // feed and zeros, are bytes (a zero MAC address read as "" lost them)
  let visible = end === buf.length;
  for (let i = 0; i < end; i++) {
    const c = buf[i];
    if (c < 0x20) {
      if (c !== 9 && c !== 10 && c !== 13) return undefined;
    } else if (c === 0x7f) {
      return undefined;
    } else {
      if (c > 0x7f) ascii = false;
      if (c !== 0x20) visible = true;
    }
  }
  if (!visible) return undefined;
  if (ascii) return buf.toString('latin1', 0, end);
  const text = buf.toString('utf8', 0, end);
  // U+FFFD means the bytes were not valid UTF-8: binary after all
  if (text.includes('\ufffd')) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 && c < 0xa0) return undefined; // C1 controls
  }
  return text;
}

/**
 * A value the MIB calls text (DisplayString and kin), without its trailing NUL padding:
 * UTF-8, or Latin-1 when the bytes are not UTF-8 (older agents write "Zürich" as 5A FC 72...),
 * so that no byte becomes U+FFFD and is lost.
 */
export function displayText(buf: Buffer): string {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  const text = buf.toString('utf8', 0, end);
  // a U+FFFD the agent really sent reads back to the same bytes
  return text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(buf.subarray(0, end)) ? buf.toString('latin1', 0, end) : text;
}

/** Unsigned big-endian bytes to BigInt (Counter64 and friends). */
export function bytesToBigInt(buf: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < buf.length; i++) n = (n << 8n) | BigInt(buf[i]);
  return n;
}

const MAX_U64 = (1n << 64n) - 1n;

/**
 * A Counter64 below 2^53 read without BigInt (the usual case: ifHCInOctets reaches 2^53
 * after 2.3 years at 1 Tbit/s); undefined when it needs the exact BigInt path. A walk of
 * ifXTable decodes 8 Counter64 columns per interface, and the byte-by-byte BigInt
 * arithmetic of bytesToBigInt allocates on every step.
 */
function safeCounter64(buf: Buffer): number | undefined {
  let start = 0;
  while (start < buf.length && buf[start] === 0) start++;
  const len = buf.length - start;
  if (len === 0) return 0;
  if (len <= 6) return buf.readUIntBE(start, len);
  if (len > 7) return undefined;
  // 7 significant bytes: safe while the top 3 of its 56 bits are clear
  const high = buf.readUIntBE(start, 3);
  if (high >= 0x200000) return undefined;
  return high * 0x100000000 + buf.readUInt32BE(start + 3);
}

function counter64(value: unknown): { value: number; exact: string } {
  let n: bigint;
  // the lean v1/v2c decoder (snmp/lean-response.ts) reads one below 2^53 as a number
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { value, exact: String(value) };
  if (Buffer.isBuffer(value)) {
    const fast = safeCounter64(value);
    if (fast !== undefined) return { value: fast, exact: String(fast) };
    n = bytesToBigInt(value);
  } else if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    n = BigInt(value);
  } else {
    throw new BadValueError('Counter64 value is not an unsigned integer');
  }
  if (n < 0n || n > MAX_U64) throw new BadValueError('Counter64 value exceeds 2^64-1');
  return { value: Number(n), exact: n.toString() };
}

function unsigned32(value: unknown, type: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new BadValueError(`${type} value is not an unsigned 32-bit integer`);
  }
  return value;
}

function octets(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new BadValueError('OctetString value is not a byte string');
}

/** Payload key of a varbind: `ifDescr.3` from the MIB, else the numeric OID. */
export function shortName(oid: string, info: OidInfo | undefined): string {
  if (!info) return oid;
  return info.instance ? `${info.name}.${info.instance}` : info.name;
}

/**
 * Names already built, by MIB description. The MIB service hands out one frozen
 * description per OID (cached), so a fleet's walks name the same OIDs with the same
 * objects: 2,000 names per device for ifTable + ifXTable, built once instead of twice
 * (two string concatenations) for every device and cycle.
 */
const names = new WeakMap<OidInfo, string>();

/** Varbind name: `IF-MIB::ifDescr.3` from the MIB, else the numeric OID. */
export function qualifiedName(oid: string, info: OidInfo | undefined): string {
  if (!info) return oid;
  let name = names.get(info);
  if (name === undefined) {
    name = `${info.module}::${shortName(oid, info)}`;
    // only an immutable description can be trusted to give the same name next time
    if (Object.isFrozen(info)) names.set(info, name);
  }
  return name;
}

/**
 * Whether net-snmp's reading of a varbind's OID is one (two arcs or more, each at most
 * 2^32 - 1, RFC 2578 §3.5). Its BER reader (asn1-ber readOID) turns an empty OID into
 * "0.NaN", which must not reach a message. (It also wraps an arc past 32 bits without a
 * word; no check of the text can see that.) One pass over the characters.
 */
export function isWireOid(oid: unknown): boolean {
  if (typeof oid !== 'string') return false;
  const n = oid.length;
  let arcs = 0;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? oid.charCodeAt(i) : 46;
    if (c === 46) {
      const len = i - start;
      if (len === 0 || len > 10 || (len === 10 && oid.slice(start, i) > '4294967295')) return false;
      arcs++;
      start = i + 1;
    } else if (c < 48 || c > 57) {
      return false;
    }
  }
  return arcs >= 2;
}

/**
 * The number an Opaque wraps in net-snmp's float and double encodings (draft-perkins-opaque:
 * 9F 78 04 and a big-endian float, 9F 79 08 and a double), as text; undefined for other
 * content. UCD-SNMP-MIB::laLoadFloat is one ("0.15", where snmpget prints Float: 0.150000).
 */
export function opaqueFloat(buf: Buffer): string | undefined {
  if (buf.length === 7 && buf[0] === 0x9f && buf[1] === 0x78 && buf[2] === 4) {
    const f = buf.readFloatBE(3);
    // a float has 7 significant digits; more would show its binary rounding (0.15 as 0.1500000059604645)
    return Number.isFinite(f) ? String(Number(f.toPrecision(7))) : String(f);
  }
  if (buf.length === 11 && buf[0] === 0x9f && buf[1] === 0x79 && buf[2] === 8) return String(buf.readDoubleBE(3));
  return undefined;
}

/** `display` of an integer whose textual convention has a DISPLAY-HINT ("d-1": 235 is "23.5"). */
function integerDisplay(vb: Varbind, info: OidInfo, value: number, mib: MibLookup | undefined): void {
  const display = mib?.formatInteger?.(info, value);
  if (display !== undefined && display !== String(value)) vb.display = display;
}

/**
 * Decodes one raw varbind. `info` is the MIB description of its OID (if known), used
 * for names, DisplayString text, enum labels and display hints.
 * Throws BadValueError when the value contradicts its type, or the OID is not one.
 */
export function decodeVarbind(raw: RawVarbind, info: OidInfo | undefined, mib?: MibLookup): Varbind {
  // An OID the MIB described was read arc by arc there (MibLookup.describe answers
  // nothing for a malformed one): only the others need the check, so a walk of known
  // tables pays nothing for it.
  if (info === undefined && !isWireOid(raw.oid)) throw new BadValueError('malformed OID');
  const type = TYPE_NAMES[raw.type];
  if (!type) throw new BadValueError(`unknown SMI type tag ${raw.type}`);
  const vb: Varbind = { oid: raw.oid, name: qualifiedName(raw.oid, info), type, value: null };
  switch (raw.type) {
    case TypeTag.Integer: {
      if (typeof raw.value !== 'number' || !Number.isInteger(raw.value)) throw new BadValueError('Integer value is not an integer');
      vb.value = raw.value;
      const label = info?.enums?.[raw.value];
      if (label !== undefined) vb.enum = label;
      else if (info?.hint !== undefined) integerDisplay(vb, info, raw.value, mib);
      break;
    }
    case TypeTag.Gauge32:
      vb.value = unsigned32(raw.value, type);
      if (info?.hint !== undefined) integerDisplay(vb, info, vb.value, mib);
      break;
    case TypeTag.Counter32:
    case TypeTag.TimeTicks:
      vb.value = unsigned32(raw.value, type);
      break;
    case TypeTag.Counter64: {
      const c = counter64(raw.value);
      vb.value = c.value;
      vb.exact = c.exact;
      break;
    }
    case TypeTag.OctetString:
    case TypeTag.BitString: {
      const buf = octets(raw.value);
      const forcedText = info?.syntax !== undefined && TEXT_SYNTAXES.has(info.syntax);
      const text = forcedText ? displayText(buf) : printableText(buf);
      vb.value = text ?? toHex(buf);
      if (info && mib?.formatOctets && !forcedText) {
        const display = mib.formatOctets(info, buf);
        if (display !== undefined && display !== vb.value) vb.display = display;
      }
      break;
    }
    case TypeTag.Opaque: {
      const buf = octets(raw.value);
      vb.value = toHex(buf);
      const float = opaqueFloat(buf);
      if (float !== undefined) vb.display = float;
      break;
    }
    case TypeTag.IpAddress:
      if (typeof raw.value !== 'string') throw new BadValueError('IpAddress value is not 4 octets');
      vb.value = raw.value;
      break;
    case TypeTag.OID:
      if (typeof raw.value !== 'string') throw new BadValueError('OBJECT IDENTIFIER value is malformed');
      vb.value = raw.value;
      break;
    case TypeTag.Boolean:
      vb.value = Boolean(raw.value);
      break;
    default:
      // Null and the three exceptions
      vb.value = null;
  }
  return vb;
}
