/**
 * snmp-spool through node-red-node-test-helper, wired as a user wires it: spool → a
 * writer node that reports success with done() and failure with done(err) (as
 * node-red-contrib-influxdb's batch node does), a core complete node and a core catch
 * node scoped to the writer, both wired back into the spool. The writer can be made to
 * fail or to never answer. Messages survive a stop and start of the flows, the caps
 * drop the oldest with a count, and nothing loops when the complete node also watches
 * the spool.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { catchNode, helper, collect, statusesOf, logText } from '../support/flow';
import { SpoolStore } from '../../src/lib/spool/store';
import { spoolFolder } from '../../src/lib/red/spool-node';
import { startInfluxd, influxRows, type Influxd } from '../support/influxd';

const spoolNode = require('../../src/snmp-spool');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');
const httpRequestNode = require('@node-red/nodes/core/network/21-httprequest.js');
const influxNodes = require('node-red-contrib-influxdb/influxdb.js');

/** How the writer answers: 'ok' done(), 'down' done(err), 'silent' never, 'hold' when release() is called. */
const writer = { mode: 'ok' as 'ok' | 'down' | 'silent' | 'hold', written: [] as any[], held: [] as Array<() => void> };

function writerNode(RED: any) {
  function FakeWriter(this: any, config: any) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg: any, _send: unknown, done: (err?: Error) => void) => {
      if (writer.mode === 'silent') return;
      if (writer.mode === 'hold') {
        writer.held.push(() => {
          writer.written.push(msg);
          done();
        });
        return;
      }
      // answer on a later turn, as a network write does
      setImmediate(() => {
        if (writer.mode === 'down') done(new Error('connect ECONNREFUSED 127.0.0.1:8086'));
        else {
          writer.written.push(msg);
          done();
        }
      });
    });
  }
  RED.nodes.registerType('fake-writer', FakeWriter);
  // a node between the complete node and the spool (a change node in a real flow)
  function PassOn(this: any, config: any) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg: any, send: (m: any) => void, done: () => void) => {
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('pass-on', PassOn);
}

const NODES = [spoolNode, completeNode, catchNode, writerNode];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function flow(spool: Record<string, unknown> = {}, completeScope: string[] = ['w']) {
  return [
    { id: 'tab', type: 'tab', label: 'spool' },
    { id: 'sp', type: 'snmp-spool', z: 'tab', name: '', maxInFlight: '4', ackTimeout: '60', retryMax: '2', maxMessages: '', maxSize: '', fsync: 'second', wires: [['w']], ...spool },
    { id: 'w', type: 'fake-writer', z: 'tab', wires: [] },
    { id: 'ok', type: 'complete', z: 'tab', scope: completeScope, uncaught: false, wires: [['sp']] },
    { id: 'failed', type: 'catch', z: 'tab', scope: ['w'], uncaught: false, wires: [['sp']] },
  ];
}

/** The messages still queued in the spool folder of node `id` (the flows must be stopped). */
function queuedOnDisk(userDir: string, id = 'sp'): any[] {
  const store = SpoolStore.open({ dir: spoolFolder(userDir, id), maxMessages: 1e6, maxBytes: 1e9, fsync: 'never' });
  try {
    return store.oldest(1e6).map((seq) => store.read(seq));
  } finally {
    store.abandon();
  }
}

const payloads = () => writer.written.map((m) => m.payload);

