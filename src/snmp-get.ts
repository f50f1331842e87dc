/**
 * snmp-get: polls scalar or exact-instance OIDs from every device of the inventory
 * (or msg.targets), one message per device: answers on output 1, failures on output 2.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { PollNode, type ConfigFacade } from './lib/poll-node';
import { nodeFacade } from './lib/node-facade';

interface SnmpGetDef extends NodeDef {
  snmp: string;
  oids: string;
}

export = function (RED: NodeAPI) {
  function SnmpGet(this: Node, def: SnmpGetDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.snmp) as unknown as (ConfigFacade & { register(n: Node): void; deregister(n: Node, done?: () => void): void }) | null;
    const poller = new PollNode(nodeFacade(RED, node, 'snmp-get'), config ?? undefined, { kind: 'get', oidText: def.oids ?? '' });
    if (config) config.register(node);

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      poller.input(msg as unknown as Record<string, unknown>, send as never, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      poller.close().finally(() => {
        if (config) config.deregister(node);
        done();
      });
    });
  }

  RED.nodes.registerType('snmp-get', SnmpGet);
};
