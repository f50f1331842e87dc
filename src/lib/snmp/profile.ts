/**
 * snmp-config's properties and credentials, checked once into a typed SnmpProfile,
 * plus the inventory format of DESIGN.md:
 *
 *     host[:port] [name] [key=value ...]      # comment
 *     [::1]:1161 lab-6 site=lab
 *
 * Editor values arrive as strings (maybe blank); every check names the property so
 * the node can show one clear error. No secret is ever put into an error message.
 */
import * as net from 'net';
import type { AuthProtocol, Device, PrivProtocol, SecurityLevel, SnmpProfile, SnmpVersion, Transport } from '../common/types';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const AUTH_PROTOCOLS: readonly AuthProtocol[] = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'];
export const PRIV_PROTOCOLS: readonly PrivProtocol[] = ['des', 'aes', 'aes256b', 'aes256r'];
export const SECURITY_LEVELS: readonly SecurityLevel[] = ['noAuthNoPriv', 'authNoPriv', 'authPriv'];

/** Defaults a user of snmpget / Telegraf would expect. */
export const DEFAULTS = {
  port: 161,
  timeout: 2000,
  retries: 1,
  backoff: 1,
  maxRepetitions: 25,
  concurrency: 50,
  deadline: 30000,
} as const;

/** Raw properties as stored in the flow (strings or numbers). */
export interface RawConfig {
  version?: unknown;
  port?: unknown;
  timeout?: unknown;
  retries?: unknown;
  backoff?: unknown;
  maxRepetitions?: unknown;
  concurrency?: unknown;
  deadline?: unknown;
  transport?: unknown;
  sourceAddress?: unknown;
  user?: unknown;
  securityLevel?: unknown;
  authProtocol?: unknown;
  privProtocol?: unknown;
  context?: unknown;
  contextEngineId?: unknown;
  inventory?: unknown;
  mibDirs?: unknown;
}

export interface RawCredentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

