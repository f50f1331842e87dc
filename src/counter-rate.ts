/**
 * counter-rate: turns cumulative SNMP counters into per-second rates (or deltas),
 * exact for Counter64, wrap- and reset-aware, with its series state in a context store.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { CounterRateNode, counterRateOptions, type CounterRateProps } from './lib/red/counter-rate-node';
import type { ContextLike } from './lib/common/state-store';

type CounterRateDef = NodeDef & CounterRateProps;

export = function (RED: NodeAPI) {
  function CounterRate(this: Node, def: CounterRateDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let opts: ReturnType<typeof counterRateOptions>;
    try {
      opts = counterRateOptions(def);
    } catch (err) {
      node.error(RED._('counter-rate.errors.bad-property', { error: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'counter-rate.status.bad-config' });
      node.on('input', (_msg: NodeMessageInFlow, _send, done) => done());
      return;
    }
    const counterRate = new CounterRateNode({
      t: (key, vars) => RED._(`counter-rate.${key}`, vars as Record<string, string | number> | undefined),
      status: (s) => node.status(s),
      warn: (text) => node.warn(text),
      context: node.context() as unknown as ContextLike,
    }, opts);

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      counterRate.input(msg as unknown as Record<string, unknown>, send as never, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      counterRate.close().finally(done);
    });
  }

  RED.nodes.registerType('counter-rate', CounterRate);
};
