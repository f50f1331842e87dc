/**
 * snmp-spool: store and forward in front of a sink that can be down (InfluxDB, an HTTP
 * endpoint). Messages wait on disk, in a folder under the Node-RED user directory, until
 * the sink's completion (a complete node) releases them; its failures (a catch node)
 * send them again. Nothing is lost when the sink is down or Node-RED restarts, up to a
 * cap past which the oldest messages are dropped and counted.
 */
import * as os from 'os';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { SpoolNode, spoolFolder, spoolSettings, type SpoolProps } from './lib/red/spool-node';
import { startNode } from './lib/red/start-node';

type SpoolDef = NodeDef & SpoolProps;

export = function (RED: NodeAPI) {
  function SnmpSpool(this: Node, def: SpoolDef) {
    RED.nodes.createNode(this, def);
    // Node-RED's own default when settings.js names no userDir
    const userDir = (RED.settings as unknown as { userDir?: string }).userDir || path.join(os.homedir(), '.node-red');
    startNode(RED, this, (facade) => new SpoolNode(facade, spoolSettings(def), spoolFolder(userDir, facade.id)));
  }

  RED.nodes.registerType('snmp-spool', SnmpSpool);
};
