/**
 * The inventory format of DESIGN.md, one device a line:
 *
 *     host[:port] [name] [key=value ...]      # comment
 *     [::1]:1161 lab-6 site=lab
 *     192.0.2.10 core-1 interval=60 profile=core-v3 site=paris
 *
 * where `interval` (seconds between polls, or a duration such as `5m`) and `profile`
 * (an snmp-config node's name) are the device's own settings, not labels; and the
 * `msg.targets` / `msg.target` entries that use the same words. This module is
 * the only grammar: the runtime (snmp-config's profile, the poll nodes) imports it, and
 * the build bundles it for the editor as resources/snmp-fleet-inventory.js (global
 * SnmpFleetInventory), so it must not use Node built-ins. No secret is ever put into an
 * error message.
 */
import { parseDuration } from './duration';
import { canonicalIPv6, isIP, isIPv6 } from './ip';
import type { Device } from './types';

/** A configuration value the user has to fix; the message is fit to show them. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Host names, IPv4 and IPv6 literals; rejects spaces, URLs and control characters. */
export function isValidHost(host: string): boolean {
  if (isIP(host)) return true;
  if (host.length === 0 || host.length > 253) return false;
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?)*\.?$/.test(host);
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 literal. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const { host, port = defaultPort } = readHostPort(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`port of "${clip(text)}" must be 1-65535`);
  return { host, port };
}

/** The host and, when the text carries one, the port; throws a ConfigError as parseHostPort does. */
function readHostPort(text: string): { host: string; port?: number } {
  let host = text;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = Number(bracket[2]);
    if (isIPv6(host) === false) throw new ConfigError(`"${clip(text)}" is not an IPv6 address in brackets`);
  } else if (isIPv6(text)) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      const p = text.slice(colon + 1);
      if (!/^\d+$/.test(p)) throw new ConfigError(`"${clip(text)}" has a bad port`);
      port = Number(p);
    }
  }
  if (!isValidHost(host)) throw new ConfigError(`"${clip(host)}" is not a host name or IP address`);
  if (port === undefined) return { host };
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`port of "${clip(text)}" must be 1-65535`);
  return { host, port };
}

/** `host:port`, an IPv6 host in brackets (`[::1]:161`), as users write it. */
export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What tells two devices apart, one spelling per agent: the host (an IPv6 address in
 * its canonical form, a name in lower case without a final dot) and the port. Two
 * inventory lines with one identity are one device listed twice; counter-rate keys its
 * series by it, since names may be shared and a bare host does not tell two agents
 * behind one address apart.
 */
export function deviceIdentity(host: string, port: number): string {
  // every IPv6 literal has a colon; a name or an IPv4 address (the usual case, on every poll) has none
  if (host.includes(':') && isIPv6(host)) return `[${canonicalIPv6(host)}]:${port}`;
  const lower = host.toLowerCase();
  return `${lower.endsWith('.') ? lower.slice(0, -1) : lower}:${port}`;
}

/** The name of a device listed without one: its host, or host:port when the port is not the profile's. */
export function defaultDeviceName(host: string, port: number, defaultPort: number): string {
  return port === defaultPort ? host : hostPort(host, port);
}

function clip(s: string): string {
  // error text quotes user input; keep it short and free of control characters
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * The shortest poll interval a device may ask for, in seconds. Below it a fleet's polls
 * would follow each other faster than a retried request times out (2 s × 2 by default),
 * and a typo (`interval=1` for one minute) would hammer the device.
 */
export const MIN_INTERVAL_S = 5;
/** The longest: a day. */
export const MAX_INTERVAL_S = 86400;

/** `interval` of an inventory line or a target: seconds, or a duration (`300`, `5m`). */
export function parseInterval(value: unknown): number {
  if (blank(value)) throw new ConfigError('interval is empty');
  let seconds: number;
  try {
    seconds = parseDuration(typeof value === 'string' ? value.trim() : value, NaN);
  } catch {
    throw new ConfigError(`interval "${clip(String(value))}" is not a number of seconds or a duration such as 5m`);
  }
  if (!(seconds >= MIN_INTERVAL_S)) throw new ConfigError(`interval ${clip(String(value))} is below the floor of ${MIN_INTERVAL_S} s`);
  if (seconds > MAX_INTERVAL_S) throw new ConfigError(`interval ${clip(String(value))} is longer than a day`);
  return seconds;
}

/** The longest profile name: an snmp-config node's name. */
const MAX_PROFILE_NAME = 128;

/**
 * `profile` of an inventory line (`profile=core-v3`, never empty there) or of a target
 * object (a blank column counts as absent before this): an snmp-config node's name.
 */
function checkProfile(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > MAX_PROFILE_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConfigError(`profile "${clip(value)}" must be the name of an snmp-config node (1 to ${MAX_PROFILE_NAME} characters)`);
  }
  return name;
}

