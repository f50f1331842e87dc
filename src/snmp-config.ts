/**
 * snmp-config: a credential and transport profile plus an optional inventory. Owns the
 * pooled sessions and the fleet scheduler of the nodes that use it (created on first
 * use, all closed on redeploy), like the mqtt-broker config node owns its client.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { registerMibApi } from './lib/red/mib-api';
import { applyKeyCacheSetting, KEY_CACHE_SETTING } from './lib/red/process-settings';
import { setupSnmpConfig } from './lib/red/snmp-config-node';
import type { RawConfig } from './lib/snmp/profile';

type SnmpConfigDef = NodeDef & RawConfig;

export = function (RED: NodeAPI) {
  // the editor's OID autocomplete and validation (permission snmp-fleet.read)
  registerMibApi(RED);
  const keyCacheWarning = applyKeyCacheSetting((RED.settings as unknown as Record<string, unknown>)[KEY_CACHE_SETTING]);
  if (keyCacheWarning) RED.log.warn(keyCacheWarning);

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
    // and how many SNMPv3 localized keys the process keeps (one auth and one priv key per agent)
    settings: {
      snmpConfigMibNameCacheMb: { value: 16, exportable: false },
      snmpConfigV3KeyCacheSize: { value: 20000, exportable: false },
    },
  });
};
