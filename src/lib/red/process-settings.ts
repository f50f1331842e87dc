/**
 * Process-wide settings.js values of the pack that are not tied to one node: read once
 * when snmp-config registers. A value that cannot be used is one warning, and the
 * default stays.
 */
import { setKeyCacheLimit } from '../snmp/key-cache';

/** settings.js name of the SNMPv3 localized-key cache size (Node-RED prefixes node settings with the type). */
export const KEY_CACHE_SETTING = 'snmpConfigV3KeyCacheSize';

/** The most keys the cache may hold: one auth and one priv key per authPriv agent. */
const MAX_KEY_CACHE = 10_000_000;

/**
 * Applies settings.js `snmpConfigV3KeyCacheSize` (keys; about 470 bytes each) to the
 * process's SNMPv3 key cache. Returns a warning to log when the value cannot be used.
 */
export function applyKeyCacheSetting(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_KEY_CACHE) {
    return `settings.js ${KEY_CACHE_SETTING} must be a whole number of keys from 1 to ${MAX_KEY_CACHE} (got ${String(value).slice(0, 40)}); the SNMPv3 key cache keeps its size`;
  }
  setKeyCacheLimit(n);
  return undefined;
}
