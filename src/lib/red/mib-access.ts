/**
 * The one place nodes and the admin routes reach the runtime's MIB service: adds a
 * config's MIB folders and <userDir>/mibs, and reports each load problem once, to whoever
 * should hear it (mib/problem-report.ts): a problem in a folder the config node lists to
 * that node; Debian's stock MIB files that miss the imports Debian ships apart as one
 * info line for the runtime; anything else as a runtime warning, blamed on no node.
 * Nothing else in red/ calls getMibService(), so how the runtime shares one service is
 * decided here alone.
 */
import * as path from 'path';
import { getMibService, groupProblems, shownFile, shownName, type MibProblem, type MibService } from '../mib';
import type { MibLookup } from '../common/types';

/** The runtime's log and locale text, once snmp-config's module has loaded. */
export interface MibRuntimeLog {
  info(text: string): void;
  warn(text: string): void;
  /** RED._ of the snmp-config node set. */
  text(key: string, vars: Record<string, string | number>): string;
}

/** Reports the problems of a load that were not reported before. */
export type MibProblemReporter = (problems: MibProblem[], ownDirs: string[], warnNode: (text: string) => void) => void;

/** Files of a config's folders that are not MIBs, warned one by one up to this many. */
const MAX_NOT_MIB_WARNINGS = 5;

/**
 * A reporter with its own memory of what it said. Without a runtime log (a library
 * used outside Node-RED) every problem goes to the node, as a warning.
 */
export function mibProblemReporter(log: () => MibRuntimeLog | undefined, systemDirs?: string[]): MibProblemReporter {
  const reported = new Set<string>();
  return (problems, ownDirs, warnNode) => {
    const fresh = problems.filter((p) => !reported.has(p.message));
    if (fresh.length === 0) return;
    for (const p of fresh) reported.add(p.message);
    const runtime = log();
    if (!runtime) {
      for (const p of fresh) warnNode(p.message);
      return;
    }
    const groups = groupProblems(fresh, ownDirs, systemDirs);
    // A folder setting that names the wrong folder (/etc, a home folder) would give a
    // warning per file: past a few files that declare no MIB module at all, one line.
    const notMibs = groups.own.filter((p) => p.modules.length === 0 && p.missingModules.length === 0 && !ownDirs.includes(p.file));
    const summarize = notMibs.length > MAX_NOT_MIB_WARNINGS;
    for (const p of groups.own) if (!summarize || !notMibs.includes(p)) warnNode(p.message);
    if (summarize) {
      const names = notMibs.slice(0, MAX_NOT_MIB_WARNINGS).map((p) => shownName(path.basename(p.file)));
      warnNode(runtime.text('snmp-config.mib.not-mib-files', {
        count: notMibs.length,
        dirs: [...new Set(notMibs.map((p) => shownFile(path.dirname(p.file))))].join(', '),
        files: `${names.join(', ')}${notMibs.length > names.length ? ', …' : ''}`,
      }));
    }
    const gaps = groups.systemImports;
    if (gaps.files.length > 0) {
      runtime.info(runtime.text('snmp-config.mib.system-imports-missing', {
        count: gaps.files.length, dirs: gaps.dirs.map(shownFile).join(', '), modules: gaps.modules.map(shownName).join(', '),
      }));
    }
    for (const p of groups.other) runtime.warn(`snmp-fleet: ${p.message}`);
  };
}

let runtimeLog: MibRuntimeLog | undefined;
const report = mibProblemReporter(() => runtimeLog);

/**
 * Gives the MIB problems that concern no single node a place in the runtime log. Called
 * by snmp-config's module (through registerMibApi) before any node starts.
 */
export function attachMibLog(log: MibRuntimeLog): void {
  runtimeLog = log;
}

/** The MIB folders of each live snmp-config node. */
const listedDirs = new Map<object, string[]>();
/** Set by a (re)deploy: the next getMib looks whether the MIB files changed. */
let recheckDue = true;
/**
 * A deploy starts many nodes at once, each asking for the service: one look at the
 * files serves them all.
 */
const RECHECK_MIN_MS = 1000;

/**
 * A node was (re)deployed, or an snmp-config lists `dirs`: the next getMib compares
 * the files of the MIB folders with those of the last load (a readdir and a stat per
 * file) and reloads when one was added, changed or removed, so that editing a MIB
 * file takes a redeploy, not a restart of Node-RED.
 */
export function mibDeployed(owner?: object, dirs?: string[]): void {
  recheckDue = true;
  if (owner && dirs) listedDirs.set(owner, dirs);
}

/**
 * An snmp-config node closed: its folders that no other live config lists stop
 * contributing at the next load (a redeploy that lists them again reads nothing anew).
 */
export function releaseMibDirs(owner: object): void {
  const dirs = listedDirs.get(owner);
  listedDirs.delete(owner);
  if (!dirs || dirs.length === 0) return;
  // Not removed yet: a redeploy closes a config and starts it again, and a folder taken out
  // and added back would move to the end (changing which copy of a module wins) and make
  // a lookup between the two reload without it. The next getMib, once the deploy's config
  // nodes have listed their folders again, removes those no live config lists.
  for (const d of dirs) released.add(d);
  recheckDue = true;
}

/** Folders of closed configs, removed at the next getMib unless a live config lists them. */
const released = new Set<string>();

function removeReleased(service: MibService): void {
  if (released.size === 0) return;
  const still = new Set([...listedDirs.values()].flat().map((d) => path.resolve(d.trim())));
  service.removeMibDirs([...released].filter((d) => !still.has(path.resolve(d.trim()))));
  released.clear();
}

/** The shared MIB service with `dirs` added; `warn` gets the problems of those folders. */
export function getMib(dirs: string[], warn: (text: string) => void): MibLookup {
  const service = getMibService();
  if (dirs.length > 0) service.addMibDirs(dirs);
  if (recheckDue) {
    recheckDue = false;
    removeReleased(service);
    service.reloadIfChanged(RECHECK_MIN_MS);
  }
  // warnings() loads when folders were added; problems() is then the current load's
  service.warnings();
  report(service.problems(), dirs, warn);
  return service;
}

/**
 * The shared MIB service itself, for the editor's admin routes: they need search()
 * and qualifiedName(), which the MibLookup nodes get does not offer.
 */
export function mibServiceForAdmin(): MibService {
  return getMibService();
}

/**
 * Adds `<userDir>/mibs` to the search path. Optional: most installs have no such
 * folder, and its absence is not worth a warning.
 */
export function addUserMibDir(userDir: unknown): void {
  if (typeof userDir === 'string' && userDir !== '') getMibService().addMibDirs([path.join(userDir, 'mibs')], { optional: true });
}

/** settings.js name of the MIB name cache size, in MB (Node-RED prefixes node settings with the type). */
export const MIB_NAME_CACHE_SETTING = 'snmpConfigMibNameCacheMb';

/**
 * Applies settings.js `snmpConfigMibNameCacheMb` (megabytes; 0 caches nothing) to the
 * shared MIB service. Returns a warning to log when the value cannot be used.
 */
export function applyMibNameCacheSetting(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb < 0 || mb > 4096) {
    return `settings.js ${MIB_NAME_CACHE_SETTING} must be a number of megabytes from 0 to 4096 (got ${String(value).slice(0, 40)}); the MIB name cache keeps its default size`;
  }
  getMibService().setNameCacheBytes(Math.round(mb * 1024 * 1024));
  return undefined;
}
