/**
 * The MIB service: loads MIB files from a search path, resolves every module on its
 * own (a broken or incomplete module never takes the others down), and answers
 * name ⇄ OID questions fast enough for the per-varbind hot path.
 *
 * This class holds the state and the caches; the work is done by its neighbours:
 * sources.ts (search path, parse cache), module-loader.ts and tree-build.ts (a load),
 * warnings.ts, describe-oid.ts, resolve-name.ts, search-names.ts and tables.ts.
 */
import type { MibLookup, OidInfo } from '../common/types';
import { describeOid } from './describe-oid';
import { formatIntegerByHint, formatOctetsByInfo } from './format';
import { decodeIndexWithPlan, type IndexPlan } from './index-decode';
import { loadModules } from './module-loader';
import { DEFAULT_NAME_CACHE_BYTES, NameCache } from './name-cache';
import { resolveName } from './resolve-name';
import { searchNames } from './search-names';
import { folderState, ParseCache, SearchPath } from './sources';
import { indexObjects, indexPlanFor, readableColumns } from './tables';
import { emptyTree, type MibNode, type MibTree } from './tree';
import { buildTree } from './tree-build';
import type { MibModuleSummary, MibObjectInfo, MibProblem, MibSearchHit } from './types';
import { ProblemCollector, WarningLog, type WarningListener } from './warnings';

export type { MibNode } from './tree';

const RESOLVE_CACHE_MAX = 20_000;
const COLUMNS_CACHE_MAX = 20_000;

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
  /** Bytes the cache of describe() answers may hold (default 16 MiB; 0 caches nothing). */
  nameCacheBytes?: number;
}

/**
 * The per-process MIB registry. Construct it directly for tools and tests; nodes share
 * the instance of `getMibService()`.
 */
export class MibService implements MibLookup {
  private readonly searchPath: SearchPath;
  private readonly parseCache: ParseCache;
  /** SearchPath.version at the last load or check; -1 before the first load. */
  private loadedVersion = -1;
  /** The folders of the last load, in order, and what they held (see folderState). */
  private loadedList = '';
  private loadedState = '';
  /** When reloadIfChanged last compared the folders' files with the last load. */
  private filesCheckedAt = 0;
  private loadMs = 0;
  private tree: MibTree = emptyTree();
  private readonly warningLog = new WarningLog();
  // Answers of the current tree; a load replaces them with the tree.
  private readonly describeCache: NameCache<MibObjectInfo | null>;
  private resolveCache = new Map<string, string>();
  private indexPlans = new Map<string, IndexPlan | null>();
  private columnsCache = new Map<string, string[]>();

  constructor(options: MibServiceOptions = {}) {
    this.searchPath = new SearchPath(options.defaults !== false, options.mibDirsEnv);
    this.parseCache = new ParseCache({ descriptions: options.descriptions === true });
    this.describeCache = new NameCache(options.nameCacheBytes ?? DEFAULT_NAME_CACHE_BYTES);
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
    this.searchPath.add(dirs, options);
  }

  /** The folders searched, in load order (defaults first once loaded). */
  mibDirs(): string[] {
    this.searchPath.addDefaults();
    return this.searchPath.list();
  }

  /**
   * Removes folders added by addMibDirs (a config node that no longer lists them); the
   * next lookup reloads without them. The default and optional folders stay.
   */
  removeMibDirs(dirs: string[]): void {
    this.searchPath.remove(dirs);
  }

  /**
   * Loads now instead of on the first lookup; later calls reload when folders were
   * added or removed, or when the files of the folders changed since the last load.
   */
  load(): void {
    this.update(true);
  }

  /**
   * Reloads when a file of the folders was added, changed (size or mtime) or removed
   * since the last load, or folders were added or removed; returns whether it loaded.
   * Costs a readdir per folder and a stat per file, so the runtime calls it once per
   * deploy, not per lookup; `maxAgeMs` skips the file check when one ran that recently.
   */
  reloadIfChanged(maxAgeMs = 0): boolean {
    const checkFiles = !(maxAgeMs > 0 && Date.now() - this.filesCheckedAt < maxAgeMs);
    return this.update(checkFiles);
  }

  /** Loads when the folder list differs from the last load's, or (`checkFiles`) their files do. */
  private update(checkFiles: boolean): boolean {
    this.searchPath.addDefaults();
    const dirs = this.searchPath.list();
    const list = dirs.join('\0');
    if (this.isLoaded() && list === this.loadedList) {
      // removed and added back (a redeploy): nothing to read again
      this.loadedVersion = this.searchPath.version;
      if (!checkFiles) return false;
      this.filesCheckedAt = Date.now();
      const state = dirs.map(folderState).join('\0');
      if (state === this.loadedState) return false;
      this.read(list, state);
      return true;
    }
    this.filesCheckedAt = Date.now();
    this.read(list, dirs.map(folderState).join('\0'));
    return true;
  }

  private read(list: string, state: string): void {
    const started = Date.now();
    try {
      const issues = new ProblemCollector();
      const modules = loadModules(this.searchPath, this.parseCache, issues);
      this.tree = buildTree(modules, issues);
      this.describeCache.clear();
      this.resolveCache = new Map();
      this.indexPlans = new Map();
      this.columnsCache = new Map();
      this.warningLog.setProblems(issues.problems());
    } catch (err) {
      // A bug here must not break every later lookup of the poller: keep what was
      // loaded before, say so once, and do not retry until the folders change.
      const message = `MIB loading failed: ${(err as Error).message}`;
      this.warningLog.emit({ file: '', modules: [], missingModules: [], issues: [{ message }], message });
    }
    this.loadedVersion = this.searchPath.version;
    this.loadedList = list;
    this.loadedState = state;
    this.loadMs = Date.now() - started;
  }

