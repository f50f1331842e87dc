/**
 * threshold-alert: evaluates rules on every series (and a device-down rule on poll
 * failures) and sends a notification on each change: pending → firing → resolved,
 * as a generic alert, a Slack Block Kit body or a PagerDuty Events v2 body.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AlertNode, alertOptions, resolveSecret, type AlertProps } from './lib/red/alert-node';
import type { ContextLike } from './lib/common/state-store';

type AlertDef = NodeDef & AlertProps;
interface AlertCredentials {
  routingKey?: string;
}

export = function (RED: NodeAPI) {
  function ThresholdAlert(this: Node<AlertCredentials>, def: AlertDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let opts: ReturnType<typeof alertOptions>;
    try {
      opts = alertOptions(def, resolveSecret(node.credentials?.routingKey));
    } catch (err) {
      node.error(RED._('threshold-alert.errors.bad-property', { error: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'threshold-alert.status.bad-config' });
      node.on('input', (_msg: NodeMessageInFlow, _send, done) => done());
      return;
    }
    const alerts = new AlertNode({
      t: (key, vars) => RED._(`threshold-alert.${key}`, vars as Record<string, string | number> | undefined),
      status: (s) => node.status(s),
      warn: (text) => node.warn(text),
      send: (msgs) => node.send([msgs] as never),
      context: node.context() as unknown as ContextLike,
    }, opts);

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      alerts.input(msg as unknown as Record<string, unknown>, send as never, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      alerts.close().finally(done);
    });
  }

  RED.nodes.registerType<Node<AlertCredentials>, AlertDef, Record<string, never>, AlertCredentials>('threshold-alert', ThresholdAlert, {
    credentials: { routingKey: { type: 'password' } },
  });
};
