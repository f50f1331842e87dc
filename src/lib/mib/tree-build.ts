/**
 * Turns loaded modules into the OID tree: places every object under its parent
 * (across modules, as net-snmp does), resolves its type, decides what it is (table,
 * row, column...) and freezes its describe() answer once, so the per-varbind lookup
 * has nothing left to compute.
 */
import type { MibNodeKind, MibObjectInfo } from './types';
import type { OidComponent, ParsedObject } from './smi-parser';
import { ROOTS, searchHit, TrieNode, type LoadedModule, type MibNode, type MibTree } from './tree';
import { resolveType } from './type-resolve';
import type { ProblemCollector } from './warnings';

export function buildTree(modules: Map<string, LoadedModule>, issues: ProblemCollector): MibTree {
  const memo = new Map<string, number[] | null>();
  const resolving = new Set<string>();
  // Global fallback: net-snmp resolves parents by label across all modules, so
  // modules that forget an import (RFC-1215's "snmp") still link.
  const globalObjects = new Map<string, LoadedModule>();
  const sortedModules = [...modules.values()].sort((a, b) => a.order - b.order);
  for (const lm of sortedModules) {
    for (const name of lm.objectsByName.keys()) if (!globalObjects.has(name)) globalObjects.set(name, lm);
  }

  const findObject = (lm: LoadedModule, name: string): [LoadedModule, ParsedObject] | undefined => {
    const local = lm.objectsByName.get(name);
    if (local) return [lm, local];
    const from = lm.parsed.imports.get(name);
    if (from) {
      const src = modules.get(from);
      const o = src?.objectsByName.get(name);
      if (src && o) return [src, o];
    }
    const g = globalObjects.get(name);
    if (g) return [g, g.objectsByName.get(name)!];
    return undefined;
  };

  const unresolvedParent = new Map<LoadedModule, Map<string, number>>();
  const arcsOf = (lm: LoadedModule, obj: ParsedObject): number[] | null => {
    const key = lm.parsed.name + '::' + obj.name;
    const m = memo.get(key);
    if (m !== undefined) return m;
    if (resolving.has(key)) return null;
    resolving.add(key);
    const arcs: number[] = [];
    let ok = true;
    obj.oid.forEach((c: OidComponent, i: number) => {
      if (!ok) return;
      if (i === 0 && c.name !== undefined && c.num === undefined) {
        if (ROOTS[c.name] !== undefined && !lm.objectsByName.has(c.name)) {
          arcs.push(ROOTS[c.name]);
          return;
        }
        const found = findObject(lm, c.name);
        const parent = found ? arcsOf(found[0], found[1]) : null;
        if (!parent) {
          ok = false;
          const miss = unresolvedParent.get(lm) ?? new Map<string, number>();
          if (!miss.has(c.name)) miss.set(c.name, obj.line);
          unresolvedParent.set(lm, miss);
          return;
        }
        arcs.push(...parent);
        return;
      }
      if (c.num !== undefined) arcs.push(c.num);
      else if (i === 0 && c.name !== undefined && ROOTS[c.name] !== undefined) arcs.push(ROOTS[c.name]);
      else ok = false;
    });
    resolving.delete(key);
    const result = ok && arcs.length > 0 ? arcs : null;
    memo.set(key, result);
    return result;
  };

  const root = new TrieNode();
  const byOid = new Map<string, MibNode>();
  const byQualified = new Map<string, MibNode>();
  const byName = new Map<string, MibNode[]>();
  const all: MibNode[] = [];

  for (const lm of sortedModules) {
    for (const obj of lm.parsed.objects) {
      if (lm.objectsByName.get(obj.name) !== obj) continue; // duplicate descriptor in one module
      const arcs = arcsOf(lm, obj);
      if (!arcs) continue;
      const node: MibNode = {
        oid: arcs.join('.'), arcs, module: lm.parsed.name, name: obj.name, kind: 'node',
        smiV2: lm.parsed.smiV2, order: lm.order, object: obj, info: undefined as unknown as MibObjectInfo,
      };
      if (obj.syntax) node.type = resolveType(modules, lm, obj.syntax, new Set());
      all.push(node);
      byQualified.set(node.module + '::' + node.name, node);
      const list = byName.get(node.name);
      if (list) list.push(node);
      else byName.set(node.name, [node]);
      const prev = byOid.get(node.oid);
      if (!prev || prefer(node, prev)) byOid.set(node.oid, node);
    }
  }
  for (const [lm, miss] of unresolvedParent) {
    const names = [...miss.keys()];
    const line = Math.min(...miss.values());
    issues.add(lm.file, line, `${lm.parsed.name}: cannot place objects under ${names.join(', ')} (not defined in any loaded module)`, [lm.parsed.name]);
  }

  for (const node of byOid.values()) {
    let t = root;
    for (const a of node.arcs) t = t.child(a);
    t.node = node;
  }
  // Kinds need the tree (a column is an OBJECT-TYPE under a row).
  for (const node of all) node.kind = kindOf(node, byOid);
  for (const node of all) node.info = makeInfo(node, byOid);
  // Names by preference so byName[0] is what an unqualified name means.
  for (const list of byName.values()) list.sort((a, b) => (prefer(a, b) ? -1 : prefer(b, a) ? 1 : 0));

  const searchList = all
    .map(searchHit)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.module < b.module ? -1 : 1));
  return { modules, root, byOid, byQualified, byName, searchList };
}

