/**
 * What the demo changes in the shipped examples (scripts/lib/demo-flows.js), on the
 * examples as shipped: labels that say the demo's interval, a trap receiver that knows
 * the fleet, a sidebar left to alerts, and a PagerDuty node that expects no key when the
 * demo has none.
 */
import { strict as assert } from 'assert';

type FlowNode = Record<string, any>;
const { loadExamples, prepareExamples } = require('../../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
};
const { demoFlows } = require('../../../scripts/lib/demo-flows.js') as {
  demoFlows(nodes: FlowNode[], o: { pollSeconds: number; inventory: string; pagerDutyKey?: boolean }): FlowNode[];
};

const INVENTORY = '127.0.0.2:16100 sim-0000 site=paris\n127.0.0.3:16101 sim-0001 site=lyon\n';

describe('demo flows', function () {
  const shipped = loadExamples().flatMap((e) => e.flow);
  const flows = demoFlows(prepareExamples(shipped, { inventory: INVENTORY, pollSeconds: 10, timeScale: 10 / 60 }), { pollSeconds: 10, inventory: INVENTORY });

  it('names each repeating inject, and the step comments, by the interval the demo runs', function () {
    const injects = flows.filter((n) => n.type === 'inject' && n.repeat);
    assert.ok(injects.length >= 3);
    for (const n of injects) assert.deepEqual([n.repeat, n.name], ['10', 'every 10 s']);
    assert.deepEqual(flows.filter((n) => /every 60 s/.test(n.name ?? '')).map((n) => n.name), []);
    // the shipped files keep their own 60 s, and the inject says it
    for (const n of shipped.filter((x) => x.type === 'inject' && x.repeat)) assert.deepEqual([n.repeat, n.name], ['60', 'every 60 s']);
  });

  it('says the demo\'s interval wherever a tab states the examples\' minute: tab info, comments, inject names', function () {
    const tabs = (label: string) => flows.find((n) => n.type === 'tab' && n.label === label)!;
    assert.match(tabs('SNMP fleet poller').info, /^Polls a fleet of devices every 10 s,/);
    assert.match(tabs('SNMP fleet for Prometheus').info, /^Polls a fleet of devices every 10 s /);
    const db = tabs('SNMP inventory from a database');
    assert.match(db.info, /reads it every 10 s with/);
    const dbComment = flows.find((n) => n.z === db.id && n.type === 'comment' && /^1 · /.test(n.name))!;
    assert.equal(dbComment.name, '1 · read the inventory every 10 s');
    assert.match(dbComment.info, /and then every 10 s the \*change\* node/);
    const stale = flows.filter((n) => ['tab', 'comment', 'inject'].includes(n.type))
      .flatMap((n) => [n.name, n.info].filter((t) => typeof t === 'string' && /\b(every 60 s|every minute|within one minute)\b/i.test(t)).map((t) => `${n.type} ${n.label ?? n.name}: ${t.slice(0, 60)}`));
    assert.deepEqual(stale, []);
    // durations that are not the interval stay as written ("2,000 switches every 5 minutes")
    assert.ok(flows.some((n) => n.type === 'comment' && /every 5 minutes/.test(n.info ?? '')));
  });

  it('without PAGERDUTY_ROUTING_KEY, leaves the key out of the PagerDuty body (the events go to the log), and with it keeps the node as shipped', function () {
    const pd = (nodes: FlowNode[]) => nodes.find((n) => n.type === 'threshold-alert' && n.format === 'pagerduty')!;
    assert.equal(pd(shipped).credentials.routingKey, '${PAGERDUTY_ROUTING_KEY}');
    assert.equal(pd(shipped).routingKeyInBody, undefined, 'shipped with the key in the body (the default)');
    assert.equal(pd(flows).routingKeyInBody, false);
    const withKey = demoFlows(prepareExamples(shipped, { pollSeconds: 10 }), { pollSeconds: 10, inventory: INVENTORY, pagerDutyKey: true });
    assert.equal(pd(withKey).routingKeyInBody, undefined);
    // Slack nodes are no concern of this
    for (const n of flows.filter((x) => x.type === 'threshold-alert' && x.format !== 'pagerduty')) assert.equal(n.routingKeyInBody, undefined);
  });

  it('gives the trap receiver\'s profile the fleet, so traps are named by device', function () {
    const trapIn = flows.find((n) => n.type === 'trap-in')!;
    const profile = flows.find((n) => n.id === trapIn.snmp)!;
    assert.equal(profile.inventory, INVENTORY);
    const shippedProfile = shipped.find((n) => n.id === trapIn.snmp)!;
    assert.doesNotMatch(shippedProfile.inventory.replace(/#.*$/gm, ''), /\S/, 'the shipped one only has comments');
  });

  it('leaves the sidebar to alerts and failed deliveries; per-device results count in the node status', function () {
    const debug = flows.filter((n) => n.type === 'debug');
    const sidebar = debug.filter((n) => n.tosidebar).map((n) => n.name);
    assert.ok(sidebar.includes('alerts') && sidebar.includes('Slack: not delivered'));
    const quiet = debug.filter((n) => !n.tosidebar);
    assert.deepEqual(quiet.map((n) => n.name).sort(), ['PagerDuty: delivered', 'Slack: delivered', 'Slack: delivered', 'device and labels', 'devices failing', 'failures', 'rows not polled']);
    for (const n of quiet) assert.deepEqual([n.tostatus, n.statusType], [true, 'counter']);
  });
});
