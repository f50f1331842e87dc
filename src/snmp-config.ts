/**
 * snmp-config: a credential and transport profile plus an optional inventory. Owns the
 * pooled sessions and the fleet scheduler of the nodes that use it (created on first
 * use, all closed on redeploy), like the mqtt-broker config node owns its client.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { registerMibApi } from './lib/red/mib-api';
import { setupSnmpConfig } from './lib/red/snmp-config-node';
import type { RawConfig } from './lib/snmp/profile';

type SnmpConfigDef = NodeDef & RawConfig;

export = function (RED: NodeAPI) {
  // the editor's OID autocomplete and validation (permission snmp-fleet.read)
  registerMibApi(RED);

  function SnmpConfig(this: Node, def: SnmpConfigDef) {
    RED.nodes.createNode(this, def);
    setupSnmpConfig(RED, this, def);
  }

  RED.nodes.registerType('snmp-config', SnmpConfig, {
    credentials: {
      community: { type: 'password' },
      authKey: { type: 'password' },
      privKey: { type: 'password' },
    },
    // megabytes the process's cache of MIB names for instance OIDs may hold
    settings: { snmpConfigMibNameCacheMb: { value: 16, exportable: false } },
  });
};
