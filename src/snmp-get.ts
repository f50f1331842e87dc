/**
 * snmp-get: polls scalar or exact-instance OIDs from every device of the inventory
 * (or msg.targets), one message per device: answers on output 1, failures on output 2.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { scheduleSettings, setupPollNode } from './lib/red/poll-node';
import { oneOf } from './lib/common/properties';

interface SnmpGetDef extends NodeDef {
  snmp: string;
  oids: string;
  schedule?: string;
  interval?: string | number;
  form?: string;
}

export = function (RED: NodeAPI) {
  function SnmpGet(this: Node, def: SnmpGetDef) {
    RED.nodes.createNode(this, def);
    setupPollNode(RED, this, def.snmp, () => ({ kind: 'get', oidText: def.oids ?? '', form: oneOf('form', def.form, ['message', 'json'] as const, 'message'), ...scheduleSettings(def) }));
  }

  RED.nodes.registerType('snmp-get', SnmpGet);
};
