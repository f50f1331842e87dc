/**
 * Shared bits of the flow tests: the test helper initialised once with Node-RED,
 * message collection on helper nodes, and waiting for a node's status or done.
 */
import * as path from 'path';
import helper from 'node-red-node-test-helper';

// SNMP_FLEET_NODE_RED (the main file of another Node-RED release, e.g. one the compat
// cache holds) runs the flow tests on that release instead of the project's own.
const NODE_RED_MAIN = process.env.SNMP_FLEET_NODE_RED || require.resolve('node-red');
helper.init(NODE_RED_MAIN);

/** A module of the Node-RED release the helper runs (`@node-red/runtime/lib/...`), not the project's copy. */
export function fromNodeRed(request: string): any {
  return require(require.resolve(request, { paths: [path.dirname(NODE_RED_MAIN)] }));
}

export { helper };

/**
 * Node-RED's core catch node, from the release the helper runs: a copy from another
 * release would register the type a second time, which Node-RED 5 refuses.
 */
export const catchNode = (helper as unknown as { _nodeModules: Record<string, unknown> })._nodeModules.catch;

export interface Collected {
  msgs: any[];
  wait(n: number, ms?: number): Promise<any[]>;
}

/** Collects every message a helper node receives. */
export function collect(id: string): Collected {
  const node = helper.getNode(id);
  if (!node) throw new Error(`no node ${id}`);
  const msgs: any[] = [];
  const waiters: Array<() => void> = [];
  node.on('input', (msg: any) => {
    msgs.push(msg);
    for (const w of waiters.splice(0)) w();
  });
  return {
    msgs,
    wait(n: number, ms = 10000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${msgs.length} of ${n} messages on ${id}`)), ms);
        const check = () => {
          if (msgs.length >= n) {
            clearTimeout(timer);
            resolve(msgs);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Resolves with the args of the next status call of a node that satisfies `pred`. */
export function nextStatus(id: string, pred: (s: any) => boolean, ms = 10000): Promise<any> {
  const node = helper.getNode(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching status on ${id}`)), ms);
    const on = (call: any) => {
      if (pred(call.args[0])) {
        clearTimeout(timer);
        node.removeListener('call:status', on);
        resolve(call.args[0]);
      }
    };
    node.on('call:status', on);
  });
}

/** Every argument ever passed to the runtime log, as text. */
export function logText(): string {
  return helper.log().args.map((a: any[]) => JSON.stringify(a)).join('\n');
}

/** All status objects a node has shown since it was created (the helper spies Node.prototype.status). */
export function statusesOf(id: string): any[] {
  return (helper as any)._NodePrototype.status.getCalls().filter((c: any) => c.thisValue.id === id).map((c: any) => c.args[0]);
}

/** The runtime log entries at error level (20) whose message is `key` (the helper's RED._ gives keys). */
export function errorLogs(key: string): any[] {
  return helper.log().args.filter((a: any[]) => a[0]?.level === 20 && a[0]?.msg === key);
}

/**
 * The first alert a threshold-alert message announces: `msg.payload` of the alert
 * format is a group (`alerts: [...]`) unless the node groups nothing.
 */
export function firstAlert(msg: any): any {
  return Array.isArray(msg?.payload?.alerts) ? msg.payload.alerts[0] : msg.payload;
}
