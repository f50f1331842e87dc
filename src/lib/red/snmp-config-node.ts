/**
 * snmp-config as a Node-RED config node: the checked profile (or the reason it is
 * invalid), the users that registered with it, its polling engine (session pool and
 * fleet scheduler, created on first use, closed on redeploy) and the MIB service with
 * its folders, like the mqtt-broker config node owns its client (10-mqtt.js).
 */
import type { MibLookup, SnmpProfile } from '../common/types';
import { FleetEngine } from '../poll/fleet-engine';
import { buildProfile, type RawConfig, type RawCredentials } from '../snmp/profile';
import { getMib, mibDeployed, releaseMibDirs } from './mib-access';
import { addProfile, removeProfile } from './profile-registry';
import { PropertyError } from '../common/properties';
import type { RuntimeLike } from './node-facade';
import type { StatusObject } from './status';

/** What other nodes may use of an snmp-config node. */
export interface SnmpConfigApi {
  /** The checked profile; undefined when the configuration is invalid (see configError). */
  profile: SnmpProfile | undefined;
  configError: string | undefined;
  users: Record<string, unknown>;
  register(node: { id: string }): void;
  deregister(node: { id: string }, done?: () => void): void;
  /** The shared pool and scheduler, created on first call. */
  engine(): FleetEngine;
  /** The runtime's MIB service with this config's folders added. */
  mib(): MibLookup | undefined;
}

interface ConfigRedNode {
  name?: string;
  credentials?: RawCredentials;
  status(s: StatusObject): void;
  error(text: string): void;
  warn(text: string): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): unknown;
}

/** Turns a freshly created config node into an snmp-config: its API set on the node itself. */
export function setupSnmpConfig(RED: RuntimeLike, node: object, def: RawConfig): void {
  const red = node as ConfigRedNode & SnmpConfigApi;
  let engine: FleetEngine | undefined;
  red.users = {};
  red.profile = undefined;
  red.configError = undefined;
  try {
    red.profile = buildProfile(def, red.credentials ?? {});
  } catch (err) {
    // The pack's bad-configuration rule, for a config node: one log line, and a red ring
    // naming the property, which the runtime shows on its users' Status nodes; the users
    // show "invalid snmp-config" and hand every input to Catch with this reason.
    red.configError = (err as Error).message;
    red.error(RED._('snmp-config.errors.invalid', { error: red.configError }));
    const property = err instanceof PropertyError ? err.property : 'configuration';
    red.status({ fill: 'red', shape: 'ring', text: RED._('snmp-config.status.bad-property', { property }) });
  }
  // a (re)deploy: the MIB files may have changed since the last load
  mibDeployed(red, red.profile?.mibDirs ?? []);
  red.register = (user) => {
    red.users[user.id] = user;
    mibDeployed();
  };
  red.deregister = (user, done) => {
    delete red.users[user.id];
    done?.();
  };
  red.engine = () => {
    if (!red.profile) throw new Error(red.configError ?? 'invalid configuration');
    if (!engine) engine = new FleetEngine(red.profile);
    return engine;
  };
  red.mib = () => getMib(red.profile?.mibDirs ?? [], (text) => red.warn(text));
  // `profile: "<name>"` in a msg.targets entry finds this node by its name
  addProfile(red.name, red);
  red.on('close', (_removed, done) => {
    try {
      removeProfile(red.name, red);
      releaseMibDirs(red);
      engine?.close();
    } finally {
      engine = undefined;
      done();
    }
  });
}
