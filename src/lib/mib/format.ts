/**
 * MIB-aware rendering of values: DISPLAY-HINT octet and integer formats (RFC 2579
 * §3.1), DateAndTime as ISO 8601, InetAddress by its type (RFC 4001). Pure functions.
 */
import type { OidInfo } from '../common/types';

/**
 * Hints of conventions that SMIv1 modules define as plain types (RFC1213-MIB's
 * `DisplayString ::= OCTET STRING` has no DISPLAY-HINT) or whose module may be missing.
 */
const WELL_KNOWN_HINTS: Record<string, string> = {
  DisplayString: '255a',
  PhysAddress: '1x:',
  MacAddress: '1x:',
  SnmpAdminString: '255t',
  OwnerString: '255a',
  DateAndTime: '2d-1d-1d,1d:1d:1d.1d,1a1d:1d',
};

const INTEGER_BASES = new Set([
  'INTEGER', 'Integer32', 'Unsigned32', 'Counter32', 'Counter64', 'Gauge32', 'TimeTicks', 'Counter', 'Gauge',
  'OBJECT IDENTIFIER', 'IpAddress', 'NetworkAddress',
]);

const INET_SYNTAXES = new Set(['InetAddress', 'InetAddressIPv4', 'InetAddressIPv6', 'InetAddressIPv4z', 'InetAddressIPv6z', 'InetAddressDNS']);

interface OctetSpec {
  repeat: boolean;
  len: number;
  fmt: 'd' | 'x' | 'o' | 'a' | 't';
  sep?: string;
  term?: string;
}

const hintCache = new Map<string, OctetSpec[] | null>();

/** Parses an octet-format DISPLAY-HINT; null when it is not one. */
export function parseOctetHint(hint: string): OctetSpec[] | null {
  const cached = hintCache.get(hint);
  if (cached !== undefined) return cached;
  const specs: OctetSpec[] = [];
  let i = 0;
  let ok = hint.length > 0;
  while (ok && i < hint.length) {
    const spec: Partial<OctetSpec> = { repeat: false };
    if (hint[i] === '*') { spec.repeat = true; i++; }
    const start = i;
    while (i < hint.length && hint[i] >= '0' && hint[i] <= '9') i++;
    if (i === start) { ok = false; break; }
    spec.len = Number(hint.slice(start, i));
    const f = hint[i++];
    if (f !== 'd' && f !== 'x' && f !== 'o' && f !== 'a' && f !== 't') { ok = false; break; }
    spec.fmt = f;
    const isSepChar = (c: string | undefined) => c !== undefined && c !== '*' && !(c >= '0' && c <= '9');
    if (isSepChar(hint[i])) spec.sep = hint[i++];
    if (spec.repeat && spec.sep !== undefined && isSepChar(hint[i])) spec.term = hint[i++];
    specs.push(spec as OctetSpec);
  }
  const result = ok && specs.length ? specs : null;
  if (hintCache.size < 1000) hintCache.set(hint, result);
  return result;
}

function renderNumber(raw: Buffer, from: number, len: number, fmt: 'd' | 'x' | 'o'): string {
  if (len <= 6) {
    let v = 0;
    for (let k = 0; k < len; k++) v = v * 256 + raw[from + k];
    if (fmt === 'd') return String(v);
    if (fmt === 'o') return v.toString(8);
    return v.toString(16).padStart(len * 2, '0');
  }
  let v = 0n;
  for (let k = 0; k < len; k++) v = v * 256n + BigInt(raw[from + k]);
  if (fmt === 'd') return v.toString(10);
  if (fmt === 'o') return v.toString(8);
  return v.toString(16).padStart(len * 2, '0');
}

/**
 * Renders octets by an RFC 2579 octet-format hint ("1x:", "255a", "1d.1d.1d.1d",
 * "*1x:" ...). The last specification repeats until the data ends; a separator that
 * would end the output is dropped. undefined for a hint that is not an octet format.
 */
export function applyOctetHint(hint: string, raw: Buffer): string | undefined {
  const specs = parseOctetHint(hint);
  if (!specs) return undefined;
  let out = '';
  let pos = 0;
  let si = 0;
  while (pos < raw.length) {
    const spec = specs[Math.min(si, specs.length - 1)];
    si++;
    let count = 1;
    if (spec.repeat) {
      count = raw[pos++];
    }
    for (let r = 0; r < count && pos < raw.length; r++) {
      if (spec.fmt === 'a' || spec.fmt === 't') {
        const take = Math.min(spec.len, raw.length - pos);
        const text = raw.toString(spec.fmt === 'a' ? 'latin1' : 'utf8', pos, pos + take);
        out += text;
        pos += take;
      } else {
        const take = Math.min(spec.len, raw.length - pos);
        if (take === 0) break;
        out += renderNumber(raw, pos, take, spec.fmt);
        pos += take;
      }
      const last = r === count - 1;
      if (spec.repeat && last && spec.term !== undefined) {
        if (pos < raw.length) out += spec.term;
      } else if (spec.sep !== undefined && pos < raw.length) {
        out += spec.sep;
      }
    }
    if (spec.len === 0 && !spec.repeat) break; // "0a" would never advance
  }
  // Trailing NULs are padding that agents leave in DisplayStrings.
  return out.replace(/\0+$/, '');
}

