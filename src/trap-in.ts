/**
 * trap-in: receives SNMP v1/v2c/v3 traps and informs on a UDP port shared by every
 * trap-in node on it. Accepted notifications go to output 1, rejected traffic (unknown
 * community or user, bad digest, replay, source outside the allow-list) to output 2.
 * The communities and v3 users come from up to four snmp-config nodes.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { getMib } from './lib/red/mib-access';
import { isPersistentStore } from './lib/trap/engine-id';
import { TrapInNode, type TrapConfigLike, type TrapInDef } from './lib/red/trap-node';

interface TrapInNodeDef extends NodeDef, TrapInDef {}

/** The parts of snmp-config that trap-in calls. */
interface SnmpConfigNode extends Node, TrapConfigLike {
  register?(node: Node): void;
  deregister?(node: Node, done?: () => void): void;
}

export = function (RED: NodeAPI) {
  function TrapIn(this: Node, def: TrapInNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const configs = [def.snmp, def.snmp2, def.snmp3, def.snmp4]
      .filter((id): id is string => typeof id === 'string' && id !== '')
      .map((id) => RED.nodes.getNode(id) as SnmpConfigNode | null);
    const engine = new TrapInNode({
      id: node.id,
      status: (s) => node.status(s),
      error: (text) => node.error(text),
      warn: (text) => node.warn(text),
      t: (key, vars) => RED._(`trap-in.${key}`, vars as Record<string, string | number> | undefined),
      send: (msgs) => node.send(msgs),
      contextGet: (key, cb) => node.context().get(key, cb as never),
      contextSet: (key, value, cb) => node.context().set(key, value, cb),
      fallbackMib: () => getMib([], (text) => node.warn(text)),
      contextPersistent: isPersistentStore((RED.settings as unknown as { contextStorage?: unknown }).contextStorage),
    }, def, configs);
    for (const c of configs) c?.register?.(node);
    engine.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      engine.close().catch(() => undefined).finally(() => {
        for (const c of configs) {
          try { c?.deregister?.(node); } catch { /* the config node is closing too */ }
        }
        done();
      });
    });
  }

  RED.nodes.registerType('trap-in', TrapIn);
};