describe('snmp-spool node', function () {
  this.timeout(30000);
  let userDir: string;

  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-flow-'));
    helper.settings({ userDir });
    writer.mode = 'ok';
    writer.written = [];
    writer.held = [];
  });

  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('passes each message on tagged, and releases it when the complete node reports the write', async () => {
    await helper.load(NODES, flow());
    helper.getNode('sp').receive({ topic: 'core-1', payload: [{ measurement: 'm', fields: { v: 1 } }] });
    helper.getNode('sp').receive({ topic: 'core-2', payload: [{ measurement: 'm', fields: { v: 2 } }] });
    await until('two writes', () => writer.written.length === 2);
    assert.deepEqual(writer.written.map((m) => m.topic), ['core-1', 'core-2']);
    assert.deepEqual(writer.written[0].spool, { node: 'sp', seq: 1, attempt: 1 });
    assert.deepEqual(writer.written[0].payload, [{ measurement: 'm', fields: { v: 1 } }]);
    await until('a green status', () => statusesOf('sp').filter((s) => s.text).at(-1)?.fill === 'green');
    assert.deepEqual(statusesOf('sp').filter((s) => s.text).at(-1), { fill: 'green', shape: 'dot', text: 'snmp-spool.status.queued' });
    await sleep(200);
    await helper.unload();
    assert.deepEqual(queuedOnDisk(userDir), [], 'nothing left queued');
  });

  it('keeps a failed message and sends it again, one probe at a time with backoff, until the writer is back', async () => {
    await helper.load(NODES, flow());
    writer.mode = 'down';
    for (let i = 1; i <= 3; i++) helper.getNode('sp').receive({ payload: i });
    await until('a retrying status', () => statusesOf('sp').some((s) => s.text === 'snmp-spool.status.retrying' && s.fill === 'yellow'));
    await sleep(1500);
    writer.mode = 'ok';
    await until('all three written', () => writer.written.length >= 3);
    await sleep(300);
    assert.deepEqual(payloads(), [1, 2, 3], 'each once, in order');
    assert.ok(writer.written[0].spool.attempt >= 2, `written at attempt ${writer.written[0].spool.attempt}`);
    const log = logText();
    assert.equal(log.split('snmp-spool.warn.failing').length - 1, 1, 'the failure logged once');
    assert.match(log, /snmp-spool\.log\.resumed/);
    assert.deepEqual(statusesOf('sp').filter((s) => s.text).at(-1)?.fill, 'green');
  });

  it('replays what was queued when the flows stopped, after a start, and nothing twice', async () => {
    await helper.load(NODES, flow());
    writer.mode = 'down';
    for (let i = 1; i <= 5; i++) helper.getNode('sp').receive({ payload: i });
    await until('a failure', () => statusesOf('sp').some((s) => s.text === 'snmp-spool.status.retrying'));
    await helper.unload();
    assert.deepEqual(queuedOnDisk(userDir).map((m) => m.payload), [1, 2, 3, 4, 5]);
    writer.mode = 'ok';
    writer.written = [];
    await helper.load(NODES, flow());
    await until('the backlog written', () => writer.written.length >= 5);
    await sleep(300);
    assert.deepEqual(payloads(), [1, 2, 3, 4, 5]);
    await helper.unload();
    assert.deepEqual(queuedOnDisk(userDir), []);
  });

  it('drops the oldest past the cap, red while it happens, counted, and delivers the newest', async () => {
    await helper.load(NODES, flow({ maxMessages: '3' }));
    writer.mode = 'down';
    for (let i = 1; i <= 8; i++) helper.getNode('sp').receive({ payload: i });
    await until('a dropping status', () => statusesOf('sp').some((s) => s.text === 'snmp-spool.status.dropping'));
    assert.deepEqual(statusesOf('sp').find((s) => s.text === 'snmp-spool.status.dropping'), { fill: 'red', shape: 'ring', text: 'snmp-spool.status.dropping' });
    writer.mode = 'ok';
    await until('three written', () => writer.written.length >= 3, 20000);
    await sleep(300);
    // the probe in flight when the writer came back may be one that was later dropped
    const written = payloads();
    assert.deepEqual(written.slice(-3), [6, 7, 8], `written: ${written}`);
    assert.ok(written.every((p) => p === 1 || p >= 6), `only the newest (or the first probe): ${written}`);
    const log = logText();
    assert.equal(log.split('snmp-spool.warn.full').length - 1, 1, 'the start of the loss logged once');
    assert.match(log, /snmp-spool\.warn\.lost/);
    await until('the loss still shown', () => statusesOf('sp').filter((s) => s.text).at(-1)?.text === 'snmp-spool.status.dropped');
    assert.deepEqual(statusesOf('sp').filter((s) => s.text).at(-1)?.fill, 'yellow');
  });

  it('takes a drop back when the message dropped at the cap was being written and the write succeeds', async () => {
    await helper.load(NODES, flow({ maxMessages: '2', maxInFlight: '1' }));
    writer.mode = 'hold';
    helper.getNode('sp').receive({ payload: 1 });
    await until('the first message at the writer', () => writer.held.length === 1);
    // 2 and 3 pass the cap of 2 while 1 is still being written: 1, the oldest, is dropped
    helper.getNode('sp').receive({ payload: 2 });
    helper.getNode('sp').receive({ payload: 3 });
    await until('the drop in the status', () => statusesOf('sp').some((s) => s.text === 'snmp-spool.status.dropping'));
    writer.mode = 'ok';
    // 1 is written after all; 2 went out when 1 left the queue
    for (const release of writer.held.splice(0)) release();
    await until('all three written', () => writer.written.length === 3);
    await until('a green status', () => statusesOf('sp').filter((s) => s.text).at(-1)?.fill === 'green');
    assert.deepEqual(payloads(), [1, 2, 3]);
    assert.doesNotMatch(logText(), /snmp-spool\.warn\.lost/, 'nothing was lost after all');
  });

  it('sends again when no acknowledgement comes within the timeout, and says what to wire', async () => {
    await helper.load(NODES, flow({ ackTimeout: '1' }));
    writer.mode = 'silent';
    helper.getNode('sp').receive({ payload: 'lost in the sink' });
    await until('a retrying status', () => statusesOf('sp').some((s) => s.text === 'snmp-spool.status.retrying'), 10000);
    writer.mode = 'ok';
    await until('the write', () => writer.written.length >= 1, 10000);
    assert.equal(writer.written[0].spool.attempt, 2);
    assert.match(logText(), /snmp-spool\.warn\.no-ack/);
  });

  it('hands a message it cannot store to Catch, and keeps going', async () => {
    // the helper loads a core node's module once per node of its type: one catch node
    // here, on the spool itself, and the writer never fails
    await helper.load(NODES, [
      ...flow().filter((n) => n.id !== 'failed'),
      { id: 'refusals', type: 'catch', z: 'tab', scope: ['sp'], uncaught: false, wires: [['refused']] },
      { id: 'refused', type: 'helper', z: 'tab' },
    ]);
    const refused = collect('refused');
    const circular: any = { payload: 'x' };
    circular.self = circular;
    helper.getNode('sp').receive(circular);
    helper.getNode('sp').receive({ payload: 'fine' });
    const [m] = await refused.wait(1);
    assert.equal(m.error.source.id, 'sp');
    assert.match(m.error.message, /snmp-spool\.errors\.not-json/);
    await until('the good one written', () => writer.written.length === 1);
    assert.equal(writer.written[0].payload, 'fine');
  });

  it('makes no loop when the complete node also watches the spool: every message written once', async () => {
    // Node-RED's complete node leaves out nodes it is wired to directly; through another
    // node, the spool's own completions would come back
    const nodes = flow({}, ['w', 'sp']).map((n) => (n.id === 'ok' ? { ...n, wires: [['via']] } : n));
    await helper.load(NODES, [...nodes, { id: 'via', type: 'pass-on', z: 'tab', wires: [['sp']] }]);
    for (let i = 1; i <= 3; i++) helper.getNode('sp').receive({ payload: i });
    await until('three writes', () => writer.written.length >= 3);
    await sleep(500);
    assert.deepEqual(payloads(), [1, 2, 3]);
    assert.match(logText(), /snmp-spool\.warn\.echo/);
  });

  it('deletes its folder when the node is removed with nothing queued', async () => {
    await helper.load(NODES, flow());
    helper.getNode('sp').receive({ payload: 1 });
    await until('the write', () => writer.written.length === 1);
    await sleep(100);
    const folder = spoolFolder(userDir, 'sp');
    assert.ok(fs.existsSync(folder));
    // the spool goes, and with it the complete and catch nodes that fed it
    await helper.setFlows(flow().filter((n) => !['sp', 'ok', 'failed'].includes(n.id)), 'full');
    await until('the folder removed', () => !fs.existsSync(folder));
  });

  describe('in front of Node-RED\'s http request node and a real HTTP endpoint', () => {
    let server: http.Server | undefined;
    /** The bodies the endpoint received, and the status it answers each with. */
    let received: string[];
    let answer: (n: number) => number;

    /** An endpoint on a loopback port; `listen` false keeps the port closed (connection refused). */
    async function endpoint(listen = true): Promise<number> {
      received = [];
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => { body += d; });
        req.on('end', () => {
          received.push(body);
          res.statusCode = answer(received.length);
          res.end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      if (!listen) await new Promise<void>((resolve) => server!.close(() => resolve()));
      return port;
    }

    function httpFlow(port: number) {
      return [
        { id: 'tab', type: 'tab', label: 'spool' },
        { id: 'sp', type: 'snmp-spool', z: 'tab', name: '', maxInFlight: '4', ackTimeout: '60', retryMax: '1', maxMessages: '', maxSize: '', fsync: 'second', wires: [['hr']] },
        { id: 'hr', type: 'http request', z: 'tab', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: `http://127.0.0.1:${port}/write`, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [[]] },
        { id: 'ok', type: 'complete', z: 'tab', scope: ['hr'], uncaught: false, wires: [['sp']] },
        { id: 'failed', type: 'catch', z: 'tab', scope: ['hr'], uncaught: false, wires: [['sp']] },
      ];
    }

    afterEach(async () => {
      if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    });

    it('keeps a message the endpoint was down for (http request reports the error and then completes) until it is up', async () => {
      answer = () => 204;
      const port = await endpoint(false);
      await helper.load([spoolNode, completeNode, catchNode, httpRequestNode], httpFlow(port));
      helper.getNode('sp').receive({ payload: 'point-1' });
      await until('the failure logged', () => /snmp-spool\.warn\.failing/.test(logText()));
      await sleep(1500);
      assert.deepEqual(received, [], 'nothing reached the endpoint while it was down');
      // the endpoint comes up on the same port: the next probe delivers the message
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      await until('the message delivered', () => received.length >= 1);
      await sleep(1500);
      assert.deepEqual(received, ['point-1'], 'delivered once, after the outage');
      assert.equal(statusesOf('sp').filter((s) => s.text).at(-1)?.fill, 'green');
      await helper.unload();
      assert.deepEqual(queuedOnDisk(userDir), [], 'nothing left queued');
    });

    it('sends again on HTTP 503, and releases on HTTP 400 with a count and a warning instead of sending it forever', async () => {
      // the first answer 503, then 200 for the second message, then 400 for the third
      answer = (n) => (n === 1 ? 503 : n === 2 ? 200 : 400);
      const port = await endpoint();
      await helper.load([spoolNode, completeNode, catchNode, httpRequestNode], httpFlow(port));
      helper.getNode('sp').receive({ payload: 'point-1' });
      await until('sent again after the 503', () => received.length >= 2);
      assert.deepEqual(received, ['point-1', 'point-1']);
      assert.match(logText(), /snmp-spool\.warn\.failing/, 'the 503 is a failure');
      helper.getNode('sp').receive({ payload: 'point-2' });
      await until('the 400', () => received.length >= 3);
      await sleep(2500);
      assert.deepEqual(received, ['point-1', 'point-1', 'point-2'], 'the refused message is not sent again');
      assert.match(logText(), /snmp-spool\.warn\.refused/);
      assert.deepEqual(statusesOf('sp').filter((s) => s.text).at(-1), { fill: 'yellow', shape: 'dot', text: 'snmp-spool.status.refused' });
      await helper.unload();
      assert.deepEqual(queuedOnDisk(userDir), [], 'nothing left queued');
    });
  });
  describe('in front of node-red-contrib-influxdb\'s batch node in its InfluxDB 2.x mode', () => {
    let server: http.Server | undefined;
    afterEach(async () => {
      if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
    });

    it('releases a point InfluxDB 2.x refuses (422 field type conflict; its error text has no status, the client\'s HttpError has), and writes what follows', async function () {
      this.timeout(30000);
      // Debian has no InfluxDB 2: a loopback endpoint answers /api/v2/write as InfluxDB 2.7 does
      const bodies: string[] = [];
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => { body += d; });
        req.on('end', () => {
          bodies.push(body);
          if (/device=b/.test(body)) {
            // a field written as a string before (the 2.x client itself leaves out empty tags)
            res.writeHead(422, { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify({ code: 'unprocessable entity', message: 'failure writing points to database: partial write: field type conflict: input field "up" on measurement "snmp_system" is type float, already exists as type string dropped=1' }));
          } else {
            res.writeHead(204);
            res.end();
          }
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const flow = [
        { id: 'tab', type: 'tab', label: 'spool' },
        { id: 'db', type: 'influxdb', hostname: '', port: '', protocol: 'http', database: '', name: '', usetls: false, tls: '', influxdbVersion: '2.0', url, timeout: 10, rejectUnauthorized: true },
        { id: 'sp', type: 'snmp-spool', z: 'tab', name: '', maxInFlight: '1', ackTimeout: '60', retryMax: '1', maxMessages: '', maxSize: '', fsync: 'second', wires: [['w']] },
        { id: 'w', type: 'influxdb batch', z: 'tab', influxdb: 'db', precision: 'ms', retentionPolicy: '', name: '', database: '', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: 'org', bucket: 'bucket', wires: [] },
        { id: 'ok', type: 'complete', z: 'tab', scope: ['w'], uncaught: false, wires: [['sp']] },
        { id: 'failed', type: 'catch', z: 'tab', scope: ['w'], uncaught: false, wires: [['sp']] },
      ];
      await helper.load([spoolNode, completeNode, catchNode, influxNodes], flow, { db: { token: 'test-token' } });
      const point = (device: string, site: string, t: number) => ({ payload: [{ measurement: 'snmp_system', tags: { device, site }, fields: { up: 1 }, timestamp: t }] });
      const t0 = Date.now() - 10000;
      helper.getNode('sp').receive(point('a', 'lab', t0));
      helper.getNode('sp').receive(point('b', '', t0 + 1));
      helper.getNode('sp').receive(point('c', 'lab', t0 + 2));
      await until('the point after the refused one written', () => bodies.some((b) => /device=c/.test(b)), 20000);
      await sleep(1500);
      assert.equal(bodies.filter((b) => /device=b/.test(b)).length, 1, 'the refused point is sent once, not again');
      assert.match(logText(), /snmp-spool\.warn\.refused-error/);
      assert.deepEqual(statusesOf('sp').filter((st) => st.text).at(-1)?.text, 'snmp-spool.status.refused');
      await helper.unload();
      assert.deepEqual(queuedOnDisk(userDir), [], 'nothing left queued');
    });
  });

  describe('in front of node-red-contrib-influxdb\'s batch node and a real influxd', () => {
    let influxd: Influxd | undefined;
    after(async () => { await influxd?.stop(); });

    it('releases a point InfluxDB refuses (400: an empty tag value) with a count, and writes what follows it', async function () {
      this.timeout(60000);
      influxd ??= await startInfluxd({ database: 'spooltest' });
      const flow = [
        { id: 'tab', type: 'tab', label: 'spool' },
        { id: 'db', type: 'influxdb', hostname: '127.0.0.1', port: influxd.port, protocol: 'http', database: 'spooltest', name: '', usetls: false, tls: '', influxdbVersion: '1.x', url: influxd.url, timeout: 10, rejectUnauthorized: true },
        { id: 'sp', type: 'snmp-spool', z: 'tab', name: '', maxInFlight: '1', ackTimeout: '60', retryMax: '1', maxMessages: '', maxSize: '', fsync: 'second', wires: [['w']] },
        { id: 'w', type: 'influxdb batch', z: 'tab', influxdb: 'db', precision: 'ms', retentionPolicy: '', name: '', database: 'database', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: '', bucket: '', wires: [] },
        { id: 'ok', type: 'complete', z: 'tab', scope: ['w'], uncaught: false, wires: [['sp']] },
        { id: 'failed', type: 'catch', z: 'tab', scope: ['w'], uncaught: false, wires: [['sp']] },
      ];
      await helper.load([spoolNode, completeNode, catchNode, influxNodes], flow);
      const point = (device: string, site: string, t: number) => ({ payload: [{ measurement: 'snmp_system', tags: { device, site }, fields: { up: 1 }, timestamp: t }] });
      const t0 = Date.now() - 10000;
      helper.getNode('sp').receive(point('a', 'lab', t0));
      helper.getNode('sp').receive(point('b', '', t0 + 1)); // InfluxDB: "missing tag value"
      helper.getNode('sp').receive(point('c', 'lab', t0 + 2));
      const written = async () => influxRows(await influxd!.query('SELECT up, device FROM snmp_system', 'spooltest')).map((r) => r.device).sort();
      await until('a and c written', () => statusesOf('sp').filter((s) => s.text).at(-1)?.text === 'snmp-spool.status.refused', 20000);
      assert.deepEqual(await written(), ['a', 'c'], 'the point behind the refused one is written');
      assert.match(logText(), /snmp-spool\.warn\.refused-error/, 'warned with InfluxDB\'s reason');
      await helper.unload();
      assert.deepEqual(queuedOnDisk(userDir), [], 'nothing left queued: the refused point is not sent for ever');
    });
  });
});
