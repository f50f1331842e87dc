/**
 * The inventory format of DESIGN.md, one device a line:
 *
 *     host[:port] [name] [key=value ...]      # comment
 *     [::1]:1161 lab-6 site=lab
 *
 * and the `msg.targets` / `msg.target` entries that use the same words. This module is
 * the only grammar: the runtime (snmp-config's profile, the poll nodes) imports it, and
 * the build bundles it for the editor as resources/snmp-fleet-inventory.js (global
 * SnmpFleetInventory), so it must not use Node built-ins. No secret is ever put into an
 * error message.
 */
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
  let host = text;
  let port = defaultPort;
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
  if (isIPv6(host)) return `[${canonicalIPv6(host)}]:${port}`;
  return `${host.toLowerCase().replace(/\.$/, '')}:${port}`;
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

/** The first bad line of an inventory: its number (from 1) and what is wrong with it. */
export interface InventoryProblem {
  line: number;
  error: string;
}

function readInventory(text: string, defaultPort: number): { devices: Device[]; problem?: InventoryProblem } {
  const devices: Device[] = [];
  /** Line number (from 1) of each identity listed so far. */
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, '').trim();
    if (!line) continue;
    try {
      const device = parseInventoryLine(line, defaultPort);
      const key = deviceIdentity(device.host, device.port);
      const first = seen.get(key);
      if (first !== undefined) throw new ConfigError(`${clip(hostPort(device.host, device.port))} is listed twice (first on line ${first})`);
      seen.set(key, i + 1);
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

/** A profile name: an snmp-config node's name, as a line can hold it (no spaces) or an object gives it. */
const MAX_PROFILE_NAME = 128;

function checkProfile(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > MAX_PROFILE_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConfigError(`profile "${clip(value)}" must be the name of an snmp-config node (1 to ${MAX_PROFILE_NAME} characters)`);
  }
  return name;
}

/**
 * One inventory line (already without comment): `host[:port] [name] [key=value ...]`.
 * `profile=<snmp-config name>` chooses the profile to poll the device with; it is not a label.
 */
export function parseInventoryLine(line: string, defaultPort: number): Device {
  const words = line.split(/\s+/);
  const { host, port } = parseHostPort(words[0], defaultPort);
  let name = '';
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
    if (!LABEL_KEY.test(key)) throw new ConfigError(`label key "${clip(key)}" must start with a letter and hold letters, digits, _ . -`);
    if (key === 'profile') profile = checkProfile(word.slice(eq + 1));
    else labels[key] = word.slice(eq + 1);
  }
  const device: Device = { host, port, name: name || defaultDeviceName(host, port, defaultPort), labels };
  if (profile !== undefined) device.profile = profile;
  return device;
}

/**
 * A `msg.targets` entry or `msg.target`: a "host[:port]" string or a device object
 * {host, port?, name?, labels?, profile?}.
 */
export function parseTarget(target: unknown, defaultPort: number): Device {
  if (typeof target === 'string') return parseInventoryLine(target.trim(), defaultPort);
  if (target && typeof target === 'object') {
    const t = target as { host?: unknown; port?: unknown; name?: unknown; labels?: unknown; profile?: unknown };
    if (typeof t.host !== 'string') throw new ConfigError('a target object needs a host string');
    const hp = isIPv6(t.host) ? { host: t.host, port: defaultPort } : parseHostPort(t.host.trim(), defaultPort);
    const port = t.port === undefined || t.port === null || t.port === '' ? hp.port : Number(t.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`port of target ${clip(hp.host)} must be 1-65535`);
    const labels: Record<string, string> = {};
    if (t.labels && typeof t.labels === 'object') {
      for (const [k, v] of Object.entries(t.labels as Record<string, unknown>)) {
        if (v !== undefined && v !== null) labels[k] = String(v);
      }
    }
    const name = typeof t.name === 'string' && t.name.trim() ? t.name.trim() : defaultDeviceName(hp.host, port, defaultPort);
    const device: Device = { host: hp.host, port, name, labels };
    if (t.profile !== undefined && t.profile !== null && t.profile !== '') {
      if (typeof t.profile !== 'string') throw new ConfigError(`profile of target ${clip(hp.host)} must be the name of an snmp-config node`);
      device.profile = checkProfile(t.profile);
    }
    return device;
  }
  throw new ConfigError('a target must be "host[:port]" or {host, port}');
}
