/**
 * What a trigger asks for: the devices (a configured inventory wins over the
 * message) and the OIDs (the node's list wins over msg.oids), names resolved through
 * the MIB, tables expanded into their columns so a walk asks for all in lock-step.
 */
import { isNumericOid, normalizeOid, unsendableOid } from '../common/oid';
import type { Device, MibLookup } from '../common/types';
import { ConfigError, deviceIdentity, nameTaken, parseTarget } from '../common/inventory';
import { isIPv6 } from '../common/ip';
import { clip } from '../common/properties';

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
      let oid: string;
      try {
        oid = normalizeOid(entry);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
      const unsendable = unsendableOid(oid);
      if (unsendable) throw new ConfigError(unsendable);
      return oid;
    }
    if (!mib) throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}" (no MIB loaded)`);
    try {
      return mib.resolve(entry);
    } catch {
      throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}"`);
    }
  });
}

/**
 * An inventory entry that cannot be polled as written: a bad msg.targets entry (a bad
 * row of an inventory table), a second entry for the same device, or one with a name
 * another device has. Reported on output
 * 2 as `bad-target`, one message each; the other entries are polled. (A device naming a
 * profile the node cannot find is read fine: it fails its poll with code `profile`.)
 */
export interface RejectedTarget {
  /** Position in msg.targets; absent for a device of snmp-config's own inventory. */
  index?: number;
  /** What a person finds the entry by: `host:port` as written, or `msg.targets[i]`. */
  key: string;
  /**
   * The entry's name when it has one (the topic of its message); absent for an entry
   * refused for a name another device has, whose message goes by its host:port.
   */
  name?: string;
  error: string;
  /** The entry as it was, JSON-safe and bounded (see plainEntry), to find the row: msg.target. */
  entry: unknown;
  /** The device, when the entry could be read and is a second entry for a device polled. */
  device?: Device;
}

export interface TargetChoice {
  devices: Device[];
  /** Entries that cannot be polled; the message still polls the others. */
  rejected: RejectedTarget[];
  /** The message tried to override a configured inventory (warn once). */
  ignoredOverride: boolean;
}

/** How deep msg.target copies an entry (the row, its labels object, their values). */
const ENTRY_DEPTH = 4;
/** Most fields or items copied from one object or array of an entry. */
const ENTRY_WIDTH = 32;

/**
 * The entry as it was, for msg.target: a row with its columns, a labels object or array
 * included. JSON-safe (a message goes to debug, MQTT, files as it is) and bounded: text
 * clipped, a date as ISO text, a big integer as its decimal text, no more than
 * ENTRY_WIDTH fields an object and ENTRY_DEPTH levels; binary, functions and the like
 * are left out, as JSON.stringify leaves out what it cannot write.
 */
function plainEntry(entry: unknown): unknown {
  const copy = jsonSafe(entry, 0);
  return copy === undefined ? null : copy;
}

