/**
 * Reads the search path into modules by declared name (whatever their files are
 * called) and checks their imports. Every problem is recorded and the module kept:
 * a module with a broken part still gives its good parts, and one broken file never
 * takes the others down.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ParsedFile, ParsedObject } from './smi-parser';
import { listMibFiles, type ParseCache, type SearchPath } from './sources';
import type { LoadedModule } from './tree';
import { APPLICATION_TYPES } from './type-resolve';
import { shownList, shownName, type ProblemCollector } from './warnings';

export function loadModules(searchPath: SearchPath, parseCache: ParseCache, issues: ProblemCollector): Map<string, LoadedModule> {
  const modules = new Map<string, LoadedModule>();
  let order = 0;
  const read = new Set<string>();
  for (const dir of searchPath.list()) {
    if (!searchPath.isOptional(dir)) {
      let isDir = false;
      try {
        isDir = fs.statSync(dir).isDirectory();
      } catch {
        // missing: reported below
      }
      if (!isDir) {
        issues.folderMissing(dir);
        continue;
      }
    }
    const files = listMibFiles(dir).map((file) => ({ file, parsed: parseCache.parse(file) }));
    for (const { file } of files) read.add(file);
    const used = chooseCopies(files);
    const loaded = new Set<string>();
    for (const { file, parsed } of files) {
      if (parsed.fatal) {
        issues.add(file, parsed.fatal.line, parsed.fatal.message);
        continue;
      }
      if (parsed.modules.length === 0) {
        issues.add(file, 1, 'no MIB module in file');
        continue;
      }
      for (const mod of parsed.modules) {
        const usedFile = used.get(mod.name)!;
        if (usedFile !== file || loaded.has(mod.name)) {
          issues.add(file, mod.line, `duplicate module ${shownName(mod.name)}, also defined in ${shownName(path.basename(usedFile))}, which is used; this copy is ignored`, [mod.name]);
          continue;
        }
        loaded.add(mod.name);
        for (const pr of mod.problems) issues.add(file, pr.line, pr.message, [mod.name]);
        const objectsByName = new Map<string, ParsedObject>();
        for (const o of mod.objects) if (!objectsByName.has(o.name)) objectsByName.set(o.name, o);
        // A later folder overrides an earlier one (a user's newer copy of a module).
        modules.set(mod.name, { parsed: mod, file, order: order++, objectsByName });
      }
    }
  }
  parseCache.retainOnly(read);
  checkImports(modules, issues);
  return modules;
}

/**
 * Which file of a folder gives each module its folder declares more than once: the
 * one named after the module (ACME-MIB.txt over ACME-DUP.txt for ACME-MIB, the file
 * net-snmp's tools read), else the first by name.
 */
function chooseCopies(files: Array<{ file: string; parsed: ParsedFile }>): Map<string, string> {
  const used = new Map<string, string>();
  const named = (file: string, module: string) => path.basename(file, path.extname(file)) === module;
  for (const { file, parsed } of files) {
    for (const mod of parsed.modules) {
      const current = used.get(mod.name);
      if (current === undefined || (!named(current, mod.name) && named(file, mod.name))) used.set(mod.name, file);
    }
  }
  return used;
}

/**
 * Imports of modules that are not loaded, and symbols a loaded module lacks: the usual
 * reason objects of a vendor MIB cannot be placed, so the warning names the module to
 * add.
 */
function checkImports(modules: Map<string, LoadedModule>, issues: ProblemCollector): void {
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
        undefinedSyms.push(`${shownName(sym)} from ${shownName(from)}`);
      }
    }
    for (const [from, syms] of missingBy) {
      issues.add(lm.file, lm.parsed.importLines.get(from), `${shownName(lm.parsed.name)} imports ${shownList(syms)} from ${shownName(from)}, which is not loaded`, [lm.parsed.name], [from]);
    }
    if (undefinedSyms.length) {
      issues.add(lm.file, lm.parsed.line, `${shownName(lm.parsed.name)} imports symbols their modules do not define: ${shownList(undefinedSyms)}`, [lm.parsed.name]);
    }
  }
}
