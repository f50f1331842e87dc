/**
 * A simulated switch reboots: its 48 ports go down, it stops answering, comes back with
 * the ports still down, then the ports come up. Through the real pipeline — fleet
 * simulator, snmp-bulkwalk of the ifTable, counter-rate, two threshold-alert nodes
 * (Slack, PagerDuty) with an InterfaceDown and a DeviceUnreachable rule, core http
 * request nodes, the local HTTP receiver standing in for Slack and PagerDuty — that is
 * one Slack message and one PagerDuty trigger going down, one of each coming back,
 * with the 48 interfaces counted; the other device of the fleet stays quiet.
 */
import { strict as assert } from 'assert';
import { helper } from '../support/flow';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver';
import { startFleet, type Fleet } from '../../src/sim/fleet';

const snmpConfigNode = require('../../src/snmp-config');
const bulkwalkNode = require('../../src/snmp-bulkwalk');
const counterRateNode = require('../../src/counter-rate');
const alertNode = require('../../src/threshold-alert');
const httpRequestNode = require('@node-red/nodes/core/network/21-httprequest.js');

const PORTS = 48;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The device-down rule waits longer than the reboot lasts, as a rule with `for` does in
// production: a reboot of a minute is no outage to page for.
const RULES = [
  { kind: 'threshold', name: 'InterfaceDown', field: 'ifOperStatus', op: '==', threshold: '2', clear: '', for: '0', keepFiringFor: '', severity: 'warning', summary: '{{device}} {{instance}} is down' },
  { kind: 'device-down', name: 'DeviceUnreachable', for: '10m', severity: 'critical', summary: '{{device}} does not answer SNMP: {{error}}' },
];

describe('a simulated switch reboot through walk → counter-rate → threshold-alert → Slack / PagerDuty', function () {
  this.timeout(120000);
  let fleet: Fleet;
  let rx: HttpReceiver;

  before(async () => {
    fleet = await startFleet({ count: 2, interfaces: PORTS });
    rx = await startHttpReceiver();
  });
  after(async () => {
    await helper.unload();
    await rx?.close();
    await fleet?.close();
  });

  function flow() {
    const alert = (id: string, format: string, post: string) => ({ id, type: 'threshold-alert', z: 'tab', rules: RULES, repeat: '0', nodata: 'resolve', nodataAfter: '3', format, store: '', wires: [[post], []] });
    const post = (id: string, url: string) => ({ id, type: 'http request', z: 'tab', method: 'POST', ret: 'txt', paytoqs: 'ignore', url, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [[]] });
    return [
      { id: 'tab', type: 'tab', label: 'reboot' },
      { id: 'cfg', type: 'snmp-config', z: 'tab', version: '2c', timeout: 300, retries: 0, inventory: fleet.inventoryText() },
      { id: 'walk', type: 'snmp-bulkwalk', z: 'tab', snmp: 'cfg', oids: 'sysUpTime.0\nifName\nifOperStatus\nifHCInOctets', nonRepeaters: 1, wires: [['cr'], ['alertSlack', 'alertPd']] },
      { id: 'cr', type: 'counter-rate', z: 'tab', width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [['alertSlack', 'alertPd']] },
      alert('alertSlack', 'slack', 'postSlack'),
      alert('alertPd', 'pagerduty', 'postPd'),
      post('postSlack', `${rx.url}/services/T0/B0/X`),
      post('postPd', `${rx.url}/v2/enqueue`),
    ];
  }

  /** One poll of the fleet; resolves once both devices' answers (or failures) have gone through. */
  async function poll(): Promise<void> {
    helper.getNode('walk').receive({ payload: 'tick' });
    await sleep(1500);
  }

  it('is one Slack message and one PagerDuty trigger going down, one of each coming back, with 48 interfaces', async () => {
    await helper.load([snmpConfigNode, bulkwalkNode, counterRateNode, alertNode, httpRequestNode], flow(), { cfg: { community: 'public' }, alertPd: { routingKey: 'R0UTING' } });
    const sim = fleet.device(0);
    const name = fleet.devices[0].name;
    await poll();
    await poll();
    assert.equal(rx.requests.length, 0, 'a healthy fleet is quiet');

    // the reboot: ports go down, the agent stops, comes back with the ports still down
    for (let i = 1; i <= PORTS; i++) sim.linkDown(i);
    await poll();
    sim.setSilent(true);
    sim.reboot();
    await poll();
    await poll();
    sim.setSilent(false);
    await poll();
    if (process.env.DEBUG_REBOOT) console.log(JSON.stringify(rx.requests.map((r) => [r.path, r.body.text ?? r.body.event_action])));
    const slackDown = await rx.waitFor((r) => r.path.startsWith('/services/'), 1);
    const pdDown = await rx.waitFor((r) => r.path.startsWith('/v2/enqueue'), 1);

    for (let i = 1; i <= PORTS; i++) sim.linkUp(i);
    await poll();
    await poll();
    const slack = await rx.waitFor((r) => r.path.startsWith('/services/'), 2);
    const pd = await rx.waitFor((r) => r.path.startsWith('/v2/enqueue'), 2);
    await poll();

    assert.equal(rx.on('/services/').length, 2, rx.on('/services/').map((r) => r.body.text).join('\n'));
    assert.equal(rx.on('/v2/enqueue').length, 2);
    assert.equal(slackDown[0].body.text, slack[0].body.text);
    assert.match(slack[0].body.text, new RegExp(`^${name}: FIRING: 48 × InterfaceDown \\(Gi0/1, Gi0/2, Gi0/3 \\+45 more\\)$`));
    assert.match(slack[1].body.text, new RegExp(`^${name}: RESOLVED: 48 × InterfaceDown \\(Gi0/1, Gi0/2, Gi0/3 \\+45 more\\)$`));
    assert.ok(slack[0].body.blocks.length <= 50 && JSON.stringify(slack[0].body).includes('+28 more'), 'the first 20 named, the rest counted');

    const [trigger, resolve] = pd.map((r) => r.body);
    assert.equal(pdDown[0].body.dedup_key, trigger.dedup_key);
    assert.deepEqual([trigger.event_action, resolve.event_action], ['trigger', 'resolve']);
    assert.equal(resolve.dedup_key, trigger.dedup_key, 'one incident');
    assert.equal(trigger.routing_key, 'R0UTING');
    assert.equal(trigger.payload.custom_details.firing, 48);
    assert.equal(trigger.payload.custom_details.alerts.length, 48);
    assert.match(trigger.payload.summary, new RegExp(`^${name}: 48 × InterfaceDown`));
    assert.ok(rx.requests.every((r) => !JSON.stringify(r.body).includes(fleet.devices[1].name)), 'the other device stayed quiet');
  });
});
