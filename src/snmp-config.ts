/**
 * snmp-config: a credential and transport profile plus an optional inventory. Owns the
 * pooled sessions and the fleet scheduler of the nodes that use it (created on first
 * use, all closed on redeploy), like the mqtt-broker config node owns its client.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { buildProfile, type RawConfig, type RawCredentials } from './lib/snmp/profile';
import { FleetEngine } from './lib/poll/targets';
import { getMib } from './lib/red/mib-access';
import { registerMibApi } from './lib/red/mib-api';
import type { MibLookup, SnmpProfile } from './lib/common/types';

interface SnmpConfigDef extends NodeDef, RawConfig {}

/** What other nodes may use of an snmp-config node. */
interface SnmpConfigNode extends Node<RawCredentials> {
  /** The checked profile; undefined when the configuration is invalid (see configError). */
  profile: SnmpProfile | undefined;
  configError: string | undefined;
  users: Record<string, Node>;
  register(node: Node): void;
  deregister(node: Node, done?: () => void): void;
  /** The shared pool and scheduler, created on first call. */
  engine(): FleetEngine;
  /** The runtime's MIB service with this config's folders added. */
  mib(): MibLookup | undefined;
}

export = function (RED: NodeAPI) {
  // the editor's OID autocomplete and validation (permission snmp-fleet.read)
  registerMibApi(RED);

  function SnmpConfig(this: SnmpConfigNode, def: SnmpConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let engine: FleetEngine | undefined;
    node.users = {};
    node.profile = undefined;
    node.configError = undefined;

    try {
      node.profile = buildProfile(def, node.credentials ?? {});
    } catch (err) {
      node.configError = (err as Error).message;
      node.error(RED._('snmp-config.errors.invalid', { error: node.configError }));
    }

    node.register = (user: Node) => {
      node.users[user.id] = user;
    };

    node.deregister = (user: Node, done?: () => void) => {
      delete node.users[user.id];
      if (done) done();
    };

    node.engine = () => {
      if (!node.profile) throw new Error(node.configError ?? 'invalid configuration');
      if (!engine) engine = new FleetEngine(node.profile);
      return engine;
    };

    node.mib = () => getMib(node.profile?.mibDirs ?? [], (text) => node.warn(text));

    node.on('close', (_removed: boolean, done: () => void) => {
      try {
        if (engine) engine.close();
      } finally {
        engine = undefined;
        done();
      }
    });
  }

  RED.nodes.registerType('snmp-config', SnmpConfig as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: {
      community: { type: 'password' },
      authKey: { type: 'password' },
      privKey: { type: 'password' },
    },
  });
};