function jsonSafe(v: unknown, depth: number): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return clip(v, 200);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return undefined;
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || depth >= ENTRY_DEPTH) return undefined;
  if (Array.isArray(v)) {
    return v.slice(0, ENTRY_WIDTH).map((item) => {
      const c = jsonSafe(item, depth + 1);
      return c === undefined ? null : c;
    });
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (n++ >= ENTRY_WIDTH) break;
    const c = jsonSafe((v as Record<string, unknown>)[k], depth + 1);
    if (c !== undefined) Object.defineProperty(out, clip(k, 64), { value: c, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `host:port` as the entry wrote it, for a person to find it by. */
function entryKey(entry: unknown, index: number, defaultPort: number): string {
  if (typeof entry === 'string') return clip(entry.trim().split(/\s+/)[0] || `msg.targets[${index}]`);
  if (entry && typeof entry === 'object') {
    const { host, port } = entry as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && host.trim() !== '') {
      const h = host.trim();
      // a host written with its port (127.0.0.1:16102, [::1]:1161) is shown as written
      if (/^\[[^\]]*\]:\d+$/.test(h) || (!isIPv6(h) && /^[^[\]:]+:\d+$/.test(h))) return clip(h);
      const p = port === undefined || port === null || port === '' ? defaultPort : port;
      return clip(`${isIPv6(h) ? `[${h}]` : h}:${String(p)}`);
    }
  }
  return `msg.targets[${index}]`;
}

function entryName(entry: unknown): string | undefined {
  if (typeof entry === 'string') {
    const words = entry.trim().split(/\s+/);
    return words[1] && !words[1].includes('=') ? clip(words[1]) : undefined;
  }
  const name = entry && typeof entry === 'object' ? (entry as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name.trim() !== '' ? clip(name.trim()) : undefined;
}

/**
 * Reads a msg.targets list entry by entry: the devices to poll, in order, and the
 * entries that cannot be polled (bad, a device listed a second time, or a name another
 * device already has: downstream nodes tell devices apart by name, so two devices with
 * one name would share one InfluxDB series and one alert). The first entry wins.
 */
export function readTargets(list: unknown[], defaultPort: number): { devices: Device[]; positions: number[]; rejected: RejectedTarget[] } {
  const devices: Device[] = [];
  /** Where each device stands in `list`. */
  const positions: number[] = [];
  const rejected: RejectedTarget[] = [];
  /** The entry of each identity polled, and of each name. */
  const seen = new Map<string, { index: number; device: Device }>();
  const named = new Map<string, { index: number; device: Device }>();
  list.forEach((t, index) => {
    let d: Device;
    try {
      d = parseTarget(t, defaultPort);
    } catch (err) {
      const key = entryKey(t, index, defaultPort);
      rejected.push({ index, key, name: entryName(t), error: `${entryPlace(index, key)}: ${(err as Error).message}`, entry: plainEntry(t) });
      return;
    }
    const identity = deviceIdentity(d.host, d.port);
    const key = describeDevice(d);
    const first = seen.get(identity);
    if (first !== undefined) {
      rejected.push({ index, key, name: d.name, error: `${entryPlace(index, key)}: the same device as ${otherEntry(first)}`, entry: plainEntry(t), device: d });
      return;
    }
    const other = named.get(d.name);
    if (other !== undefined) {
      // its message goes by its host:port: under the name it would count as a failure of the device polled under it
      rejected.push({ index, key, error: `${entryPlace(index, key)}: ${nameTaken(d.name, `by ${otherEntry(other, false)}`)}`, entry: plainEntry(t) });
      return;
    }
    seen.set(identity, { index, device: d });
    named.set(d.name, { index, device: d });
    devices.push(d);
    positions.push(index);
  });
  return { devices, positions, rejected };
}

/** `msg.targets[i] (host:port)`, the place said once when the entry has no host to show. */
function entryPlace(index: number, key: string): string {
  const place = `msg.targets[${index}]`;
  return key === place ? place : `${place} (${key})`;
}

/** The entry a second one clashes with: its place, host:port and, when asked and it has its own, its name. */
function otherEntry(other: { index: number; device: Device }, withName = true): string {
  const { index, device } = other;
  const at = describeDevice(device);
  const own = withName && device.name !== device.host && device.name !== at;
  return `msg.targets[${index}] (${at}${own ? ` named ${clip(device.name)}` : ''})`;
}

/** `host:port`, IPv6 in brackets. */
export function describeDevice(d: { host: string; port: number }): string {
  return d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

/**
 * Most entries of one msg.targets: more than any poller takes in one trigger, so a job
 * inflated by mistake or malice (a 10 MB payload over MQTT) is refused, not polled.
 */
export const MAX_TARGETS = 100000;

/**
 * Configured inventory wins; else msg.targets (array), else msg.target. Entries that
 * cannot be polled are returned apart; a message with nothing usable at all (no list,
 * no entry) throws a ConfigError for Catch.
 */
export function chooseTargets(inventory: Device[], msg: { targets?: unknown; target?: unknown }, defaultPort: number): TargetChoice {
  const fromMsg = msg.targets !== undefined || msg.target !== undefined;
  const rejected: RejectedTarget[] = [];
  if (inventory.length > 0) return { devices: inventory, rejected, ignoredOverride: fromMsg };
  if (msg.targets !== undefined) {
    if (!Array.isArray(msg.targets)) throw new ConfigError('msg.targets must be an array of "host[:port]" strings or {host, port} objects');
    if (msg.targets.length > MAX_TARGETS) throw new ConfigError(`msg.targets has ${msg.targets.length} entries, more than ${MAX_TARGETS}`);
    if (msg.targets.length === 0) throw new ConfigError('msg.targets is empty');
    const read = readTargets(msg.targets, defaultPort);
    return { devices: read.devices, rejected: read.rejected, ignoredOverride: false };
  }
  if (msg.target !== undefined) return { devices: [parseTarget(msg.target, defaultPort)], rejected, ignoredOverride: false };
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
  const walked = oids.slice(nonRepeaters).flatMap((oid) => {
    // a scalar's instance (sysUpTime.0) has nothing below it: walk the scalar, which yields
    // it, as snmpbulkwalk answers such a root (it walked nothing before)
    const info = mib?.describe(oid);
    if (info && info.kind === 'scalar' && info.instance === '0') return [info.oid];
    return mib?.tableColumns?.(oid) ?? [oid];
  });
  return [...scalars, ...new Set(walked)];
}
