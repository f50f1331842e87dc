/**
 * The MIB service: loads MIB files from a search path, resolves every module on its
 * own (a broken or incomplete module never takes the others down), and answers
 * name ⇄ OID questions fast enough for the per-varbind hot path.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { MibLookup, OidInfo } from '../common/types';
import type { IndexPart, OidComponent, ParsedModule, ParsedObject, TypeSpec } from './smi-parser';
import { BUILTIN_TCS } from './builtin-tcs';
import { bundledMibDir, listMibFiles, parseMibDirsEnv, ParseCache, SYSTEM_MIB_DIRS } from './sources';
import type { MibModuleSummary, MibNodeKind, MibObjectInfo, MibProblem, MibSearchHit } from './types';
import { formatOctetsByInfo, formatIntegerByHint } from './format';
import { compileIndexPlan, decodeIndexWithPlan, type IndexPlan } from './index-decode';

/** SMI application types: the end of a type chain (their ASN.1 definition is a tag). */
const APPLICATION_TYPES = new Set([
  'Integer32', 'Unsigned32', 'Counter32', 'Counter64', 'Gauge32', 'TimeTicks', 'IpAddress',
  'Opaque', 'Counter', 'Gauge', 'NetworkAddress',
]);

const PRIMITIVES = new Set([
  'INTEGER', 'OCTET STRING', 'OBJECT IDENTIFIER', 'BITS', 'BIT STRING', 'SEQUENCE',
  'SEQUENCE OF', 'CHOICE', 'NULL',
]);

/** Top-level arcs known without any module (X.660). */
const ROOTS: Record<string, number> = { ccitt: 0, 'itu-t': 0, iso: 1, 'joint-iso-ccitt': 2, 'joint-iso-itu-t': 2 };

/** Bound on the describe() result cache; cleared wholesale when full (cheap, rare). */
const DESCRIBE_CACHE_MAX = 200_000;
const RESOLVE_CACHE_MAX = 20_000;
const FOLDER_MISSING = 'not found or not a folder';

/** A resolved type: base SMI type plus what the conventions on the way added. */
interface ResolvedType {
  /** TC or type name as written, or the primitive. */
  syntax: string;
  base: string;
  enums?: Array<[number, string]>;
  hint?: string;
  sizes?: Array<[number, number]>;
}

/** A module as loaded: parsed content plus where it came from. */
interface LoadedModule {
  parsed: ParsedModule;
  file: string;
  /** Load order (folder order, then file name); see prefer(). */
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

class TrieNode {
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

export interface MibServiceOptions {
  /**
   * Include the default search path: net-snmp's bundled MIBs, /usr/share/snmp/mibs
   * (and its iana/ietf subfolders) when present, and MIBDIRS. Default true.
   */
  defaults?: boolean;
  /** MIBDIRS value to use instead of process.env.MIBDIRS. */
  mibDirsEnv?: string;
  /** Extra folders, loaded after the defaults. */
  dirs?: string[];
  /** Keep DESCRIPTION texts for description() (tools); default false, as they cost memory. */
  descriptions?: boolean;
}

type WarningListener = (message: string, problem: MibProblem) => void;

function freezeEnums(list: Array<[number, string]> | undefined): Record<number, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<number, string> = {};
  for (const [n, label] of list) out[n] = label;
  return Object.freeze(out);
}

function isNumericOid(s: string): boolean {
  return /^\.?\d+(\.\d+)*$/.test(s);
}

/**
 * The per-process MIB registry. Construct it directly for tools and tests; nodes share
 * the instance of `getMibService()`.
 */
export class MibService implements MibLookup {
  private readonly dirs: string[] = [];
  private readonly dirSet = new Set<string>();
  private readonly optionalDirs = new Set<string>();
  private readonly parseCache: ParseCache;
  private loadedDirs = -1;
  private defaultsAdded = false;
  private readonly useDefaults: boolean;
  private readonly mibDirsEnv: string | undefined;

  private modules = new Map<string, LoadedModule>();
  private root = new TrieNode();
  private byOid = new Map<string, MibNode>();
  private byQualified = new Map<string, MibNode>();
  private byName = new Map<string, MibNode[]>();
  private searchList: MibSearchHit[] = [];
  private problemList: MibProblem[] = [];
  private readonly emitted = new Set<string>();
  private readonly warningHistory: string[] = [];
  private readonly listeners = new Set<WarningListener>();
  private describeCache = new Map<string, MibObjectInfo | null>();
  private resolveCache = new Map<string, string>();
  private indexPlans = new Map<string, IndexPlan | null>();
  private loadMs = 0;

