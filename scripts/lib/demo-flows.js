'use strict';
const { hasDevices } = require('./examples');

/**
 * What `npm start` changes in the examples beyond prepareExamples' addresses and timing,
 * so that the demo reads right to someone watching it for the first time:
 *
 * - the texts that state the examples' interval ("every 60 s", "every minute", "within one
 *   minute") in tab info, comments and repeating injects say the interval the demo runs,
 *   in the tabs whose inject runs at it;
 * - without PAGERDUTY_ROUTING_KEY, a threshold-alert whose key is that variable leaves
 *   routing_key out of the body ("Key in body" unticked): the example sends those events to
 *   the alert log then, so the node's warning about events PagerDuty would refuse is not
 *   true of them (with the key set, the node is as shipped);
 * - the trap receiver's profile lists the simulated fleet, so traps are named by device
 *   (as polls are) instead of by address;
 * - debug nodes that print one message per device and cycle count into their status
 *   instead of the sidebar, which then holds what matters: alerts and failed deliveries.
 */

/** Debug nodes that keep writing to the sidebar: alerts, and deliveries or sources that failed. */
const SIDEBAR_WORTHY = /alert|not delivered|failed/i;

/** How the examples state their 60 s interval, and what the demo's interval reads instead. */
const INTERVAL_PHRASES = [
  [/\b([Ee])very (?:60 s|minute)\b/g, (s) => `$1very ${s} s`],
  [/\bwithin one minute\b/g, (s) => `within ${s} s`],
];

/** `text` with each statement of the examples' interval saying `seconds` instead. */
function sayInterval(text, seconds) {
  if (typeof text !== 'string') return text;
  return INTERVAL_PHRASES.reduce((t, [phrase, to]) => t.replace(phrase, to(seconds)), text);
}

/** The env variable PagerDuty routing keys of the examples name. */
const PAGERDUTY_KEY_VARIABLE = '${PAGERDUTY_ROUTING_KEY}';

/**
 * @param {any[]} nodes flows after prepareExamples (changed in place and returned)
 * @param {{ pollSeconds: number, inventory: string, pagerDutyKey?: boolean }} o
 *   pagerDutyKey: PAGERDUTY_ROUTING_KEY is set (the events go to PagerDuty, not the log)
 * @returns {any[]}
 */
function demoFlows(nodes, o) {
  const trapProfiles = new Set();
  /** Tabs with an inject repeating at the demo's interval: their texts state it. */
  const polledTabs = new Set();
  for (const n of nodes) {
    if (n.type === 'trap-in') for (const key of ['snmp', 'snmp2', 'snmp3', 'snmp4']) if (n[key]) trapProfiles.add(n[key]);
    if (n.type === 'inject' && String(n.repeat) === String(o.pollSeconds)) polledTabs.add(n.z);
  }
  for (const n of nodes) {
    if (n.type === 'tab' && polledTabs.has(n.id)) n.info = sayInterval(n.info, o.pollSeconds);
    if ((n.type === 'comment' || (n.type === 'inject' && String(n.repeat) === String(o.pollSeconds))) && polledTabs.has(n.z)) {
      n.name = sayInterval(n.name, o.pollSeconds);
      n.info = sayInterval(n.info, o.pollSeconds);
    }
    if (n.type === 'threshold-alert' && n.format === 'pagerduty' && !o.pagerDutyKey
      && String(n.credentials?.routingKey ?? '').trim() === PAGERDUTY_KEY_VARIABLE) {
      n.routingKeyInBody = false;
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

module.exports = { demoFlows, sayInterval, SIDEBAR_WORTHY };
