/**
 * snmp-bulkwalk: walks subtrees, tables or columns with GETBULK (GETNEXT on v1), all
 * listed columns in lock-step; one message per device with rows sorted by index.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { setupPollNode } from './lib/red/poll-setup';
import { intProperty } from './lib/red/node-facade';

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
    setupPollNode(RED, this, 'snmp-bulkwalk', def.snmp, (config) => ({
      kind: 'walk',
      oidText: def.oids ?? '',
      walk: {
        maxRepetitions: intProperty('maxRepetitions', def.maxRepetitions, config?.profile?.maxRepetitions ?? 25, 1, 1000),
        nonRepeaters: intProperty('nonRepeaters', def.nonRepeaters, 0, 0, 100),
        maxVarbinds: intProperty('maxVarbinds', def.maxVarbinds, 100000, 1, 10000000),
        output: def.output === 'varbinds' ? 'varbinds' : 'rows',
      },
    }));
  }

  RED.nodes.registerType('snmp-bulkwalk', SnmpBulkwalk);
};
