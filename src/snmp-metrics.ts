/**
 * snmp-metrics: serves the latest values of poll, rate and alert messages for
 * Prometheus (text format, or OpenMetrics when asked) at a path of Node-RED's HTTP node
 * server, with the pack's own health on request.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { httpHost } from './lib/red/http-route';
import { MetricsNode, metricsOptions, type MetricsProps } from './lib/red/metrics-node';
import { startNode } from './lib/red/start-node';

type SnmpMetricsDef = NodeDef & MetricsProps;

export = function (RED: NodeAPI) {
  function SnmpMetrics(this: Node, def: SnmpMetricsDef) {
    RED.nodes.createNode(this, def);
    startNode(RED, this, (facade) => new MetricsNode(facade, metricsOptions(def), httpHost(RED)));
  }

  RED.nodes.registerType('snmp-metrics', SnmpMetrics);
};