  constructor(options: MibServiceOptions = {}) {
    this.useDefaults = options.defaults !== false;
    this.parseCache = new ParseCache({ descriptions: options.descriptions === true });
    this.mibDirsEnv = options.mibDirsEnv;
    if (options.dirs) this.addMibDirs(options.dirs);
  }

  // ---------------------------------------------------------------- sources

  /**
   * Adds folders to the search path (snmp-config folders, <userDir>/mibs...). Folders
   * already present are ignored; new ones are loaded on the next lookup, and modules in
   * later folders replace same-named modules of earlier ones. A folder that does not
   * exist gives one warning, unless `optional` (<userDir>/mibs, MIBDIRS entries).
   */
  addMibDirs(dirs: string[], options: { optional?: boolean } = {}): void {
    for (const d of dirs) {
      if (typeof d !== 'string' || d.trim() === '') continue;
      const abs = path.resolve(d.trim());
      if (this.dirSet.has(abs)) continue;
      this.dirSet.add(abs);
      this.dirs.push(abs);
      if (options.optional) this.optionalDirs.add(abs);
    }
  }

  /** The folders searched, in load order (defaults first once loaded). */
  mibDirs(): string[] {
    this.addDefaults();
    return this.dirs.slice();
  }

  private addDefaults(): void {
    if (this.defaultsAdded || !this.useDefaults) return;
    this.defaultsAdded = true;
    const defaults: string[] = [];
    const bundled = bundledMibDir();
    if (bundled) defaults.push(bundled);
    for (const d of SYSTEM_MIB_DIRS) if (fs.existsSync(d)) defaults.push(d);
    // net-snmp's tools ignore MIBDIRS entries that do not exist; so do we.
    const fromEnv = parseMibDirsEnv(this.mibDirsEnv ?? process.env.MIBDIRS);
    // Defaults load before folders added earlier by config nodes.
    const extra = this.dirs.splice(0, this.dirs.length);
    this.dirSet.clear();
    this.addMibDirs(defaults, { optional: true });
    this.addMibDirs(fromEnv, { optional: true });
    this.addMibDirs(extra);
  }

  /** Loads (or reloads after addMibDirs) now instead of on the first lookup. */
  load(): void {
    this.addDefaults();
    if (this.loadedDirs === this.dirs.length) return;
    const started = Date.now();
    try {
      this.build();
    } catch (err) {
      // A bug here must not break every later lookup of the poller: keep what was
      // loaded before, say so once, and do not retry until the folders change.
      const message = `MIB loading failed: ${(err as Error).message}`;
      this.emit({ file: '', modules: [], missingModules: [], issues: [{ message }], message });
    }
    this.loadedDirs = this.dirs.length;
    this.loadMs = Date.now() - started;
  }

  private ensureLoaded(): void {
    if (this.loadedDirs !== this.dirs.length || !this.defaultsAdded && this.useDefaults) this.load();
  }

  /** Whether the MIBs have been read (a lookup or load() happened). */
  isLoaded(): boolean {
    return this.loadedDirs >= 0;
  }

  /** Milliseconds the last (re)load took. */
  lastLoadMs(): number {
    return this.loadMs;
  }

  // --------------------------------------------------------------- warnings

  /**
   * Every distinct warning since the service was created, oldest first, one line per
   * problem file. Append-only: a reload after addMibDirs only adds lines, so a caller
   * may remember how many it has already shown. (problems() is the current state.)
   */
  warnings(): string[] {
    this.ensureLoaded();
    return this.warningHistory.slice();
  }

  /** The problem files of the current load, with every issue. */
  problems(): MibProblem[] {
    this.ensureLoaded();
    return this.problemList.slice();
  }

  /**
   * Calls `listener(message, problem)` for each problem file: at once for those of the
   * current load, then for each new one as later loads find it, never twice for the
   * same text. Does not itself trigger loading. Returns the unsubscribe function.
   */
  onWarning(listener: WarningListener): () => void {
    this.listeners.add(listener);
    for (const p of this.problemList) {
      try {
        listener(p.message, p);
      } catch {
        // as in emit(): a listener's failure is its own
      }
    }
    return () => { this.listeners.delete(listener); };
  }

  private emit(p: MibProblem): void {
    const key = p.message;
    if (this.emitted.has(key)) return;
    this.emitted.add(key);
    this.warningHistory.push(key);
    for (const l of this.listeners) {
      try {
        l(p.message, p);
      } catch {
        // a listener's failure must not stop loading
      }
    }
  }

  // ------------------------------------------------------------------ build

