'use strict';
const { hasDevices } = require('./examples');

/**
 * What `npm start` changes in the examples beyond prepareExamples' addresses and timing,
 * so that the demo reads right to someone watching it for the first time:
 *
 * - an inject or step comment that says "every 60 s" says the interval the demo runs;
 * - the trap receiver's profile lists the simulated fleet, so traps are named by device
 *   (as polls are) instead of by address;
 * - debug nodes that print one message per device and cycle count into their status
 *   instead of the sidebar, which then holds what matters: alerts and failed deliveries.
 */

/** Debug nodes that keep writing to the sidebar: alerts, and deliveries or sources that failed. */
const SIDEBAR_WORTHY = /alert|not delivered|failed/i;

/**
 * @param {any[]} nodes flows after prepareExamples (changed in place and returned)
 * @param {{ pollSeconds: number, inventory: string }} o
 * @returns {any[]}
 */
function demoFlows(nodes, o) {
  const every = `every ${o.pollSeconds} s`;
  const trapProfiles = new Set();
  for (const n of nodes) {
    if (n.type === 'trap-in') for (const key of ['snmp', 'snmp2', 'snmp3', 'snmp4']) if (n[key]) trapProfiles.add(n[key]);
  }
  for (const n of nodes) {
    if ((n.type === 'inject' && String(n.repeat) === String(o.pollSeconds)) || n.type === 'comment') {
      if (typeof n.name === 'string') n.name = n.name.replace(/\bevery 60 s\b/, every);
    }
    if (n.type === 'snmp-config' && trapProfiles.has(n.id) && !hasDevices(n.inventory)) {
      n.inventory = o.inventory;
    }
    if (n.type === 'debug' && n.tosidebar && !SIDEBAR_WORTHY.test(n.name || '')) {
      n.tosidebar = false;
      n.tostatus = true;
      n.statusType = 'counter';
    }
  }
  return nodes;
}

module.exports = { demoFlows, SIDEBAR_WORTHY };
