/**
 * threshold-alert: evaluates rules on every series (and a device-down rule on poll
 * failures) and sends a notification on each change: pending → firing → resolved,
 * as a generic alert, a Slack Block Kit body or a PagerDuty Events v2 body.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { AlertNode, alertOptions, resolveSecret, type AlertProps } from './lib/red/alert-node';
import { startNode } from './lib/red/start-node';

type AlertDef = NodeDef & AlertProps;
interface AlertCredentials {
  routingKey?: string;
}

export = function (RED: NodeAPI) {
  function ThresholdAlert(this: Node<AlertCredentials>, def: AlertDef) {
    RED.nodes.createNode(this, def);
    const routingKey = resolveSecret(this.credentials?.routingKey);
    startNode(RED, this, (facade) => new AlertNode(facade, alertOptions(def, routingKey)));
  }

  RED.nodes.registerType<Node<AlertCredentials>, AlertDef, Record<string, never>, AlertCredentials>('threshold-alert', ThresholdAlert, {
    credentials: { routingKey: { type: 'password' } },
  });
};
