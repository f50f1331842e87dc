/**
 * snmp-config's properties and credentials, checked once into a typed SnmpProfile.
 * The inventory text is read by the grammar of common/inventory.ts.
 *
 * Editor values arrive as strings (maybe blank); every check names the property so
 * the node can show one clear error. No secret is ever put into an error message.
 */
import * as net from 'net';
import { parseInventory } from '../common/inventory';
import { clip, decimal, integer, oneOf, PropertyError, text as str } from '../common/properties';
import type { AuthProtocol, PrivProtocol, SecurityLevel, SnmpProfile, SnmpVersion, Transport } from '../common/types';

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
  trapEngineIds?: unknown;
  inventory?: unknown;
  mibDirs?: unknown;
}

export interface RawCredentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

/** RFC 3411 SnmpEngineID: 5 to 32 octets, written as hex with an optional 0x. */
const ENGINE_ID = /^(0x)?([0-9a-fA-F]{2}){5,32}$/;

/**
 * The `trapEngineIds` property: one engine ID a line (hex, optional 0x; `#` comments,
 * blank lines ignored), lower-case and without duplicates. Throws a PropertyError
 * naming the line.
 */
export function parseEngineIds(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, '').trim();
    if (!line) continue;
    if (!ENGINE_ID.test(line)) {
      throw new PropertyError('trapEngineIds', `trap engine IDs line ${i + 1}: "${clip(line)}" is not an engine ID (5 to 32 octets of hex)`);
    }
    const id = line.replace(/^0x/i, '').toLowerCase();
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * Builds the profile from snmp-config's properties and credentials.
 * Throws a PropertyError naming the property, with a message fit for the user (never
 * containing a secret).
 */
export function buildProfile(raw: RawConfig, creds: RawCredentials = {}): SnmpProfile {
  const version = oneOf<SnmpVersion>('version', raw.version, ['1', '2c', '3'], '2c');
  const port = integer('port', raw.port, DEFAULTS.port, 1, 65535);
  const transport = oneOf<Transport>('transport', raw.transport, ['udp4', 'udp6'], 'udp4');
  const sourceAddress = str(raw.sourceAddress) || undefined;
  if (sourceAddress && !net.isIP(sourceAddress)) throw new PropertyError('sourceAddress', 'source address must be an IP address');
  if (sourceAddress && (net.isIPv6(sourceAddress) ? 'udp6' : 'udp4') !== transport) {
    throw new PropertyError('sourceAddress', `source address ${sourceAddress} does not match transport ${transport}`);
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
    if (!name) throw new PropertyError('user', 'SNMPv3 needs a user name');
    if (name.length > 32) throw new PropertyError('user', 'SNMPv3 user name is longer than 32 characters');
    const level = oneOf<SecurityLevel>('securityLevel', raw.securityLevel, SECURITY_LEVELS, 'authPriv');
    profile.user = { name, level };
    if (level !== 'noAuthNoPriv') {
      profile.user.authProtocol = oneOf<AuthProtocol>('authProtocol', raw.authProtocol, AUTH_PROTOCOLS, 'sha');
      const authKey = creds.authKey ?? '';
      // RFC 3414 §11.2: passwords shorter than 8 characters are refused by agents
      if (authKey.length < 8) throw new PropertyError('authKey', 'the authentication key must be at least 8 characters');
      profile.user.authKey = authKey;
    }
    if (level === 'authPriv') {
      profile.user.privProtocol = oneOf<PrivProtocol>('privProtocol', raw.privProtocol, PRIV_PROTOCOLS, 'aes');
      const privKey = creds.privKey ?? '';
      if (privKey.length < 8) throw new PropertyError('privKey', 'the privacy key must be at least 8 characters');
      profile.user.privKey = privKey;
    }
    const engine = str(raw.contextEngineId).replace(/^0x/i, '');
    if (engine) {
      if (!/^([0-9a-fA-F]{2}){5,32}$/.test(engine)) throw new PropertyError('contextEngineId', 'context engine ID must be 5 to 32 octets of hex');
      profile.contextEngineId = engine.toLowerCase();
    }
    const trapEngineIds = parseEngineIds(str(raw.trapEngineIds));
    if (trapEngineIds.length > 0) profile.trapEngineIds = trapEngineIds;
  } else {
    profile.community = creds.community ?? '';
    if (!profile.community) profile.community = 'public';
  }
  try {
    profile.inventory = parseInventory(str(raw.inventory), port);
  } catch (err) {
    throw new PropertyError('inventory', (err as Error).message);
  }
  return profile;
}
