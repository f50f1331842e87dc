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
import { shownList, shownName, type ProblemCollector } from './warnings';

/** RFC 2578 §3.5: "at most 128 sub-identifiers in a value". */
export const MAX_OID_ARCS = 128;

/** The arcs of a definition whose OID would be longer than MAX_OID_ARCS (compared by identity). */
const TOO_DEEP: number[] = [];

export function buildTree(modules: Map<string, LoadedModule>, issues: ProblemCollector): MibTree {
  const memo = new Map<string, number[] | null>();
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
  const tooDeep = new Map<LoadedModule, { count: number; first: ParsedObject }>();
  const keyOf = (lm: LoadedModule, obj: ParsedObject): string => lm.parsed.name + '::' + obj.name;
  /** The name of the object an OID value starts under, or undefined when it starts at a root or a number. */
  const parentName = (lm: LoadedModule, obj: ParsedObject): string | undefined => {
    const c = obj.oid[0];
    if (c === undefined || c.name === undefined || c.num !== undefined) return undefined;
    if (ROOTS[c.name] !== undefined && !lm.objectsByName.has(c.name)) return undefined;
    return c.name;
  };
  /**
   * The arcs of one definition once its parent's are known (`parent` undefined when it
   * names none): null when a part cannot be read, TOO_DEEP past MAX_OID_ARCS.
   */
  const ownArcs = (lm: LoadedModule, obj: ParsedObject, parent: number[] | undefined): number[] | null => {
    const from = parent ? 1 : 0;
    if ((parent ? parent.length : 0) + obj.oid.length - from > MAX_OID_ARCS) return TOO_DEEP;
    const arcs = parent ? parent.slice() : [];
    for (let i = from; i < obj.oid.length; i++) {
      const c: OidComponent = obj.oid[i];
      if (c.num !== undefined) arcs.push(c.num);
      else if (i === 0 && c.name !== undefined && ROOTS[c.name] !== undefined) arcs.push(ROOTS[c.name]);
      else return null;
    }
    return arcs.length > 0 ? arcs : null;
  };
  /**
   * The arcs of a definition, resolving its parent chain without recursion: a vendor
   * file can chain thousands of definitions ({ d1 1 }, { d2 1 }...) or make a cycle
   * (a ::= { b 1 }, b ::= { a 1 }). Climbs to the first ancestor already known (or a
   * root, a missing name, a cycle), then places the chain from the top down. A result
   * is TOO_DEEP (RFC 2578 §3.5: at most 128 sub-identifiers) or null (not placeable);
   * both are remembered, so each definition is resolved once and memory stays linear.
   */
  const arcsOf = (lm: LoadedModule, obj: ParsedObject): number[] | null => {
    const known = memo.get(keyOf(lm, obj));
    if (known !== undefined) return known === TOO_DEEP ? null : known;
    const chain: Array<{ lm: LoadedModule; obj: ParsedObject; key: string; parent: string | undefined }> = [];
    const onChain = new Set<string>();
    let top: number[] | null = null;
    let curLm = lm;
    let curObj = obj;
    for (;;) {
      const key = keyOf(curLm, curObj);
      const parent = parentName(curLm, curObj);
      chain.push({ lm: curLm, obj: curObj, key, parent });
      onChain.add(key);
      if (parent === undefined) break;
      const found = findObject(curLm, parent);
      if (!found) break; // top stays null: the parent is defined nowhere
      const parentKey = keyOf(found[0], found[1]);
      const m = memo.get(parentKey);
      if (m !== undefined) {
        top = m;
        break;
      }
      if (onChain.has(parentKey)) break; // a cycle: none of it can be placed
      curLm = found[0];
      curObj = found[1];
    }
    let above = top;
    for (let i = chain.length - 1; i >= 0; i--) {
      const e = chain[i];
      let result: number[] | null;
      if (e.parent === undefined) {
        result = ownArcs(e.lm, e.obj, undefined);
      } else if (above === null) {
        const miss = unresolvedParent.get(e.lm) ?? new Map<string, number>();
        if (!miss.has(e.parent)) miss.set(e.parent, e.obj.line);
        unresolvedParent.set(e.lm, miss);
        result = null;
      } else if (above === TOO_DEEP) {
        result = TOO_DEEP;
      } else {
        result = ownArcs(e.lm, e.obj, above);
      }
      if (result === TOO_DEEP) {
        const deep = tooDeep.get(e.lm);
        if (!deep) tooDeep.set(e.lm, { count: 1, first: e.obj });
        else {
          deep.count++;
          if (e.obj.line < deep.first.line) deep.first = e.obj;
        }
      }
      memo.set(e.key, result);
      above = result;
    }
    return above === TOO_DEEP ? null : above;
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
    // a broken chain of thousands of definitions names each link: say the first few
    let line = Infinity;
    for (const l of miss.values()) if (l < line) line = l;
    issues.add(lm.file, line, `${shownName(lm.parsed.name)}: cannot place objects under ${shownList([...miss.keys()])} (not defined in any loaded module)`, [lm.parsed.name]);
  }
  for (const [lm, deep] of tooDeep) {
    const what = deep.count === 1 ? `definition ${shownName(deep.first.name)} is` : `${deep.count} definitions are`;
    const first = deep.count === 1 ? '' : `, the first ${shownName(deep.first.name)}`;
    issues.add(lm.file, deep.first.line, `${shownName(lm.parsed.name)}: ${what} refused because the OID would have more than ${MAX_OID_ARCS} sub-identifiers (RFC 2578 §3.5)${first}`, [lm.parsed.name]);
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