  private build(): void {
    const modules = new Map<string, LoadedModule>();
    const fileIssues = new Map<string, MibProblem>();
    const issue = (file: string, line: number | undefined, message: string, mods: string[] = [], missing: string[] = []) => {
      let p = fileIssues.get(file);
      if (!p) {
        p = { file, modules: [], missingModules: [], issues: [], message: '' };
        fileIssues.set(file, p);
      }
      p.issues.push({ line: line || undefined, message });
      for (const m of mods) if (!p.modules.includes(m)) p.modules.push(m);
      for (const m of missing) if (!p.missingModules.includes(m)) p.missingModules.push(m);
    };

    let order = 0;
    for (const dir of this.dirs) {
      if (!this.optionalDirs.has(dir)) {
        let isDir = false;
        try {
          isDir = fs.statSync(dir).isDirectory();
        } catch {
          // missing: reported below
        }
        if (!isDir) {
          issue(dir, undefined, FOLDER_MISSING);
          continue;
        }
      }
      const inThisDir = new Map<string, string>();
      for (const file of listMibFiles(dir)) {
        const parsed = this.parseCache.parse(file);
        if (parsed.fatal) {
          issue(file, parsed.fatal.line, parsed.fatal.message);
          continue;
        }
        if (parsed.modules.length === 0) {
          issue(file, 1, 'no MIB module in file');
          continue;
        }
        for (const mod of parsed.modules) {
          const first = inThisDir.get(mod.name);
          if (first) {
            issue(file, mod.line, `duplicate module ${mod.name}, already defined in ${path.basename(first)}; this copy is ignored`, [mod.name]);
            continue;
          }
          inThisDir.set(mod.name, file);
          for (const pr of mod.problems) issue(file, pr.line, pr.message, [mod.name]);
          const objectsByName = new Map<string, ParsedObject>();
          for (const o of mod.objects) if (!objectsByName.has(o.name)) objectsByName.set(o.name, o);
          // A later folder overrides an earlier one (a user's newer copy of a module).
          modules.set(mod.name, { parsed: mod, file, order: order++, objectsByName });
        }
      }
    }

    // Imports of modules that are not loaded, and symbols a loaded module lacks.
    for (const lm of modules.values()) {
      const missingBy = new Map<string, string[]>();
      const undefinedSyms: string[] = [];
      for (const [sym, from] of lm.parsed.imports) {
        const src = modules.get(from);
        if (!src) {
          const list = missingBy.get(from) ?? [];
          list.push(sym);
          missingBy.set(from, list);
        } else if (!src.objectsByName.has(sym) && !src.parsed.types.has(sym) && !src.parsed.macros.has(sym) && !APPLICATION_TYPES.has(sym)) {
          undefinedSyms.push(`${sym} from ${from}`);
        }
      }
      for (const [from, syms] of missingBy) {
        issue(lm.file, lm.parsed.importLines.get(from), `${lm.parsed.name} imports ${syms.join(', ')} from ${from}, which is not loaded`, [lm.parsed.name], [from]);
      }
      if (undefinedSyms.length) {
        issue(lm.file, lm.parsed.line, `${lm.parsed.name} imports symbols their modules do not define: ${undefinedSyms.join(', ')}`, [lm.parsed.name]);
      }
    }

    this.modules = modules;
    this.resolveAll(issue);

    const problems: MibProblem[] = [];
    for (const p of fileIssues.values()) {
      const first = p.issues.find((i) => i.line !== undefined) ?? p.issues[0];
      p.line = first?.line;
      const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
      const missing = p.missingModules.length ? ` (missing module${p.missingModules.length > 1 ? 's' : ''} ${p.missingModules.join(', ')})` : '';
      const more = p.issues.length > 1 ? ` (+${p.issues.length - 1} more)` : '';
      // A missing import's message already names the module; keep the line short.
      const named = first.message.includes('which is not loaded') && p.missingModules.length === 1;
      p.message = first.message === FOLDER_MISSING
        ? `MIB folder ${p.file}: ${FOLDER_MISSING}`
        : `MIB file ${where}: ${first.message}${more}${named ? '' : missing}`;
      problems.push(p);
    }
    this.problemList = problems;
    for (const p of problems) this.emit(p);
  }

