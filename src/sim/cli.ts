#!/usr/bin/env node
/**
 * Command line of the fleet simulator (`npm run sim -- --devices 50`): starts a fleet,
 * writes its inventory, prints one line per event and a JSON line when ready and when
 * stopped, and runs until SIGINT/SIGTERM.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import type { SecurityLevel, V3User, AuthProtocol, PrivProtocol } from '../lib/common/types';
import { MALFORMED_KINDS, MalformedKind, SimVersion, TRAP_KINDS, TrapKind, startFleet, type Fleet, type DeviceBehaviour } from './fleet';
import { DEFAULT_MAX_MESSAGE_SIZE } from './agent';

const USAGE = `Usage: node nodes/sim/cli.js [options]

Starts simulated SNMP agents (SNMPv2-MIB system, IF-MIB ifTable/ifXTable) on loopback
UDP ports, one socket per device, until SIGINT or SIGTERM.

Fleet:
  --devices N            number of devices (default 50)
  --host ADDR            127.0.0.1 (default), ::1, or per-device: device i answers on
                         its own address 127.0.0.2, 127.0.0.3, ... (told apart by trap-in)
  --base-port P          device i listens on P+i (default: ephemeral ports)
  --interfaces N         interfaces per device (default 48)
  --community TEXT       v1/v2c community (default public)
  --version V            1, 2c (default; answers v1 too) or 3
  --v3-user SPEC         name:level[:auth:authKey[:priv:privKey]], repeatable, e.g.
                         ops:authPriv:sha256:authpass1:aes:privpass1
  --v3-devices N         the last N devices are SNMPv3 (with --version 2c)
  --name-prefix TEXT     device names TEXT-0000... (default sim)
  --label KEY=V1,V2,...  label values assigned round-robin, repeatable
  --seed N               seed of rates, uptimes and engine IDs (default 1)
  --max-message-size B   largest answer in bytes (default 65507, as snmpd; 1472 for a small agent)
  --inventory PATH       write the inventory (host:port name key=value ...) to PATH

Behaviours (devices are chosen from the end of the fleet: dead first, then slow, then garbage):
  --dead N               N devices never answer
  --slow N               N devices answer late (see --slow-ms)
  --slow-ms MS           delay of slow devices (default 2000)
  --garbage N            N devices answer every request with a broken datagram, each kind
                         in turn (${MALFORMED_KINDS.join(', ')})
  --wrap-soon N          on the first N devices Counter32 octets wrap within seconds
  --malformed KIND       device 0 answers with broken datagrams: ${MALFORMED_KINDS.join(', ')}

Events (each prints a line; traps go to --trap-to when set):
  --reboot-every S       every S seconds one device reboots (coldStart trap)
  --flap-every S         every S seconds one interface goes down, up again S/2 later
  --saturate-every S     every S seconds one interface runs at ~100% for --saturate-ms
  --saturate-ms MS       default 60000
  --trap-to HOST:PORT    send linkDown/linkUp/coldStart traps there
  --trap-version V       1 or 2c (default 2c; v3 devices send v3)
  --stats-every S        print a JSON stats line every S seconds

  -h, --help             this text
`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function int(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) fail(`--${name} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

function parseUser(spec: string): V3User {
  const [name, level, authProtocol, authKey, privProtocol, privKey] = spec.split(':');
  const levels: SecurityLevel[] = ['noAuthNoPriv', 'authNoPriv', 'authPriv'];
  if (!name || !levels.includes(level as SecurityLevel)) fail(`--v3-user needs name:level, level one of ${levels.join('/')}`);
  const user: V3User = { name, level: level as SecurityLevel };
  if (level !== 'noAuthNoPriv') {
    if (!authProtocol || !authKey) fail(`--v3-user ${name}: ${level} needs auth protocol and key`);
    user.authProtocol = authProtocol as AuthProtocol;
    user.authKey = authKey;
  }
  if (level === 'authPriv') {
    if (!privProtocol || !privKey) fail(`--v3-user ${name}: authPriv needs priv protocol and key`);
    user.privProtocol = privProtocol as PrivProtocol;
    user.privKey = privKey;
  }
  return user;
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) fail(`--trap-to needs HOST:PORT (IPv6 as [::1]:PORT), got ${JSON.stringify(text)}`);
  return { host: m[1], port: Number(m[2]) };
}

function log(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        devices: { type: 'string' }, host: { type: 'string' }, 'base-port': { type: 'string' },
        interfaces: { type: 'string' }, community: { type: 'string' }, version: { type: 'string' },
        'v3-user': { type: 'string', multiple: true }, 'v3-devices': { type: 'string' },
        'name-prefix': { type: 'string' }, label: { type: 'string', multiple: true }, seed: { type: 'string' },
        'max-message-size': { type: 'string' }, inventory: { type: 'string' },
        dead: { type: 'string' }, slow: { type: 'string' }, 'slow-ms': { type: 'string' }, garbage: { type: 'string' },
        'wrap-soon': { type: 'string' }, malformed: { type: 'string' },
        'reboot-every': { type: 'string' }, 'flap-every': { type: 'string' },
        'saturate-every': { type: 'string' }, 'saturate-ms': { type: 'string' },
        'trap-to': { type: 'string' }, 'trap-version': { type: 'string' }, 'stats-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }

  const count = int('devices', args.devices, 50, 1);
  const interfaces = int('interfaces', args.interfaces, 48, 1);
  const version = (args.version ?? '2c') as SimVersion;
  if (!['1', '2c', '3'].includes(version)) fail(`--version must be 1, 2c or 3`);
  const users = (args['v3-user'] ?? []).map(parseUser);
  const v3Devices = int('v3-devices', args['v3-devices'], version === '3' ? count : 0);
  if (v3Devices > 0 && users.length === 0) fail('SNMPv3 devices need at least one --v3-user');
  const labels: Record<string, string[]> = {};
  for (const spec of args.label ?? []) {
    const eq = spec.indexOf('=');
    if (eq < 1) fail(`--label needs KEY=V1,V2, got ${JSON.stringify(spec)}`);
    labels[spec.slice(0, eq)] = spec.slice(eq + 1).split(',').filter(Boolean);
  }
  const malformed = args.malformed as MalformedKind | undefined;
  if (malformed !== undefined && !MALFORMED_KINDS.includes(malformed)) fail(`--malformed must be one of ${MALFORMED_KINDS.join(', ')}`);
  const trapVersion = args['trap-version'] ?? '2c';
  if (trapVersion !== '1' && trapVersion !== '2c') fail('--trap-version must be 1 or 2c');
  const trapTo = args['trap-to'] ? hostPort(args['trap-to']) : undefined;

  // Dead devices from the end of the fleet, slow ones just before them.
  const dead = Math.min(count, int('dead', args.dead, 0));
  const slow = Math.min(count - dead, int('slow', args.slow, 0));
  const slowMs = int('slow-ms', args['slow-ms'], 2000);
  const garbage = Math.min(count - dead - slow, int('garbage', args.garbage, 0));
  const wrapSoon = Math.min(count, int('wrap-soon', args['wrap-soon'], 0));
  const behaviours: Record<number, DeviceBehaviour> = {};
  const behave = (i: number, b: DeviceBehaviour) => { behaviours[i] = { ...behaviours[i], ...b }; };
  for (let k = 0; k < dead; k++) behave(count - 1 - k, { silent: true });
  for (let k = 0; k < slow; k++) behave(count - 1 - dead - k, { slowMs });
  for (let k = 0; k < garbage; k++) behave(count - 1 - dead - slow - k, { malformed: MALFORMED_KINDS[k % MALFORMED_KINDS.length] });
  for (let i = 0; i < wrapSoon; i++) behave(i, { wrapSoon: true });
  if (malformed) behave(0, { malformed });

  const started = Date.now();
  let fleet: Fleet;
  try {
    fleet = await startFleet({
      count,
      host: args.host,
      basePort: int('base-port', args['base-port'], 0),
      interfaces,
      community: args.community,
      version: (i) => (i >= count - v3Devices ? '3' : version === '3' ? '2c' : version),
      v3Users: users,
      seed: int('seed', args.seed, 1),
      namePrefix: args['name-prefix'],
      labels,
      behaviours,
      maxMessageSize: int('max-message-size', args['max-message-size'], DEFAULT_MAX_MESSAGE_SIZE, 484),
    });
  } catch (err) {
    process.stderr.write(`sim: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const startMs = Date.now() - started;
  if (args.inventory) fs.writeFileSync(args.inventory, fleet.inventoryText());

  const devices = fleet.devices;
  const where = (i: number) => `${devices[i].name} (${devices[i].host.includes(':') ? `[${devices[i].host}]` : devices[i].host}:${devices[i].port})`;
  const live = devices.map((d) => d.index).filter((i) => !behaviours[i]?.silent);
  const trap = (i: number, kind: TrapKind, ifIndex?: number) => {
    if (!trapTo || !TRAP_KINDS.includes(kind)) return;
    const version = devices[i].version === '3' ? '3' : trapVersion;
    fleet.sendTrap(i, trapTo, kind, { ifIndex, version }).then(
      () => log(`trap ${kind} from ${where(i)} to ${args['trap-to']}`),
      (err: Error) => log(`trap ${kind} from ${where(i)} failed: ${err.message}`),
    );
  };

  const timers = new Set<NodeJS.Timeout>();
  let tick = 0;
  // Deterministic walk over the live devices (a stride coprime with most fleet sizes).
  const pick = () => live[(tick++ * 7919) % live.length];
  const every = (name: string, seconds: number, fn: () => void) => {
    if (seconds > 0 && live.length > 0) timers.add(setInterval(fn, seconds * 1000));
    else if (seconds > 0) log(`${name}: no live device`);
  };
  every('reboot', int('reboot-every', args['reboot-every'], 0), () => {
    const i = pick();
    fleet.device(i).reboot();
    log(`reboot ${where(i)}`);
    trap(i, 'coldStart');
  });
  const flapSeconds = int('flap-every', args['flap-every'], 0);
  every('flap', flapSeconds, () => {
    const i = pick();
    const ifIndex = 1 + (tick % interfaces);
    fleet.device(i).linkDown(ifIndex);
    log(`linkDown ${where(i)} ifIndex ${ifIndex}`);
    trap(i, 'linkDown', ifIndex);
    const up = setTimeout(() => {
      timers.delete(up);
      fleet.device(i).linkUp(ifIndex);
      log(`linkUp ${where(i)} ifIndex ${ifIndex}`);
      trap(i, 'linkUp', ifIndex);
    }, (flapSeconds * 1000) / 2);
    timers.add(up);
  });
  const saturateMs = int('saturate-ms', args['saturate-ms'], 60_000);
  every('saturate', int('saturate-every', args['saturate-every'], 0), () => {
    const i = pick();
    const ifIndex = 1 + ((tick * 5) % interfaces);
    fleet.device(i).saturate(ifIndex, saturateMs);
    log(`saturate ${where(i)} ifIndex ${ifIndex} for ${saturateMs} ms`);
  });
  const summary = () => {
    const s = fleet.stats();
    return { devices: s.devices, requests: s.requests, responses: s.responses, dropped: s.dropped, badRequests: s.badRequests, errors: s.errors };
  };
  const statsEvery = int('stats-every', args['stats-every'], 0);
  if (statsEvery > 0) timers.add(setInterval(() => process.stdout.write(`${JSON.stringify({ event: 'stats', ...summary() })}\n`), statsEvery * 1000));

  for (const [i, b] of Object.entries(behaviours)) log(`device ${where(Number(i))}: ${JSON.stringify(b)}`);
  process.stdout.write(`${JSON.stringify({
    event: 'ready',
    devices: count,
    host: fleet.host,
    firstPort: devices[0].port,
    lastPort: devices[count - 1].port,
    interfaces,
    v3Devices,
    dead,
    slow,
    garbage,
    inventory: args.inventory ?? null,
    startMs,
  })}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    for (const t of timers) clearInterval(t);
    log(`${signal}: closing ${count} devices`);
    await fleet.close();
    process.stdout.write(`${JSON.stringify({ event: 'stopped', ...summary() })}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`sim: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
