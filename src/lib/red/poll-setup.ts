/**
 * The Node-RED wiring shared by snmp-get and snmp-bulkwalk: find the config node,
 * register with it, forward input, and close in order (stop sending, wait bounded,
 * deregister, clear status). The behaviour itself lives in src/lib/poll-node.ts.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { PollNode, type ConfigFacade, type PollNodeSettings } from './poll-node';
import { nodeFacade } from './node-facade';

type ConfigNode = ConfigFacade & { register(n: Node): void; deregister(n: Node, done?: () => void): void };

/**
 * Sets up a polling node. `settings` may throw for an invalid property: the node
 * then shows a red status, logs one error and answers every input with done(err).
 */
export function setupPollNode(RED: NodeAPI, node: Node, type: string, configId: string, settings: (config: ConfigNode | undefined) => PollNodeSettings): void {
  const config = (RED.nodes.getNode(configId) as unknown as ConfigNode | null) ?? undefined;
  let poller: PollNode;
  try {
    poller = new PollNode(nodeFacade(RED, node, type), config, settings(config));
  } catch (err) {
    const message = (err as Error).message;
    node.error(RED._(`${type}.errors.bad-property`, { error: message }));
    node.status({ fill: 'red', shape: 'ring', text: `${type}.status.bad-property` });
    node.on('input', (_msg: NodeMessageInFlow, _send, done) => done(new Error(message)));
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
