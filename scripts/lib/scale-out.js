'use strict';
/**
 * The scale-out example flows (examples/scale-out/) and what points them at one
 * machine's broker, Redis and simulated fleet: `npm run scale-demo` runs them, the
 * end-to-end test (test/integration/scale-out.test.ts) and the bench measure them. Only
 * addresses, credentials and timing are replaced; every node, wire and expression stays
 * as shipped.
 */
const fs = require('fs');
const path = require('path');
const { scaleDuration } = require('./examples');

const SCALE_OUT_DIR = path.resolve(__dirname, '..', '..', 'examples', 'scale-out');
const AGGREGATOR_FILE = '1 scheduler and aggregator.json';
const WORKER_FILE = '2 worker.json';
/** The interval the shipped flows poll at, s. */
const SHIPPED_INTERVAL_S = 60;

/** @returns {{ aggregator: any[], worker: any[] }} the two shipped flows */
function loadScaleOutExamples(dir = SCALE_OUT_DIR) {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  return { aggregator: read(AGGREGATOR_FILE), worker: read(WORKER_FILE) };
}

/**
 * A deep copy of a scale-out flow pointed at a broker and a fleet.
 * @param {any[]} nodes
 * @param {{
 *   brokerHost?: string, brokerPort?: number,   every mqtt-broker node
 *   pollSeconds?: number,   the scheduler's cycle (inject repeat and its `interval`); alert durations scale alike
 *   jobSize?: number,       devices per job
 *   inventoryFile?: string, the scheduler's inventory.txt
 *   community?: string,     credential of every v1/v2c snmp-config node
 *   v3?: { authKey: string, privKey: string, user?: string },   credentials of the v3 snmp-config nodes
 * }} o
 */
function prepareScaleOut(nodes, o = {}) {
  const out = JSON.parse(JSON.stringify(nodes));
  const timeScale = o.pollSeconds === undefined ? undefined : o.pollSeconds / SHIPPED_INTERVAL_S;
  for (const n of out) {
    switch (n.type) {
      case 'mqtt-broker':
        if (o.brokerHost !== undefined) n.broker = o.brokerHost;
        if (o.brokerPort !== undefined) n.port = String(o.brokerPort);
        break;
      case 'inject':
        if (o.pollSeconds !== undefined && String(n.repeat) === String(SHIPPED_INTERVAL_S)) {
          n.repeat = String(o.pollSeconds);
          for (const p of n.props || []) if (p.p === 'interval') p.v = String(o.pollSeconds);
        }
        if (o.jobSize !== undefined) for (const p of n.props || []) if (p.p === 'jobSize') p.v = String(o.jobSize);
        break;
      case 'file in':
        if (o.inventoryFile && n.filename === 'inventory.txt') n.filename = o.inventoryFile;
        break;
      case 'snmp-config':
        if (n.version === '3') {
          if (o.v3) {
            if (o.v3.user) n.user = o.v3.user;
            n.credentials = { authKey: o.v3.authKey, privKey: o.v3.privKey };
          }
        } else if (o.community !== undefined) {
          n.credentials = { community: o.community };
        }
        break;
      case 'threshold-alert':
        if (timeScale !== undefined) {
          n.rules = n.rules.map((r) => ({ ...r, for: scaleDuration(r.for, timeScale), keepFiringFor: scaleDuration(r.keepFiringFor, timeScale) }));
          n.repeat = scaleDuration(n.repeat, timeScale);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * The settings.js lines of the aggregator's Redis context store, as the README gives
 * them (plus the default memory store), for a Node-RED whose userDir has this pack.
 * @param {string} url redis://host:port
 * @param {string} [prefix]
 */
function redisContextStorageCode(url, prefix = 'snmp-fleet') {
  return `module.exports.contextStorage = {
  default: { module: 'memory' },
  redis: {
    module: require('@snmp-fleet/node-red-snmp-fleet/nodes/context/redis'),
    config: { url: ${JSON.stringify(url)}, prefix: ${JSON.stringify(prefix)} },
  },
};`;
}

/** The ids of the nodes of a flow, by name (for status checks and taps). */
function nodeIdsByName(nodes) {
  const ids = {};
  for (const n of nodes) if (n.name) ids[n.name] = n.id;
  return ids;
}

module.exports = { SCALE_OUT_DIR, SHIPPED_INTERVAL_S, loadScaleOutExamples, prepareScaleOut, redisContextStorageCode, nodeIdsByName };
