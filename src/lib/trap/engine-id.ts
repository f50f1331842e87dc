/**
 * Our SNMP engine ID (RFC 3411 §5 SnmpEngineID), authoritative for the v3 informs sent
 * to us. Senders cache it with our boots and time, so it must stay the same across
 * restarts: trap-in keeps it in its node context and, should that context not persist,
 * derives the same value again from the host name and node id.
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

/** The next engine boots after a stored value (RFC 3414 §2.2.2: 1 ... 2^31-1). */
export function nextBoots(stored: unknown): number {
  const n = typeof stored === 'number' && Number.isInteger(stored) && stored >= 0 ? stored : 0;
  return Math.min(n + 1, 0x7fffffff);
}
