/**
 * trap-in: receives SNMP v1/v2c/v3 traps and informs on a UDP port shared by every
 * trap-in node on it. Accepted notifications go to output 1, rejected traffic (unknown
 * community or user, bad digest, replay, source outside the allow-list) to output 2.
 * The communities and v3 users come from up to four snmp-config nodes.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { getMib, mibDeployed } from './lib/red/mib-access';
import { startNode } from './lib/red/start-node';
import { readTrapSettings, TrapInNode, type TrapConfigLike, type TrapInDef } from './lib/red/trap-node';
import { isPersistentStore } from './lib/trap/engine-id';

type TrapInNodeDef = NodeDef & TrapInDef;

/** The parts of snmp-config that trap-in calls. */
interface SnmpConfigNode extends TrapConfigLike {
  register?(node: Node): void;
  deregister?(node: Node): void;
}

export = function (RED: NodeAPI) {
  function TrapIn(this: Node, def: TrapInNodeDef) {
    RED.nodes.createNode(this, def);
    const configs = [def.snmp, def.snmp2, def.snmp3, def.snmp4]
      .filter((id): id is string => typeof id === 'string' && id !== '')
      .map((id) => RED.nodes.getNode(id) as unknown as SnmpConfigNode | null);
    mibDeployed(); // a trap-in without snmp-config also names OIDs with the MIB files of now
    const trapIn = startNode(RED, this, (facade) => new TrapInNode(facade, readTrapSettings(def), configs, {
      fallbackMib: () => getMib([], (text) => facade.warn(text)),
      contextPersistent: isPersistentStore((RED.settings as unknown as { contextStorage?: unknown }).contextStorage),
    }), {
      started: () => { for (const c of configs) c?.register?.(this); },
      closed: () => {
        for (const c of configs) {
          try { c?.deregister?.(this); } catch { /* the config node is closing too */ }
        }
      },
    });
    trapIn?.start();
  }

  RED.nodes.registerType('trap-in', TrapIn);
};
