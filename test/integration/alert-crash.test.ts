/**
 * What a crash costs threshold-alert (README "What a crash costs"): a real Node-RED
 * process, the node's state in a file context store without cache, killed with SIGKILL
 * at different moments and started again on the same user directory, in front of the
 * local HTTP receiver standing in for PagerDuty. Every change reaches the receiver at
 * least once and at most twice, repeats carry the same dedup_key, and an alert that
 * resolved while Node-RED was down is resolved after the restart.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SETTINGS = { contextStorage: { default: { module: 'memory' }, alerts: { module: 'localfilesystem', config: { cache: false } } } };
const IFDOWN = { kind: 'threshold', name: 'InterfaceDown', field: 'ifOperStatus', op: '==', threshold: '2', clear: '', for: '0', keepFiringFor: '', severity: 'critical', summary: '{{device}} {{instance}} is down' };

describe('threshold-alert killed with SIGKILL: every change delivered at least once, at most once more', function () {
  this.timeout(240000);
  let rx: HttpReceiver;
  let red: NodeRed | undefined;
  let userDir: string | undefined;

  function flows(): FlowNode[] {
    return [
      { id: 'tab', type: 'tab', label: 'crash' },
      { id: 'in', type: 'http in', z: 'tab', url: '/feed', method: 'post', upload: false, swaggerDoc: '', wires: [['shape', 'reply']] },
      { id: 'reply', type: 'http response', z: 'tab', statusCode: '204', headers: {}, wires: [] },
      {
        id: 'shape', type: 'change', z: 'tab', rules: [
          { t: 'set', p: 'topic', pt: 'msg', to: 'payload.topic', tot: 'msg' },
          { t: 'set', p: 'snmp', pt: 'msg', to: 'payload.snmp', tot: 'msg' },
          { t: 'set', p: 'payload', pt: 'msg', to: 'payload.rows', tot: 'msg' },
        ], action: '', property: '', from: '', to: '', reg: false, wires: [['ta']],
      },
      { id: 'ta', type: 'threshold-alert', z: 'tab', rules: [IFDOWN], repeat: '0', nodata: 'resolve', nodataAfter: '3', format: 'pagerduty', routingKeyInBody: false, grouping: 'message', store: 'alerts', wires: [['post'], []] },
      { id: 'post', type: 'http request', z: 'tab', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: `${rx.url}/v2/enqueue`, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [[]] },
    ];
  }

  async function start(): Promise<NodeRed> {
    red = await startNodeRed({ userDir, flows: flows(), settings: SETTINGS, startTimeoutMs: 90000 });
    userDir = red.userDir;
    return red;
  }

  async function crash(): Promise<void> {
    await red!.kill();
    red = undefined;
  }

  /** One poll of `device`: ports 1–3, those in `down` with ifOperStatus 2. */
  async function feed(device: string, down: number[]): Promise<void> {
    const rows = [1, 2, 3].map((i) => ({ index: String(i), ifName: `xe-0/0/${i}`, ifOperStatus: down.includes(i) ? 2 : 1 }));
    const res = await red!.request('POST', '/feed', { topic: device, snmp: { time: Date.now() }, rows });
    assert.equal(res.status, 204);
  }

  const events = (device: string) => rx.on('/v2/enqueue').map((r) => r.body).filter((b) => b.payload?.source === device || dedupOf.get(b.dedup_key) === device);
  const dedupOf = new Map<string, string>();
  function learn(): void {
    for (const r of rx.on('/v2/enqueue')) if (r.body.payload?.source) dedupOf.set(r.body.dedup_key, r.body.payload.source);
  }
  const count = (device: string, action: string) => {
    learn();
    return events(device).filter((e) => e.event_action === action).length;
  };
  const waitFor = (device: string, action: string, n = 1) => rx.waitFor((r) => {
    learn();
    return r.body?.event_action === action && (r.body.payload?.source === device || dedupOf.get(r.body.dedup_key) === device);
  }, n, 60000);

  before(async () => {
    rx = await startHttpReceiver();
    await start();
  });
  after(async () => {
    if (red) await red.stop();
    else if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    await rx?.close();
  });

  it('killed the moment a trigger arrived: sent again after the restart (same dedup_key), and its resolve arrives', async () => {
    await feed('d1', [1]);
    await waitFor('d1', 'trigger');
    await crash(); // before the outbox entry's removal was written
    await start();
    await feed('d1', []);
    await waitFor('d1', 'resolve');
    await sleep(1500);
    const triggers = count('d1', 'trigger');
    assert.ok(triggers >= 1 && triggers <= 2, `${triggers} triggers`);
    assert.equal(count('d1', 'resolve'), 1);
    assert.equal(new Set(events('d1').map((e) => e.dedup_key)).size, 1, 'every repeat has the same dedup_key');
    assert.equal(events('d1').at(-1).event_action, 'resolve', 'the incident ends resolved');
  });

  it('an alert that resolved while Node-RED was down is resolved after the restart, not sent again', async () => {
    await feed('d2', [2]);
    await waitFor('d2', 'trigger');
    await sleep(2500); // the state with the sent trigger is written
    await crash();
    // the port came back while Node-RED was down: the next poll after the start says so
    await start();
    await feed('d2', []);
    await waitFor('d2', 'resolve');
    await sleep(1500);
    assert.deepEqual([count('d2', 'trigger'), count('d2', 'resolve')], [1, 1]);
  });

  for (const delay of [0, 40, 300, 1500]) {
    it(`killed ${delay} ms after a poll that fires an alert: at least once, at most twice, never left open`, async () => {
      const device = `k${delay}`;
      await feed(device, [3]);
      await sleep(delay);
      await crash();
      await start();
      await feed(device, []);
      if (delay >= 1500) await waitFor(device, 'trigger');
      await sleep(2500);
      const [triggers, resolves] = [count(device, 'trigger'), count(device, 'resolve')];
      assert.ok(triggers <= 2 && resolves <= 2, `${triggers} triggers, ${resolves} resolves`);
      // a poll killed before the node took it never fired; one that fired is also resolved
      if (triggers > 0) {
        assert.ok(resolves >= 1, `${triggers} triggers and no resolve`);
        assert.equal(events(device).at(-1).event_action, 'resolve');
      } else assert.equal(resolves, 0);
      console.log(`      killed after ${delay} ms: ${triggers} trigger(s), ${resolves} resolve(s)`);
    });
  }
});
