/**
 * threshold-alert → Node-RED's core `http request` node → a local HTTP server standing
 * in for Slack's incoming webhook and PagerDuty's Events API v2: what arrives on the
 * wire is valid Block Kit with every hostile device string escaped, and a PagerDuty
 * trigger then resolve with the same dedup_key and the routing key from a credential.
 * The webhook URL comes from an environment variable, so no secret sits in the flow.
 */
import { strict as assert } from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { helper, collect, logText } from '../support/flow';

const alertNode = require('../../src/threshold-alert');
const httpRequestNode = require('@node-red/nodes/core/network/21-httprequest.js');
const changeNode = require('@node-red/nodes/core/function/15-change.js');

const HOSTILE = '<!channel> & <script>alert(1)</script> <@U024BE7LH> <http://evil.example|login> @everyone';
// Poll times are checked against the clock (a day at most): an hour ago, on a whole second.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;

interface Received {
  path: string;
  contentType: string | undefined;
  body: any;
}

/** A stand-in for hooks.slack.com and events.pagerduty.com on 127.0.0.1. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = { unparsable: text };
      }
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      // What each service answers: Slack "ok", PagerDuty 202 with a JSON status.
      if (req.url?.startsWith('/v2/enqueue')) {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (body as any)?.dedup_key }));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Block Kit checks for what threshold-alert emits (https://api.slack.com/reference/block-kit/blocks). */
function assertBlockKit(body: any): void {
  assert.equal(typeof body.text, 'string');
  assert.ok(body.text.length > 0 && body.text.length <= 3000);
  assert.ok(Array.isArray(body.blocks) && body.blocks.length >= 1 && body.blocks.length <= 50);
  for (const b of body.blocks) {
    if (b.type === 'section') {
      if (b.text) assert.ok(b.text.type === 'mrkdwn' && b.text.text.length >= 1 && b.text.text.length <= 3000);
      if (b.fields) {
        assert.ok(b.fields.length >= 1 && b.fields.length <= 10);
        for (const f of b.fields) assert.ok(f.type === 'mrkdwn' && f.text.length >= 1 && f.text.length <= 2000);
      }
      assert.ok(b.text || b.fields);
    } else {
      assert.equal(b.type, 'context');
      for (const e of b.elements) assert.ok(e.type === 'mrkdwn' && e.text.length >= 1 && e.text.length <= 2000);
    }
  }
}

function rows(bps: number, time: number) {
  return {
    topic: HOSTILE,
    payload: [{ index: '7', ifDescr: 'Gi0/7', ifAlias: HOSTILE, ifHCInOctets: bps }],
    device: { host: '127.0.0.1', port: 161, name: HOSTILE, labels: { site: HOSTILE } },
    snmp: { time, elapsedMs: 2, version: '2c' },
  };
}

