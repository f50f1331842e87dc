/**
 * The one place nodes reach the runtime's MIB service: adds a config's MIB folders,
 * forwards each new load warning (broken file, missing import) exactly once, and
 * expands a table into its columns so a walk asks for all of them in lock-step.
 */
import { getMibService } from '../mib';
import { compareOids, isUnder } from '../common/oid';
import type { MibLookup } from '../common/types';

let warned = 0;

/** The shared MIB service with `dirs` added; `warn` gets each not yet reported warning. */
export function getMib(dirs: string[], warn: (text: string) => void): MibLookup {
  const service = getMibService();
  if (dirs.length > 0) service.addMibDirs(dirs);
  const all = service.warnings();
  for (; warned < all.length; warned++) warn(all[warned]);
  return service;
}

const columnCache = new Map<string, string[]>();

/**
 * The readable columns of a table (or row) OID, in OID order; the OID itself when it
 * is anything else or the MIB does not know it. Walking a table column by column in
 * one request stream takes rows/maxRepetitions round trips instead of
 * columns × rows/maxRepetitions (a GETBULK on the table root walks column-major).
 */
export function tableColumns(oid: string): string[] {
  const cached = columnCache.get(oid);
  if (cached) return cached;
  const service = getMibService();
  const node = service.node(oid);
  let columns = [oid];
  if (node && (node.kind === 'table' || node.kind === 'row')) {
    const found = service.definitions()
      .filter((n) => n.kind === 'column' && isUnder(n.oid, oid) && n.info.access !== 'not-accessible' && n.info.access !== 'accessible-for-notify')
      .map((n) => n.oid)
      .sort(compareOids);
    if (found.length > 0) columns = [...new Set(found)];
  }
  columnCache.set(oid, columns);
  return columns;
}
