/**
 * Adapts a Node-RED node to the narrow NodeFacade the engine uses. Typed structurally
 * so src/lib needs no node-red import.
 */
import type { NodeFacade, StatusObject } from './poll-node';

interface RuntimeLike {
  _(key: string, vars?: Record<string, unknown>): string;
  util: { cloneMessage(msg: any): any };
}

interface NodeLike {
  id: string;
  type: string;
  name?: string;
  status(s: StatusObject): void;
  warn(text: string): void;
  log(text: string): void;
}

/** Status texts are locale keys (`snmp-get.status.polling`) the editor translates too. */
export function nodeFacade(RED: RuntimeLike, node: NodeLike, type: string): NodeFacade {
  return {
    id: node.id,
    type,
    name: node.name,
    status: (s) => node.status(s),
    warn: (t) => node.warn(t),
    log: (t) => node.log(t),
    t: (key, vars) => RED._(`${type}.${key}`, vars),
    cloneMessage: (m) => RED.util.cloneMessage(m),
  };
}

/** An integer node property (string from the editor, maybe blank); throws naming it. */
export function intProperty(name: string, value: unknown, def: number, min: number, max: number): number {
  const s = value === undefined || value === null ? '' : String(value).trim();
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}