  /** Resolves every OID and type, builds the tree and the name maps. */
  private resolveAll(issue: (file: string, line: number | undefined, message: string, mods?: string[]) => void): void {
    const memo = new Map<string, number[] | null>();
    const resolving = new Set<string>();
    // Global fallback: net-snmp resolves parents by label across all modules, so
    // modules that forget an import (RFC-1215's "snmp") still link.
    const globalObjects = new Map<string, LoadedModule>();
    const sortedModules = [...this.modules.values()].sort((a, b) => a.order - b.order);
    for (const lm of sortedModules) {
      for (const name of lm.objectsByName.keys()) if (!globalObjects.has(name)) globalObjects.set(name, lm);
    }

    const findObject = (lm: LoadedModule, name: string): [LoadedModule, ParsedObject] | undefined => {
      const local = lm.objectsByName.get(name);
      if (local) return [lm, local];
      const from = lm.parsed.imports.get(name);
      if (from) {
        const src = this.modules.get(from);
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
        if (obj.syntax) node.type = this.resolveType(lm, obj.syntax, new Set());
        all.push(node);
        byQualified.set(node.module + '::' + node.name, node);
        const list = byName.get(node.name);
        if (list) list.push(node);
        else byName.set(node.name, [node]);
        const prev = byOid.get(node.oid);
        if (!prev || this.prefer(node, prev)) byOid.set(node.oid, node);
      }
    }
    for (const [lm, miss] of unresolvedParent) {
      const names = [...miss.keys()];
      const line = Math.min(...miss.values());
      issue(lm.file, line, `${lm.parsed.name}: cannot place objects under ${names.join(', ')} (not defined in any loaded module)`, [lm.parsed.name]);
    }

    for (const node of byOid.values()) {
      let t = root;
      for (const a of node.arcs) t = t.child(a);
      t.node = node;
    }
    // Kinds need the tree (a column is an OBJECT-TYPE under a row).
    for (const node of all) node.kind = this.kindOf(node, byOid);
    for (const node of all) node.info = this.makeInfo(node, byOid);
    // Names by preference so byName[0] is what an unqualified name means.
    for (const list of byName.values()) list.sort((a, b) => (this.prefer(a, b) ? -1 : this.prefer(b, a) ? 1 : 0));

    this.root = root;
    this.byOid = byOid;
    this.byQualified = byQualified;
    this.byName = byName;
    this.searchList = all
      .map((n) => ({ qualified: n.module + '::' + n.name, module: n.module, name: n.name, oid: n.oid, kind: n.kind, syntax: n.type?.syntax }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.module < b.module ? -1 : 1));
    this.describeCache = new Map();
    this.resolveCache = new Map();
    this.indexPlans = new Map();
  }

  /**
   * Which of two definitions of one OID names it: an SMIv2 module over an SMIv1 one
   * (IF-MIB::ifDescr rather than RFC1213-MIB::ifDescr), then the one loaded last: a
   * later folder overrides an earlier one, and within a folder this matches
   * snmptranslate, which reads a folder's files in reverse order and keeps the first
   * (RFC1213-MIB over its draft RFC1158-MIB).
   */
  private prefer(a: MibNode, b: MibNode): boolean {
    if (a.smiV2 !== b.smiV2) return a.smiV2;
    return a.order > b.order;
  }

  private kindOf(node: MibNode, byOid: Map<string, MibNode>): MibNodeKind {
    const o = node.object;
    if (o.kind === 'notification-type' || o.kind === 'trap-type') return 'notification';
    if (o.kind !== 'object-type') return 'node';
    if (node.type?.base === 'SEQUENCE OF') return 'table';
    if (o.index || o.augments || node.type?.base === 'SEQUENCE') return 'row';
    const parent = byOid.get(node.arcs.slice(0, -1).join('.'));
    if (parent && parent.object.kind === 'object-type' && (parent.object.index || parent.object.augments || parent.type?.base === 'SEQUENCE')) return 'column';
    return 'scalar';
  }