/**
 * Which of two definitions of one OID names it: an SMIv2 module over an SMIv1 one
 * (IF-MIB::ifDescr rather than RFC1213-MIB::ifDescr), then the one loaded last: a
 * later folder overrides an earlier one, and within a folder this matches
 * snmptranslate, which reads a folder's files in reverse order and keeps the first
 * (RFC1213-MIB over its draft RFC1158-MIB).
 */
function prefer(a: MibNode, b: MibNode): boolean {
  if (a.smiV2 !== b.smiV2) return a.smiV2;
  return a.order > b.order;
}

function kindOf(node: MibNode, byOid: Map<string, MibNode>): MibNodeKind {
  const o = node.object;
  if (o.kind === 'notification-type' || o.kind === 'trap-type') return 'notification';
  if (o.kind !== 'object-type') return 'node';
  if (node.type?.base === 'SEQUENCE OF') return 'table';
  if (o.index || o.augments || node.type?.base === 'SEQUENCE') return 'row';
  const parent = byOid.get(node.arcs.slice(0, -1).join('.'));
  if (parent && parent.object.kind === 'object-type' && (parent.object.index || parent.object.augments || parent.type?.base === 'SEQUENCE')) return 'column';
  return 'scalar';
}

function makeInfo(node: MibNode, byOid: Map<string, MibNode>): MibObjectInfo {
  const info: MibObjectInfo = { oid: node.oid, module: node.module, name: node.name, instance: '', kind: node.kind };
  const t = node.type;
  if (t) {
    info.syntax = t.syntax;
    info.base = t.base;
    const enums = freezeEnums(t.enums);
    if (enums) info.enums = enums;
    if (t.hint) info.hint = t.hint;
  }
  if (node.object.access) info.access = node.object.access;
  if (node.object.units) info.units = node.object.units;
  if (node.kind === 'column' && t?.syntax === 'InetAddress') {
    // RFC 4001 §3: the InetAddressType object "immediately precedes" its InetAddress
    // in the row; take the nearest earlier column of that syntax.
    const rowArcs = node.arcs.slice(0, -1);
    const col = node.arcs[node.arcs.length - 1];
    for (let c = col - 1; c >= 1; c--) {
      const sib = byOid.get(rowArcs.concat(c).join('.'));
      if (sib?.type?.syntax === 'InetAddressType') {
        info.addressTypeColumn = sib.oid;
        break;
      }
    }
  }
  return Object.freeze(info);
}

/** Frozen because describe() answers are shared between callers. */
function freezeEnums(list: Array<[number, string]> | undefined): Record<number, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<number, string> = {};
  for (const [n, label] of list) out[n] = label;
  return Object.freeze(out);
}
