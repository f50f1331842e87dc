/**
 * The one place nodes reach the runtime's MIB service: adds a config's MIB folders,
 * forwards each new load warning (broken file, missing import) exactly once, and
 * expands a table into its columns so a walk asks for all of them in lock-step.
 */
import { getMibService } from '../mib';
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

/**
 * The readable columns of a table (or row) OID, in OID order; the OID itself when it
 * is anything else or the MIB does not know it (see MibService.tableColumns).
 */
export function tableColumns(oid: string): string[] {
  return getMibService().tableColumns(oid);
}