/** A device with its own settings; absent ones stay absent, so a device compares and prints as before. */
function makeDevice(host: string, port: number, name: string, labels: Record<string, string>, interval?: number, profile?: string): Device {
  const d: Device = { host, port, name, labels };
  if (interval !== undefined) d.interval = interval;
  if (profile !== undefined) d.profile = profile;
  return d;
}

/**
 * A device's name is what its messages are told apart by downstream (msg.topic: the
 * InfluxDB device tag, threshold-alert's alerts, snmp-metrics' device label), so two
 * devices of one inventory never share one, whether written or taken from the host.
 */
export function nameTaken(name: string, where: string): string {
  return `name ${clip(name)} is already used ${where}`;
}

/** The first bad line of an inventory: its number (from 1) and what is wrong with it. */
export interface InventoryProblem {
  line: number;
  error: string;
}

function readInventory(text: string, defaultPort: number): { devices: Device[]; problem?: InventoryProblem } {
  const devices: Device[] = [];
  /** Line number (from 1) of each identity listed so far. */
  const seen = new Map<string, number>();
  /** Line number and device of each name used so far. */
  const named = new Map<string, { line: number; device: Device }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, '').trim();
    if (!line) continue;
    try {
      const device = parseInventoryLine(line, defaultPort);
      const key = deviceIdentity(device.host, device.port);
      const first = seen.get(key);
      if (first !== undefined) throw new ConfigError(`${clip(hostPort(device.host, device.port))} is listed twice (first on line ${first})`);
      const other = named.get(device.name);
      if (other !== undefined) throw new ConfigError(nameTaken(device.name, `on line ${other.line} by ${clip(hostPort(other.device.host, other.device.port))}`));
      seen.set(key, i + 1);
      named.set(device.name, { line: i + 1, device });
      devices.push(device);
    } catch (err) {
      return { devices, problem: { line: i + 1, error: (err as Error).message } };
    }
  }
  return { devices };
}

/**
 * Parses inventory text, one device a line. Blank lines and `#` comments are skipped.
 * Throws a ConfigError naming the first bad line ("inventory line 3: ...").
 */
export function parseInventory(text: string, defaultPort: number): Device[] {
  const { devices, problem } = readInventory(text, defaultPort);
  if (problem) throw new ConfigError(`inventory line ${problem.line}: ${problem.error}`);
  return devices;
}

/**
 * What parseInventory would refuse, without throwing: the first bad line and its error
 * (without the "inventory line N: " prefix, which the editor words in the user's
 * language), or null when every line is good.
 */
export function inventoryProblem(text: string, defaultPort: number): InventoryProblem | null {
  return readInventory(text, defaultPort).problem ?? null;
}

/**
 * One inventory line (already without comment): `host[:port] [name] [key=value ...]`;
 * `interval=` and `profile=` set the device's own interval and profile (the snmp-config
 * node, by name, to poll it with); neither is a label.
 */
export function parseInventoryLine(line: string, defaultPort: number): Device {
  const words = line.split(/\s+/);
  const { host, port } = parseHostPort(words[0], defaultPort);
  let name = '';
  let interval: number | undefined;
  let profile: string | undefined;
  const labels: Record<string, string> = {};
  for (let w = 1; w < words.length; w++) {
    const word = words[w];
    const eq = word.indexOf('=');
    if (eq < 0) {
      if (w !== 1) throw new ConfigError(`"${clip(word)}" should be key=value`);
      name = word;
      continue;
    }
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'interval') {
      interval = parseInterval(value);
      continue;
    }
    if (key === 'profile') {
      profile = checkProfile(value);
      continue;
    }
    if (!LABEL_KEY.test(key)) throw new ConfigError(`label key "${clip(key)}" must start with a letter and hold letters, digits, _ . -`);
    labels[key] = value;
  }
  return makeDevice(host, port, name || defaultDeviceName(host, port, defaultPort), labels, interval, profile);
}

