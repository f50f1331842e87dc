/**
 * The shapes one MIB load produces and every lookup reads: the loaded modules, the
 * OID trie and the name maps. A load builds a whole new MibTree and swaps it in, so a
 * lookup never sees half of one load and half of the next.
 */
import type { ParsedModule, ParsedObject } from './smi-parser';
import type { MibNodeKind, MibObjectInfo, MibSearchHit } from './types';

/** Top-level arcs known without any module (X.660). */
export const ROOTS: Record<string, number> = { ccitt: 0, 'itu-t': 0, iso: 1, 'joint-iso-ccitt': 2, 'joint-iso-itu-t': 2 };

/** A resolved type: base SMI type plus what the conventions on the way added. */
export interface ResolvedType {
  /** TC or type name as written, or the primitive. */
  syntax: string;
  base: string;
  enums?: Array<[number, string]>;
  hint?: string;
  sizes?: Array<[number, number]>;
}

/** A module as loaded: parsed content plus where it came from. */
export interface LoadedModule {
  parsed: ParsedModule;
  file: string;
  /** Load order (folder order, then file name); see prefer() in tree-build.ts. */
  order: number;
  objectsByName: Map<string, ParsedObject>;
}

/** One node of the OID tree with its resolved facts. */
export interface MibNode {
  oid: string;
  arcs: number[];
  module: string;
  name: string;
  kind: MibNodeKind;
  smiV2: boolean;
  order: number;
  object: ParsedObject;
  type?: ResolvedType;
  /** Frozen describe() answer for the exact OID (instance ""). */
  info: MibObjectInfo;
}

export class TrieNode {
  children: Map<number, TrieNode> | undefined;
  node: MibNode | undefined;

  child(arc: number): TrieNode {
    if (!this.children) this.children = new Map();
    let c = this.children.get(arc);
    if (!c) {
      c = new TrieNode();
      this.children.set(arc, c);
    }
    return c;
  }
}

export interface MibTree {
  modules: Map<string, LoadedModule>;
  /** Arc trie holding the preferred node of each OID: describe() walks it. */
  root: TrieNode;
  /** The preferred definition of each OID. */
  byOid: Map<string, MibNode>;
  /** Every placed definition, by `MODULE::name`. */
  byQualified: Map<string, MibNode>;
  /** Definitions by descriptor, preferred first, so [0] is what an unqualified name means. */
  byName: Map<string, MibNode[]>;
  /** Every definition, by name then module: what search() filters. */
  searchList: MibSearchHit[];
}

/** The tree before the first load: lookups find nothing rather than crash. */
export function emptyTree(): MibTree {
  return { modules: new Map(), root: new TrieNode(), byOid: new Map(), byQualified: new Map(), byName: new Map(), searchList: [] };
}

export function searchHit(n: MibNode): MibSearchHit {
  return { qualified: n.module + '::' + n.name, module: n.module, name: n.name, oid: n.oid, kind: n.kind, syntax: n.type?.syntax };
}

/** The trie node at `arcs`, or undefined when no loaded object lies on that path. */
export function trieAt(root: TrieNode, arcs: number[]): TrieNode | undefined {
  let t: TrieNode | undefined = root;
  for (const a of arcs) {
    t = t?.children?.get(a);
    if (!t) return undefined;
  }
  return t;
}
