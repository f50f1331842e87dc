/**
 * Our SNMP engine ID (RFC 3411 §5 SnmpEngineID), authoritative for the v3 informs sent
 * to us. Senders cache it with our boots and time, so it must stay the same across
 * restarts: trap-in keeps it in its node context and, should that context not persist,
 * derives the same value again from the host name and node id. Our boots must grow on
 * every start, with or without a persistent store (see nextBoots).
 */
import * as crypto from 'crypto';
import * as os from 'os';

/**
 * 0x80 | enterprise 47491 (net-snmp's, whose receiver format we follow) then format 0x80
 * (enterprise-specific) and 12 octets.
 */
const PREFIX = Buffer.from('8000b98380', 'hex');

/** A stable engine ID for a node: 17 octets, the same for the same host and node id. */
export function deriveEngineId(nodeId: string, host: string = os.hostname()): Buffer {
  const digest = crypto.createHash('sha256').update('trap-in engine\0').update(host).update('\0').update(nodeId).digest();
  return Buffer.concat([PREFIX, digest.subarray(0, 12)]);
}

/** Parses a stored engine ID (hex, 5 to 32 octets); undefined when it is not one. */
export function parseEngineId(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2}){5,32}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** RFC 3414 §2.2.2: snmpEngineBoots runs from 1 to 2^31-1 and latches there. */
export const MAX_BOOTS = 0x7fffffff;

/**
 * 2020-01-01T00:00:00Z. Boots counted in seconds from here fit in 31 bits until
 * 2088-01-19.
 */
export const BOOTS_EPOCH_MS = Date.UTC(2020, 0, 1);

/**
 * Seconds since BOOTS_EPOCH_MS; 0 for a clock before it or past 2088, which is not
 * trusted: boots at 2^31-1 latches and no v3 inform would be timely again.
 */
export function clockBoots(nowMs: number): number {
  const s = Math.floor((nowMs - BOOTS_EPOCH_MS) / 1000);
  return Number.isFinite(s) && s > 0 && s < MAX_BOOTS ? s : 0;
}

/**
 * The boots of a new start. RFC 3414 §2.2.2 and §3.2 need the pair (boots, time) to
 * grow across restarts: senders that cached ours refuse reports with a smaller pair,
 * and only a larger boots makes a datagram captured before the restart untimely (the
 * replay cache does not survive it). snmpEngineTime restarts at 0, so boots must grow.
 *
 * Boots is the largest of: the stored value + 1 (a persistent context store; it still
 * grows when the clock is set back), the seconds since BOOTS_EPOCH_MS (grows across
 * restarts when nothing was stored, or a buffered store lost its last write), and
 * `floor`. Deriving time from the epoch instead, with a fixed boots, would keep a
 * datagram from the last 150 s before a restart timely after it.
 */
export function nextBoots(stored: unknown, nowMs: number = Date.now(), floor = 0): number {
  const n = typeof stored === 'number' && Number.isInteger(stored) && stored >= 0 ? stored : 0;
  return Math.min(Math.max(n + 1, clockBoots(nowMs), floor, 1), MAX_BOOTS);
}

/** The last boots given to each engine ID in this process, oldest first (bounded). */
const issued = new Map<string, number>();
const ISSUED_MAX = 10_000;

/**
 * nextBoots for an engine, also above every boots this process gave it before, so that
 * two starts within one second (a redeploy) still differ.
 */
export function bootEngine(engineId: Buffer, stored: unknown, nowMs: number = Date.now()): number {
  const key = engineId.toString('hex');
  const last = issued.get(key);
  const boots = nextBoots(stored, nowMs, last === undefined ? 0 : last + 1);
  issued.delete(key);
  issued.set(key, boots);
  if (issued.size > ISSUED_MAX) issued.delete(issued.keys().next().value as string);
  return boots;
}

/**
 * True when Node-RED's default context store (settings.js `contextStorage`, as the
 * runtime picks it: `default`, an alias named by `default`, else the first store) keeps
 * values across restarts: anything but the built-in memory store.
 */
export function isPersistentStore(contextStorage: unknown): boolean {
  if (!contextStorage || typeof contextStorage !== 'object') return false;
  const stores = contextStorage as Record<string, unknown>;
  const names = Object.keys(stores);
  if (names.length === 0) return false;
  let store = 'default' in stores ? stores.default : stores[names[0]];
  if (typeof store === 'string') store = stores[store];
  if (!store || typeof store !== 'object') return false;
  const module = (store as { module?: unknown }).module;
  if (typeof module === 'string') return module === 'localfilesystem';
  // a module object (redis, ...): Node-RED's own stores are named by string
  return Boolean(module);
}