function integer(name: string, v: unknown, def: number, min: number, max: number): number {
  const s = str(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function decimal(name: string, v: unknown, def: number, min: number, max: number): number {
  const s = str(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], def: T): T {
  const s = str(v);
  if (s === '') return def;
  if (!(allowed as readonly string[]).includes(s)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`);
  return s as T;
}

/** Host names, IPv4 and IPv6 literals; rejects spaces, URLs and control characters. */
export function isValidHost(host: string): boolean {
  if (net.isIP(host)) return true;
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
    if (net.isIPv6(host) === false) throw new ConfigError(`"${clip(text)}" is not an IPv6 address in brackets`);
  } else if (net.isIPv6(text)) {
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

function clip(s: string): string {
  // error text quotes user input; keep it short and free of control characters
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses inventory text, one device a line. Blank lines and `#` comments are skipped.
 * Throws a ConfigError naming the first bad line ("line 3: ...").
 */
export function parseInventory(text: string, defaultPort: number): Device[] {
  const devices: Device[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, '').trim();
    if (!line) continue;
    try {
      const device = parseInventoryLine(line, defaultPort);
      const key = `${device.host}|${device.port}`;
      if (seen.has(key)) throw new ConfigError(`${device.host}:${device.port} is listed twice`);
      seen.add(key);
      devices.push(device);
    } catch (err) {
      throw new ConfigError(`inventory line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return devices;
}

/** One inventory line (already without comment): `host[:port] [name] [key=value ...]`. */
export function parseInventoryLine(line: string, defaultPort: number): Device {
  const words = line.split(/\s+/);
  const { host, port } = parseHostPort(words[0], defaultPort);
  let name = '';
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
    labels[key] = word.slice(eq + 1);
  }
  return { host, port, name: name || host, labels };
}

/**
 * A `msg.targets` entry or `msg.target`: a "host[:port]" string or a device object
 * {host, port?, name?, labels?}.
 */
export function parseTarget(target: unknown, defaultPort: number): Device {
  if (typeof target === 'string') return parseInventoryLine(target.trim(), defaultPort);
  if (target && typeof target === 'object') {
    const t = target as { host?: unknown; port?: unknown; name?: unknown; labels?: unknown };
    if (typeof t.host !== 'string') throw new ConfigError('a target object needs a host string');
    const hp = net.isIPv6(t.host) ? { host: t.host, port: defaultPort } : parseHostPort(t.host.trim(), defaultPort);
    const port = t.port === undefined || t.port === null || t.port === '' ? hp.port : Number(t.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`port of target ${clip(hp.host)} must be 1-65535`);
    const labels: Record<string, string> = {};
    if (t.labels && typeof t.labels === 'object') {
      for (const [k, v] of Object.entries(t.labels as Record<string, unknown>)) {
        if (v !== undefined && v !== null) labels[k] = String(v);
      }
    }
    const name = typeof t.name === 'string' && t.name.trim() ? t.name.trim() : hp.host;
    return { host: hp.host, port, name, labels };
  }
  throw new ConfigError('a target must be "host[:port]" or {host, port}');
}

/**
 * Builds the profile from snmp-config's properties and credentials.
 * Throws ConfigError with a message fit for the user (never containing a secret).
 */
export function buildProfile(raw: RawConfig, creds: RawCredentials = {}): SnmpProfile {
  const version = oneOf<SnmpVersion>('version', raw.version, ['1', '2c', '3'], '2c');
  const port = integer('port', raw.port, DEFAULTS.port, 1, 65535);
  const transport = oneOf<Transport>('transport', raw.transport, ['udp4', 'udp6'], 'udp4');
  const sourceAddress = str(raw.sourceAddress) || undefined;
  if (sourceAddress && !net.isIP(sourceAddress)) throw new ConfigError('source address must be an IP address');
  if (sourceAddress && (net.isIPv6(sourceAddress) ? 'udp6' : 'udp4') !== transport) {
    throw new ConfigError(`source address ${sourceAddress} does not match transport ${transport}`);
  }
  const profile: SnmpProfile = {
    version,
    community: '',
    port,
    timeout: integer('timeout', raw.timeout, DEFAULTS.timeout, 10, 600000),
    retries: integer('retries', raw.retries, DEFAULTS.retries, 0, 20),
    backoff: decimal('backoff', raw.backoff, DEFAULTS.backoff, 1, 10),
    maxRepetitions: integer('maxRepetitions', raw.maxRepetitions, DEFAULTS.maxRepetitions, 1, 1000),
    concurrency: integer('concurrency', raw.concurrency, DEFAULTS.concurrency, 1, 10000),
    deadline: integer('deadline', raw.deadline, DEFAULTS.deadline, 10, 3600000),
    transport,
    context: str(raw.context),
    inventory: [],
    mibDirs: str(raw.mibDirs).split(/\r?\n/).map((s) => s.trim()).filter(Boolean),
  };
  if (sourceAddress) profile.sourceAddress = sourceAddress;
  if (version === '3') {
    const name = str(raw.user);
    if (!name) throw new ConfigError('SNMPv3 needs a user name');
    if (name.length > 32) throw new ConfigError('SNMPv3 user name is longer than 32 characters');
    const level = oneOf<SecurityLevel>('securityLevel', raw.securityLevel, SECURITY_LEVELS, 'authPriv');
    profile.user = { name, level };
    if (level !== 'noAuthNoPriv') {
      profile.user.authProtocol = oneOf<AuthProtocol>('authProtocol', raw.authProtocol, AUTH_PROTOCOLS, 'sha');
      const authKey = creds.authKey ?? '';
      // RFC 3414 §11.2: passwords shorter than 8 characters are refused by agents
      if (authKey.length < 8) throw new ConfigError('the authentication key must be at least 8 characters');
      profile.user.authKey = authKey;
    }
    if (level === 'authPriv') {
      profile.user.privProtocol = oneOf<PrivProtocol>('privProtocol', raw.privProtocol, PRIV_PROTOCOLS, 'aes');
      const privKey = creds.privKey ?? '';
      if (privKey.length < 8) throw new ConfigError('the privacy key must be at least 8 characters');
      profile.user.privKey = privKey;
    }
    const engine = str(raw.contextEngineId).replace(/^0x/i, '');
    if (engine) {
      if (!/^([0-9a-fA-F]{2}){5,32}$/.test(engine)) throw new ConfigError('context engine ID must be 5 to 32 octets of hex');
      profile.contextEngineId = engine.toLowerCase();
    }
  } else {
    profile.community = creds.community ?? '';
    if (!profile.community) profile.community = 'public';
  }
  profile.inventory = parseInventory(str(raw.inventory), port);
  return profile;
}