  private makeInfo(node: MibNode, byOid: Map<string, MibNode>): MibObjectInfo {
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

  /** Follows a SYNTAX through textual conventions to its base type. */
  private resolveType(lm: LoadedModule, spec: TypeSpec, seen: Set<string>): ResolvedType {
    const out: ResolvedType = { syntax: spec.name, base: spec.name };
    if (spec.enums) out.enums = spec.enums;
    if (spec.sizes) out.sizes = spec.sizes;
    if (PRIMITIVES.has(spec.name) || APPLICATION_TYPES.has(spec.name)) {
      if (spec.name === 'BIT STRING') out.base = 'BITS';
      return out;
    }
    const key = lm.parsed.name + '::' + spec.name;
    if (seen.has(key) || seen.size > 16) return out;
    seen.add(key);
    const found = this.findType(lm, spec.name);
    if (!found) return out;
    const [srcMod, def] = found;
    const inner = srcMod ? this.resolveType(srcMod, def.syntax, seen) : this.resolveBuiltin(def.syntax);
    out.base = inner.base;
    if (!out.enums && inner.enums) out.enums = inner.enums;
    if (!out.sizes && inner.sizes) out.sizes = inner.sizes;
    out.hint = def.hint ?? inner.hint;
    return out;
  }

  private resolveBuiltin(spec: TypeSpec): ResolvedType {
    return { syntax: spec.name, base: spec.name, enums: spec.enums, sizes: spec.sizes };
  }

  /** A type definition by name in a module's scope: local, imported, any module, builtin. */
  private findType(lm: LoadedModule, name: string): [LoadedModule | undefined, { syntax: TypeSpec; hint?: string }] | undefined {
    const local = lm.parsed.types.get(name);
    if (local) return [lm, local];
    const from = lm.parsed.imports.get(name);
    if (from) {
      const src = this.modules.get(from);
      const t = src?.parsed.types.get(name);
      if (src && t) return [src, t];
    }
    const builtin = BUILTIN_TCS[name];
    if (builtin) return [undefined, builtin];
    for (const other of this.modules.values()) {
      const t = other.parsed.types.get(name);
      if (t) return [other, t];
    }
    return undefined;
  }

  // ---------------------------------------------------------------- lookups

  /**
   * Longest-prefix description of a numeric OID (leading dot allowed), as
   * snmptranslate names it: the deepest loaded object and the instance suffix after
   * it. undefined for malformed OIDs and OIDs under no loaded object. The result is
   * frozen and cached: repeated OIDs cost one Map lookup.
   */
  describe(oid: string): MibObjectInfo | undefined {
    if (this.loadedDirs !== this.dirs.length || !this.defaultsAdded && this.useDefaults) this.load();
    const hit = this.describeCache.get(oid);
    if (hit !== undefined) return hit ?? undefined;
    const info = this.describeUncached(oid);
    if (this.describeCache.size >= DESCRIBE_CACHE_MAX) this.describeCache.clear();
    this.describeCache.set(oid, info ?? null);
    return info;
  }

  private describeUncached(oid: string): MibObjectInfo | undefined {
    if (typeof oid !== 'string') return undefined;
    const n = oid.length;
    let i = oid.charCodeAt(0) === 46 ? 1 : 0;
    let t: TrieNode | undefined = this.root;
    let best: MibNode | undefined;
    let bestEnd = -1;
    // Walk arcs without allocating substrings.
    while (i < n) {
      let arc = 0;
      const start = i;
      while (i < n) {
        const c = oid.charCodeAt(i);
        if (c === 46) break;
        if (c < 48 || c > 57) return undefined;
        arc = arc * 10 + (c - 48);
        i++;
      }
      if (i === start || arc > 4294967295) return undefined;
      if (t) {
        t = t.children?.get(arc);
        if (t?.node) {
          best = t.node;
          bestEnd = i;
        }
      }
      if (i < n) {
        i++; // the dot
        if (i === n) return undefined; // trailing dot
      }
    }
    if (!best) return undefined;
    if (bestEnd === n) return best.info;
    return Object.freeze({ ...best.info, instance: oid.slice(bestEnd + 1) });
  }

  /** `MODULE::name.instance`, or the OID itself (no leading dot) when undescribed. */
  qualifiedName(oid: string): string {
    const info = this.describe(oid);
    if (!info) return oid.charCodeAt(0) === 46 ? oid.slice(1) : oid;
    return info.instance ? `${info.module}::${info.name}.${info.instance}` : `${info.module}::${info.name}`;
  }

  /** `name.instance` (the payload key form), or the numeric OID when undescribed. */
  shortName(oid: string): string {
    const info = this.describe(oid);
    if (!info) return oid.charCodeAt(0) === 46 ? oid.slice(1) : oid;
    return info.instance ? `${info.name}.${info.instance}` : info.name;
  }

  /**
   * Numeric OID (no leading dot) for any form a user types: `sysDescr.0`,
   * `SNMPv2-MIB::sysDescr.0`, `ifDescr`, `IF-MIB::ifXTable`, `.1.3.6.1.2.1.1.1.0`,
   * label paths (`system.sysDescr.0`) and quoted string indexes (`x."eth0"` is
   * length-prefixed, `x.'eth0'` is IMPLIED). Throws an Error naming what is unknown.
   */
  resolve(name: string): string {
    if (typeof name !== 'string') throw new Error('OID name must be a string');
    this.ensureLoaded();
    const cached = this.resolveCache.get(name);
    if (cached !== undefined) return cached;
    const oid = this.resolveUncached(name);
    if (this.resolveCache.size >= RESOLVE_CACHE_MAX) this.resolveCache.clear();
    this.resolveCache.set(name, oid);
    return oid;
  }

  private resolveUncached(input: string): string {
    const text = input.trim();
    if (text === '') throw new Error('empty OID name');
    if (isNumericOid(text)) {
      const s = text.charCodeAt(0) === 46 ? text.slice(1) : text;
      for (const a of s.split('.')) if (a.length > 10 || Number(a) > 4294967295) throw new Error(`sub-identifier ${a} out of range in "${input}"`);
      return s.split('.').map((a) => String(Number(a))).join('.');
    }
    let module: string | undefined;
    let rest = text;
    const firstQuote = text.search(/["']/);
    const sep = text.indexOf('::');
    if (sep >= 0 && (firstQuote < 0 || sep < firstQuote)) {
      module = text.slice(0, sep);
      rest = text.slice(sep + 2);
      if (!this.modules.has(module)) throw new Error(`unknown MIB module "${module}" in "${input}"`);
    }
    if (rest.startsWith('.')) rest = rest.slice(1);
    if (rest === '') throw new Error(module !== undefined ? `"${input}" has no object name after "${module}::"` : `"${input}" is not an OID name`);
    const parts = splitName(rest, input);
    const head = parts[0];
    if (head.kind !== 'label') {
      if (module) throw new Error(`"${input}" has no object name after "${module}::"`);
      throw new Error(`"${input}" is not an OID name`);
    }
    let node: MibNode | undefined;
    if (module) {
      node = this.byQualified.get(module + '::' + head.text);
      if (!node) throw new Error(`"${head.text}" is not defined in module ${module}`);
    } else {
      node = this.byName.get(head.text)?.[0];
      if (!node) {
        if (ROOTS[head.text] !== undefined) {
          return [String(ROOTS[head.text]), ...this.suffixArcs(parts.slice(1), undefined, input)].join('.');
        }
        throw new Error(`unknown MIB object name "${head.text}" in "${input}"`);
      }
    }
    return [node.oid, ...this.suffixArcs(parts.slice(1), node, input)].join('.');
  }

  private suffixArcs(parts: NamePart[], start: MibNode | undefined, input: string): string[] {
    const out: string[] = [];
    let trie: TrieNode | undefined = start ? this.trieAt(start.arcs) : this.root;
    for (const p of parts) {
      if (p.kind === 'num') {
        out.push(p.text);
        trie = trie?.children?.get(Number(p.text));
      } else if (p.kind === 'label') {
        // A label after the head must name a child (iso.org.dod, system.sysDescr).
        let found: [number, TrieNode] | undefined;
        for (const [arc, child] of trie?.children ?? []) {
          if (child.node?.name === p.text || this.byName.get(p.text)?.some((n) => n.oid === child.node?.oid)) {
            found = [arc, child];
            break;
          }
        }
        if (!found) throw new Error(`unknown MIB object name "${p.text}" in "${input}"`);
        out.push(String(found[0]));
        trie = found[1];
      } else {
        const bytes = Buffer.from(p.text, 'utf8');
        if (p.kind === 'string') out.push(String(bytes.length));
        for (const b of bytes) out.push(String(b));
        trie = undefined;
      }
    }
    return out;
  }

  private trieAt(arcs: number[]): TrieNode | undefined {
    let t: TrieNode | undefined = this.root;
    for (const a of arcs) {
      t = t?.children?.get(a);
      if (!t) return undefined;
    }
    return t;
  }

  /**
   * Names matching `text` (case-insensitive): exact first, then names starting with it,
   * then names containing it, each shortest first. `MODULE::part` narrows to a module;
   * a numeric text matches OIDs by prefix. At most `limit` hits.
   */
  search(text: string, limit = 50): MibSearchHit[] {
    this.ensureLoaded();
    const max = Math.max(0, Math.min(Math.floor(limit) || 0, 1000));
    let q = String(text ?? '').trim();
    if (q === '' || max === 0) return [];
    if (q.length > 200) q = q.slice(0, 200);
    if (isNumericOid(q) || /^\.?\d+(\.\d+)*\.$/.test(q)) {
      const prefix = q.replace(/^\./, '');
      return this.searchList
        .filter((h) => h.oid === prefix || h.oid.startsWith(prefix.endsWith('.') ? prefix : prefix + '.') || h.oid.startsWith(prefix))
        .sort((a, b) => a.oid.length - b.oid.length || (a.oid < b.oid ? -1 : 1))
        .slice(0, max);
    }
    let modulePart: string | undefined;
    const sep = q.indexOf('::');
    if (sep >= 0) {
      modulePart = q.slice(0, sep).toLowerCase();
      q = q.slice(sep + 2);
    }
    const needle = q.toLowerCase();
    const exact: MibSearchHit[] = [];
    const prefix: MibSearchHit[] = [];
    const substring: MibSearchHit[] = [];
    const seen = new Set<string>();
    for (const h of this.searchList) {
      if (modulePart !== undefined && !h.module.toLowerCase().startsWith(modulePart)) continue;
      const name = h.name.toLowerCase();
      const at = needle === '' ? 0 : name.indexOf(needle);
      if (at < 0) continue;
      // One hit per name and OID: RFC1213-MIB and IF-MIB both define ifDescr.
      const key = h.name + ' ' + h.oid;
      if (seen.has(key)) continue;
      seen.add(key);
      const preferred = this.byOid.get(h.oid);
      const hit = preferred && preferred.name === h.name ? this.hitOf(preferred) : h;
      if (name === needle) exact.push(hit);
      else if (at === 0) prefix.push(hit);
      else substring.push(hit);
    }
    const byLength = (a: MibSearchHit, b: MibSearchHit) => a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    prefix.sort(byLength);
    substring.sort(byLength);
    return exact.concat(prefix, substring).slice(0, max);
  }

  private hitOf(n: MibNode): MibSearchHit {
    return { qualified: n.module + '::' + n.name, module: n.module, name: n.name, oid: n.oid, kind: n.kind, syntax: n.type?.syntax };
  }

  /** The loaded modules, by name. */
  modulesLoaded(): MibModuleSummary[] {
    this.ensureLoaded();
    return [...this.modules.values()]
      .sort((a, b) => a.order - b.order)
      .map((m) => ({ name: m.parsed.name, file: m.file, objects: m.parsed.objects.length, types: m.parsed.types.size }));
  }

  /** Number of named OIDs in the tree. */
  size(): number {
    this.ensureLoaded();
    return this.byOid.size;
  }

  /**
   * Every placed definition of every module, including each module's own definition
   * of an OID another module also defines (RFC1213-MIB::ifDescr beside IF-MIB::ifDescr).
   */
  definitions(): MibNode[] {
    this.ensureLoaded();
    return [...this.byQualified.values()];
  }

  /** The node of an exact OID (no instance), for tools. */
  node(oid: string): MibNode | undefined {
    this.ensureLoaded();
    return this.byOid.get(oid.replace(/^\./, ''));
  }

  /** DESCRIPTION text of an object, when the service keeps them (option `descriptions`). */
  description(oid: string): string | undefined {
    return this.node(oid)?.object.description;
  }

  // -------------------------------------------------------------- rendering

  /**
   * Renders an OctetString value by the object's textual convention / DISPLAY-HINT
   * (RFC 2579 §3.1): DisplayString and SnmpAdminString as text, PhysAddress and
   * MacAddress as aa:bb:cc:dd:ee:ff, DateAndTime as ISO 8601, InetAddress by
   * `addressType` (the InetAddressType sibling's value; see `addressTypeColumn`) or else
   * by its length. undefined when the MIB says nothing about rendering.
   */
  formatOctets(info: OidInfo, raw: Buffer, addressType?: number): string | undefined {
    return formatOctetsByInfo(info, raw, addressType);
  }

  /** Renders an INTEGER by its DISPLAY-HINT ("d-2" → "12.34", "x" → "1f"); undefined without one. */
  formatInteger(info: OidInfo, value: number | bigint): string | undefined {
    return info.hint ? formatIntegerByHint(info.hint, value) : undefined;
  }

  /**
   * Decodes the instance suffix of a column (or row) OID into the table's INDEX
   * objects (RFC 2578 §7.7): `{ ipNetToMediaIfIndex: 3, ipNetToMediaNetAddress:
   * "10.0.0.1" }`. Integers are numbers; strings text, hex or by their convention;
   * InetAddress by the InetAddressType before it. undefined when the OID is not in a
   * table with a known INDEX or the suffix does not fit it.
   */
  decodeIndex(columnOid: string, instance: string): Record<string, string | number> | undefined {
    this.ensureLoaded();
    const key = columnOid.charCodeAt(0) === 46 ? columnOid.slice(1) : columnOid;
    let plan = this.indexPlans.get(key);
    if (plan === undefined) {
      plan = this.planFor(key) ?? null;
      this.indexPlans.set(key, plan);
    }
    if (!plan) return undefined;
    return decodeIndexWithPlan(plan, instance);
  }

  /** The INDEX objects of the row a column (or row) belongs to, in order. */
  indexObjects(columnOid: string): Array<{ name: string; implied: boolean; info?: MibObjectInfo }> | undefined {
    this.ensureLoaded();
    const row = this.rowOf(columnOid.replace(/^\./, ''));
    if (!row) return undefined;
    const parts = this.indexPartsOf(row, 0);
    if (!parts) return undefined;
    return parts.map((p) => ({ name: p.name, implied: p.implied, info: this.indexInfo(row, p.name) }));
  }

  private rowOf(oid: string): MibNode | undefined {
    const node = this.byOid.get(oid);
    if (!node) return undefined;
    if (node.kind === 'row') return node;
    if (node.kind === 'column') return this.byOid.get(node.arcs.slice(0, -1).join('.'));
    return undefined;
  }

  private indexPartsOf(row: MibNode, depth: number): IndexPart[] | undefined {
    if (row.object.index) return row.object.index;
    // Another module's definition of the same row may carry the INDEX (RFC1158-MIB
    // lacks the ones RFC1213-MIB has).
    const other = this.byName.get(row.name)?.find((n) => n.oid === row.oid && n.object.index);
    if (other) return other.object.index;
    if (row.object.augments && depth < 8) {
      const lm = this.modules.get(row.module);
      const target = lm ? this.findNodeInScope(lm, row.object.augments) : undefined;
      if (target) return this.indexPartsOf(target, depth + 1);
    }
    return undefined;
  }

  private findNodeInScope(lm: LoadedModule, name: string): MibNode | undefined {
    const own = this.byQualified.get(lm.parsed.name + '::' + name);
    if (own) return own;
    const from = lm.parsed.imports.get(name);
    if (from) {
      const n = this.byQualified.get(from + '::' + name);
      if (n) return n;
    }
    return this.byName.get(name)?.[0];
  }

  private indexInfo(row: MibNode, name: string): MibObjectInfo | undefined {
    const lm = this.modules.get(row.module);
    const n = lm ? this.findNodeInScope(lm, name) : this.byName.get(name)?.[0];
    return n?.info;
  }

  private planFor(oid: string): IndexPlan | undefined {
    const row = this.rowOf(oid);
    if (!row) return undefined;
    const parts = this.indexPartsOf(row, 0);
    if (!parts || parts.length === 0) return undefined;
    return compileIndexPlan(parts.map((p) => {
      const info = this.indexInfo(row, p.name);
      if (info) return { name: p.name, implied: p.implied, info };
      // SMIv1 INDEX by type name (INTEGER, NetworkAddress, OCTET STRING...)
      const lm = this.modules.get(row.module)!;
      const t = this.resolveType(lm, { name: p.name }, new Set());
      return {
        name: p.name, implied: p.implied,
        info: { oid: '', module: row.module, name: p.name, instance: '', kind: 'node' as MibNodeKind, syntax: t.syntax, base: t.base, hint: t.hint },
        sizes: t.sizes,
      };
    }), (name) => this.sizesOf(row, name), (info, raw, type) => formatOctetsByInfo(info, raw, type));
  }

  private sizesOf(row: MibNode, name: string): Array<[number, number]> | undefined {
    const lm = this.modules.get(row.module);
    const n = lm ? this.findNodeInScope(lm, name) : undefined;
    return n?.type?.sizes;
  }
}

type NamePart = { kind: 'label' | 'num' | 'string' | 'implied'; text: string };

/** Splits `sysDescr.0`, `x."eth0".2`, `system.sysDescr` into parts. */
function splitName(s: string, input: string): NamePart[] {
  const parts: NamePart[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated quoted index in "${input}"`);
      parts.push({ kind: c === '"' ? 'string' : 'implied', text: s.slice(i + 1, end) });
      i = end + 1;
    } else {
      let end = s.indexOf('.', i);
      if (end < 0) end = s.length;
      const tok = s.slice(i, end);
      if (/^\d+$/.test(tok)) {
        if (tok.length > 10 || Number(tok) > 4294967295) throw new Error(`sub-identifier ${tok} out of range in "${input}"`);
        parts.push({ kind: 'num', text: String(Number(tok)) });
      } else if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(tok)) {
        parts.push({ kind: 'label', text: tok });
      } else {
        throw new Error(`"${tok}" is not a valid part of an OID name in "${input}"`);
      }
      i = end;
    }
    if (i < s.length) {
      if (s[i] !== '.') throw new Error(`expected "." after a quoted index in "${input}"`);
      i++;
      if (i === s.length) throw new Error(`"${input}" ends with a dot`);
    }
  }
  if (parts.length === 0) throw new Error(`"${input}" is not an OID name`);
  return parts;
}