/**
 * Labels of a target object: an object, or its JSON text (a database column holding
 * JSON arrives as text from MariaDB, whose JSON type is text, or parsed by a client that
 * knows the type: a JSON string then arrives as a plain string). Nested values become
 * their JSON text, so a label is always a string.
 */
function targetLabels(value: unknown): Record<string, string> {
  let obj = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      obj = JSON.parse(value);
    } catch {
      // meant as an object or array but mistyped; else a string, whether written so or a
      // JSON string a client parsed
      if (/^\s*[[{]/.test(value)) throw new ConfigError(`labels are not JSON: "${clip(value)}"`);
      obj = value;
    }
  }
  if (obj === undefined || obj === null) {
    // an absent column; the JSON text "null" is no object of labels
    if (typeof value === 'string') throw new ConfigError(notLabels(obj));
    return {};
  }
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError(notLabels(obj));
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    labels[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return labels;
}

/** What labels that are no object of key: value pairs are instead. */
function notLabels(value: unknown): string {
  const what = typeof value === 'string' ? 'a string'
    : Array.isArray(value) ? 'an array'
      : value === null ? 'null'
        : typeof value === 'number' ? 'a number'
          : typeof value === 'boolean' ? value ? 'true' : 'false'
            : typeof value;
  let shown = '';
  if (typeof value === 'number') shown = `: ${value}`;
  else if (typeof value === 'string' || Array.isArray(value)) {
    try {
      shown = `: ${clip(JSON.stringify(value) ?? '')}`;
    } catch {
      shown = '';
    }
  }
  return `labels must be a JSON object of key: value pairs such as {"site":"paris"}, not ${what}${shown}`;
}

/**
 * A `msg.targets` entry or `msg.target`: a "host[:port]" string (an inventory line) or
 * a device object {host, port?, name?, labels?, interval?, profile?}, such as a row of
 * an inventory table (blank or null columns count as absent; labels may be JSON text).
 */
export function parseTarget(target: unknown, defaultPort: number): Device {
  if (typeof target === 'string') return parseInventoryLine(target.trim(), defaultPort);
  if (target && typeof target === 'object') {
    const t = target as { host?: unknown; port?: unknown; name?: unknown; labels?: unknown; interval?: unknown; profile?: unknown };
    if (typeof t.host !== 'string') throw new ConfigError('a target object needs a host string');
    const hp: { host: string; port?: number } = isIPv6(t.host) ? { host: t.host } : readHostPort(t.host.trim());
    const port = blank(t.port) ? hp.port ?? defaultPort : Number(t.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`port of target ${clip(hp.host)} must be 1-65535`);
    // a table whose port column defaults to 161 beside a host written with its port: polling
    // either port would be a guess, and the wrong one only times out
    if (hp.port !== undefined && hp.port !== port) throw new ConfigError(`host ${clip(t.host.trim())} carries port ${hp.port} but port is ${port}`);
    const labels = targetLabels(t.labels);
    const name = typeof t.name === 'string' && t.name.trim() ? t.name.trim() : defaultDeviceName(hp.host, port, defaultPort);
    const interval = blank(t.interval) ? undefined : parseInterval(t.interval);
    let profile: string | undefined;
    if (!blank(t.profile)) {
      if (typeof t.profile !== 'string') throw new ConfigError(`profile of target ${clip(hp.host)} must be the name of an snmp-config node`);
      profile = checkProfile(t.profile);
    }
    return makeDevice(hp.host, port, name, labels, interval, profile);
  }
  throw new ConfigError('a target must be "host[:port]" or {host, port}');
}

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/**
 * deviceIdentity of a device: unique in an inventory, the key of its schedule, its
 * health and its counter series.
 */
/** Each device object's identity, as last computed, with the host and port it was computed from. */
const identities = new WeakMap<object, { host: string; port: number; key: string }>();

export function deviceKey(d: { host: string; port: number }): string {
  // asked several times per poll of every device (the in-flight guard, the node's
  // statistics, the schedule): computed once per device object, and the same string
  // each time, whose hash the Maps and Sets it keys then keep
  const known = identities.get(d);
  if (known !== undefined && known.host === d.host && known.port === d.port) return known.key;
  const key = deviceIdentity(d.host, d.port);
  identities.set(d, { host: d.host, port: d.port, key });
  return key;
}
