/**
 * The one view of a Node-RED node that the pack's node classes use: identity, status,
 * log, locale text, sending outside an input handler and the node's context. Typed
 * structurally so nothing here imports node-red at run time, and tests hand in a plain
 * object (test/support/fakes.ts).
 */
import type { ContextLike } from '../common/state-store';
import type { StatusObject } from './status';

export type { StatusObject } from './status';

/** A message as the pack handles it (Node-RED messages are plain objects). */
export type Msg = Record<string, any>;

/** What the pack needs of a Node-RED node and its runtime. */
export interface NodeFacade {
  id: string;
  /** The node's type, also the prefix of its locale keys (`snmp-get`). */
  type: string;
  name?: string;
  status(s: StatusObject): void;
  /** A log line at error level (the runtime also hands it to Catch nodes' status). */
  error(text: string): void;
  warn(text: string): void;
  log(text: string): void;
  /** RED._ with this node type's locale keys: `t('status.polling')` = `snmp-get.status.polling`. */
  t(key: string, vars?: Record<string, unknown>): string;
  /** Sends outside an input handler (timers, traps); one entry per output. */
  send(msgs: Msg | Array<Msg | Msg[] | null>): void;
  cloneMessage<T>(msg: T): T;
  /** The node's own context (`node.context()`), for state kept in a context store. */
  context: ContextLike;
}

/** The parts of Node-RED's runtime API the facade uses. */
export interface RuntimeLike {
  _(key: string, vars?: Record<string, unknown>): string;
  util: { cloneMessage(msg: any): any };
}

/** The parts of a Node-RED node the facade uses. */
export interface NodeLike {
  id: string;
  type: string;
  name?: string;
  status(s: StatusObject): void;
  error(text: string): void;
  warn(text: string): void;
  log(text: string): void;
  send(msgs: any): void;
  context(): unknown;
}

/** Wraps a Node-RED node; status texts and messages are locale keys under `type`. */
export function nodeFacade(RED: RuntimeLike, node: NodeLike, type: string = node.type): NodeFacade {
  return {
    id: node.id,
    type,
    name: node.name,
    status: (s) => node.status(s),
    error: (text) => node.error(text),
    warn: (text) => node.warn(text),
    log: (text) => node.log(text),
    t: (key, vars) => RED._(`${type}.${key}`, vars),
    send: (msgs) => node.send(msgs),
    cloneMessage: (m) => RED.util.cloneMessage(m),
    context: node.context() as ContextLike,
  };
}
