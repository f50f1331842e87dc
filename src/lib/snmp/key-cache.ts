/**
 * SNMPv3 localized keys (RFC 3414 §2.6, A.2) in a bounded cache.
 *
 * net-snmp caches every key it localizes in a process-wide object keyed by protocol,
 * password and engine ID, and never forgets one. An agent (or anyone answering from its
 * address) that reports a fresh random engine ID each time grows that object without
 * bound: two keys per report for authPriv, about 360 a second from one poll (issue 14,
 * defect 1). Each key costs a 1 MB hash to compute, so a cache is still needed: this one
 * keeps the most recently used keys, up to a cap sized for a large v3 fleet (one auth
 * and one priv key per agent). Installed process-wide by importing this module, as
 * des.ts is; every net-snmp user in the process (sessions, the simulator's agents) goes
 * through it.
 */
import * as crypto from 'crypto';
import * as snmp from 'net-snmp';

/** Room for 10,000 authPriv agents' keys (about 470 bytes each, 9 MB in all); settable with setKeyCacheLimit. */
export const DEFAULT_KEY_CACHE_LIMIT = 20_000;

interface AuthAlgorithm {
  KEY_LENGTH: number;
  CRYPTO_ALGORITHM: string;
}

const authentication = (snmp as any).Authentication as {
  HMAC_BUFFER_SIZE: number;
  algorithms: Record<number, AuthAlgorithm>;
  authToKeyCache: Record<string, Buffer>;
  passwordToKey: (authProtocol: number, password: string, engineID: Buffer) => Buffer;
};

let limit = DEFAULT_KEY_CACHE_LIMIT;
/** Insertion order is use order: a hit moves its key to the end, eviction takes the first. */
const keys = new Map<string, Buffer>();
let installed = false;

/**
 * RFC 3414 A.2.1/A.2.2 password to key, localized to `engineID`: the password repeated
 * over 1 MB is hashed, then hash(ku | engineID | ku). Same result as net-snmp's own.
 */
export function localizeKey(authProtocol: number, password: string, engineID: Buffer): Buffer {
  const cacheKey = `${authProtocol}\u0000${engineID.toString('base64')}\u0000${password}`;
  const hit = keys.get(cacheKey);
  if (hit !== undefined) {
    keys.delete(cacheKey);
    keys.set(cacheKey, hit);
    return hit;
  }
  const algorithm = authentication.algorithms[authProtocol].CRYPTO_ALGORITHM;
  const ku = crypto.createHash(algorithm).update(Buffer.alloc(authentication.HMAC_BUFFER_SIZE, password)).digest();
  const kul = crypto.createHash(algorithm).update(ku).update(engineID).update(ku).digest();
  keys.set(cacheKey, kul);
  while (keys.size > limit) keys.delete(keys.keys().next().value as string);
  return kul;
}

/** Keys held now. */
export function keyCacheSize(): number {
  return keys.size;
}

/** Sets the most keys held (at least 1); the least recently used go first. */
export function setKeyCacheLimit(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`key cache limit must be a positive integer, got ${n}`);
  limit = n;
  while (keys.size > limit) keys.delete(keys.keys().next().value as string);
}

/** Forgets every key (tests). */
export function clearKeyCache(): void {
  keys.clear();
}

/** Points net-snmp's key localization at the bounded cache. Safe to call many times. */
export function installKeyCache(): void {
  if (installed || typeof authentication?.passwordToKey !== 'function') return;
  authentication.passwordToKey = localizeKey;
  // what net-snmp cached before this module was loaded is dropped with its object
  authentication.authToKeyCache = {};
  installed = true;
}

installKeyCache();
