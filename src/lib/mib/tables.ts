/**
 * Table structure from the MIB: the row of a column, the row's INDEX objects (found
 * through AUGMENTS and other modules' copies of the row, since many MIBs only get
 * them that way), the plan that cuts an instance suffix into index values, and the
 * readable columns a walk should ask for.
 */
import { compareOids, isUnder } from '../common/oid';
import { formatOctetsByInfo } from './format';
import { compileIndexPlan, type IndexPlan } from './index-decode';
import type { IndexPart } from './smi-parser';
import type { LoadedModule, MibNode, MibTree } from './tree';
import { resolveType } from './type-resolve';
import type { MibNodeKind, MibObjectInfo } from './types';

/** See MibService.indexObjects. */
export function indexObjects(tree: MibTree, columnOid: string): Array<{ name: string; implied: boolean; info?: MibObjectInfo }> | undefined {
  const row = rowOf(tree, columnOid.replace(/^\./, ''));
  if (!row) return undefined;
  const parts = indexPartsOf(tree, row, 0);
  if (!parts) return undefined;
  return parts.map((p) => ({ name: p.name, implied: p.implied, info: indexInfo(tree, row, p.name) }));
}

/** The decoding plan for a column (or row) OID without its leading dot; undefined when its INDEX is unknown. */
export function indexPlanFor(tree: MibTree, oid: string): IndexPlan | undefined {
  const row = rowOf(tree, oid);
  if (!row) return undefined;
  const parts = indexPartsOf(tree, row, 0);
  if (!parts || parts.length === 0) return undefined;
  return compileIndexPlan(parts.map((p) => {
    const info = indexInfo(tree, row, p.name);
    if (info) return { name: p.name, implied: p.implied, info };
    // SMIv1 INDEX by type name (INTEGER, NetworkAddress, OCTET STRING...)
    const lm = tree.modules.get(row.module)!;
    const t = resolveType(tree.modules, lm, { name: p.name }, new Set());
    return {
      name: p.name, implied: p.implied,
      info: { oid: '', module: row.module, name: p.name, instance: '', kind: 'node' as MibNodeKind, syntax: t.syntax, base: t.base, hint: t.hint },
      sizes: t.sizes,
    };
  }), (name) => sizesOf(tree, row, name), (info, raw, type) => formatOctetsByInfo(info, raw, type));
}

/**
 * See MibService.tableColumns. Write-only and notification-only columns are left out:
 * asking for them only earns noSuchObject for every row.
 */
export function readableColumns(tree: MibTree, oid: string): string[] {
  const node = tree.byOid.get(oid.replace(/^\./, ''));
  if (!node || (node.kind !== 'table' && node.kind !== 'row')) return [oid];
  const found = [...tree.byQualified.values()]
    .filter((n) => n.kind === 'column' && isUnder(n.oid, oid) && n.info.access !== 'not-accessible' && n.info.access !== 'accessible-for-notify')
    .map((n) => n.oid)
    .sort(compareOids);
  // Several modules may define one column (RFC1213-MIB and IF-MIB): list it once.
  return found.length > 0 ? [...new Set(found)] : [oid];
}

function rowOf(tree: MibTree, oid: string): MibNode | undefined {
  const node = tree.byOid.get(oid);
  if (!node) return undefined;
  if (node.kind === 'row') return node;
  if (node.kind === 'column') return tree.byOid.get(node.arcs.slice(0, -1).join('.'));
  return undefined;
}

function indexPartsOf(tree: MibTree, row: MibNode, depth: number): IndexPart[] | undefined {
  if (row.object.index) return row.object.index;
  // Another module's definition of the same row may carry the INDEX (RFC1158-MIB
  // lacks the ones RFC1213-MIB has).
  const other = tree.byName.get(row.name)?.find((n) => n.oid === row.oid && n.object.index);
  if (other) return other.object.index;
  if (row.object.augments && depth < 8) {
    const lm = tree.modules.get(row.module);
    const target = lm ? findNodeInScope(tree, lm, row.object.augments) : undefined;
    if (target) return indexPartsOf(tree, target, depth + 1);
  }
  return undefined;
}

/** A name as module `lm` means it: its own, then imported, then whatever defines it. */
function findNodeInScope(tree: MibTree, lm: LoadedModule, name: string): MibNode | undefined {
  const own = tree.byQualified.get(lm.parsed.name + '::' + name);
  if (own) return own;
  const from = lm.parsed.imports.get(name);
  if (from) {
    const n = tree.byQualified.get(from + '::' + name);
    if (n) return n;
  }
  return tree.byName.get(name)?.[0];
}

function indexInfo(tree: MibTree, row: MibNode, name: string): MibObjectInfo | undefined {
  const lm = tree.modules.get(row.module);
  const n = lm ? findNodeInScope(tree, lm, name) : tree.byName.get(name)?.[0];
  return n?.info;
}

function sizesOf(tree: MibTree, row: MibNode, name: string): Array<[number, number]> | undefined {
  const lm = tree.modules.get(row.module);
  const n = lm ? findNodeInScope(tree, lm, name) : undefined;
  return n?.type?.sizes;
}