/**
 * Renders an integer by an RFC 2579 integer-format hint: "d", "d-N" (N implied
 * decimals), "x", "o", "b". undefined for other hints.
 */
export function formatIntegerByHint(hint: string, value: number | bigint): string | undefined {
  const m = /^([dxob])(?:-(\d+))?$/.exec(hint);
  if (!m) return undefined;
  const big = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : undefined;
  if (big === undefined) return undefined;
  const neg = big < 0n;
  const abs = neg ? -big : big;
  let s: string;
  switch (m[1]) {
    case 'x': s = abs.toString(16); break;
    case 'o': s = abs.toString(8); break;
    case 'b': s = abs.toString(2); break;
    default: {
      s = abs.toString(10);
      const places = m[2] ? Number(m[2]) : 0;
      if (places > 0) {
        s = s.padStart(places + 1, '0');
        s = s.slice(0, s.length - places) + '.' + s.slice(s.length - places);
      }
    }
  }
  return neg ? '-' + s : s;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * DateAndTime (SNMPv2-TC, 8 or 11 octets) as ISO 8601, e.g.
 * "2024-05-06T07:08:09.5+02:00"; without the zone octets, local time without offset.
 * undefined when a field is out of range.
 */
export function formatDateAndTime(raw: Buffer): string | undefined {
  if (raw.length !== 8 && raw.length !== 11) return undefined;
  const year = raw.readUInt16BE(0);
  const [month, day, hour, min, sec, deci] = [raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || deci > 9) return undefined;
  let s = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(min)}:${pad(sec)}.${deci}`;
  if (raw.length === 11) {
    const dir = String.fromCharCode(raw[8]);
    if ((dir !== '+' && dir !== '-') || raw[9] > 14 || raw[10] > 59) return undefined;
    s += `${dir}${pad(raw[9])}:${pad(raw[10])}`;
  }
  return s;
}

/** IPv6 text per RFC 5952 (lowercase, longest zero run compressed). */
export function formatIpv6(raw: Buffer, offset = 0): string {
  const groups: number[] = [];
  for (let k = 0; k < 8; k++) groups.push(raw.readUInt16BE(offset + k * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8;) {
    if (groups[k] !== 0) { k++; continue; }
    let e = k;
    while (e < 8 && groups[e] === 0) e++;
    if (e - k > bestLen && e - k >= 2) { bestStart = k; bestLen = e - k; }
    k = e;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/**
 * InetAddress (RFC 4001) as text by its InetAddressType (1 ipv4, 2 ipv6, 3 ipv4z,
 * 4 ipv6z, 16 dns); without a type, guessed from the length. undefined when length
 * and type disagree.
 */
export function formatInetAddress(raw: Buffer, type?: number): string | undefined {
  const t = type ?? ({ 4: 1, 16: 2, 8: 3, 20: 4 } as Record<number, number>)[raw.length] ?? (raw.length > 0 && isPrintable(raw) ? 16 : undefined);
  switch (t) {
    case 0: return raw.length === 0 ? '' : undefined;
    case 1: return raw.length === 4 ? `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}` : undefined;
    case 2: return raw.length === 16 ? formatIpv6(raw) : undefined;
    case 3: return raw.length === 8 ? `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}%${raw.readUInt32BE(4)}` : undefined;
    case 4: return raw.length === 20 ? `${formatIpv6(raw)}%${raw.readUInt32BE(16)}` : undefined;
    case 16: return isPrintable(raw) ? raw.toString('latin1') : undefined;
    default: return undefined;
  }
}

/** Every octet printable ASCII (tab, CR, LF allowed). */
export function isPrintable(raw: Buffer): boolean {
  for (let k = 0; k < raw.length; k++) {
    const b = raw[k];
    if ((b < 32 || b > 126) && b !== 9 && b !== 10 && b !== 13) return false;
  }
  return true;
}

/** Colon-separated lowercase hex, the fallback rendering of binary strings. */
export function formatHex(raw: Buffer): string {
  let s = '';
  for (let k = 0; k < raw.length; k++) s += (k ? ':' : '') + (raw[k] < 16 ? '0' : '') + raw[k].toString(16);
  return s;
}

/**
 * The MIB rendering of an OctetString for the object `info` (see MibService.formatOctets).
 */
export function formatOctetsByInfo(info: OidInfo & { base?: string }, raw: Buffer, addressType?: number): string | undefined {
  if (!Buffer.isBuffer(raw)) return undefined;
  if (info.base && INTEGER_BASES.has(info.base)) return undefined;
  const syntax = info.syntax ?? '';
  if (INET_SYNTAXES.has(syntax)) {
    const type = syntax === 'InetAddress' ? addressType : { InetAddressIPv4: 1, InetAddressIPv6: 2, InetAddressIPv4z: 3, InetAddressIPv6z: 4, InetAddressDNS: 16 }[syntax];
    const s = formatInetAddress(raw, type);
    if (s !== undefined) return s;
  }
  if (syntax === 'DateAndTime') {
    const s = formatDateAndTime(raw);
    if (s !== undefined) return s;
  }
  const hint = info.hint ?? WELL_KNOWN_HINTS[syntax];
  if (!hint) return undefined;
  return applyOctetHint(hint, raw);
}
