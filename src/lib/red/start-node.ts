/**
 * The one lifecycle of the pack's nodes, after 10-mqtt.js: build the node's behaviour
 * from its checked settings (or refuse the configuration), forward input, and on close
 * stop the behaviour, then let go of config nodes, always calling `done` (Node-RED
 * reports "Close timed out" otherwise, node-red#2934).
 */
import { refuseConfiguration, type InputNodeLike } from './bad-config';
import { nodeFacade, type Msg, type NodeFacade, type NodeLike, type RuntimeLike } from './node-facade';

/** What a node does once built; `input` is absent for nodes without an input (trap-in). */
export interface NodeBehaviour {
  input?(msg: Msg, send: (msgs: any) => void, done: (err?: Error) => void): void;
  /**
   * Stops timers and listeners and writes state; must settle in bounded time.
   * `removed`: the node was deleted from the flow, not only redeployed or stopped.
   */
  close(removed?: boolean): Promise<void>;
}

/** A Node-RED node as the lifecycle sees it. */
export type RedNode = NodeLike & InputNodeLike & {
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): unknown;
};

export interface StartOptions {
  /** Runs once the behaviour exists (register with config nodes). */
  started?(): void;
  /** Runs after the behaviour closed (deregister from config nodes). */
  closed?(): void;
}

/**
 * Builds the behaviour with `create`; a throw there (a PropertyError naming the
 * property) follows the bad-configuration rule instead. Returns the behaviour, or
 * undefined when the configuration was refused.
 */
export function startNode<B extends NodeBehaviour>(RED: RuntimeLike, node: object, create: (facade: NodeFacade) => B, options: StartOptions = {}): B | undefined {
  const red = node as RedNode;
  const facade = nodeFacade(RED, red);
  let behaviour: B;
  try {
    behaviour = create(facade);
  } catch (err) {
    refuseConfiguration(facade, err, red);
    return undefined;
  }
  options.started?.();
  if (behaviour.input) {
    const input = behaviour.input.bind(behaviour);
    red.on('input', (msg, send, done) => input(msg as Msg, send as (msgs: any) => void, done));
  }
  red.on('close', (removed, done) => {
    behaviour.close(removed === true).catch(() => undefined).finally(() => {
      try {
        options.closed?.();
      } finally {
        done();
      }
    });
  });
  return behaviour;
}
