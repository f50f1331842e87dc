/**
 * Who should hear about a MIB problem. A stock Debian install ships MIB files whose
 * imports Debian keeps in the non-free snmp-mibs-downloader (UCD-SNMP-MIB imports
 * HCNUM-TC, the NET-SNMP-*-MIBs SNMP-FRAMEWORK-MIB...): nothing is wrong with the user's
 * setup, so that is one informational line for the whole process, naming what to
 * install, not a warning per file. A problem in a folder a config node lists is that
 * node's to report; anything else (a broken file in <userDir>/mibs or MIBDIRS) is the
 * runtime's, not blamed on whichever node happened to load the MIBs first.
 */
import * as path from 'path';
import { SYSTEM_MIB_DIRS, bundledMibDir } from './sources';
import type { MibProblem } from './types';

export interface ProblemGroups {
  /** In a folder of `ownDirs`: the config node that lists it reports these. */
  own: MibProblem[];
  /** Files of the system folders that miss imported modules. */
  systemImports: { files: string[]; modules: string[]; dirs: string[] };
  /** Everything else, for the runtime log. */
  other: MibProblem[];
}

/** The folders installed MIBs come from: net-snmp's bundled ones and Debian's. */
export function systemMibDirs(): string[] {
  const bundled = bundledMibDir();
  return bundled ? [bundled, ...SYSTEM_MIB_DIRS] : [...SYSTEM_MIB_DIRS];
}

function within(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A file that imports modules which are not loaded; what else went wrong in it (objects
 * that cannot be placed, types left unresolved) follows from that.
 */
export function missesImports(p: MibProblem): boolean {
  return p.issues.some((i) => (i.missingModules?.length ?? 0) > 0);
}

/** Sorts problems by who reports them (see the file comment). */
export function groupProblems(problems: MibProblem[], ownDirs: string[], systemDirs: string[] = systemMibDirs()): ProblemGroups {
  const groups: ProblemGroups = { own: [], systemImports: { files: [], modules: [], dirs: [] }, other: [] };
  for (const p of problems) {
    if (p.file !== '' && ownDirs.some((d) => within(p.file, d))) {
      groups.own.push(p);
    } else if (p.file !== '' && missesImports(p) && systemDirs.some((d) => path.dirname(p.file) === path.resolve(d))) {
      const s = groups.systemImports;
      s.files.push(p.file);
      for (const m of p.missingModules) if (!s.modules.includes(m)) s.modules.push(m);
      if (!s.dirs.includes(path.dirname(p.file))) s.dirs.push(path.dirname(p.file));
    } else {
      groups.other.push(p);
    }
  }
  groups.systemImports.modules.sort();
  return groups;
}
