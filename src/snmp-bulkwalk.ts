/**
 * snmp-bulkwalk: walks subtrees, tables or columns with GETBULK (GETNEXT on v1), all
 * listed columns in lock-step; one message per device with rows sorted by index.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { scheduleSettings, setupPollNode } from './lib/red/poll-node';
import { bool, integer, oneOf } from './lib/common/properties';

interface SnmpBulkwalkDef extends NodeDef {
  snmp: string;
  oids: string;
  maxRepetitions: string | number;
  nonRepeaters: string | number;
  output: string;
  maxVarbinds: string | number;
  form?: string;
  keepPartial?: boolean | string;
  schedule?: string;
  interval?: string | number;
}

export = function (RED: NodeAPI) {
  function SnmpBulkwalk(this: Node, def: SnmpBulkwalkDef) {
    RED.nodes.createNode(this, def);
    setupPollNode(RED, this, def.snmp, (config) => ({
      kind: 'walk',
      oidText: def.oids ?? '',
      walk: {
        maxRepetitions: integer('maxRepetitions', def.maxRepetitions, config?.profile?.maxRepetitions ?? 25, 1, 1000),
        nonRepeaters: integer('nonRepeaters', def.nonRepeaters, 0, 0, 100),
        maxVarbinds: integer('maxVarbinds', def.maxVarbinds, 100000, 1, 10000000),
        output: oneOf('output', def.output, ['rows', 'varbinds'] as const, 'rows'),
        keepPartial: bool('keepPartial', def.keepPartial, false),
      },
      ...scheduleSettings(def),
      form: oneOf('form', def.form, ['message', 'json'] as const, 'message'),
    }));
  }

  RED.nodes.registerType('snmp-bulkwalk', SnmpBulkwalk);
};
