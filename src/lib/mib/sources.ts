/**
 * Where MIB files come from and how a folder is read: the search path (net-snmp's
 * bundled MIBs, Debian's folders, MIBDIRS, then the folders config nodes add) and a
 * per-file parse cache keyed by size and mtime so that adding a folder later re-reads
 * only what changed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseMibText, type ParsedFile, type ParseOptions } from './smi-parser';

/** Files larger than this are not MIBs; reading them would only waste memory. */
export const MAX_MIB_FILE_BYTES = 16 * 1024 * 1024;

/** Folder of the MIBs bundled with the net-snmp package, or undefined if not found. */
export function bundledMibDir(): string | undefined {
  try {
    const dir = path.join(path.dirname(require.resolve('net-snmp')), 'lib', 'mibs');
    return fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Debian/net-snmp's system folders (snmp-mibs-downloader adds iana/ and ietf/). */
export const SYSTEM_MIB_DIRS = ['/usr/share/snmp/mibs', '/usr/share/snmp/mibs/iana', '/usr/share/snmp/mibs/ietf'];

/**
 * Folders of a MIBDIRS value: colon-separated as net-snmp's tools read it. A leading
 * "+" (net-snmp's "append to the default path") is accepted and ignored, since we always
 * keep the defaults.
 */
export function parseMibDirsEnv(value: string | undefined): string[] {
  if (!value) return [];
  return value.replace(/^\+/, '').split(':').map((d) => d.trim()).filter((d) => d.length > 0);
}

/** Names in a MIB folder that are not MIB files (editor backups, net-snmp's index). */
function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || name.endsWith('.index') || name.endsWith('.bak')
    || /^readme/i.test(name) || /\.(md|html?|pdf|zip|gz|tgz|tar)$/i.test(name);
}

/**
 * The MIB files of a folder with their stats, sorted by name (not recursive, like
 * net-snmp); the error code when the folder cannot be read.
 */
function readMibFolder(dir: string): Array<{ name: string; file: string; st: fs.Stats }> | string {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unreadable';
  }
  const out: Array<{ name: string; file: string; st: fs.Stats }> = [];
  for (const name of names.sort()) {
    if (isIgnoredName(name)) continue;
    const file = path.join(dir, name);
    try {
      const st = fs.statSync(file);
      if (st.isFile()) out.push({ name, file, st });
    } catch {
      // vanished or unreadable: skip it, as a listing race is not the file's fault
    }
  }
  return out;
}

/** The MIB files of a folder, sorted by name (not recursive, like net-snmp). */
export function listMibFiles(dir: string): string[] {
  const files = readMibFolder(dir);
  return typeof files === 'string' ? [] : files.map((f) => f.file);
}

/**
 * What a folder holds as far as loading is concerned: its MIB file names with their
 * sizes and mtimes (one readdir and a stat per file, no reading). Two equal answers mean
 * a load would read the same files.
 */
export function folderState(dir: string): string {
  const files = readMibFolder(dir);
  if (typeof files === 'string') return `${dir}\0(${files})`;
  return [dir, ...files.map(({ name, st }) => `${name}\0${st.size}\0${st.mtimeMs}`)].join('\n');
}

/**
 * The folders a service reads, in load order. `version` changes whenever a folder is
 * added or removed: the service's cheap "folders may have changed" signal.
 */
export class SearchPath {
  private readonly dirs: string[] = [];
  private readonly dirSet = new Set<string>();
  private readonly optionalDirs = new Set<string>();
  private readonly defaultDirs = new Set<string>();
  private defaultsAdded = false;
  private changes = 0;

  /** `useDefaults` false keeps tools and tests to exactly the folders they name. */
  constructor(private readonly useDefaults: boolean, private readonly mibDirsEnv: string | undefined) {}

  /** See MibService.addMibDirs. */
  add(dirs: string[], options: { optional?: boolean } = {}): void {
    for (const d of dirs) {
      if (typeof d !== 'string' || d.trim() === '') continue;
      const abs = path.resolve(d.trim());
      if (this.dirSet.has(abs)) continue;
      this.dirSet.add(abs);
      this.dirs.push(abs);
      this.changes++;
      if (options.optional) this.optionalDirs.add(abs);
    }
  }

  /**
   * Removes folders a config no longer lists. The defaults and optional folders
   * (<userDir>/mibs, MIBDIRS) stay whatever a config listed.
   */
  remove(dirs: string[]): void {
    for (const d of dirs) {
      if (typeof d !== 'string' || d.trim() === '') continue;
      const abs = path.resolve(d.trim());
      if (!this.dirSet.has(abs) || this.optionalDirs.has(abs) || this.defaultDirs.has(abs)) continue;
      this.dirSet.delete(abs);
      this.dirs.splice(this.dirs.indexOf(abs), 1);
      this.changes++;
    }
  }

  /** Changes whenever a folder is added or removed. */
  get version(): number {
    return this.changes;
  }

  /** Whether the defaults still have to go in front (they are added on first use, not at construction). */
  get defaultsPending(): boolean {
    return !this.defaultsAdded && this.useDefaults;
  }

  /** Optional folders may be absent without a warning (<userDir>/mibs, MIBDIRS entries). */
  isOptional(dir: string): boolean {
    return this.optionalDirs.has(dir);
  }

  list(): string[] {
    return this.dirs.slice();
  }

  /**
   * Puts the default folders first. Deferred to the first use so that creating the
   * service reads nothing from disk, and so that MIBDIRS is read when it matters.
   */
  addDefaults(): void {
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
    this.add(defaults, { optional: true });
    for (const d of defaults) this.defaultDirs.add(path.resolve(d));
    this.add(fromEnv, { optional: true });
    this.add(extra);
  }
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  parsed: ParsedFile;
}

/**
 * A file's text, or undefined when it holds more than `max` bytes. The size a file
 * reports is not trusted: files under /proc and /sys report 0 and some of them never end
 * (a folder setting of /proc/self once read /proc/self/pagemap until memory ran out).
 */
function readAtMost(file: string, max: number): string | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > max) return undefined;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses files once; re-parses a file only when its size or mtime changed. */
export class ParseCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly options: ParseOptions = {}) {}

  /** Parsed content of a file; read errors and oversize files come back as a fatal problem. */
  parse(file: string): ParsedFile {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (err) {
      return { modules: [], fatal: { line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    }
    const hit = this.entries.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.parsed;
    let parsed: ParsedFile;
    if (st.size > MAX_MIB_FILE_BYTES) {
      parsed = { modules: [], fatal: { line: 0, message: `too large for a MIB file (${st.size} bytes)` } };
    } else {
      try {
        const text = readAtMost(file, MAX_MIB_FILE_BYTES);
        parsed = text === undefined
          ? { modules: [], fatal: { line: 0, message: `too large for a MIB file (over ${MAX_MIB_FILE_BYTES} bytes)` } }
          : parseMibText(text, this.options);
      } catch (err) {
        parsed = { modules: [], fatal: { line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
      }
    }
    this.entries.set(file, { size: st.size, mtimeMs: st.mtimeMs, parsed });
    return parsed;
  }

  /** Forgets the files not in `files` (deleted, or of a folder no longer searched). */
  retainOnly(files: Set<string>): void {
    for (const file of this.entries.keys()) if (!files.has(file)) this.entries.delete(file);
  }
}
