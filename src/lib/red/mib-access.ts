/**
 * The one place nodes and the admin routes reach the runtime's MIB service: adds a
 * config's MIB folders and <userDir>/mibs and forwards each new load warning (broken
 * file, missing import) exactly once. Nothing else in red/ calls getMibService(), so
 * how the runtime shares one service is decided here alone.
 */
import * as path from 'path';
import { getMibService, type MibService } from '../mib';
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
