/**
 * counter-rate: turns cumulative SNMP counters into per-second rates (or deltas),
 * exact for Counter64, wrap- and reset-aware, with its series state in a context store.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { CounterRateNode, counterRateOptions, type CounterRateProps } from './lib/red/counter-rate-node';
import { startNode } from './lib/red/start-node';

type CounterRateDef = NodeDef & CounterRateProps;

export = function (RED: NodeAPI) {
  function CounterRate(this: Node, def: CounterRateDef) {
    RED.nodes.createNode(this, def);
    startNode(RED, this, (facade) => new CounterRateNode(facade, counterRateOptions(def)));
  }

  RED.nodes.registerType('counter-rate', CounterRate);
};
