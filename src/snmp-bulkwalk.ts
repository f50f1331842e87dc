/**
 * snmp-bulkwalk: walks subtrees, tables or columns with GETBULK (GETNEXT on v1), all
 * listed columns in lock-step; one message per device with rows sorted by index.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { PollNode, type ConfigFacade } from './lib/poll-node';
import { nodeFacade, intProperty } from './lib/node-facade';

interface SnmpBulkwalkDef extends NodeDef {
  snmp: string;
  oids: string;
  maxRepetitions: string | number;
  nonRepeaters: string | number;
  output: string;
  maxVarbinds: string | number;
}

export = function (RED: NodeAPI) {
  function SnmpBulkwalk(this: Node, def: SnmpBulkwalkDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.snmp) as unknown as (ConfigFacade & { register(n: Node): void; deregister(n: Node, done?: () => void): void }) | null;
    const facade = nodeFacade(RED, node, 'snmp-bulkwalk');
    let poller: PollNode;
    try {
      const walk = {
        maxRepetitions: intProperty('maxRepetitions', def.maxRepetitions, config?.profile?.maxRepetitions ?? 25, 1, 1000),
        nonRepeaters: intProperty('nonRepeaters', def.nonRepeaters, 0, 0, 100),
        maxVarbinds: intProperty('maxVarbinds', def.maxVarbinds, 100000, 1, 10000000),
        output: def.output === 'varbinds' ? 'varbinds' as const : 'rows' as const,
      };
      poller = new PollNode(facade, config ?? undefined, { kind: 'walk', oidText: def.oids ?? '', walk });
    } catch (err) {
      node.error(RED._('snmp-bulkwalk.errors.bad-property', { error: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'snmp-bulkwalk.status.bad-config' });
      node.on('input', (_msg: NodeMessageInFlow, _send, done) => done(new Error((err as Error).message)));
      return;
    }
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

  RED.nodes.registerType('snmp-bulkwalk', SnmpBulkwalk);
};
