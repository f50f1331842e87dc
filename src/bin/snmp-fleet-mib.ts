#!/usr/bin/env node
/**
 * snmp-fleet-mib: try MIB files before deploying them, with the same MIB service the
 * nodes use. `translate` is the snmptranslate of this package, `check` the equivalent
 * of mibdump's check: every problem of every file in a folder, exit status 1 if any.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MibService, shownFile, shownName } from '../lib/mib';
import type { MibObjectInfo } from '../lib/mib';

const USAGE = `Usage: snmp-fleet-mib [options] <command> [arguments]

Commands:
  translate <name|oid>...  numeric OID of a name (sysDescr.0, IF-MIB::ifDescr.3), or the
                           MODULE::name of a numeric OID
  search <text>            object names containing <text>, names starting with it first
  check <folder>...        load every MIB file of <folder> and print each problem;
                           exit status 1 when a file has one

Options:
  -M, --mib-dir <dirs>     more MIB folders, colon-separated (repeatable)
      --no-defaults        skip net-snmp's bundled MIBs, /usr/share/snmp/mibs and MIBDIRS
  -d, --details            translate: also print syntax, enumerations, hint, access,
                           units, table index and description
  -n, --limit <n>          search: at most <n> results (default 50)
      --json               print JSON
  -h, --help               this text

Folders searched by default: net-snmp's bundled MIBs, /usr/share/snmp/mibs (and its
iana/ and ietf/ subfolders), then the colon-separated folders of MIBDIRS.
`;

interface Options {
  dirs: string[];
  defaults: boolean;
  details: boolean;
  json: boolean;
  limit: number;
  command?: string;
  args: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const o: Options = { dirs: [], defaults: true, details: false, json: false, limit: 50, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') o.command = 'help';
    else if (a === '-M' || a === '--mib-dir') o.dirs.push(...value().split(':').filter(Boolean));
    else if (a.startsWith('--mib-dir=')) o.dirs.push(...a.slice(10).split(':').filter(Boolean));
    else if (a === '--no-defaults') o.defaults = false;
    else if (a === '-d' || a === '--details') o.details = true;
    else if (a === '--json') o.json = true;
    else if (a === '-n' || a === '--limit') {
      o.limit = Number(value());
      if (!Number.isInteger(o.limit) || o.limit < 1) throw new UsageError('--limit must be a positive integer');
    } else if (a === '--') {
      o.args.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('-') && a.length > 1 && !/^-?\.?\d/.test(a) && o.command === undefined) {
      throw new UsageError(`unknown option ${a}`);
    } else if (o.command === undefined) o.command = a;
    else o.args.push(a);
  }
  return o;
}

function out(line: string): void {
  process.stdout.write(line + '\n');
}

function err(line: string): void {
  process.stderr.write(line + '\n');
}

function detailsOf(mib: MibService, info: MibObjectInfo): Record<string, unknown> {
  const d: Record<string, unknown> = { kind: info.kind };
  if (info.syntax) d.syntax = info.syntax;
  if (info.base && info.base !== info.syntax) d.base = info.base;
  if (info.enums) d.enums = info.enums;
  if (info.hint) d.hint = info.hint;
  if (info.access) d.access = info.access;
  if (info.units) d.units = info.units;
  const index = mib.indexObjects(info.oid);
  if (index) d.index = index.map((p) => (p.implied ? 'IMPLIED ' : '') + p.name);
  if (info.instance && (info.kind === 'column' || info.kind === 'row')) {
    const decoded = mib.decodeIndex(info.oid, info.instance);
    if (decoded) d.decodedIndex = decoded;
  }
  const description = mib.description(info.oid);
  if (description) d.description = description.replace(/\s+/g, ' ').trim();
  return d;
}

function translate(mib: MibService, o: Options): number {
  if (o.args.length === 0) throw new UsageError('translate needs at least one name or OID');
  let status = 0;
  const results: unknown[] = [];
  for (const input of o.args) {
    let oid: string;
    try {
      oid = mib.resolve(input);
    } catch (e) {
      status = 1;
      if (o.json) results.push({ input, error: (e as Error).message });
      else err(`${input}: ${(e as Error).message}`);
      continue;
    }
    const info = mib.describe(oid);
    const name = mib.qualifiedName(oid);
    if (o.json) {
      results.push({ input, oid, name, ...(info && o.details ? detailsOf(mib, info) : {}) });
      continue;
    }
    out(info ? `${name} = ${oid}` : `${oid} (under no loaded MIB object)`);
    if (info && o.details) {
      for (const [k, v] of Object.entries(detailsOf(mib, info))) {
        out(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      }
    }
  }
  if (o.json) out(JSON.stringify(results, null, 2));
  return status;
}

function search(mib: MibService, o: Options): number {
  const text = o.args.join(' ');
  if (!text) throw new UsageError('search needs a text');
  const hits = mib.search(text, o.limit);
  if (o.json) {
    out(JSON.stringify(hits, null, 2));
  } else {
    const width = Math.min(60, Math.max(0, ...hits.map((h) => h.qualified.length)));
    for (const h of hits) out(`${h.qualified.padEnd(width)}  ${h.oid}  ${h.kind}${h.syntax ? ' ' + h.syntax : ''}`);
  }
  return hits.length > 0 ? 0 : 1;
}

function check(o: Options): number {
  if (o.args.length === 0) throw new UsageError('check needs a folder');
  const folders = o.args.map((f) => path.resolve(f));
  for (const f of folders) {
    let isDir = false;
    try {
      isDir = fs.statSync(f).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) {
      err(`${f}: not a folder`);
      return 2;
    }
  }
  const mib = new MibService({ defaults: o.defaults, dirs: [...o.dirs, ...folders] });
  mib.load();
  const inChecked = (file: string) => folders.some((f) => path.dirname(file) === f);
  const problems = mib.problems().filter((p) => inChecked(p.file));
  const modules = mib.modulesLoaded().filter((m) => inChecked(m.file));
  if (o.json) {
    out(JSON.stringify({ modules, problems }, null, 2));
    return problems.length ? 1 : 0;
  }
  const bad = new Set(problems.map((p) => p.file));
  // names as the warnings show them: a file name must not write lines or escapes of its own
  for (const m of modules) {
    if (!bad.has(m.file)) out(`ok       ${shownName(m.name)} (${shownName(path.basename(m.file))}, ${m.objects} objects, ${m.types} types)`);
  }
  for (const p of problems) {
    out(`problem  ${shownName(path.basename(p.file))}${p.modules.length ? ` (${p.modules.map(shownName).join(', ')})` : ''}`);
    for (const i of p.issues) out(`  ${shownFile(p.file)}${i.line !== undefined ? ':' + i.line : ''}: ${i.message}`);
  }
  out(`${modules.length} module(s) loaded, ${problems.length} file(s) with problems`);
  return problems.length ? 1 : 0;
}

/** Runs the CLI; returns the exit status. */
export function main(argv: string[]): number {
  let o: Options;
  try {
    o = parseArgs(argv);
    if (!o.command || o.command === 'help') {
      (o.command ? out : err)(USAGE);
      return o.command ? 0 : 2;
    }
    if (o.command === 'check') return check(o);
    const mib = new MibService({ defaults: o.defaults, dirs: o.dirs, descriptions: o.details });
    if (o.command === 'translate') return translate(mib, o);
    if (o.command === 'search') return search(mib, o);
    throw new UsageError(`unknown command "${o.command}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`snmp-fleet-mib: ${e.message}\n`);
      err(USAGE);
      return 2;
    }
    err(`snmp-fleet-mib: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
