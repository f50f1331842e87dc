/**
 * What a trigger asks for: the devices (a configured inventory wins over the
 * message) and the OIDs (the node's list wins over msg.oids), names resolved through
 * the MIB, tables expanded into their columns so a walk asks for all in lock-step.
 */
import { isNumericOid, normalizeOid } from '../common/oid';
import type { Device, MibLookup } from '../common/types';
import { ConfigError, deviceIdentity, parseTarget } from '../common/inventory';

/** Splits the node's OID text (one per line; commas allowed) into entries. */
export function splitOidList(text: unknown): string[] {
  if (Array.isArray(text)) return text.map((s) => String(s).trim()).filter(Boolean);
  if (typeof text !== 'string') return [];
  return text.split(/[\r\n,]+/).map((s) => s.replace(/#.*$/, '').trim()).filter(Boolean);
}

/** Resolves names and numeric OIDs; throws a ConfigError naming the first unknown one. */
export function resolveOids(entries: string[], mib: MibLookup | undefined): string[] {
  return entries.map((entry) => {
    if (isNumericOid(entry)) {
      try {
        return normalizeOid(entry);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    if (!mib) throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}" (no MIB loaded)`);
    try {
      return mib.resolve(entry);
    } catch {
      throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}"`);
    }
  });
}

export interface TargetChoice {
  devices: Device[];
  /** The message tried to override a configured inventory (warn once). */
  ignoredOverride: boolean;
}

/**
 * Most entries of one msg.targets: more than any poller takes in one trigger, so a job
 * inflated by mistake or malice (a 10 MB payload over MQTT) is refused, not polled.
 */
export const MAX_TARGETS = 100000;

/** Configured inventory wins; else msg.targets (array), else msg.target. */
export function chooseTargets(inventory: Device[], msg: { targets?: unknown; target?: unknown }, defaultPort: number): TargetChoice {
  const fromMsg = msg.targets !== undefined || msg.target !== undefined;
  if (inventory.length > 0) return { devices: inventory, ignoredOverride: fromMsg };
  if (msg.targets !== undefined) {
    if (!Array.isArray(msg.targets)) throw new ConfigError('msg.targets must be an array of "host[:port]" strings or {host, port} objects');
    if (msg.targets.length > MAX_TARGETS) throw new ConfigError(`msg.targets has ${msg.targets.length} entries, more than ${MAX_TARGETS}`);
    const devices: Device[] = [];
    const seen = new Set<string>();
    msg.targets.forEach((t, i) => {
      let d: Device;
      try {
        d = parseTarget(t, defaultPort);
      } catch (err) {
        throw new ConfigError(`msg.targets[${i}]: ${(err as Error).message}`);
      }
      const key = deviceIdentity(d.host, d.port);
      if (!seen.has(key)) {
        seen.add(key);
        devices.push(d);
      }
    });
    if (devices.length === 0) throw new ConfigError('msg.targets is empty');
    return { devices, ignoredOverride: false };
  }
  if (msg.target !== undefined) return { devices: [parseTarget(msg.target, defaultPort)], ignoredOverride: false };
  throw new ConfigError('no target: configure an inventory in snmp-config or send msg.targets / msg.target');
}

/**
 * The OIDs a walk asks for: the first `nonRepeaters` are fetched once with GETNEXT
 * semantics, so `sysUpTime.0` is asked as `sysUpTime` (the user gets the instance they
 * wrote, not the next object); the rest are walked, a table becoming its readable
 * columns in lock-step (a GETBULK on the table root would walk column after column).
 */
export function expandWalkOids(oids: string[], nonRepeaters: number, mib: MibLookup | undefined): string[] {
  const scalars = oids.slice(0, nonRepeaters).map((oid) => {
    const info = mib?.describe(oid);
    return info && info.instance === '0' ? info.oid : oid;
  });
  const walked = oids.slice(nonRepeaters).flatMap((oid) => mib?.tableColumns?.(oid) ?? [oid]);
  return [...scalars, ...new Set(walked)];
}
