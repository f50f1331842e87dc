/**
 * The one rule for a node whose own configuration cannot be used, the same in every
 * node of the pack: a red ring naming the property, one error line in the log, and
 * `done(err)` for every message that arrives, so a Catch node sees each of them
 * (DOC node-js.md: a message the node cannot act on ends with done(err)). Never a
 * throw from the constructor: that would stop the whole flow from starting.
 */
import type { NodeFacade } from './node-facade';
import { PropertyError } from '../common/properties';

/** A node that takes input (Node-RED's `node.on('input', ...)`). */
export interface InputNodeLike {
  on(event: 'input', handler: (msg: unknown, send: unknown, done: (err?: Error) => void) => void): unknown;
}

/**
 * Reports a configuration error as above. `node` is omitted for nodes without an
 * input (trap-in). Locale keys used: `<type>.errors.bad-property` and
 * `<type>.status.bad-property` (with `property`).
 */
export function refuseConfiguration(facade: NodeFacade, err: unknown, node?: InputNodeLike): void {
  const message = err instanceof Error ? err.message : String(err);
  const property = err instanceof PropertyError ? err.property : 'configuration';
  facade.error(facade.t('errors.bad-property', { error: message }));
  facade.status({ fill: 'red', shape: 'ring', text: facade.t('status.bad-property', { property }) });
  node?.on('input', (_msg, _send, done) => done(new Error(message)));
}
