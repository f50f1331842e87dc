/**
 * The OID tree every simulated device exposes: SNMPv2-MIB system group, IF-MIB ifNumber,
 * ifTable (RFC 2863 ifEntry, 22 columns) and ifXTable (19 columns). All devices with the
 * same interface count share one sorted template, so a fleet of 5,000 devices holds one
 * copy of the OIDs (and of their encodings); values are computed per device on demand.
 */
import { encodeOid } from './ber';

/** What an entry of the tree holds; the device model computes its value. */
export const Kind = {
  sysDescr: 1,
  sysObjectID: 2,
  sysUpTime: 3,
  sysContact: 4,
  sysName: 5,
  sysLocation: 6,
  sysServices: 7,
  ifNumber: 8,
  /** ifTable column c is IF_TABLE + c (c = 1..22). */
  IF_TABLE: 100,
  /** ifXTable column c is IF_X_TABLE + c (c = 1..19). */
  IF_X_TABLE: 200,
} as const;

export const SYSTEM = [1, 3, 6, 1, 2, 1, 1];
export const IF_NUMBER = [1, 3, 6, 1, 2, 1, 2, 1];
export const IF_ENTRY = [1, 3, 6, 1, 2, 1, 2, 2, 1];
export const IF_X_ENTRY = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1];

export const IF_TABLE_COLUMNS = 22;
export const IF_X_TABLE_COLUMNS = 19;

/** ifXTable columns holding Counter64 (ifHC*): not visible to SNMPv1 (RFC 3584 §4.2.2.1). */
const COUNTER64_X_COLUMNS = new Set([6, 7, 8, 9, 10, 11, 12, 13]);

export interface TreeEntry {
  arcs: number[];
  /** Dotted numeric OID. */
  oid: string;
  /** Precomputed TLV of the OID. */
  tlv: Buffer;
  kind: number;
  /** 1-based ifIndex for table cells, 0 for scalars. */
  ifIndex: number;
  counter64: boolean;
}

/** Static per-interface facts, identical on every device of a template. */
export interface InterfaceStatic {
  descr: Buffer;
  name: Buffer;
  alias: Buffer;
  mtu: number;
  /** Speed in Mbit/s (ifHighSpeed); ifSpeed saturates at 2^32-1. */
  highSpeed: number;
}

export interface Tree {
  interfaces: number;
  entries: TreeEntry[];
  /** Object OIDs (scalar objects and table columns) to tell noSuchObject from noSuchInstance. */
  objects: Set<string>;
  ifStatic: InterfaceStatic[];
}

/** Lexicographic comparison of OIDs given as arcs (RFC 3416 §4.2.2). */
export function compareArcs(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Index of the entry equal to `arcs`, or -1. */
export function findExact(tree: Tree, arcs: readonly number[]): number {
  const e = tree.entries;
  let lo = 0;
  let hi = e.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareArcs(e[mid].arcs, arcs);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Index of the first entry strictly after `arcs` (entries.length at the end of the MIB view). */
export function findNext(tree: Tree, arcs: readonly number[]): number {
  const e = tree.entries;
  let lo = 0;
  let hi = e.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareArcs(e[mid].arcs, arcs) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when some prefix of `arcs` names an object of the tree (then a miss is noSuchInstance). */
export function isKnownObject(tree: Tree, arcs: readonly number[]): boolean {
  let text = '';
  for (let i = 0; i < arcs.length; i++) {
    text = i === 0 ? String(arcs[0]) : `${text}.${arcs[i]}`;
    if (tree.objects.has(text)) return true;
  }
  return false;
}

function interfaceStatics(count: number): InterfaceStatic[] {
  // The last few ports are 10G uplinks, as on an access switch; the rest are 1G.
  const uplinks = count >= 8 ? Math.min(4, Math.floor(count / 8)) : 0;
  const list: InterfaceStatic[] = [];
  for (let k = 1; k <= count; k++) {
    if (k > count - uplinks) {
      const j = k - (count - uplinks);
      list.push({ descr: Buffer.from(`TenGigabitEthernet1/${j}`), name: Buffer.from(`Te1/${j}`), alias: Buffer.from(`uplink ${j}`), mtu: 9216, highSpeed: 10000 });
    } else {
      list.push({ descr: Buffer.from(`GigabitEthernet0/${k}`), name: Buffer.from(`Gi0/${k}`), alias: Buffer.from(`access port ${k}`), mtu: 1500, highSpeed: 1000 });
    }
  }
  return list;
}

const cache = new Map<number, Tree>();

/** The shared tree for devices with `interfaces` interfaces (built once per count). */
export function treeFor(interfaces: number): Tree {
  let tree = cache.get(interfaces);
  if (tree) return tree;
  const entries: TreeEntry[] = [];
  const objects = new Set<string>();
  const add = (arcs: number[], kind: number, ifIndex: number, counter64 = false) => {
    entries.push({ arcs, oid: arcs.join('.'), tlv: encodeOid(arcs), kind, ifIndex, counter64 });
  };
  const scalars: Array<[number[], number]> = [
    [[...SYSTEM, 1], Kind.sysDescr],
    [[...SYSTEM, 2], Kind.sysObjectID],
    [[...SYSTEM, 3], Kind.sysUpTime],
    [[...SYSTEM, 4], Kind.sysContact],
    [[...SYSTEM, 5], Kind.sysName],
    [[...SYSTEM, 6], Kind.sysLocation],
    [[...SYSTEM, 7], Kind.sysServices],
    [IF_NUMBER, Kind.ifNumber],
  ];
  for (const [object, kind] of scalars) {
    objects.add(object.join('.'));
    add([...object, 0], kind, 0);
  }
  for (let c = 1; c <= IF_TABLE_COLUMNS; c++) {
    objects.add([...IF_ENTRY, c].join('.'));
    for (let k = 1; k <= interfaces; k++) add([...IF_ENTRY, c, k], Kind.IF_TABLE + c, k);
  }
  for (let c = 1; c <= IF_X_TABLE_COLUMNS; c++) {
    objects.add([...IF_X_ENTRY, c].join('.'));
    for (let k = 1; k <= interfaces; k++) add([...IF_X_ENTRY, c, k], Kind.IF_X_TABLE + c, k, COUNTER64_X_COLUMNS.has(c));
  }
  entries.sort((a, b) => compareArcs(a.arcs, b.arcs));
  tree = { interfaces, entries, objects, ifStatic: interfaceStatics(interfaces) };
  cache.set(interfaces, tree);
  return tree;
}