describe('threshold-alert → http request → Slack / PagerDuty stand-ins', function () {
  this.timeout(20000);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });
  afterEach(async () => {
    await helper.unload();
    delete process.env.SLACK_WEBHOOK_URL;
    delete process.env.PD_ROUTING_KEY;
  });

  const rules = [{ name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: '800000000', clear: '500000000', severity: 'critical', summary: '{{device}} {{ifDescr}} ({{ifAlias}}) at {{value}} b/s' }];

  function flow(format: string, url: string) {
    return [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'ta', type: 'threshold-alert', z: 'tab', x: 100, y: 100, rules, repeat: '0', nodata: 'resolve', nodataAfter: '3', format, store: '', wires: [['post']] },
      { id: 'post', type: 'http request', z: 'tab', x: 300, y: 100, method: 'POST', ret: 'txt', paytoqs: 'ignore', url, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [['res']] },
      { id: 'res', type: 'helper', z: 'tab' },
    ];
  }

  it('posts valid Block Kit to the Slack webhook with hostile device strings escaped', async () => {
    process.env.SLACK_WEBHOOK_URL = `${receiver.url}/services/T000/B000/XXXX`;
    const start = receiver.received.length;
    await helper.load([alertNode, httpRequestNode], flow('slack', '${SLACK_WEBHOOK_URL}'));
    const res = collect('res');
    // a poll a minute later: the firing has gone out by then
    helper.getNode('ta').receive(rows(950e6, T0));
    await res.wait(1);
    helper.getNode('ta').receive(rows(100e6, T0 + 60_000));
    const answers = await res.wait(2);
    assert.deepEqual(answers.map((a) => [a.statusCode, a.payload]), [[200, 'ok'], [200, 'ok']]);
    const got = receiver.received.slice(start);
    assert.equal(got.length, 2);
    for (const r of got) {
      assert.equal(r.path, '/services/T000/B000/XXXX');
      assert.match(r.contentType ?? '', /^application\/json/);
      assertBlockKit(r.body);
      const wire = JSON.stringify(r.body);
      for (const bad of ['<!channel>', '<script>', '<@U024BE7LH>', '<http://evil.example|login>', '@everyone']) {
        assert.ok(!wire.includes(bad), `${bad} reached Slack: ${wire}`);
      }
      assert.ok(wire.includes('&lt;!channel&gt; &amp; &lt;script&gt;'), wire);
    }
    assert.match(got[0].body.text, /^FIRING: HighUtilization on &lt;!channel&gt;/);
    assert.match(got[1].body.text, /^RESOLVED: HighUtilization/);
    assert.ok(!JSON.stringify(flow('slack', '${SLACK_WEBHOOK_URL}')).includes('/services/'), 'the webhook URL is not in the flow');
  });

  it('posts a PagerDuty trigger then a resolve with the same dedup_key and the credential routing key', async () => {
    process.env.PD_ROUTING_KEY = 'R0UTING-0123456789abcdef';
    const start = receiver.received.length;
    await helper.load([alertNode, httpRequestNode], flow('pagerduty', `${receiver.url}/v2/enqueue`), { ta: { routingKey: '${PD_ROUTING_KEY}' } });
    const res = collect('res');
    helper.getNode('ta').receive(rows(950e6, T0));
    await res.wait(1);
    helper.getNode('ta').receive(rows(990e6, T0 + 30_000)); // still firing: nothing sent
    helper.getNode('ta').receive(rows(100e6, T0 + 60_000));
    const answers = await res.wait(2);
    assert.deepEqual(answers.map((a) => a.statusCode), [202, 202]);
    const got = receiver.received.slice(start).map((r) => r.body);
    assert.equal(got.length, 2);
    const [trigger, resolve] = got;
    assert.equal(trigger.event_action, 'trigger');
    assert.equal(resolve.event_action, 'resolve');
    assert.equal(trigger.routing_key, 'R0UTING-0123456789abcdef');
    assert.equal(resolve.routing_key, 'R0UTING-0123456789abcdef');
    assert.match(trigger.dedup_key, /^[0-9a-f]{32}$/);
    assert.equal(resolve.dedup_key, trigger.dedup_key);
    assert.equal(trigger.payload.severity, 'critical');
    assert.equal(trigger.payload.source, HOSTILE, 'JSON carries text as is; PagerDuty renders it as text');
    assert.equal(trigger.payload.component, 'Gi0/7', 'the instance as people read it (ifDescr), not the row index');
    assert.ok(trigger.payload.summary.length <= 1024);
    assert.ok(!logText().includes('R0UTING'), 'the routing key is never logged');
  });

  it('with routingKeyInBody off, the key is added only in the http request step (a change node reading $env), never on the alert wire', async () => {
    process.env.PAGERDUTY_ROUTING_KEY = 'R0UTING-FROM-ENV-0123456789';
    try {
      const start = receiver.received.length;
      const nodes = flow('pagerduty', `${receiver.url}/v2/enqueue`);
      const alert = nodes.find((n) => n.id === 'ta')! as Record<string, unknown>;
      alert.routingKeyInBody = false;
      alert.wires = [['addKey', 'debugWire']];
      nodes.push(
        // As the help says: set msg.payload.routing_key from the environment right before the request.
        { id: 'addKey', type: 'change', z: 'tab', x: 200, y: 100, rules: [{ t: 'set', p: 'payload.routing_key', pt: 'msg', to: "$env('PAGERDUTY_ROUTING_KEY')", tot: 'jsonata' }], wires: [['post']] } as any,
        { id: 'debugWire', type: 'helper', z: 'tab' } as any,
      );
      // A credential is set too: unticked, the node must not put it on the wire either.
      await helper.load([alertNode, httpRequestNode, changeNode], nodes, { ta: { routingKey: 'R0UTING-CREDENTIAL-UNUSED' } });
      const res = collect('res');
      const onAlertWire = collect('debugWire');
      helper.getNode('ta').receive(rows(950e6, T0));
      await res.wait(1);
      helper.getNode('ta').receive(rows(100e6, T0 + 60_000));
      await res.wait(2);
      const got = receiver.received.slice(start).map((r) => r.body);
      assert.deepEqual(got.map((b) => [b.event_action, b.routing_key]), [['trigger', 'R0UTING-FROM-ENV-0123456789'], ['resolve', 'R0UTING-FROM-ENV-0123456789']]);
      assert.equal(got[0].dedup_key, got[1].dedup_key);
      assert.equal(onAlertWire.msgs.length, 2);
      for (const m of onAlertWire.msgs) assert.ok(!JSON.stringify(m).includes('R0UTING'), 'what Debug on the alert output would show has no key');
      assert.ok(!logText().includes('R0UTING'));
    } finally {
      delete process.env.PAGERDUTY_ROUTING_KEY;
    }
  });
});