  /** The lookups' check: a number comparison unless folders were added or removed. */
  private ensureLoaded(): void {
    if (this.loadedVersion !== this.searchPath.version || this.searchPath.defaultsPending) this.update(false);
  }

  /** Whether the MIBs have been read (a lookup or load() happened). */
  isLoaded(): boolean {
    return this.loadedVersion >= 0;
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
    return this.warningLog.all();
  }

  /** The problem files of the current load, with every issue. */
  problems(): MibProblem[] {
    this.ensureLoaded();
    return this.warningLog.problems();
  }

  /**
   * Calls `listener(message, problem)` for each problem file: at once for those of the
   * current load, then for each new one as later loads find it, never twice for the
   * same text. Does not itself trigger loading. Returns the unsubscribe function.
   */
  onWarning(listener: WarningListener): () => void {
    return this.warningLog.subscribe(listener);
  }

  // ---------------------------------------------------------------- lookups

  /**
   * Longest-prefix description of a numeric OID (leading dot allowed), as
   * snmptranslate names it: the deepest loaded object and the instance suffix after
   * it. undefined for malformed OIDs and OIDs under no loaded object. The result is
   * frozen and cached: repeated OIDs cost one Map lookup.
   */
  describe(oid: string): MibObjectInfo | undefined {
    if (this.loadedVersion !== this.searchPath.version || this.searchPath.defaultsPending) this.update(false);
    const hit = this.describeCache.get(oid);
    if (hit !== undefined) return hit ?? undefined;
    const info = describeOid(this.tree.root, oid);
    this.describeCache.set(oid, info ?? null);
    return info;
  }

  /**
   * Sets the bytes the cache of describe() answers may hold (process-wide for the
   * shared service; settings.js `snmpConfigMibNameCacheMb` for the nodes).
   */
  setNameCacheBytes(bytes: number): void {
    this.describeCache.setLimit(bytes);
  }

  /** What the cache of describe() answers holds now, and its cap. */
  nameCacheStats(): { entries: number; bytes: number; limit: number } {
    return { entries: this.describeCache.size, bytes: this.describeCache.bytes, limit: this.describeCache.limit };
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
    const oid = resolveName(this.tree, name);
    if (this.resolveCache.size >= RESOLVE_CACHE_MAX) this.resolveCache.clear();
    this.resolveCache.set(name, oid);
    return oid;
  }

  /**
   * Names matching `text` (case-insensitive): exact first, then names starting with it,
   * then names containing it, each shortest first. `MODULE::part` narrows to a module;
   * a numeric text matches OIDs by prefix. At most `limit` hits.
   */
  search(text: string, limit = 50): MibSearchHit[] {
    this.ensureLoaded();
    return searchNames(this.tree, text, limit);
  }

  /** The loaded modules, by name. */
  modulesLoaded(): MibModuleSummary[] {
    this.ensureLoaded();
    return [...this.tree.modules.values()]
      .sort((a, b) => a.order - b.order)
      .map((m) => ({ name: m.parsed.name, file: m.file, objects: m.parsed.objects.length, types: m.parsed.types.size }));
  }

  /** Number of named OIDs in the tree. */
  size(): number {
    this.ensureLoaded();
    return this.tree.byOid.size;
  }

  /**
   * Every placed definition of every module, including each module's own definition
   * of an OID another module also defines (RFC1213-MIB::ifDescr beside IF-MIB::ifDescr).
   */
  definitions(): MibNode[] {
    this.ensureLoaded();
    return [...this.tree.byQualified.values()];
  }

  /** The node of an exact OID (no instance), for tools. */
  node(oid: string): MibNode | undefined {
    this.ensureLoaded();
    return this.tree.byOid.get(oid.replace(/^\./, ''));
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

  // ----------------------------------------------------------------- tables

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
      plan = indexPlanFor(this.tree, key) ?? null;
      this.indexPlans.set(key, plan);
    }
    if (!plan) return undefined;
    return decodeIndexWithPlan(plan, instance);
  }

  /** The INDEX objects of the row a column (or row) belongs to, in order. */
  indexObjects(columnOid: string): Array<{ name: string; implied: boolean; info?: MibObjectInfo }> | undefined {
    this.ensureLoaded();
    return indexObjects(this.tree, columnOid);
  }

  /**
   * The readable columns of a table (or row) OID, in OID order; the OID itself when it
   * is anything else or the MIB does not know it. Walking a table column by column in
   * one request stream takes rows/maxRepetitions round trips instead of
   * columns × rows/maxRepetitions (a GETBULK on the table root walks column-major).
   * Cached until the next load; callers must not modify the array.
   */
  tableColumns(oid: string): string[] {
    this.ensureLoaded();
    const cached = this.columnsCache.get(oid);
    if (cached) return cached;
    const columns = readableColumns(this.tree, oid);
    if (this.columnsCache.size >= COLUMNS_CACHE_MAX) this.columnsCache.clear();
    this.columnsCache.set(oid, columns);
    return columns;
  }
}
