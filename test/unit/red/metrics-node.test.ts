/**
 * snmp-metrics' node behaviour without Node-RED: its properties, messages into series,
 * the status, the warnings and the counted drops, scrapes through a real HTTP server,
 * counter-rate's output read as rates, and the route taken away on close.
 */
import { strict as assert } from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';
import { CounterRateNode, counterRateOptions } from '../../../src/lib/red/counter-rate-node';
import { registerHealth } from '../../../src/lib/red/health-registry';
import { PathInUseError, type HttpHost } from '../../../src/lib/red/http-route';
import { MetricsNode, metricsOptions } from '../../../src/lib/red/metrics-node';
import { fakeNode } from '../../support/fakes';

/** An HttpHost over a real server on 127.0.0.1, with the routes it holds. */
async function testHost(): Promise<HttpHost & { url: string; routes: Map<string, unknown>; close(): Promise<void> }> {
  const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
  const server = http.createServer((req, res) => {
    const h = routes.get((req.url ?? '').split('?')[0]);
    if (h) h(req, res);
    else { res.statusCode = 404; res.end(); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routes,
    available: true,
    get(path, _owner, handler) {
      if (routes.has(path)) throw new PathInUseError(path);
      routes.set(path, handler);
      return () => routes.delete(path);
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const WALK = {
  topic: 'core-1',
  device: { host: '192.0.2.10', port: 161, name: 'core-1', labels: { site: 'paris' } },
  payload: [{ index: '1', ifName: 'ge-0/0/1', ifHCInOctets: 1000, ifHighSpeed: 1000 }],
  types: { ifName: 'OctetString', ifHCInOctets: 'Counter64', ifHighSpeed: 'Gauge32' },
  snmp: { time: Date.now(), elapsedMs: 5, version: '2c' },
};

const done = () => undefined;

describe('snmp-metrics node behaviour', () => {
  let host: Awaited<ReturnType<typeof testHost>>;
  const nodes: MetricsNode[] = [];
  const make = (props: Record<string, unknown> = {}, facade = fakeNode(undefined, { type: 'snmp-metrics', id: 'm1' })) => {
    const n = new MetricsNode(facade, metricsOptions({ labelColumns: 'ifName', ...props }), host);
    nodes.push(n);
    return { n, facade };
  };

  beforeEach(async () => { host = await testHost(); });
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    await host.close();
  });

  it('checks its properties and names the bad one', () => {
    assert.deepEqual(metricsOptions({}), { path: '/metrics', prefix: 'snmp_', labelColumns: [], staleAfter: 3, maxSeries: 200000, health: false });
    assert.equal(metricsOptions({ path: 'prom' }).path, '/prom');
    assert.equal(metricsOptions({ prefix: '' }).prefix, '');
    assert.deepEqual(metricsOptions({ labelColumns: 'ifName, ifAlias\nifName' }).labelColumns, ['ifName', 'ifAlias']);
    assert.equal(metricsOptions({ health: 'true' }).health, true);
    for (const [property, value] of [['path', '/a/:id'], ['path', '/a b'], ['prefix', '9x'], ['labelColumns', 'if-Name'], ['staleAfter', '0'], ['maxSeries', 'lots'], ['health', 'maybe']]) {
      assert.throws(() => metricsOptions({ [property]: value }), (err: any) => err.property === property, `${property}=${value}`);
    }
  });

  it('serves what it received, the status telling series and scrapes', async () => {
    const { n, facade } = make();
    assert.match(facade.statuses.at(-1)!.text!, /status.waiting/);
    n.input({ ...WALK }, () => undefined, done);
    const res = await fetch(`${host.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    assert.match(body, /^snmp_ifHCInOctets_total\{device="core-1",host="192.0.2.10",site="paris",index="1",ifName="ge-0\/0\/1"\} 1000$/m);
    assert.match(body, /^snmp_ifHighSpeed\{.*\} 1000$/m);
    assert.match(body, /^snmp_fleet_metrics_series\{node="m1",node_id="m1"\} 2$/m);
    assert.doesNotMatch(body, /snmp_fleet_device_up/, 'no pack health unless asked for');
    assert.equal(n.scrapes, 1);
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(facade.statuses.at(-1), { fill: 'green', shape: 'dot', text: 'status.series {"n":"2","scrapes":"1"}' });
  });

  it('answers Prometheus in OpenMetrics, gzip-compressed, ending with # EOF', async () => {
    const { n } = make();
    n.input({ ...WALK }, () => undefined, done);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${host.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5', 'accept-encoding': 'gzip' } }, resolve).on('error', reject);
    });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = gunzipSync(Buffer.concat(chunks)).toString();
    assert.match(body, /# TYPE snmp_ifHCInOctets counter\nsnmp_ifHCInOctets_total\{/);
    assert.match(body, /# TYPE snmp_fleet_metrics_messages counter\n/);
    assert.ok(body.endsWith('# EOF\n'));
    assert.doesNotMatch(body, /\n\n/, 'OpenMetrics allows no blank line');
  });

  it('adds the pack\'s health when asked for', async () => {
    const off = registerHealth('unit-poller', () => [{ name: 'snmp_fleet_device_up', type: 'gauge', help: 'up', labelNames: ['node', 'device', 'host'], samples: [{ labels: { node: 'p', device: 'd"1', host: 'h' }, value: 0 }] }]);
    try {
      const { n } = make({ health: true });
      n.input({ ...WALK }, () => undefined, done);
      const body = await (await fetch(`${host.url}/metrics`)).text();
      assert.match(body, /^snmp_fleet_device_up\{node="p",device="d\\"1",host="h"\} 0$/m);
    } finally {
      off();
    }
  });

  it('reads counter-rate\'s output as rates, not as counters', async () => {
    const rateFacade = fakeNode();
    const rates = new CounterRateNode(rateFacade, counterRateOptions({ scale: '8' }));
    await rates.loaded;
    const { n } = make();
    const t0 = Date.now() - 10_000;
    const outputs: any[] = [];
    for (const [octets, t] of [[1000, t0], [2000, t0 + 1000]] as const) {
      rates.input({ ...WALK, payload: [{ ...WALK.payload[0], ifHCInOctets: octets }], snmp: { time: t } }, (m: any) => outputs.push(m), done);
    }
    await rates.close();
    assert.deepEqual(outputs[1].counterRate, { mode: 'rate', scale: 8 });
    n.input(outputs[1], () => undefined, done);
    const body = await (await fetch(`${host.url}/metrics`)).text();
    assert.match(body, /^snmp_ifHCInOctets_rate\{.*\} 8000$/m);
    assert.doesNotMatch(body, /snmp_ifHCInOctets_total/);
  });

  it('serves firing alerts until they resolve', async () => {
    const { n } = make();
    const alert = { status: 'firing', alertname: 'DeviceUnreachable', severity: 'critical', device: 'core-1', instance: '', labels: {} };
    n.input({ topic: 'DeviceUnreachable', payload: { text: 'slack body' }, alert }, () => undefined, done);
    assert.match(await (await fetch(`${host.url}/metrics`)).text(), /^snmp_alert_firing\{alertname="DeviceUnreachable",severity="critical",device="core-1"\} 1$/m);
    n.input({ topic: 'DeviceUnreachable', payload: {}, alert: { ...alert, status: 'resolved' } }, () => undefined, done);
    assert.doesNotMatch(await (await fetch(`${host.url}/metrics`)).text(), /snmp_alert_firing/);
  });

  it('handles bad input: a clear error for no object, counted drops, one warning each, the status saying so', async () => {
    const { n, facade } = make({ maxSeries: '3' });
    const errors: Array<Error | undefined> = [];
    const record = (err?: Error) => errors.push(err);
    n.input({ topic: 'x', payload: 'text' }, () => undefined, record);
    n.input({ topic: 'x', payload: { name: 'no numbers' } }, () => undefined, record);
    n.input({ topic: 'x', payload: { name: 'no numbers' } }, () => undefined, record);
    n.input({ topic: 'x', payload: { a: Number.NaN, b: Infinity } }, () => undefined, record);
    n.input({ topic: 'x', payload: [{ index: '1', v: 1 }, { index: '2', v: 1 }, { index: '3', v: 1 }, { index: '4', v: 1 }, { index: '5', v: 1 }] }, () => undefined, record);
    n.input({ payload: { ['k'.repeat(100_000)]: 1 } }, () => undefined, record);
    assert.match(String(errors[0]?.message), /errors.bad-payload/);
    assert.deepEqual(errors.slice(1), [undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(n.store.dropped, { 'no-values': 2, 'not-finite': 2, 'negative-counter': 0, 'bad-name': 1, 'type-conflict': 0, cap: 2, 'labels-capped': 0, 'bad-payload': 1 });
    assert.deepEqual(facade.warnings.map((w) => w.split(' ')[0]), ['warn.no-values', 'warn.not-finite', 'warn.cap', 'warn.bad-name']);
    const body = await (await fetch(`${host.url}/metrics`)).text();
    assert.match(body, /^snmp_fleet_metrics_dropped_total\{node="m1",node_id="m1",reason="cap"\} 2$/m);
    assert.match(body, /^snmp_fleet_metrics_series\{node="m1",node_id="m1"\} 3$/m);
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(facade.statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'status.cap {"n":"3","dropped":"8"}' });
  });

  it('refuses a path another node serves, and frees its own on close', async () => {
    const { n } = make({ path: '/metrics' });
    const second = make({ path: '/metrics' }, fakeNode(undefined, { type: 'snmp-metrics', id: 'm2' }));
    assert.equal(second.facade.statuses.at(-1)?.fill, 'red');
    assert.match(second.facade.errors[0], /errors.path-in-use/);
    let refused: Error | undefined;
    second.n.input({ ...WALK }, () => undefined, (err?: Error) => { refused = err; });
    assert.match(String(refused?.message), /errors.path-in-use/, 'its input goes to Catch');
    assert.equal(second.n.store.size, 0, 'and holds nothing');
    await n.close();
    assert.equal(host.routes.has('/metrics'), false);
    assert.equal((await fetch(`${host.url}/metrics`)).status, 404);
  });

  it('shows a red ring when Node-RED has no HTTP node server', () => {
    const facade = fakeNode(undefined, { type: 'snmp-metrics' });
    nodes.push(new MetricsNode(facade, metricsOptions({}), { available: false, get: () => { throw new Error('off'); } }));
    assert.deepEqual(facade.statuses.at(-1), { fill: 'red', shape: 'ring', text: 'snmp-metrics.status.no-http' });
    assert.match(facade.errors[0], /errors.no-http/);
  });

  it('forgets everything on msg.reset', () => {
    const { n } = make();
    n.input({ ...WALK }, () => undefined, done);
    assert.equal(n.store.size, 2);
    n.input({ reset: true }, () => undefined, done);
    assert.equal(n.store.size, 0);
  });
});
