/**
 * The one place nodes reach the runtime's MIB service: adds a config's MIB folders
 * and forwards each new load warning (broken file, missing import) exactly once.
 */
import { getMibService } from './mib';
import type { MibLookup } from './types';

let warned = 0;

/** The shared MIB service with `dirs` added; `warn` gets each not yet reported warning. */
export function getMib(dirs: string[], warn: (text: string) => void): MibLookup {
  const service = getMibService();
  if (dirs.length > 0) service.addMibDirs(dirs);
  const all = service.warnings();
  for (; warned < all.length; warned++) warn(all[warned]);
  return service;
}
