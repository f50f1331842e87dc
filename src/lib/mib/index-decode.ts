/**
 * Table INDEX decoding (RFC 2578 §7.7): how the instance suffix of a column OID maps
 * to the row's INDEX objects. A plan is compiled once per table, then applied per row.
 */
import type { OidInfo } from '../common/types';
import { formatHex, isPrintable } from './format';

type Mode = 'int' | 'ip' | 'netaddr' | 'fixed' | 'var' | 'implied' | 'oid' | 'oid-implied';

interface PlanPart {
  name: string;
  mode: Mode;
  len: number;
  info: OidInfo & { base?: string };
  /** For an InetAddress: position of the InetAddressType part that says how to read it. */
  typeFrom: number;
}

export interface IndexPlan {
  parts: PlanPart[];
  format: (info: OidInfo, raw: Buffer, addressType?: number) => string | undefined;
}

export interface IndexPartInput {
  name: string;
  implied: boolean;
  info: OidInfo & { base?: string };
  sizes?: Array<[number, number]>;
}

const INTEGER_BASES = new Set(['INTEGER', 'Integer32', 'Unsigned32', 'Counter32', 'Gauge32', 'TimeTicks', 'Counter', 'Gauge']);
const STRING_BASES = new Set(['OCTET STRING', 'BITS', 'Opaque']);

/**
 * Builds the decoding plan of an INDEX clause; undefined when a part's type is unknown
 * (its module is missing), since the arcs could not be split reliably.
 */
export function compileIndexPlan(
  parts: IndexPartInput[],
  sizesOf: (name: string) => Array<[number, number]> | undefined,
  format: IndexPlan['format'],
): IndexPlan | undefined {
  const out: PlanPart[] = [];
  for (const p of parts) {
    const base = p.info.base ?? p.info.syntax ?? '';
    let mode: Mode;
    let len = 0;
    if (INTEGER_BASES.has(base)) mode = 'int';
    else if (base === 'IpAddress') mode = 'ip';
    else if (base === 'NetworkAddress') mode = 'netaddr';
    else if (base === 'OBJECT IDENTIFIER') mode = p.implied ? 'oid-implied' : 'oid';
    else if (STRING_BASES.has(base)) {
      const sizes = p.sizes ?? sizesOf(p.name);
      if (sizes && sizes.length === 1 && sizes[0][0] === sizes[0][1] && Number.isFinite(sizes[0][0])) {
        mode = 'fixed';
        len = sizes[0][0];
      } else {
        mode = p.implied ? 'implied' : 'var';
      }
    } else {
      return undefined;
    }
    let typeFrom = -1;
    if (p.info.syntax === 'InetAddress') {
      for (let k = out.length - 1; k >= 0; k--) {
        if (out[k].info.syntax === 'InetAddressType') { typeFrom = k; break; }
      }
    }
    out.push({ name: p.name, mode, len, info: p.info, typeFrom });
  }
  return { parts: out, format };
}

function parseArcs(instance: string): number[] | undefined {
  if (instance === '') return [];
  const s = instance.charCodeAt(0) === 46 ? instance.slice(1) : instance;
  const arcs: number[] = [];
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0) return undefined;
      arcs.push(v);
      v = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (++digits > 10) return undefined;
    } else {
      return undefined;
    }
  }
  return arcs;
}

function bytesOf(arcs: number[], from: number, len: number): Buffer | undefined {
  if (from + len > arcs.length) return undefined;
  const buf = Buffer.allocUnsafe(len);
  for (let k = 0; k < len; k++) {
    const a = arcs[from + k];
    if (a > 255) return undefined;
    buf[k] = a;
  }
  return buf;
}

/**
 * Applies a plan to an instance suffix ("3.10.0.0.1"). undefined when the suffix is
 * malformed, too short, or has arcs left over.
 */
export function decodeIndexWithPlan(plan: IndexPlan, instance: string): Record<string, string | number> | undefined {
  const arcs = parseArcs(instance);
  if (!arcs) return undefined;
  const out: Record<string, string | number> = {};
  const values: Array<string | number> = [];
  let pos = 0;
  for (const part of plan.parts) {
    let value: string | number;
    switch (part.mode) {
      case 'int':
        if (pos >= arcs.length) return undefined;
        value = arcs[pos++];
        break;
      case 'ip': {
        const b = bytesOf(arcs, pos, 4);
        if (!b) return undefined;
        pos += 4;
        value = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
        break;
      }
      case 'netaddr': {
        // SMIv1 NetworkAddress: a CHOICE tag (1 = internet) then the IpAddress.
        if (arcs[pos] !== 1) return undefined;
        const b = bytesOf(arcs, pos + 1, 4);
        if (!b) return undefined;
        pos += 5;
        value = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
        break;
      }
      case 'oid':
      case 'oid-implied': {
        let n: number;
        if (part.mode === 'oid') {
          if (pos >= arcs.length) return undefined;
          n = arcs[pos++];
        } else {
          n = arcs.length - pos;
        }
        if (pos + n > arcs.length) return undefined;
        value = arcs.slice(pos, pos + n).join('.');
        pos += n;
        break;
      }
      default: {
        let n: number;
        if (part.mode === 'fixed') n = part.len;
        else if (part.mode === 'implied') n = arcs.length - pos;
        else {
          if (pos >= arcs.length) return undefined;
          n = arcs[pos++];
        }
        const b = bytesOf(arcs, pos, n);
        if (!b) return undefined;
        pos += n;
        const type = part.typeFrom >= 0 ? values[part.typeFrom] : undefined;
        const rendered = plan.format(part.info, b, typeof type === 'number' ? type : undefined);
        value = rendered ?? (isPrintable(b) ? b.toString('latin1') : formatHex(b));
      }
    }
    values.push(value);
    out[part.name] = value;
  }
  if (pos !== arcs.length) return undefined;
  return out;
}
